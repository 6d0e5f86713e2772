using Aggregation.Storage;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Orleans.Runtime;

namespace Aggregation.Server.Hosting;

/// <summary>
/// Healthy when this silo is an active member of the cluster and the ledger answers. Deliberately
/// cheap: it must not activate grains (activating a unit pulls its whole subtree).
/// </summary>
public sealed class SiloHealthCheck(IClusterMembershipService membership, ILocalSiloDetails silo, IReportLedger ledger) : IHealthCheck
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var status = membership.CurrentSnapshot.GetSiloStatus(silo.SiloAddress);
        if (status != SiloStatus.Active)
        {
            return HealthCheckResult.Unhealthy($"The silo is {status}, not an active cluster member.");
        }

        try
        {
            await ledger.LastSeqAsync("", "", cancellationToken).WaitAsync(Timeout, cancellationToken);
            return HealthCheckResult.Healthy();
        }
        catch (Exception ex) when (ex is LedgerUnavailableException or TimeoutException)
        {
            return HealthCheckResult.Unhealthy("The ledger (PostgreSQL) does not answer.", ex);
        }
    }
}
