using Aggregation.Periods;

namespace Aggregation.Tests;

public class PeriodTests
{
    [Theory]
    [InlineData("2025-03", PeriodType.Monthly, "2025-03-01", "2025-04-01")]
    [InlineData("2025Q2", PeriodType.Quarterly, "2025-04-01", "2025-07-01")]
    [InlineData("2025S2", PeriodType.SixMonthly, "2025-07-01", "2026-01-01")]
    [InlineData("2024", PeriodType.Yearly, "2024-01-01", "2025-01-01")]
    [InlineData("2021-2025", PeriodType.Plan, "2021-01-01", "2026-01-01")]
    public void Period_codes_parse_to_their_calendar_dates_and_print_back_unchanged(string code, PeriodType type, string start, string end)
    {
        var period = Period.Parse(code);
        Assert.Equal(type, period.Type);
        Assert.Equal(DateOnly.Parse(start, System.Globalization.CultureInfo.InvariantCulture), period.Start);
        Assert.Equal(DateOnly.Parse(end, System.Globalization.CultureInfo.InvariantCulture), period.End);
        Assert.Equal(code, period.ToString());
    }

    [Theory]
    [InlineData("")]
    [InlineData("2025-13")]
    [InlineData("2025-00")]
    [InlineData("2025Q5")]
    [InlineData("2025S3")]
    [InlineData("25")]
    [InlineData("2025-1")]
    [InlineData("2025W10")]
    [InlineData("2026-2021")]
    public void Malformed_period_codes_are_refused_with_a_reason(string code)
    {
        Assert.False(Period.TryParse(code, out _, out var error));
        Assert.False(string.IsNullOrWhiteSpace(error));
    }

    /// <summary>
    /// A period is an identifier: the ledger, the audit trail and ministry reports key rows by its
    /// text, so only the canonical spelling is a period and nothing is trimmed or case-folded.
    /// </summary>
    [Theory]
    [InlineData(" 2024-01")]
    [InlineData("2024-01 ")]
    [InlineData("\t2024-01")]
    [InlineData("2024-01\n")]
    [InlineData("2024-01\0")]
    [InlineData("2024-01\u200B")]
    [InlineData("\uFEFF2024-01")]
    [InlineData("2025q1")]
    [InlineData("2025s1")]
    [InlineData("2025-3")]
    [InlineData("2025-+3")]
    [InlineData("+2025")]
    [InlineData("２０２５-０３")]
    [InlineData("2025Q1 ")]
    [InlineData(" 2021-2025")]
    [InlineData("   ")]
    public void Non_canonical_spellings_of_a_period_are_refused(string code)
    {
        Assert.False(Period.TryParse(code, out _, out var error), $"'{code}' was accepted");
        Assert.Contains("not a period code", error, StringComparison.Ordinal);
    }

    [Fact]
    public void A_month_belongs_to_exactly_one_quarter_half_and_year_of_the_plan()
    {
        var calendar = new ProgrammeCalendar(2021, 2025);
        var may2024 = calendar.IndexOf(Period.Month(2024, 5));
        Assert.Equal(40, may2024);
        Assert.Equal(Period.Quarter(2024, 2), calendar.At(PeriodType.Quarterly, ProgrammeCalendar.Containing(PeriodType.Monthly, may2024, PeriodType.Quarterly)));
        Assert.Equal(Period.Half(2024, 1), calendar.At(PeriodType.SixMonthly, ProgrammeCalendar.Containing(PeriodType.Monthly, may2024, PeriodType.SixMonthly)));
        Assert.Equal(Period.OfYear(2024), calendar.At(PeriodType.Yearly, ProgrammeCalendar.Containing(PeriodType.Monthly, may2024, PeriodType.Yearly)));
        Assert.Equal((36, 47), calendar.BaseRange(PeriodType.Monthly, PeriodType.Yearly, 3));
        Assert.Equal((0, 9), calendar.BaseRange(PeriodType.SixMonthly, PeriodType.Plan, 0));
        Assert.Equal(-1, calendar.IndexOf(Period.Month(2026, 1)));
        Assert.Equal(-1, calendar.IndexOf(Period.Month(2020, 12)));
    }
}
