using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Aggregation.Telemetry;

/// <summary>
/// The product's own meter and activity source, one of each for every project (the gRPC edge, the
/// unit grains and the ledger all reach them from here). Instruments are static so the hot path
/// records with no lookup; tags are few and bounded (tenant, outcome, reason, unit level): never a
/// unit code, a value or a credential. A measurement costs next to nothing while nothing listens.
/// Names follow OpenTelemetry's semantic conventions (dotted, durations in seconds); the
/// Prometheus exporter turns <c>aggregation.reports.received</c> into
/// <c>aggregation_reports_received_total</c>.
/// </summary>
public static class AggregationTelemetry
{
    /// <summary>The meter's and the activity source's name (what an OpenTelemetry pipeline subscribes to).</summary>
    public const string Name = "Aggregation";

    /// <summary>Tag: the tenant (a province's department) a measurement belongs to.</summary>
    public const string TenantTag = "aggregation.tenant";

    /// <summary>Tag: why a report was rejected.</summary>
    public const string ReasonTag = "aggregation.rejection.reason";

    /// <summary>Tag: how something ended (delivered, retry, failed, …).</summary>
    public const string OutcomeTag = "aggregation.outcome";

    /// <summary>Tag: a unit's administrative level (commune, district, province, nation).</summary>
    public const string LevelTag = "aggregation.unit.level";

    /// <summary>Span attribute (traces only, never a metric tag): the unit a grain call is about.</summary>
    public const string UnitAttribute = "aggregation.unit.code";

    private static readonly double[] SecondsBuckets = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

    public static readonly Meter Meter = new(Name, typeof(AggregationTelemetry).Assembly.GetName().Version?.ToString());

    public static readonly ActivitySource ActivitySource = new(Name, typeof(AggregationTelemetry).Assembly.GetName().Version?.ToString());

    /// <summary>Reports that arrived to be recorded (validation-only checks are not counted).</summary>
    public static readonly Counter<long> ReportsReceived = Meter.CreateCounter<long>("aggregation.reports.received", "{report}", "Reports received for recording.");

    /// <summary>Reports committed to the ledger and applied.</summary>
    public static readonly Counter<long> ReportsAccepted = Meter.CreateCounter<long>("aggregation.reports.accepted", "{report}", "Reports committed to the ledger and applied.");

    /// <summary>Retries of reports already recorded (same idempotency key, same content).</summary>
    public static readonly Counter<long> ReportsDuplicate = Meter.CreateCounter<long>("aggregation.reports.duplicate", "{report}", "Retries of reports already recorded.");

    /// <summary>Reports refused, by <see cref="ReasonTag"/>.</summary>
    public static readonly Counter<long> ReportsRejected = Meter.CreateCounter<long>("aggregation.reports.rejected", "{report}", "Reports refused, by reason.");

    /// <summary>From a submission's arrival to its answer: what a sender waits for an acknowledgement.</summary>
    public static readonly Histogram<double> AcknowledgementDuration = Meter.CreateHistogram(
        "aggregation.reports.acknowledgement.duration", "s", "Time from a submission's arrival to its acknowledgement (ledger committed).",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = SecondsBuckets });

    /// <summary>Rows written in one ledger round (one transaction, one fsync).</summary>
    public static readonly Histogram<int> LedgerRoundSize = Meter.CreateHistogram(
        "aggregation.ledger.round.size", "{row}", "Rows written to the ledger in one transaction.",
        advice: new InstrumentAdvice<int> { HistogramBucketBoundaries = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000] });

    /// <summary>How long a ledger round takes to commit, by <see cref="OutcomeTag"/> (committed, failed).</summary>
    public static readonly Histogram<double> LedgerCommitDuration = Meter.CreateHistogram(
        "aggregation.ledger.commit.duration", "s", "Time to write and commit one ledger round.",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = SecondsBuckets });

    /// <summary>From a unit's first change since its last flush to its parent taking the new totals.</summary>
    public static readonly Histogram<double> FlushLag = Meter.CreateHistogram(
        "aggregation.rollup.flush.lag", "s", "Time from a unit's change to its parent's update, by the child's level.",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = SecondsBuckets });

    /// <summary>Flushes to a parent that failed (the next flush sends the whole total again).</summary>
    public static readonly Counter<long> FlushFailures = Meter.CreateCounter<long>("aggregation.rollup.flush.failures", "{flush}", "Flushes to a parent that failed and will be retried.");

    /// <summary>Units active without the totals of some children, asking them again on a timer.</summary>
    public static readonly UpDownCounter<long> UnitsWaitingOnChildren = Meter.CreateUpDownCounter<long>("aggregation.rollup.units.waiting", "{unit}", "Units active without the totals of some of their children.");

    /// <summary>Subscriptions (dashboard and client streams) open on this silo.</summary>
    public static readonly UpDownCounter<long> SubscriptionsOpen = Meter.CreateUpDownCounter<long>("aggregation.subscriptions.open", "{subscription}", "Subscriptions open on this silo.");

    /// <summary>Changes folded into an update not yet written to its subscriber.</summary>
    public static readonly Counter<long> UpdatesCoalesced = Meter.CreateCounter<long>("aggregation.subscriptions.updates.coalesced", "{update}", "Unit changes folded into an update already waiting for its subscriber.");

    /// <summary>Delivery rounds to the ministry, by <see cref="OutcomeTag"/> (delivered, refused, retry, circuit_open).</summary>
    public static readonly Counter<long> OutboxDeliveries = Meter.CreateCounter<long>("aggregation.outbox.deliveries", "{delivery}", "Delivery rounds to the ministry endpoint, by outcome.");

    /// <summary>Reporting checks (the tenant's reminder deciding which reports are due), by <see cref="OutcomeTag"/>.</summary>
    public static readonly Counter<long> ReportingChecks = Meter.CreateCounter<long>("aggregation.reporting.checks", "{check}", "Reporting checks run, by outcome.");

    /// <summary>Reports to the ministry produced or revised by the reporting checks.</summary>
    public static readonly Counter<long> ReportsProduced = Meter.CreateCounter<long>("aggregation.reporting.produced", "{report}", "Reports to the ministry produced or revised.");
}
