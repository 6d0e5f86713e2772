using System.ComponentModel.DataAnnotations;

namespace Aggregation.Server.Reporting;

/// <summary>Configuration section <c>Reporting</c>: when the 6-monthly and annual reports to the ministry are produced.</summary>
public sealed class ReportingOptions
{
    public const string Section = "Reporting";

    /// <summary>How often each tenant's reminder looks for due reports (Orleans reminders tick at most once a minute unless this is shorter).</summary>
    public TimeSpan CheckInterval { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Time after the close of a half or year for late reports before the consolidated report is produced.</summary>
    public TimeSpan GracePeriod { get; set; } = TimeSpan.FromDays(15);
}

/// <summary>Configuration section <c>Delivery</c>: the ministry's endpoint and how hard to try.</summary>
public sealed class DeliveryOptions
{
    public const string Section = "Delivery";

    /// <summary>
    /// Where reports are POSTed (an ADX document or a DHIS2 data value set, as the receiver profile
    /// says; Idempotency-Key header), e.g. https://dhis2.example/api/dataValueSets. Unset: reports
    /// wait in the outbox.
    /// </summary>
    public Uri? Endpoint { get; set; }

    /// <summary>Where DHIS2 completeness registrations are POSTed; unset: beside <see cref="Endpoint"/> (…/api/completeDataSetRegistrations).</summary>
    public Uri? CompletenessEndpoint { get; set; }

    /// <summary>Sent as the Authorization header when set (e.g. "Bearer …" or "ApiKey …").</summary>
    public string? Authorization { get; set; }

    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Longest a single attempt may take.</summary>
    public TimeSpan AttemptTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Retries within one delivery round (exponential backoff with jitter from <see cref="RetryDelay"/>).</summary>
    [Range(0, 20)]
    public int Retries { get; set; } = 3;

    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>After a failed round, the next one waits this doubled per attempt (with jitter), up to <see cref="MaxBackoff"/>.</summary>
    public TimeSpan Backoff { get; set; } = TimeSpan.FromSeconds(30);

    public TimeSpan MaxBackoff { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Circuit breaker: open after this share of failed attempts among at least <see cref="BreakerMinimumThroughput"/> within <see cref="BreakerSampling"/>.</summary>
    [Range(0.01, 1.0)]
    public double BreakerFailureRatio { get; set; } = 0.5;

    [Range(2, 10_000)]
    public int BreakerMinimumThroughput { get; set; } = 5;

    public TimeSpan BreakerSampling { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>How long the circuit stays open before one attempt is let through.</summary>
    public TimeSpan BreakDuration { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Reports one poll claims.</summary>
    [Range(1, 1000)]
    public int BatchSize { get; set; } = 20;
}
