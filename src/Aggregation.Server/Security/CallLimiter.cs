using System.Diagnostics.Metrics;
using System.Threading.RateLimiting;
using Aggregation.Server.Errors;
using Google.Protobuf;
using Microsoft.Extensions.Options;

namespace Aggregation.Server.Security;

/// <summary>
/// Rate, concurrency and subscription limits per caller, per tenant and per silo. Per caller so one
/// misbehaving system cannot starve the others; per tenant because an admin can issue credentials
/// for any number of subjects; per silo because nothing else bounds the work and memory of the
/// process. A refusal is a <see cref="LimitReachedException"/> with a delay: RESOURCE_EXHAUSTED with
/// RetryInfo over gRPC, 429 on the dashboard, never a bare HTTP 503 that clients would retry at once.
/// </summary>
public sealed partial class CallLimiter : IDisposable
{
    /// <summary>The meter of refusals and of the silo's calls and request bytes in flight.</summary>
    public const string MeterName = "Aggregation.Limits";

    /// <summary>A warning that the silo is refusing calls is logged at most this often: a flood must not flood the log too.</summary>
    private static readonly TimeSpan WarningInterval = TimeSpan.FromSeconds(10);

    private readonly PartitionedRateLimiter<string> _rate;
    private readonly PartitionedRateLimiter<string> _concurrency;
    private readonly PartitionedRateLimiter<string> _subscriptions;
    private readonly PartitionedRateLimiter<string> _tenantRate;
    private readonly PartitionedRateLimiter<string> _tenantConcurrency;
    private readonly ConcurrencyLimiter _siloCalls;
    private readonly ConcurrencyLimiter _siloBytes;
    private readonly LimitOptions _options;
    private readonly Counter<long> _refusals;
    private readonly ILogger<CallLimiter> _logger;
    private readonly TimeProvider _time;
    private long _lastWarning;
    private long _siloRefusedSinceWarning;

    public CallLimiter(IOptions<LimitOptions> options, IMeterFactory meters, ILogger<CallLimiter> logger, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(meters);
        _options = options.Value;
        _logger = logger;
        _time = time;
        _lastWarning = time.GetTimestamp() - (long)(WarningInterval.TotalSeconds * time.TimestampFrequency);
        var limits = _options;
        _rate = PartitionedRateLimiter.Create<string, string>(key => RateLimitPartition.GetTokenBucketLimiter(key, _ => Bucket(limits.CallsPerSecond, limits.Burst)));
        _concurrency = PartitionedRateLimiter.Create<string, string>(key => RateLimitPartition.GetConcurrencyLimiter(key, _ => new ConcurrencyLimiterOptions { PermitLimit = limits.ConcurrentCalls, QueueLimit = 0 }));
        _subscriptions = PartitionedRateLimiter.Create<string, string>(key => RateLimitPartition.GetConcurrencyLimiter(key, _ => new ConcurrencyLimiterOptions { PermitLimit = limits.Subscriptions, QueueLimit = 0 }));
        _tenantRate = PartitionedRateLimiter.Create<string, string>(key => RateLimitPartition.GetTokenBucketLimiter(key, _ => Bucket(limits.TenantCallsPerSecond, limits.TenantBurst)));
        _tenantConcurrency = PartitionedRateLimiter.Create<string, string>(key => RateLimitPartition.GetConcurrencyLimiter(key, _ => new ConcurrencyLimiterOptions { PermitLimit = limits.TenantConcurrentCalls, QueueLimit = 0 }));
        _siloCalls = new ConcurrencyLimiter(new ConcurrencyLimiterOptions { PermitLimit = limits.SiloConcurrentCalls, QueueLimit = 0 });
        _siloBytes = new ConcurrencyLimiter(new ConcurrencyLimiterOptions { PermitLimit = limits.SiloInFlightRequestBytes, QueueLimit = 0 });

        var meter = meters.Create(MeterName);
        _refusals = meter.CreateCounter<long>("aggregation.limits.refusals", "{call}", "Calls refused with RESOURCE_EXHAUSTED, by the limit that refused them.");
        meter.CreateObservableUpDownCounter("aggregation.limits.silo.calls", () => SiloCallsInFlight, "{call}", "Calls in flight on this silo (open streams included).");
        meter.CreateObservableUpDownCounter("aggregation.limits.silo.request_bytes", () => SiloRequestBytesInFlight, "By", "Bytes of request messages this silo is processing.");
    }

