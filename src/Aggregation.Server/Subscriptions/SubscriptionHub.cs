using System.Collections.Concurrent;
using Aggregation.Rollup;
using Microsoft.Extensions.Options;

namespace Aggregation.Server.Subscriptions;

/// <summary>
/// This silo's one observer of unit grains. Units tell it which (unit, programme) changed; it marks
/// the change on every subscription watching that unit. It renews its registrations well before
/// the units expire them, which also re-registers with units that were reactivated elsewhere after a
/// failure; every renewal makes subscriptions re-check, so a change missed meanwhile is still sent.
/// </summary>
public sealed class SubscriptionHub(IGrainFactory grains, IOptions<SubscriptionOptions> options, ILogger<SubscriptionHub> logger) : IUnitObserver, IHostedService
{
    private readonly ConcurrentDictionary<string, ConcurrentDictionary<Subscription, byte>> _watchers = new(StringComparer.Ordinal);
    private readonly Lock _referenceLock = new();
    private IUnitObserver? _reference;
    private CancellationTokenSource? _stopping;
    private Task? _renewal;

    /// <summary>Subscriptions currently open on this silo.</summary>
    public int OpenSubscriptions => _watchers.Values.SelectMany(w => w.Keys).Distinct().Count();

    public void RollupChanged(string unitKey, string programmeId, long version)
    {
        if (_watchers.TryGetValue(unitKey, out var watchers))
        {
            foreach (var subscription in watchers.Keys)
            {
                subscription.MarkChanged(unitKey, programmeId);
            }
        }
    }

    public async Task WatchAsync(Subscription subscription, IEnumerable<string> unitKeys)
    {
        ArgumentNullException.ThrowIfNull(subscription);
        var fresh = new List<string>();
        foreach (var key in unitKeys)
        {
            var watchers = _watchers.GetOrAdd(key, _ => new ConcurrentDictionary<Subscription, byte>());
            if (watchers.IsEmpty)
            {
                fresh.Add(key);
            }

            watchers[subscription] = 0;
        }

        var reference = Reference();
        await Task.WhenAll(fresh.Select(k => grains.GetGrain<IUnitGrain>(k).ObserveAsync(reference)));
    }

    public void Unwatch(Subscription subscription, IEnumerable<string> unitKeys)
    {
        foreach (var key in unitKeys)
        {
            if (_watchers.TryGetValue(key, out var watchers) && watchers.TryRemove(subscription, out _) && watchers.IsEmpty)
            {
                _watchers.TryRemove(new KeyValuePair<string, ConcurrentDictionary<Subscription, byte>>(key, watchers));
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
            _stopping.Dispose();
        }
    }

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
                foreach (var (key, watchers) in _watchers)
                {
                    try
                    {
                        await grains.GetGrain<IUnitGrain>(key).ObserveAsync(Reference());
                        foreach (var subscription in watchers.Keys)
                        {
                            subscription.MarkChanged(key, programmeId: null);
                        }
                    }
                    catch (Exception ex) when (ex is not OperationCanceledException)
                    {
                        logger.LogWarning(ex, "Renewing the subscription to {Unit} failed; the next renewal retries", key);
                    }
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }
}
