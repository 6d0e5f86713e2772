using Aggregation.Rollup;
using Microsoft.Extensions.Options;

namespace Aggregation.Server.Subscriptions;

/// <summary>
/// This silo's one observer of unit grains. Units tell it which (unit, programme) changed; it marks
/// the change on every subscription watching that unit. It renews its registrations well before
/// the units expire them, which also re-registers with units that were reactivated elsewhere after a
/// failure; every renewal makes subscriptions re-check, so a change missed meanwhile is still sent.
/// </summary>
public sealed partial class SubscriptionHub(IGrainFactory grains, IOptions<SubscriptionOptions> options, ILogger<SubscriptionHub> logger) : IUnitObserver, IHostedService, IDisposable
{
    private readonly Lock _referenceLock = new();
    private IUnitObserver? _reference;
    private CancellationTokenSource? _stopping;
    private Task? _renewal;

    /// <summary>Subscriptions currently open on this silo.</summary>
    public int OpenSubscriptions => Watchers.Subscriptions;

    internal UnitWatchers Watchers { get; } = new();

    public void RollupChanged(string unitKey, string programmeId, long version)
    {
        foreach (var subscription in Watchers.Of(unitKey))
        {
            subscription.MarkChanged(unitKey, programmeId);
        }
    }

    public async Task WatchAsync(Subscription subscription, IEnumerable<string> unitKeys)
    {
        ArgumentNullException.ThrowIfNull(subscription);
        var fresh = new List<string>();
        foreach (var key in unitKeys)
        {
            if (Watchers.Add(key, subscription))
            {
                fresh.Add(key);
            }
        }

        var reference = Reference();
        await Task.WhenAll(fresh.Select(k => grains.GetGrain<IUnitGrain>(k).ObserveAsync(reference)));
    }

    public void Unwatch(Subscription subscription, IEnumerable<string> unitKeys)
    {
        foreach (var key in unitKeys)
        {
            if (Watchers.Remove(key, subscription))
            {
                // Not awaited, so a watch of the same unit opening now may reach the unit first and
                // be undone by this; the next renewal observes the unit again and makes its
                // subscriptions re-check, so at worst a change arrives one renewal late.
                _ = grains.GetGrain<IUnitGrain>(key).UnobserveAsync(Reference());
            }
        }
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _stopping = new CancellationTokenSource();
        _renewal = RenewAsync(_stopping.Token);
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_stopping is not null)
        {
            await _stopping.CancelAsync();
            await (_renewal ?? Task.CompletedTask);
        }
    }

    /// <summary>
    /// Releases the renewal's cancellation source when the container disposes the hub (a singleton),
    /// which also covers a host that was disposed without being stopped.
    /// </summary>
    public void Dispose() => _stopping?.Dispose();

    private IUnitObserver Reference()
    {
        lock (_referenceLock)
        {
            return _reference ??= grains.CreateObjectReference<IUnitObserver>(this);
        }
    }

    private async Task RenewAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(options.Value.RenewInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                foreach (var key in Watchers.Units)
                {
                    try
                    {
                        await grains.GetGrain<IUnitGrain>(key).ObserveAsync(Reference());
                        foreach (var subscription in Watchers.Of(key))
                        {
                            subscription.MarkChanged(key, programmeId: null);
                        }
                    }
                    catch (Exception ex) when (ex is not OperationCanceledException)
                    {
                        LogRenewalFailed(logger, ex, key);
                    }
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    [LoggerMessage(EventId = 4951, Level = LogLevel.Warning, Message = "Renewing the subscription to {Unit} failed; the next renewal retries")]
    private static partial void LogRenewalFailed(ILogger logger, Exception exception, string unit);
}
