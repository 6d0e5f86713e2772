using Aggregation.Reporting;
using Microsoft.Extensions.Options;

namespace Aggregation.Server.Reporting;

/// <summary>
/// Makes sure every tenant's reporting reminder exists once the silo runs (idempotent, so every
/// silo may do it; a tenant added to the catalog gets its reminder at the next start).
/// </summary>
public sealed partial class ReportingScheduler(Hierarchy.Catalog catalog, IGrainFactory grains, IOptions<ReportingOptions> options, IHostApplicationLifetime lifetime, ILogger<ReportingScheduler> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // The silo accepts grain calls once the host has started.
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var registration = lifetime.ApplicationStarted.Register(() => started.TrySetResult());
        await started.Task.WaitAsync(stoppingToken);
        foreach (var tenant in catalog.Tenants.Keys)
        {
            for (var attempt = 1; ; attempt++)
            {
                try
                {
                    await grains.GetGrain<IReportingGrain>(tenant).EnsureScheduledAsync(options.Value.CheckInterval);
                    break;
                }
                catch (Exception ex) when (attempt < 10 && ex is not OperationCanceledException)
                {
                    LogReminderNotRegistered(logger, ex, tenant, attempt);
                    await Task.Delay(TimeSpan.FromSeconds(attempt), stoppingToken);
                }
            }
        }
    }

    [LoggerMessage(EventId = 4821, Level = LogLevel.Warning, Message = "The reporting reminder of {Tenant} could not be registered yet (attempt {Attempt})")]
    private static partial void LogReminderNotRegistered(ILogger logger, Exception exception, string tenant, int attempt);
}
