using System.Collections.Concurrent;
using Aggregation.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;

namespace Aggregation.IntegrationTests;

/// <summary>
/// The ministry's receiving endpoint, played by a real Kestrel server on loopback. It can be down
/// (nothing listening), slow, failing with 500s or healthy; it keeps each report once by its
/// Idempotency-Key, answering 409 to a key it already holds.
/// </summary>
public sealed class MinistryReceiver : IAsyncDisposable
{
    private WebApplication? _app;

    public MinistryReceiver()
    {
        var port = LoopbackPorts.Take();
        Url = new Uri($"http://127.0.0.1:{port}/adx");
        RegistrationsUrl = new Uri($"http://127.0.0.1:{port}/completeDataSetRegistrations");
    }

    public enum Behaviour
    {
        Healthy,
        Slow,
        Failing,
    }

    /// <summary>Where ADX documents go.</summary>
    public Uri Url { get; }

    /// <summary>Where completeness registrations (DHIS2 JSON) go.</summary>
    public Uri RegistrationsUrl { get; }

    public Behaviour Mode { get; set; } = Behaviour.Healthy;

    /// <summary>Reports kept, by idempotency key.</summary>
    public ConcurrentDictionary<string, byte[]> Received { get; } = new();

    /// <summary>Requests of any outcome, for "it was tried".</summary>
    public int Requests => Volatile.Read(ref _requests);

    private int _requests;

    public async Task StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();

        // Not the server's appsettings.json beside the tests, whose Kestrel endpoints would win over the URL below.
        builder.Configuration.Sources.Clear();
        builder.Configuration.AddInMemoryCollection();
        builder.WebHost.UseUrls($"http://127.0.0.1:{Url.Port}");
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        _app = builder.Build();
        _app.MapPost("/adx", (Delegate)((HttpContext http) => ReceiveAsync(http, "application/adx+xml")));
        _app.MapPost("/completeDataSetRegistrations", (Delegate)((HttpContext http) => ReceiveAsync(http, "application/json")));
        await _app.StartAsync();

        async Task<IResult> ReceiveAsync(HttpContext http, string contentType)
        {
            Interlocked.Increment(ref _requests);
            switch (Mode)
            {
                case Behaviour.Slow:
                    await Task.Delay(TimeSpan.FromSeconds(5), http.RequestAborted);
                    return Results.StatusCode(200);
                case Behaviour.Failing:
                    return Results.StatusCode(500);
            }

            var key = http.Request.Headers["Idempotency-Key"].ToString();
            if (key.Length == 0 || http.Request.ContentType != contentType)
            {
                return Results.BadRequest();
            }

            using var body = new MemoryStream();
            await http.Request.Body.CopyToAsync(body);
            return Received.TryAdd(key, body.ToArray()) ? Results.Ok() : Results.Conflict();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
    }
}
