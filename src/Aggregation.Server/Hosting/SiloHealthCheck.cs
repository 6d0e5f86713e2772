using System.Globalization;
using Aggregation.Storage;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Orleans.Runtime;

namespace Aggregation.Server.Hosting;

/// <summary>
/// Healthy when this silo is an active member of the cluster and its database is reachable, as
/// <see cref="Resilience.StorageMonitor"/> last found it. Answers from memory: a health check
/// never queues behind ingestion for a connection, so a silo busy committing thousands of
/// reports a second stays SERVING, and only a database that is really unreachable makes it
/// NOT_SERVING. It must not activate grains either (activating a unit pulls its whole subtree).
/// </summary>
public sealed class SiloHealthCheck(IClusterMembershipService membership, ILocalSiloDetails silo, StorageAvailability storage) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var status = membership.CurrentSnapshot.GetSiloStatus(silo.SiloAddress);
        if (status != SiloStatus.Active)
        {
            return Task.FromResult(HealthCheckResult.Unhealthy($"The silo is {status}, not an active cluster member."));
        }

        var (since, reason) = storage.Outage;
        return Task.FromResult(since is { } down
            ? HealthCheckResult.Unhealthy($"The database has been unreachable since {down.ToString("HH:mm:ss 'UTC'", CultureInfo.InvariantCulture)}: {reason}")
            : HealthCheckResult.Healthy());
    }
}
