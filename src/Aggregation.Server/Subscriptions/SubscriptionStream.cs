using System.Runtime.CompilerServices;
using Aggregation.Hierarchy;
using Aggregation.Periods;
using Aggregation.Protos.V1;
using Aggregation.Server.Errors;
using Aggregation.Server.Rollup;
using Aggregation.Telemetry;
using Google.Protobuf.WellKnownTypes;
using Microsoft.Extensions.Options;
using Programme = Aggregation.Programmes.Programme;

namespace Aggregation.Server.Subscriptions;

/// <summary>
/// The messages of one subscription, shared by the gRPC stream and the dashboard's server-sent
/// events: a confirmation, a snapshot (unless resuming at the current version), then updates of the
/// units that changed, coalesced to their latest state, and heartbeats. Ends when the token is cancelled.
/// </summary>
public sealed class SubscriptionStream(RollupReads reads, SubscriptionHub hub, IOptions<SubscriptionOptions> options)
{
    public async IAsyncEnumerable<SubscribeResponse> RunAsync(
        AdminUnit unit,
        Programme programme,
        IReadOnlyList<Period> periods,
        bool includeChildren,
        long resumeFromVersion,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        if (hub.OpenSubscriptions >= options.Value.MaxSubscriptions)
        {
            throw new UnavailableException("Too many open subscriptions on this server; retry later or on another server.");
        }

        var units = new[] { unit }.Concat(includeChildren ? reads.ChildrenOf(unit, programme, periods) : []).ToDictionary(u => u.Key.GrainKey);
        var subscription = new Subscription(programme.Id);
        var mainKey = unit.Key.GrainKey;
        var lastSent = new Dictionary<string, long>(StringComparer.Ordinal);

        // Watch before reading, so that no change can fall between the snapshot and the first update.
        await hub.WatchAsync(subscription, units.Keys);
        var tenantTag = new KeyValuePair<string, object?>(AggregationTelemetry.TenantTag, unit.Tenant);
        AggregationTelemetry.SubscriptionsOpen.Add(1, tenantTag);
        try
        {
            var current = await ReadAsync(units.Keys);
            var version = current[mainKey][0].Version;
            var resumed = resumeFromVersion != 0 && resumeFromVersion == version;
            yield return new SubscribeResponse { Confirmation = new SubscriptionConfirmation { SubscriptionId = subscription.Id, Version = version, Resumed = resumed } };
            if (resumed)
            {
                // The client holds this unit as of its version; its children may have moved on meanwhile.
                lastSent[mainKey] = version;
                foreach (var child in units.Keys.Where(k => k != mainKey))
                {
                    subscription.MarkChanged(child, programmeId: null);
                }
            }
            else
            {
                var snapshot = new SubscriptionSnapshot { Version = version };
                foreach (var (key, rollups) in current)
                {
                    snapshot.Rollups.AddRange(rollups);
                    lastSent[key] = rollups[0].Version;
                }

                yield return new SubscribeResponse { Snapshot = snapshot };
            }

            while (!cancellationToken.IsCancellationRequested)
            {
                string[] changed;
                try
                {
                    changed = await subscription.WaitAsync(options.Value.HeartbeatInterval, cancellationToken);
                }
                catch (OperationCanceledException)
                {
                    yield break;
                }

                if (changed.Length == 0)
                {
                    yield return new SubscribeResponse { Heartbeat = new SubscriptionHeartbeat { Version = lastSent.GetValueOrDefault(mainKey), At = Timestamp.FromDateTime(DateTime.UtcNow) } };
                    continue;
                }

                var fresh = await ReadAsync(changed.Where(units.ContainsKey));
                var update = new SubscriptionUpdate();
                foreach (var (key, rollups) in fresh)
                {
                    if (lastSent.TryGetValue(key, out var sent) && sent == rollups[0].Version)
                    {
                        continue;
                    }

                    update.Rollups.AddRange(rollups);
                    lastSent[key] = rollups[0].Version;
                }

                if (update.Rollups.Count > 0)
                {
                    update.Version = lastSent.GetValueOrDefault(mainKey);
                    yield return new SubscribeResponse { Update = update };
                }
            }
        }
        finally
        {
            AggregationTelemetry.SubscriptionsOpen.Add(-1, tenantTag);
            hub.Unwatch(subscription, units.Keys);
        }

        async Task<Dictionary<string, List<UnitRollup>>> ReadAsync(IEnumerable<string> keys)
        {
            var list = keys.ToList();
            var read = await Task.WhenAll(list.Select(k => reads.ReadAsync(units[k], programme, periods)));
            return list.Select((k, i) => (k, read[i])).ToDictionary(x => x.k, x => x.Item2, StringComparer.Ordinal);
        }
    }
}
