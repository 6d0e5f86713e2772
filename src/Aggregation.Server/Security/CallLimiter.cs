using System.Threading.RateLimiting;
using Aggregation.Server.Errors;
using Google.Protobuf.WellKnownTypes;
using Google.Rpc;
using Grpc.Core;
using Microsoft.Extensions.Options;

namespace Aggregation.Server.Security;

/// <summary>
/// Rate, concurrency and subscription limits, each partitioned by caller so one misbehaving system
/// cannot starve the others. A refusal is a gRPC RESOURCE_EXHAUSTED with a RetryInfo delay, never a
/// bare HTTP 503 that clients would retry at once.
/// </summary>
public sealed class CallLimiter : IDisposable
{
    private readonly PartitionedRateLimiter<string> _rate;
    private readonly PartitionedRateLimiter<string> _concurrency;
    private readonly PartitionedRateLimiter<string> _subscriptions;
    private readonly LimitOptions _options;

    public CallLimiter(IOptions<LimitOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options.Value;
        var limits = _options;
        _rate = PartitionedRateLimiter.Create<string, string>(key => RateLimitPartition.GetTokenBucketLimiter(key, _ => new TokenBucketRateLimiterOptions
        {
            TokenLimit = limits.Burst,
            TokensPerPeriod = Math.Max(1, limits.CallsPerSecond / 10),
            ReplenishmentPeriod = TimeSpan.FromMilliseconds(100),
            QueueLimit = 0,
            AutoReplenishment = true,
        }));
        _concurrency = PartitionedRateLimiter.Create<string, string>(key => RateLimitPartition.GetConcurrencyLimiter(key, _ => new ConcurrencyLimiterOptions { PermitLimit = limits.ConcurrentCalls, QueueLimit = 0 }));
        _subscriptions = PartitionedRateLimiter.Create<string, string>(key => RateLimitPartition.GetConcurrencyLimiter(key, _ => new ConcurrencyLimiterOptions { PermitLimit = limits.Subscriptions, QueueLimit = 0 }));
    }

    /// <summary>Admits one call of <paramref name="caller"/>; dispose the lease when the call ends.</summary>
    public IDisposable EnterCall(string caller)
    {
        using var rate = _rate.AttemptAcquire(caller);
        if (!rate.IsAcquired)
        {
            var after = rate.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? wait : TimeSpan.FromSeconds(1);
            throw Exhausted($"This credential exceeded {_options.CallsPerSecond} calls per second (burst {_options.Burst}); slow down and retry later.", after);
        }

        var lease = _concurrency.AttemptAcquire(caller);
        if (!lease.IsAcquired)
        {
            lease.Dispose();
            throw Exhausted($"This credential already has {_options.ConcurrentCalls} calls in flight; wait for some to finish.", TimeSpan.FromMilliseconds(200));
        }

        return lease;
    }

    /// <summary>Admits one more open subscription of <paramref name="caller"/>; dispose when it ends.</summary>
    public IDisposable EnterSubscription(string caller)
    {
        var lease = _subscriptions.AttemptAcquire(caller);
        if (lease.IsAcquired)
        {
            return lease;
        }

        lease.Dispose();
        throw Exhausted($"This credential already holds {_options.Subscriptions} open subscriptions; close one (or watch several periods in one) first.", TimeSpan.FromSeconds(5));
    }

    public void Dispose()
    {
        _rate.Dispose();
        _concurrency.Dispose();
        _subscriptions.Dispose();
    }

    private static RpcException Exhausted(string message, TimeSpan retryAfter) =>
        new Google.Rpc.Status
        {
            Code = (int)Code.ResourceExhausted,
            Message = message,
            Details = { Any.Pack(new RetryInfo { RetryDelay = Duration.FromTimeSpan(retryAfter) }) },
        }.ToRpcException();
}
