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
