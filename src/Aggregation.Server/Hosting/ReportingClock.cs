namespace Aggregation.Server.Hosting;

/// <summary>
/// The date that decides which periods have started and how far a period has progressed. Kept apart
/// from the TimeProvider Orleans and Kestrel use, so a test can move the reporting calendar without
/// stopping the silo's timers.
/// </summary>
public sealed record ReportingClock(TimeProvider Time)
{
    /// <summary>Vietnam's offset from UTC, the same all year (Vietnam keeps no daylight saving time).</summary>
    public static readonly TimeSpan VietnamOffset = TimeSpan.FromHours(7);

    public DateTimeOffset Now => Time.GetUtcNow();

    /// <summary>
    /// The reporting day: the date in Vietnam. A commune that reports its new month in the first hours of
    /// the 1st is still on the previous day in UTC (until 07:00), and must not be told the month has not started.
    /// </summary>
    public DateOnly Today => VietnamDate(Now);

    /// <summary>The date in Vietnam at <paramref name="instant"/>.</summary>
    public static DateOnly VietnamDate(DateTimeOffset instant) => DateOnly.FromDateTime(instant.ToOffset(VietnamOffset).DateTime);

    /// <summary>An "as of" date as the API takes it: yyyy-MM-dd exactly (the round trip refuses any other spelling the parser might let through).</summary>
    public static bool TryParseDate(string text, out DateOnly date) =>
        DateOnly.TryParseExact(text, "yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.None, out date)
        && date.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture) == text;

    /// <summary>The date named by <paramref name="text"/>, today when it is empty; an invalid request naming <paramref name="field"/> otherwise.</summary>
    public DateOnly DateOrToday(string? text, string field) =>
        string.IsNullOrEmpty(text) ? Today
        : TryParseDate(text, out var date) ? date
        : throw new Errors.InvalidRequestException(new Aggregation.Rollup.FieldError(field, $"'{Errors.RpcErrors.Clip(text)}' is not a date (yyyy-MM-dd)"));
}
