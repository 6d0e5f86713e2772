using Microsoft.Extensions.Diagnostics.HealthChecks;
using Orleans.Runtime;

namespace Aggregation.Server.Hosting;

/// <summary>
/// Healthy while this silo is an active member of the cluster. The liveness check: it stays
/// healthy through a database outage, which restarting the silo would not cure. It must not
/// activate grains (activating a unit pulls its whole subtree).
/// </summary>
public sealed class SiloHealthCheck(IClusterMembershipService membership, ILocalSiloDetails silo) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var status = membership.CurrentSnapshot.GetSiloStatus(silo.SiloAddress);
        return Task.FromResult(status == SiloStatus.Active
            ? HealthCheckResult.Healthy()
            : HealthCheckResult.Unhealthy($"The silo is {status}, not an active cluster member."));
    }
}
