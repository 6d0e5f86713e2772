using Aggregation.Reporting;
using Aggregation.Telemetry;
using Microsoft.Extensions.Logging;
using Orleans.Runtime;

namespace Aggregation.Reporting;

/// <summary>
/// The tenant's schedule for reports to the ministry. The reminder ticks at a fixed interval; what
/// is due is decided by the producer from the reporting clock (the close of each half and year
/// plus a grace period), so a tick missed while no silo ran is made up by the next one.
/// </summary>
[GrainType("tenant-reporting")]
public sealed partial class ReportingGrain(IReportProducer producer, ILogger<ReportingGrain> logger) : Grain, IReportingGrain, IRemindable
{
    public const string ReminderName = "ministry-reports";

    public async Task EnsureScheduledAsync(TimeSpan checkInterval)
    {
        // Registered once; the reminder then lives in the reminder table across restarts.
        if (await this.GetReminder(ReminderName) is null)
        {
            // The first check soon after start (reports already due go out without waiting an interval).
            var first = checkInterval < TimeSpan.FromMinutes(1) ? checkInterval : TimeSpan.FromMinutes(1);
            await this.RegisterOrUpdateReminder(ReminderName, first, checkInterval);
        }
    }

    public Task<ReportRun> ProduceDueAsync() => producer.ProduceDueAsync(this.GetPrimaryKeyString(), CancellationToken.None);

    public async Task ReceiveReminder(string reminderName, TickStatus status)
    {
        var tenant = this.GetPrimaryKeyString();
        try
        {
            var run = await ProduceDueAsync();
            AggregationTelemetry.ReportingChecks.Add(1, new(AggregationTelemetry.TenantTag, tenant), new(AggregationTelemetry.OutcomeTag, "completed"));
            if (run.Produced > 0)
            {
                AggregationTelemetry.ReportsProduced.Add(run.Produced, new KeyValuePair<string, object?>(AggregationTelemetry.TenantTag, tenant));
                LogProduced(logger, tenant, run.Produced);
            }
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // The next tick tries again; nothing was half-written (each report commits with its outbox row).
            AggregationTelemetry.ReportingChecks.Add(1, new(AggregationTelemetry.TenantTag, tenant), new(AggregationTelemetry.OutcomeTag, "failed"));
            LogProduceFailed(logger, ex, tenant);
        }
    }

    [LoggerMessage(EventId = 5001, Level = LogLevel.Information, Message = "Tenant {Tenant}: {Count} reports to the ministry produced or revised")]
    private static partial void LogProduced(ILogger logger, string tenant, int count);

    [LoggerMessage(EventId = 5002, Level = LogLevel.Warning, Message = "Tenant {Tenant}: producing reports to the ministry failed")]
    private static partial void LogProduceFailed(ILogger logger, Exception exception, string tenant);
}
