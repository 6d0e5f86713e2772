using System.Globalization;
using Aggregation.Periods;
using Aggregation.Protos.V1;

namespace Aggregation.Server.Export;

/// <summary>
/// The words and figures of the report as a Vietnamese reader writes them: <c>1.234</c> (a dot groups
/// thousands), <c>71,9 %</c> (a comma marks decimals), dates as dd/MM/yyyy, statuses in words.
/// </summary>
public static class ReportText
{
    // Written out rather than taken from the vi-VN culture so that the figures never depend on the
    // ICU data of the machine the server runs on.
    private static readonly NumberFormatInfo Vietnamese = new()
    {
        NumberDecimalSeparator = ",",
        NumberGroupSeparator = ".",
        NumberGroupSizes = [3],
        NegativeSign = "-",
    };

    public static string Number(long value) => value.ToString("N0", Vietnamese);

    public static string Decimal(double value, int decimals) => value.ToString("N" + decimals.ToString(CultureInfo.InvariantCulture), Vietnamese);

    /// <summary>A fraction as a percentage: 0.719 is <c>71,9 %</c>; whole percentages without decimals.</summary>
    public static string Percent(double fraction)
    {
        var percent = Math.Round(fraction * 100, 1);
        return (percent == Math.Round(percent) ? Decimal(percent, 0) : Decimal(percent, 1)) + " %";
    }

    public static string Date(DateOnly date) => date.ToString("dd/MM/yyyy", CultureInfo.InvariantCulture);

    /// <summary>The value of an indicator: a percentage for a rate, a count otherwise, a dash without data.</summary>
    public static string Value(IndicatorValue indicator)
    {
        ArgumentNullException.ThrowIfNull(indicator);
        if (!indicator.HasValue || !double.IsFinite(indicator.Value))
        {
            return "–";
        }

        return indicator.HasDenominator ? Percent(indicator.Value) : Decimal(indicator.Value, indicator.Value == Math.Round(indicator.Value) ? 0 : 1);
    }

    public static string Target(IndicatorValue indicator)
    {
        ArgumentNullException.ThrowIfNull(indicator);
        if (!indicator.HasTarget)
        {
            return "Không đặt";
        }

        return indicator.HasDenominator ? Percent(indicator.Target) : Decimal(indicator.Target, indicator.Target == Math.Round(indicator.Target) ? 0 : 1);
    }

    /// <summary>The assessment written in full (the targets table).</summary>
    public static string Assessment(IndicatorValue indicator)
    {
        ArgumentNullException.ThrowIfNull(indicator);
        return StatusLabel(indicator.Status);
    }

    /// <summary>The assessment in a narrow column of the units table; no data is a dash, explained under the table.</summary>
    public static string ShortAssessment(IndicatorValue indicator)
    {
        ArgumentNullException.ThrowIfNull(indicator);
        return indicator.Status switch
        {
            IndicatorStatus.DataToCheck => "Cần kiểm tra",
            IndicatorStatus.Met => "Đạt",
            IndicatorStatus.OnTrack => "Đúng tiến độ",
            IndicatorStatus.OffTrack => "Chưa đạt",
            IndicatorStatus.NoTarget => "",
            _ => "",
        };
    }

    public static string StatusLabel(IndicatorStatus status) => status switch
    {
        IndicatorStatus.Met => "Đạt",
        IndicatorStatus.OnTrack => "Đúng tiến độ",
        IndicatorStatus.OffTrack => "Chưa đạt",
        IndicatorStatus.NoTarget => "Không đặt mục tiêu",

        // A rate above 100 % (more workers reached than are employed) is a data problem, never "Đạt".
        IndicatorStatus.DataToCheck => "Cần kiểm tra số liệu (vượt 100 %)",
        _ => "Chưa có số liệu",
    };

    /// <summary>The period as the title and the body name it: "6 tháng đầu năm 2025", "năm 2025".</summary>
    public static string PeriodPhrase(Period period) => period.Type switch
    {
        PeriodType.SixMonthly => period.Number == 1 ? $"6 tháng đầu năm {period.Year}" : $"6 tháng cuối năm {period.Year}",
        PeriodType.Yearly => $"năm {period.Year}",
        PeriodType.Quarterly => $"quý {Roman(period.Number)} năm {period.Year}",
        PeriodType.Monthly => $"tháng {period.Number} năm {period.Year}",
        _ => $"giai đoạn {period.Year}-{period.EndYear}",
    };

    /// <summary>The period as a label standing alone: "6 tháng đầu năm 2025", "Năm 2025".</summary>
    public static string PeriodLabel(Period period)
    {
        var phrase = PeriodPhrase(period);
        return char.ToUpperInvariant(phrase[0]) + phrase[1..];
    }

    public static string LevelLabel(string level) => level switch
    {
        "province" => "Cấp tỉnh",
        "district" => "Cấp huyện",
        "commune" => "Cấp xã",
        "nation" => "Toàn quốc",
        _ => level,
    };

    /// <summary>What a unit's reports came to: received (on time) of expected, over the data sets it reports.</summary>
    public static string Received(IEnumerable<Completeness> completeness)
    {
        var sets = completeness.ToList();
        if (sets.Count == 0)
        {
            return "–";
        }

        return $"{Number(sets.Sum(s => s.Reported))}/{Number(sets.Sum(s => s.Expected))} (đúng hạn {Number(sets.Sum(s => s.OnTime))})";
    }

    private static string Roman(int number) => number switch { 1 => "I", 2 => "II", 3 => "III", 4 => "IV", _ => number.ToString(CultureInfo.InvariantCulture) };
}
