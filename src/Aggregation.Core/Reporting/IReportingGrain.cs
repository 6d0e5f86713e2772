using System.Collections.Immutable;

namespace Aggregation.Reporting;

/// <summary>
/// A tenant's reporting schedule (key: tenant id). It holds an Orleans reminder that survives
/// restarts; on each tick it asks for every report that is due.
/// </summary>
public interface IReportingGrain : IGrainWithStringKey
{
    /// <summary>Registers the reminder when the tenant has none; idempotent (a changed interval applies to reminders registered afterwards).</summary>
    Task EnsureScheduledAsync(TimeSpan checkInterval);

    /// <summary>Produces whatever is due now, as a reminder tick does: the reports produced or revised, and those waiting for approval.</summary>
    Task<ReportRun> ProduceDueAsync();
}

/// <summary>Produces a tenant's due 6-monthly and annual reports (implemented by the host, which can read figures and write the outbox).</summary>
public interface IReportProducer
{
    Task<ReportRun> ProduceDueAsync(string tenantId, CancellationToken cancellationToken);
}

/// <summary>What one check of the due reports did: how many it produced or revised, and which due reports wait for approval.</summary>
[GenerateSerializer, Immutable, Alias("aggregation.ReportRun")]
public sealed record ReportRun([property: Id(0)] int Produced, [property: Id(1)] ImmutableArray<WaitingReport> Waiting);

/// <summary>A due report not produced because its figures lack the province's approval; <see cref="Reason"/> names what is not approved.</summary>
[GenerateSerializer, Immutable, Alias("aggregation.WaitingReport")]
public sealed record WaitingReport([property: Id(0)] string ProgrammeId, [property: Id(1)] string UnitCode, [property: Id(2)] string Period, [property: Id(3)] string Reason);
