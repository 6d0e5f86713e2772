using Grpc.Core;
using Grpc.Core.Interceptors;

namespace Aggregation.Server.Errors;

/// <summary>
/// The one place where exceptions become gRPC statuses. Refusals (<see cref="RequestRefusedException"/>)
/// become their status with its details; services that build an <see cref="RpcException"/> themselves
/// are passed through; anything else is logged and answered without internal detail.
/// </summary>
public sealed partial class ExceptionInterceptor(ILogger<ExceptionInterceptor> logger) : Interceptor
{
    public override async Task<TResponse> UnaryServerHandler<TRequest, TResponse>(
        TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        try
        {
            return await continuation(request, context);
        }
        catch (Exception ex) when (Map(ex, context) is { } mapped)
        {
            throw mapped;
        }
    }

    public override async Task<TResponse> ClientStreamingServerHandler<TRequest, TResponse>(
        IAsyncStreamReader<TRequest> requestStream, ServerCallContext context, ClientStreamingServerMethod<TRequest, TResponse> continuation)
    {
        try
        {
            return await continuation(requestStream, context);
        }
        catch (Exception ex) when (Map(ex, context) is { } mapped)
        {
            throw mapped;
        }
    }

    public override async Task DuplexStreamingServerHandler<TRequest, TResponse>(
        IAsyncStreamReader<TRequest> requestStream, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, DuplexStreamingServerMethod<TRequest, TResponse> continuation)
    {
        try
        {
            await continuation(requestStream, responseStream, context);
        }
        catch (Exception ex) when (Map(ex, context) is { } mapped)
        {
            throw mapped;
        }
    }

    public override async Task ServerStreamingServerHandler<TRequest, TResponse>(
        TRequest request, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, ServerStreamingServerMethod<TRequest, TResponse> continuation)
    {
        try
        {
            await continuation(request, responseStream, context);
        }
        catch (Exception ex) when (Map(ex, context) is { } mapped)
        {
            throw mapped;
        }
    }

    /// <summary>A grain that could not activate because storage was briefly out of reach (e.g. connections exhausted during a cold start).</summary>
    private static bool Transient(Exception ex)
    {
        for (var inner = ex.InnerException; inner is not null; inner = inner.InnerException)
        {
            if (inner is System.Data.Common.DbException or TimeoutException or Aggregation.Storage.LedgerUnavailableException)
            {
                return true;
            }
        }

        return false;
    }

    private RpcException? Map(Exception ex, ServerCallContext context)
    {
        switch (ex)
        {
            case RpcException:
                return null;
            case RequestRefusedException refused:
                return RpcErrors.From(refused);
            case OperationCanceledException when context.CancellationToken.IsCancellationRequested:
                return new RpcException(new Status(StatusCode.Cancelled, "The call was cancelled."));
            case TimeoutException or Aggregation.Storage.LedgerUnavailableException or System.Data.Common.DbException or Orleans.Runtime.SiloUnavailableException or Orleans.Runtime.OrleansMessageRejectionException:
            case Orleans.Runtime.OrleansException when Transient(ex):
                LogTransientFailure(logger, ex, context.Method);
                return RpcErrors.Unavailable("The service is temporarily unavailable; retry with the same idempotency key.");
            default:
                LogFailure(logger, ex, context.Method);
                return RpcErrors.Internal();
        }
    }

    [LoggerMessage(EventId = 4601, Level = LogLevel.Warning, Message = "{Method} failed transiently")]
    private static partial void LogTransientFailure(ILogger logger, Exception exception, string method);

    [LoggerMessage(EventId = 4602, Level = LogLevel.Error, Message = "{Method} failed")]
    private static partial void LogFailure(ILogger logger, Exception exception, string method);
}