    /// <summary>Calls in flight on this silo, open streams included (health checks are not counted).</summary>
    public long SiloCallsInFlight => _options.SiloConcurrentCalls - (_siloCalls.GetStatistics()?.CurrentAvailablePermits ?? 0);

    /// <summary>Bytes of the request messages this silo is processing.</summary>
    public long SiloRequestBytesInFlight => _options.SiloInFlightRequestBytes - (_siloBytes.GetStatistics()?.CurrentAvailablePermits ?? 0);

    /// <summary>
    /// Admits one call of <paramref name="caller"/> (of <paramref name="tenant"/>, null for an
    /// anonymous caller); dispose the lease when the call ends. The narrowest limit is checked first,
    /// so that a runaway credential is told about itself and does not use up its tenant's or the
    /// silo's allowance; <paramref name="siloWide"/> false leaves a call (health checks) outside the
    /// tenant and silo limits.
    /// </summary>
    public IDisposable EnterCall(string caller, string? tenant, bool siloWide)
    {
        var admission = new Admission();
        try
        {
            using (var token = _rate.AttemptAcquire(caller))
            {
                if (!token.IsAcquired)
                {
                    throw Refused("caller.rate", $"This credential exceeded {_options.CallsPerSecond} calls per second (burst {_options.Burst}); slow down and retry later.", RetryAfter(token));
                }
            }

            admission.Hold(_concurrency.AttemptAcquire(caller), "caller.concurrency", $"This credential already has {_options.ConcurrentCalls} calls in flight; wait for some to finish.", TimeSpan.FromMilliseconds(200), this);
            if (!siloWide)
            {
                return admission;
            }

            if (tenant is not null)
            {
                using (var token = _tenantRate.AttemptAcquire(tenant))
                {
                    if (!token.IsAcquired)
                    {
                        throw Refused("tenant.rate", $"The credentials of this tenant together exceeded {_options.TenantCallsPerSecond} calls per second (burst {_options.TenantBurst}); slow down and retry later.", RetryAfter(token));
                    }
                }

                admission.Hold(_tenantConcurrency.AttemptAcquire(tenant), "tenant.concurrency", $"The credentials of this tenant together already have {_options.TenantConcurrentCalls} calls in flight; wait for some to finish.", TimeSpan.FromMilliseconds(200), this);
            }

            admission.Hold(_siloCalls.AttemptAcquire(), "silo.calls", $"The server is busy: it already has {_options.SiloConcurrentCalls} calls in flight from all callers together. This is not a limit of your credential; retry after the delay.", Spread(TimeSpan.FromSeconds(1)), this);
            return admission;
        }
        catch
        {
            admission.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Holds the size of one request message against the silo's budget of request bytes in flight,
    /// until the lease is disposed. Null when the message is empty.
    /// </summary>
    public IDisposable? EnterRequest(IMessage? message)
    {
        // Never more than the whole budget: a message at MaxRequestBytes (validated to fit) is
        // admitted when the silo is idle, and the limiter refuses a count above its limit outright.
        var size = Math.Min(message?.CalculateSize() ?? 0, _options.SiloInFlightRequestBytes);
        if (size == 0)
        {
            return null;
        }

        var admission = new Admission();
        admission.Hold(_siloBytes.AttemptAcquire(size), "silo.request_bytes", $"The server is busy: the requests it is processing already hold its budget of {_options.SiloInFlightRequestBytes / 1024 / 1024.0:0.##} MiB. This is not a limit of your credential; retry after the delay.", Spread(TimeSpan.FromSeconds(1)), this);
        return admission;
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
        throw Refused("caller.subscriptions", $"This credential already holds {_options.Subscriptions} open subscriptions; close one (or watch several periods in one) first.", TimeSpan.FromSeconds(5));
    }

    public void Dispose()
    {
        _rate.Dispose();
        _concurrency.Dispose();
        _subscriptions.Dispose();
        _tenantRate.Dispose();
        _tenantConcurrency.Dispose();
        _siloCalls.Dispose();
        _siloBytes.Dispose();
    }

    /// <summary>
    /// A token bucket refilled in small steps, so that a burst recovers smoothly; the period is
    /// chosen so that the rate is exact also below 10 calls per second.
    /// </summary>
    private static TokenBucketRateLimiterOptions Bucket(int callsPerSecond, int burst)
    {
        var tokens = Math.Max(1, callsPerSecond / 10);
        return new TokenBucketRateLimiterOptions
        {
            TokenLimit = burst,
            TokensPerPeriod = tokens,
            ReplenishmentPeriod = TimeSpan.FromSeconds((double)tokens / callsPerSecond),
            QueueLimit = 0,
            AutoReplenishment = true,
        };
    }

    private static TimeSpan RetryAfter(RateLimitLease lease) =>
        lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? wait : TimeSpan.FromSeconds(1);

    /// <summary>Between 0.5 and 1.5 times <paramref name="delay"/>: callers refused together by a shared limit should not all come back at once.</summary>
    private static TimeSpan Spread(TimeSpan delay) => delay * (0.5 + Random.Shared.NextDouble());

    private LimitReachedException Refused(string limit, string message, TimeSpan retryAfter)
    {
        _refusals.Add(1, new KeyValuePair<string, object?>("limit", limit));
        if (limit.StartsWith("silo.", StringComparison.Ordinal))
        {
            WarnSiloBusy(limit);
        }

        return new LimitReachedException(message, retryAfter);
    }

    private void WarnSiloBusy(string limit)
    {
        Interlocked.Increment(ref _siloRefusedSinceWarning);
        var now = _time.GetTimestamp();
        var last = Interlocked.Read(ref _lastWarning);
        if (_time.GetElapsedTime(last, now) >= WarningInterval && Interlocked.CompareExchange(ref _lastWarning, now, last) == last)
        {
            LogSiloBusy(_logger, limit, SiloCallsInFlight, SiloRequestBytesInFlight, Interlocked.Exchange(ref _siloRefusedSinceWarning, 0));
        }
    }

    [LoggerMessage(EventId = 4001, Level = LogLevel.Warning, Message = "The silo is refusing calls ({Limit} reached; {Calls} calls and {Bytes} request bytes in flight); {Refused} refused since the last warning")]
    private static partial void LogSiloBusy(ILogger logger, string limit, long calls, long bytes, long refused);

    /// <summary>
    /// The leases of one admitted call, released together when the call ends, in the order they
    /// were taken: the silo's last, so a silo with nothing in flight holds no tenant or caller slot either.
    /// </summary>
    private sealed class Admission : IDisposable
    {
        private readonly List<RateLimitLease> _leases = new(3);

        /// <summary>Keeps <paramref name="lease"/>, or releases it and refuses the call when it was not granted.</summary>
        public void Hold(RateLimitLease lease, string limit, string message, TimeSpan retryAfter, CallLimiter limiter)
        {
            if (!lease.IsAcquired)
            {
                lease.Dispose();
                throw limiter.Refused(limit, message, retryAfter);
            }

            _leases.Add(lease);
        }

        public void Dispose()
        {
            foreach (var lease in _leases)
            {
                lease.Dispose();
            }

            _leases.Clear();
        }
    }
}
