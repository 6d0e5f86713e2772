using Aggregation.Hierarchy;
using Aggregation.Rollup;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Aggregation.Server.Hosting;

/// <summary>Healthy when the silo answers a grain call: the national unit's grain is asked for a snapshot.</summary>
public sealed class SiloHealthCheck(IGrainFactory grains, Hierarchy.Catalog catalog) : IHealthCheck
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(2);

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var programme = catalog.Programmes.Keys.FirstOrDefault();
        if (programme is null)
        {
            return HealthCheckResult.Unhealthy("No programme is loaded.");
        }

        try
        {
            await grains.GetGrain<IUnitGrain>(UnitKey.Nation.GrainKey).GetSnapshotAsync(programme).WaitAsync(Timeout, cancellationToken);
            return HealthCheckResult.Healthy();
        }
        catch (Exception ex) when (ex is TimeoutException or OrleansException)
        {
            return HealthCheckResult.Unhealthy("The silo does not answer grain calls.", ex);
        }
    }
}
