using System.Globalization;
using System.Text;
using Aggregation.Server.Errors;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Google.Rpc;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Aggregation.Server.Security;

/// <summary>A token whose signature, issuer, audience and expiry passed, refused by <see cref="TokenPolicy"/>.</summary>
public sealed class TokenRefusedException(string reason, string message) : SecurityTokenValidationException(message)
{
    /// <summary>One of the <see cref="AuthenticationFailures"/> reasons.</summary>
    public string Reason { get; } = reason;
}

/// <summary>
/// Why a call was not authenticated, told to the caller and logged: no token, an expired token, a
/// token signed with a key this server does not know (its key id named), or another fault of the
/// token. gRPC callers get <c>UNAUTHENTICATED</c> with the reason in words and as a
/// <c>google.rpc.ErrorInfo</c> (domain <c>aggregation</c>; reasons below; metadata <c>kid</c> or
/// <c>expired_at</c>) rather than a bare HTTP 401. Neither answer nor log ever carries the token.
/// </summary>
public static partial class AuthenticationFailures
{
    public const string Domain = "aggregation";
    public const string Missing = "TOKEN_MISSING";
    public const string Expired = "TOKEN_EXPIRED";
    public const string UnknownKey = "UNKNOWN_SIGNING_KEY";
    public const string Invalid = "TOKEN_INVALID";

    /// <summary>Answers the challenge of a gRPC call with the reason, and logs it (rate-limited by the log throttle).</summary>
    public static Task ChallengeAsync(JwtBearerChallengeContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var http = context.HttpContext;
        var (reason, message, metadata) = Describe(BearerToken(http.Request), context.AuthenticateFailure);
        var logger = http.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(AuthenticationFailures).FullName!);
        var peer = http.Connection.RemoteIpAddress is { } ip ? $"{ip}:{http.Connection.RemotePort}" : "unknown";
        LogRefused(logger, http.Request.Path.Value ?? "", peer, reason, metadata.TryGetValue("kid", out var kid) ? $" (kid '{kid}')" : "");

        if (http.Request.ContentType?.StartsWith("application/grpc", StringComparison.OrdinalIgnoreCase) != true)
        {
            // The dashboard's API keeps the standard 401 with WWW-Authenticate.
            return Task.CompletedTask;
        }

        context.HandleResponse();
        var info = new ErrorInfo { Domain = Domain, Reason = reason };
        info.Metadata.Add(metadata);
        var status = new Google.Rpc.Status { Code = (int)Code.Unauthenticated, Message = message, Details = { Any.Pack(info) } };

        // A trailers-only gRPC response: HTTP 200, the status in the headers, no body.
        var response = http.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "application/grpc";
        response.Headers.WWWAuthenticate = $"Bearer error=\"invalid_token\", error_description=\"{reason}\"";
        response.Headers["grpc-status"] = ((int)Code.Unauthenticated).ToString(CultureInfo.InvariantCulture);
        response.Headers["grpc-message"] = PercentEncode(message);
        response.Headers["grpc-status-details-bin"] = Convert.ToBase64String(status.ToByteArray());
        return Task.CompletedTask;
    }

    /// <summary>The reason, the sentence for the caller and what may be named (never the token itself).</summary>
    public static (string Reason, string Message, Dictionary<string, string> Metadata) Describe(string? token, Exception? failure)
    {
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        if (string.IsNullOrEmpty(token))
        {
            return (Missing, "No access token was sent: every call needs one (authorization: Bearer …) or a registered client certificate.", metadata);
        }

        switch (failure)
        {
            case SecurityTokenExpiredException expired:
                var at = DateTime.SpecifyKind(expired.Expires, DateTimeKind.Utc);
                metadata["expired_at"] = at.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
                return (Expired, $"The access token expired at {metadata["expired_at"]}; get a new one.", metadata);
            case SecurityTokenSignatureKeyNotFoundException:
            case TokenRefusedException { Reason: UnknownKey }:
                var kid = KeyId(token);
                metadata["kid"] = kid;
                return (UnknownKey, kid.Length == 0
                    ? "The access token names no signing key (no kid): this server accepts only tokens naming one of its keys."
                    : $"The access token is signed with key '{kid}', which this server does not know: it was issued for another server, or its key was retired.", metadata);
            case TokenRefusedException refused:
                return (refused.Reason, refused.Message, metadata);
        }

        var why = failure switch
        {
            null => "it is not a bearer token this server can read",
            SecurityTokenInvalidSignatureException => "its signature does not match its key",
            SecurityTokenNotYetValidException => "it is not valid yet",
            SecurityTokenInvalidAudienceException => "it is meant for another audience",
            SecurityTokenInvalidIssuerException => "it was issued by another issuer",
            SecurityTokenInvalidAlgorithmException => "it is signed with an algorithm this server does not accept",
            SecurityTokenNoExpirationException => "it has no expiry",
            SecurityTokenMalformedException or ArgumentException => "it is not a well-formed JSON Web Token",
            _ => "it could not be validated",
        };
        return (Invalid, $"The access token is refused: {why}.", metadata);
    }

    private static string? BearerToken(Microsoft.AspNetCore.Http.HttpRequest request)
    {
        var header = request.Headers.Authorization.ToString();
        if (header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return header["Bearer ".Length..].Trim();
        }

        return request.Path.StartsWithSegments(SecuritySetup.StreamPath) ? request.Query["access_token"].ToString() : null;
    }

    /// <summary>The token header's kid, shortened and cleaned: it comes from the caller.</summary>
    private static string KeyId(string token)
    {
        try
        {
            return RpcErrors.Clip(new JsonWebToken(token).Kid);
        }
        catch (ArgumentException)
        {
            return "";
        }
    }

    /// <summary>grpc-message is percent-encoded UTF-8 (the gRPC HTTP/2 protocol).</summary>
    private static string PercentEncode(string message)
    {
        var builder = new StringBuilder();
        foreach (var b in Encoding.UTF8.GetBytes(message))
        {
            if (b is >= 0x20 and <= 0x7E && b != (byte)'%')
            {
                builder.Append((char)b);
            }
            else
            {
                builder.Append('%').Append(b.ToString("X2", CultureInfo.InvariantCulture));
            }
        }

        return builder.ToString();
    }

    [LoggerMessage(EventId = 4401, Level = LogLevel.Warning, Message = "Refused an unauthenticated call to {Path} from {Peer}: {Reason}{KeyId}")]
    private static partial void LogRefused(ILogger logger, string path, string peer, string reason, string keyId);
}
