namespace Aggregation.Reporting;

/// <summary>
/// A tenant's reporting schedule (key: tenant id). It holds an Orleans reminder that survives
/// restarts; on each tick it asks for every report that is due.
/// </summary>
public interface IReportingGrain : IGrainWithStringKey
{
    /// <summary>Registers the reminder when the tenant has none; idempotent (a changed interval applies to reminders registered afterwards).</summary>
    Task EnsureScheduledAsync(TimeSpan checkInterval);

    /// <summary>Produces whatever is due now, as a reminder tick does. Returns the reports produced or revised.</summary>
    Task<int> ProduceDueAsync();
}

/// <summary>Produces a tenant's due 6-monthly and annual reports (implemented by the host, which can read figures and write the outbox).</summary>
public interface IReportProducer
{
    Task<int> ProduceDueAsync(string tenantId, CancellationToken cancellationToken);
}
