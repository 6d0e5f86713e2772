namespace Aggregation.Server.Hosting;

/// <summary>
/// The date that decides which periods have started and how far a period has progressed. Kept apart
/// from the TimeProvider Orleans and Kestrel use, so a test can move the reporting calendar without
/// stopping the silo's timers.
/// </summary>
public sealed record ReportingClock(TimeProvider Time)
{
    public DateTimeOffset Now => Time.GetUtcNow();

    public DateOnly Today => DateOnly.FromDateTime(Time.GetUtcNow().UtcDateTime);
}
