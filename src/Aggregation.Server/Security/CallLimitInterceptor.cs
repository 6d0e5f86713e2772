using Google.Protobuf;
using Grpc.Core;
using Grpc.Core.Interceptors;

namespace Aggregation.Server.Security;

/// <summary>
/// Applies <see cref="CallLimiter"/> to every gRPC call, keyed by the authenticated caller and its
/// tenant (by address for anonymous health probes). The request's size is held against the silo's
/// budget of request bytes only once the call itself is admitted: measuring a message walks it.
/// </summary>
public sealed class CallLimitInterceptor(CallLimiter limiter) : Interceptor
{
    /// <summary>Load balancers and probes must always see the silo, however busy it is.</summary>
    private const string HealthService = "/grpc.health.v1.Health/";

    public override async Task<TResponse> UnaryServerHandler<TRequest, TResponse>(TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        var (caller, tenant, siloWide) = ScopeOf(context);
        using var call = limiter.EnterCall(caller, tenant, siloWide);
        using var bytes = siloWide ? limiter.EnterRequest(request as IMessage) : null;
        return await continuation(request, context);
    }

    public override async Task ServerStreamingServerHandler<TRequest, TResponse>(TRequest request, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, ServerStreamingServerMethod<TRequest, TResponse> continuation)
    {
        var (caller, tenant, siloWide) = ScopeOf(context);
        using var call = limiter.EnterCall(caller, tenant, siloWide);
        using var bytes = siloWide ? limiter.EnterRequest(request as IMessage) : null;
        await continuation(request, responseStream, context);
    }

    public override async Task DuplexStreamingServerHandler<TRequest, TResponse>(IAsyncStreamReader<TRequest> requestStream, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, DuplexStreamingServerMethod<TRequest, TResponse> continuation)
    {
        var (caller, tenant, siloWide) = ScopeOf(context);
        using var call = limiter.EnterCall(caller, tenant, siloWide);
        using var reader = new MeteredReader<TRequest>(requestStream, limiter);
        await continuation(siloWide ? reader : requestStream, responseStream, context);
    }

    public override async Task<TResponse> ClientStreamingServerHandler<TRequest, TResponse>(IAsyncStreamReader<TRequest> requestStream, ServerCallContext context, ClientStreamingServerMethod<TRequest, TResponse> continuation)
    {
        var (caller, tenant, siloWide) = ScopeOf(context);
        using var call = limiter.EnterCall(caller, tenant, siloWide);
        using var reader = new MeteredReader<TRequest>(requestStream, limiter);
        return await continuation(siloWide ? reader : requestStream, context);
    }

    internal static (string Caller, string? Tenant, bool SiloWide) ScopeOf(ServerCallContext context)
    {
        var http = context.GetHttpContext();
        var siloWide = !context.Method.StartsWith(HealthService, StringComparison.Ordinal);
        return Caller.FromPrincipal(http.User, "") is { } caller
            ? (caller.LimitKey, caller.TenantId, siloWide)
            : ("anonymous/" + http.Connection.RemoteIpAddress, null, siloWide);
    }

    /// <summary>
    /// A request stream whose current message is held against the silo's budget of request bytes
    /// from when it is read until the service asks for the next one (or the call ends): that is
    /// when the service is done with it.
    /// </summary>
    private sealed class MeteredReader<T>(IAsyncStreamReader<T> inner, CallLimiter limiter) : IAsyncStreamReader<T>, IDisposable
    {
        private IDisposable? _held;

        public T Current => inner.Current;

        public async Task<bool> MoveNext(CancellationToken cancellationToken)
        {
            Release();
            if (!await inner.MoveNext(cancellationToken))
            {
                return false;
            }

            _held = limiter.EnterRequest(inner.Current as IMessage);
            return true;
        }

        public void Dispose() => Release();

        private void Release()
        {
            _held?.Dispose();
            _held = null;
        }
    }
}
