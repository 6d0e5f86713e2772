using System.Globalization;
using System.Text.RegularExpressions;

namespace Aggregation.Spreadsheets;

/// <summary>
/// The last day of a report period (2025-03, 2025Q1, 2025S1, 2025): the server reads a unit code in
/// the hierarchy in force that day, so templates list the units in force then.
/// </summary>
public static partial class PeriodDates
{
    public static bool TryLastDay(string period, out DateOnly last)
    {
        last = default;
        var match = Shape().Match(period ?? "");
        if (!match.Success)
        {
            return false;
        }

        var year = int.Parse(match.Groups["year"].Value, CultureInfo.InvariantCulture);
        var (kind, number) = (match.Groups["kind"].Value, match.Groups["n"].Success ? int.Parse(match.Groups["n"].Value, CultureInfo.InvariantCulture) : 0);
        var month = kind switch
        {
            "-" when number is >= 1 and <= 12 => number,
            "Q" when number is >= 1 and <= 4 => number * 3,
            "S" when number is 1 or 2 => number * 6,
            "" => 12,
            _ => 0,
        };
        if (month == 0 || year < 2000)
        {
            return false;
        }

        last = new DateOnly(year, month, DateTime.DaysInMonth(year, month));
        return true;
    }

    public static string Iso(DateOnly day) => day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);

    [GeneratedRegex(@"^(?<year>[0-9]{4})((?<kind>-)(?<n>[0-9]{2})|(?<kind>[QS])(?<n>[0-9]))?$", RegexOptions.CultureInvariant)]
    private static partial Regex Shape();
}
