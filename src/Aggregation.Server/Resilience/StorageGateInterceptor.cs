using System.Globalization;
using Aggregation.Storage;
using Google.Protobuf.WellKnownTypes;
using Google.Rpc;
using Grpc.Core;
using Grpc.Core.Interceptors;

namespace Aggregation.Server.Resilience;

/// <summary>
/// While the database is known to be unreachable, refuses every call that needs it with
/// UNAVAILABLE and a RetryInfo delay before any grain is touched: no activation is attempted per
/// request, so an outage costs neither CPU nor log lines per call. The catalog, credentials,
/// health and reflection need no database and keep answering.
/// </summary>
public sealed class StorageGateInterceptor(StorageAvailability availability) : Interceptor
{
    /// <summary>How long a refused caller is asked to wait: the probe runs every second, so this is the outage's grain.</summary>
    public static readonly TimeSpan RetryDelay = TimeSpan.FromSeconds(2);

    private static readonly string[] Exempt = ["/aggregation.v1.Catalog/", "/aggregation.v1.Credentials/", "/grpc.health.", "/grpc.reflection."];

    public override Task<TResponse> UnaryServerHandler<TRequest, TResponse>(TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        Check(context);
        return continuation(request, context);
    }

    public override Task DuplexStreamingServerHandler<TRequest, TResponse>(IAsyncStreamReader<TRequest> requestStream, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, DuplexStreamingServerMethod<TRequest, TResponse> continuation)
    {
        Check(context);
        return continuation(requestStream, responseStream, context);
    }

    public override Task ServerStreamingServerHandler<TRequest, TResponse>(TRequest request, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, ServerStreamingServerMethod<TRequest, TResponse> continuation)
    {
        Check(context);
        return continuation(request, responseStream, context);
    }

    public override Task<TResponse> ClientStreamingServerHandler<TRequest, TResponse>(IAsyncStreamReader<TRequest> requestStream, ServerCallContext context, ClientStreamingServerMethod<TRequest, TResponse> continuation)
    {
        Check(context);
        return continuation(requestStream, context);
    }

    private void Check(ServerCallContext context)
    {
        if (availability.IsAvailable || Exempt.Any(prefix => context.Method.StartsWith(prefix, StringComparison.Ordinal)))
        {
            return;
        }

        throw Unavailable(availability);
    }

    /// <summary>The answer to any call that needs the database during an outage.</summary>
    public static RpcException Unavailable(StorageAvailability availability)
    {
        ArgumentNullException.ThrowIfNull(availability);
        var since = availability.Outage.Since is { } s ? s.ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture) : "now";
        return new Google.Rpc.Status
        {
            Code = (int)Code.Unavailable,
            Message = $"The database has been unreachable since {since}; nothing was recorded or read. Retry after the delay (with the same idempotency keys for reports).",
            Details = { Any.Pack(new RetryInfo { RetryDelay = Duration.FromTimeSpan(RetryDelay) }) },
        }.ToRpcException();
    }
}
