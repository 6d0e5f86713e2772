using Grpc.Core;
using Grpc.Core.Interceptors;

namespace Aggregation.Server.Security;

/// <summary>Applies <see cref="CallLimiter"/> to every gRPC call, keyed by the authenticated caller (by address for anonymous health probes).</summary>
public sealed class CallLimitInterceptor(CallLimiter limiter) : Interceptor
{
    public override async Task<TResponse> UnaryServerHandler<TRequest, TResponse>(TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        using var lease = limiter.EnterCall(KeyOf(context));
        return await continuation(request, context);
    }

    public override async Task DuplexStreamingServerHandler<TRequest, TResponse>(IAsyncStreamReader<TRequest> requestStream, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, DuplexStreamingServerMethod<TRequest, TResponse> continuation)
    {
        using var lease = limiter.EnterCall(KeyOf(context));
        await continuation(requestStream, responseStream, context);
    }

    public override async Task ServerStreamingServerHandler<TRequest, TResponse>(TRequest request, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, ServerStreamingServerMethod<TRequest, TResponse> continuation)
    {
        using var lease = limiter.EnterCall(KeyOf(context));
        await continuation(request, responseStream, context);
    }

    public override async Task<TResponse> ClientStreamingServerHandler<TRequest, TResponse>(IAsyncStreamReader<TRequest> requestStream, ServerCallContext context, ClientStreamingServerMethod<TRequest, TResponse> continuation)
    {
        using var lease = limiter.EnterCall(KeyOf(context));
        return await continuation(requestStream, context);
    }

    internal static string KeyOf(ServerCallContext context)
    {
        var http = context.GetHttpContext();
        return Caller.FromPrincipal(http.User, "") is { } caller
            ? caller.LimitKey
            : "anonymous/" + http.Connection.RemoteIpAddress;
    }
}
