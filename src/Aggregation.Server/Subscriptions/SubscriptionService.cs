using Aggregation.Protos.V1;
using Aggregation.Server.Errors;
using Aggregation.Server.Rollup;
using Aggregation.Server.Security;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Microsoft.Extensions.Options;

namespace Aggregation.Server.Subscriptions;

/// <summary>gRPC <c>aggregation.v1.Subscriptions</c>: a confirmation, a snapshot, then coalesced updates and heartbeats.</summary>
public sealed class SubscriptionService(
    RollupReads reads,
    SubscriptionHub hub,
    TenantResolver tenants,
    ISubscriptionAuthorizer authorizer,
    IHostApplicationLifetime lifetime,
    IOptions<SubscriptionOptions> options) : Protos.V1.Subscriptions.SubscriptionsBase
{
    public override async Task Subscribe(SubscribeRequest request, IServerStreamWriter<SubscribeResponse> responseStream, ServerCallContext context)
    {
        var tenant = tenants.Resolve(context);
        var (unit, programme, periods) = reads.Resolve(tenant, request.UnitCode, request.ProgrammeId, request.Periods, "periods");
        await authorizer.AuthorizeAsync(context, tenant, unit);
        if (hub.OpenSubscriptions >= options.Value.MaxSubscriptions)
        {
            throw RpcErrors.Unavailable("Too many open subscriptions on this server; retry later or on another server.");
        }

        var units = new[] { unit }.Concat(request.IncludeChildren ? reads.ChildrenOf(unit, programme) : []).ToDictionary(u => u.Key.GrainKey);
        var subscription = new Subscription(programme.Id);

        // Ends with the call, or cleanly (status OK) when the server shuts down.
        using var ending = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken, lifetime.ApplicationStopping);
        var token = ending.Token;
        var mainKey = unit.Key.GrainKey;
        var lastSent = new Dictionary<string, long>(StringComparer.Ordinal);

        // Watch before reading, so that no change can fall between the snapshot and the first update.
        await hub.WatchAsync(subscription, units.Keys);
        try
        {
            var current = await ReadAsync(units.Keys);
            var version = current[mainKey][0].Version;
            var resumed = request.ResumeFromVersion != 0 && request.ResumeFromVersion == version;
            await responseStream.WriteAsync(new SubscribeResponse { Confirmation = new SubscriptionConfirmation { SubscriptionId = subscription.Id, Version = version, Resumed = resumed } }, token);
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

                await responseStream.WriteAsync(new SubscribeResponse { Snapshot = snapshot }, token);
            }

            while (!token.IsCancellationRequested)
            {
                var changed = await subscription.WaitAsync(options.Value.HeartbeatInterval, token);
                if (changed.Length == 0)
                {
                    await responseStream.WriteAsync(new SubscribeResponse { Heartbeat = new SubscriptionHeartbeat { Version = lastSent.GetValueOrDefault(mainKey), At = Timestamp.FromDateTime(DateTime.UtcNow) } }, token);
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
                    await responseStream.WriteAsync(new SubscribeResponse { Update = update }, token);
                }
            }
        }
        catch (OperationCanceledException) when (lifetime.ApplicationStopping.IsCancellationRequested && !context.CancellationToken.IsCancellationRequested)
        {
            // Shutting down: end the stream normally; the client reconnects with its last version.
        }
        finally
        {
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
