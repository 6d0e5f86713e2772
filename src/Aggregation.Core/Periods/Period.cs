using System.Globalization;

namespace Aggregation.Periods;

/// <summary>
/// A calendar period: <c>2025-03</c> (month), <c>2025Q1</c>, <c>2025S1</c> (six-month half), <c>2025</c>,
/// or a whole plan <c>2021-2025</c>. Codes follow DHIS2's ISO-like period identifiers.
/// </summary>
[GenerateSerializer, Immutable, Alias("aggregation.Period")]
public readonly record struct Period(
    [property: Id(0)] PeriodType Type,
    [property: Id(1)] int Year,
    [property: Id(2)] int Number,
    [property: Id(3)] int EndYear)
{
    public static Period Month(int year, int month) => new(PeriodType.Monthly, year, month, year);
    public static Period Quarter(int year, int quarter) => new(PeriodType.Quarterly, year, quarter, year);
    public static Period Half(int year, int half) => new(PeriodType.SixMonthly, year, half, year);
    public static Period OfYear(int year) => new(PeriodType.Yearly, year, 1, year);
    public static Period Span(int firstYear, int lastYear) => new(PeriodType.Plan, firstYear, 1, lastYear);

    /// <summary>First day of the period.</summary>
    public DateOnly Start => Type == PeriodType.Plan
        ? new DateOnly(Year, 1, 1)
        : new DateOnly(Year, (Number - 1) * Type.Months() + 1, 1);

    /// <summary>First day after the period.</summary>
    public DateOnly End => Type == PeriodType.Plan
        ? new DateOnly(EndYear + 1, 1, 1)
        : Start.AddMonths(Type.Months());

    /// <summary>Months since year 0: a total order on month starts, handy for index arithmetic.</summary>
    public int StartMonthOrdinal => Start.Year * 12 + Start.Month - 1;

    public int LengthInMonths => (End.Year * 12 + End.Month - 1) - StartMonthOrdinal;

    public override string ToString() => Type switch
    {
        PeriodType.Monthly => string.Create(CultureInfo.InvariantCulture, $"{Year:D4}-{Number:D2}"),
        PeriodType.Quarterly => string.Create(CultureInfo.InvariantCulture, $"{Year:D4}Q{Number}"),
        PeriodType.SixMonthly => string.Create(CultureInfo.InvariantCulture, $"{Year:D4}S{Number}"),
        PeriodType.Yearly => Year.ToString("D4", CultureInfo.InvariantCulture),
        _ => string.Create(CultureInfo.InvariantCulture, $"{Year:D4}-{EndYear:D4}"),
    };

    /// <summary>
    /// Parses a period code in its canonical spelling only, the one <see cref="ToString"/> prints;
    /// returns false with a reason for anything else. Nothing is trimmed or case-folded: the ledger,
    /// the audit trail and reports to the ministry key rows by this text, so " 2025-03", "2025q1" or
    /// "2025-3" must not stand for 2025-03 on the way in.
    /// </summary>
    public static bool TryParse(string? text, out Period period, out string error)
    {
        period = default;
        error = "";
        if (string.IsNullOrEmpty(text))
        {
            error = "is required (for example 2025-03, 2025Q1, 2025S1, 2025 or 2021-2025)";
            return false;
        }

        if (TryRead(text, out var read) && read.ToString() == text)
        {
            period = read;
            return true;
        }

        error = $"'{Printable(text)}' is not a period code (use 2025-03, 2025Q1, 2025S1, 2025 or 2021-2025, exactly: nothing is trimmed)";
        return false;
    }

    /// <summary>Reads the shapes of period code; <see cref="TryParse"/> then insists on the canonical spelling.</summary>
    private static bool TryRead(string t, out Period period)
    {
        period = default;
        if (t.Length == 4 && TryYear(t, out var y))
        {
            period = OfYear(y);
            return true;
        }

        if (t.Length == 7 && t[4] == '-' && TryYear(t[..4], out y) && int.TryParse(t.AsSpan(5), NumberStyles.None, CultureInfo.InvariantCulture, out var m) && m is >= 1 and <= 12)
        {
            period = Month(y, m);
            return true;
        }

        if (t.Length == 6 && TryYear(t[..4], out y))
        {
            if (t[4] == 'Q' && t[5] is >= '1' and <= '4')
            {
                period = Quarter(y, t[5] - '0');
                return true;
            }

            if (t[4] == 'S' && t[5] is '1' or '2')
            {
                period = Half(y, t[5] - '0');
                return true;
            }
        }

        if (t.Length == 9 && t[4] == '-' && TryYear(t[..4], out y) && TryYear(t[5..], out var last) && last >= y)
        {
            period = Span(y, last);
            return true;
        }

        return false;
    }

    public static Period Parse(string text) =>
        TryParse(text, out var p, out var error) ? p : throw new FormatException($"Period {error}.");

    private static bool TryYear(string s, out int year) =>
        int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out year) && year is >= 1900 and <= 2999;

    /// <summary>The text for an error message: at most 40 characters, control characters as '?' (PostgreSQL text, where rejections are recorded, cannot hold NUL).</summary>
    private static string Printable(string s) =>
        new string(s.Take(40).Select(c => char.IsControl(c) ? '?' : c).ToArray()) + (s.Length > 40 ? "…" : "");
}
