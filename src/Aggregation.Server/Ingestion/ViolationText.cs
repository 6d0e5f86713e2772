using System.Text.RegularExpressions;
using Aggregation.Spreadsheets;

namespace Aggregation.Server.Ingestion;

/// <summary>
/// The validation sentences a commune or district officer meets most on the upload page, in Vietnamese
/// beside the English every gRPC client gets: an unknown or ended unit, a unit outside the credential,
/// a period not open, a rule between two elements. A sentence not known here is shown as the server
/// wrote it in either language.
/// </summary>
public static partial class ViolationText
{
    private static readonly (Regex Pattern, Func<Match, string> Vietnamese)[] Known =
    [
        (UnknownUnit(), m => $"không có đơn vị mã '{m.Groups[1].Value}' trong tỉnh {m.Groups[2].Value}"),
        (NotPermitted(), m => $"'{m.Groups[1].Value}' không phải đơn vị mà tài khoản này được báo cáo"),
        (RuleBroken(), m => $"{m.Groups[1].Value} ({m.Groups[2].Value}) không được lớn hơn {m.Groups[3].Value} ({m.Groups[4].Value}) của cùng đơn vị và kỳ báo cáo (quy tắc {m.Groups[5].Value})"),
        (NotStarted(), m => $"kỳ {m.Groups[1].Value} chưa bắt đầu (hôm nay là {m.Groups[2].Value})"),
        (OutsideProgramme(), m => $"kỳ {m.Groups[1].Value} nằm ngoài thời gian của chương trình ({m.Groups[2].Value})"),
        (WrongPeriodType(), m => $"'{m.Groups[1].Value}' không phải kỳ {Frequency(m.Groups[2].Value)} của chương trình"),
        (NotAPeriod(), m => $"'{m.Groups[1].Value}' không phải mã kỳ báo cáo (hãy viết 2025-03, 2025Q1, 2025S1, 2025 hoặc 2021-2025, đúng như vậy, không có dấu cách)"),
        (Ended(), m => $"đơn vị {m.Groups[1].Value} ({m.Groups[2].Value}) không còn hiệu lực trong kỳ {m.Groups[3].Value}: đã kết thúc ngày {m.Groups[4].Value}" + (m.Groups[5].Success ? $"; hãy báo cáo cho {m.Groups[5].Value} ({m.Groups[6].Value}), đơn vị đã tiếp nhận" : "")),
        (NotYet(), m => $"đơn vị {m.Groups[1].Value} ({m.Groups[2].Value}) có từ ngày {m.Groups[3].Value}; kỳ {m.Groups[4].Value} ở trước đó"),
        (UnknownElement(), m => $"không có chỉ số '{m.Groups[1].Value}'"),
    ];

    /// <summary>The sentence in both languages (the English as the server wrote it).</summary>
    public static Said Explain(string english)
    {
        ArgumentNullException.ThrowIfNull(english);
        foreach (var (pattern, vietnamese) in Known)
        {
            if (pattern.Match(english) is { Success: true } match)
            {
                return new Said(vietnamese(match), english);
            }
        }

        return Said.Same(english);
    }

    private static string Frequency(string periodType) => periodType switch
    {
        "monthly" => "tháng",
        "quarterly" => "quý",
        "sixMonthly" => "6 tháng",
        "yearly" => "năm",
        _ => periodType,
    };

    [GeneratedRegex(@"^unknown unit '(.*)' in tenant (\S+)$")]
    private static partial Regex UnknownUnit();

    [GeneratedRegex(@"^'(.*)' is not a unit this credential may report for$")]
    private static partial Regex NotPermitted();

    [GeneratedRegex(@"^(\S+) \((.+)\) may not exceed (\S+) \((.+)\) for the same unit and period \(rule (.+)\)$")]
    private static partial Regex RuleBroken();

    [GeneratedRegex(@"^(\S+) has not started yet \(today is (\S+)\)$")]
    private static partial Regex NotStarted();

    [GeneratedRegex(@"^(\S+) is outside the programme \((.+)\)$")]
    private static partial Regex OutsideProgramme();

    [GeneratedRegex(@"^'(.*)' is not a (\w+) period of the programme$")]
    private static partial Regex WrongPeriodType();

    [GeneratedRegex(@"^'(.*)' is not a period code \(")]
    private static partial Regex NotAPeriod();

    [GeneratedRegex(@"^unit (\S+) \((.+?)\) is not in force in (\S+): it ended on (\S+?)(?:; report for (\S+) \((.+)\), which took it over)?$")]
    private static partial Regex Ended();

    [GeneratedRegex(@"^unit (\S+) \((.+)\) exists from (\S+); (\S+) is before it$")]
    private static partial Regex NotYet();

    [GeneratedRegex(@"^unknown data element '(.*)'$")]
    private static partial Regex UnknownElement();
}
