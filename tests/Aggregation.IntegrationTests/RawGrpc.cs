using System.Buffers.Binary;
using System.Net;
using System.Net.Http.Headers;

namespace Aggregation.IntegrationTests;

/// <summary>
/// gRPC calls made byte by byte over HTTP/2 (prior knowledge, no TLS), so a test can send what no
/// well-behaved client would: broken frames, wrong content types, odd metadata.
/// </summary>
public sealed class RawGrpc(string address) : IDisposable
{
    private readonly HttpClient _http = new(new SocketsHttpHandler { EnableMultipleHttp2Connections = true })
    {
        BaseAddress = new Uri(address),
        Timeout = TimeSpan.FromSeconds(30),
    };

    /// <summary>The HTTP status, and the grpc-status (null when the server sent none) of one call.</summary>
    public sealed record Answer(HttpStatusCode Http, int? GrpcStatus, string Message);

    /// <summary>A length-prefixed gRPC frame around <paramref name="message"/>; <paramref name="declaredLength"/> may lie.</summary>
    public static byte[] Frame(byte[] message, int? declaredLength = null, bool compressed = false)
    {
        ArgumentNullException.ThrowIfNull(message);
        var frame = new byte[5 + message.Length];
        frame[0] = compressed ? (byte)1 : (byte)0;
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(1), (uint)(declaredLength ?? message.Length));
        message.CopyTo(frame, 5);
        return frame;
    }

    public async Task<Answer> CallAsync(string method, byte[] body, string? token, string contentType = "application/grpc", IReadOnlyDictionary<string, string>? headers = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, method)
        {
            Content = new ByteArrayContent(body),
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
        request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        request.Headers.TryAddWithoutValidation("te", "trailers");
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        foreach (var (name, value) in headers ?? new Dictionary<string, string>())
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        using var response = await _http.SendAsync(request);
        var content = await response.Content.ReadAsByteArrayAsync();
        string? Find(string name) =>
            response.TrailingHeaders.TryGetValues(name, out var t) ? t.FirstOrDefault()
            : response.Headers.TryGetValues(name, out var h) ? h.FirstOrDefault()
            : null;
        var status = Find("grpc-status");
        return new Answer(
            response.StatusCode,
            status is null ? null : int.Parse(status, System.Globalization.CultureInfo.InvariantCulture),
            status is null ? $"HTTP/{response.Version} {System.Text.Encoding.UTF8.GetString(content)}" : Uri.UnescapeDataString(Find("grpc-message") ?? ""));
    }

    public void Dispose() => _http.Dispose();
}
