using System.Globalization;
using Aggregation.Storage;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Aggregation.Server.Resilience;

/// <summary>
/// Healthy while the database is reachable, as <see cref="StorageMonitor"/> last found it.
/// Answers from memory: a health check never queues behind ingestion for a connection, so a silo
/// busy committing thousands of reports a second stays SERVING, and only a database that is
/// really unreachable makes it NOT_SERVING.
/// </summary>
public sealed class DatabaseHealthCheck(StorageAvailability storage) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var (since, reason) = storage.Outage;
        return Task.FromResult(since is { } down
            ? HealthCheckResult.Unhealthy($"The database has been unreachable since {down.ToString("HH:mm:ss 'UTC'", CultureInfo.InvariantCulture)}: {reason}")
            : HealthCheckResult.Healthy());
    }
}
