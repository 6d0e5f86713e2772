using System.Globalization;
using System.Text.RegularExpressions;

namespace Aggregation.Spreadsheets;

/// <summary>How numbers are written: Vietnamese (<c>1.000,5</c>, the default) or English (<c>1,000.5</c>).</summary>
public enum NumberFormat
{
    /// <summary><c>.</c> groups thousands, <c>,</c> marks decimals: <c>1.000</c> is one thousand.</summary>
    Vi,

    /// <summary><c>,</c> groups thousands, <c>.</c> marks decimals: <c>1,000</c> is one thousand.</summary>
    En,
}

/// <summary>
/// Reads a number as an officer wrote it, in a spreadsheet cell or on the command line, by the declared
/// notation. .NET's culture parsing does the reading; before it, the text must have one of the strict
/// shapes of that notation (groups of exactly three digits, at most one decimal mark after them),
/// because <see cref="NumberStyles.AllowThousands"/> alone accepts <c>1.0.0</c> as 100. Whatever could
/// be meant two ways (<c>1,000</c> in Vietnamese notation: one, or an English thousand?) is refused
/// with a sentence that shows how to write it, in the language asked for.
/// </summary>
public static partial class NumberReader
{
    private static readonly NumberFormatInfo Vietnamese = Separators(CultureInfo.GetCultureInfo("vi-VN"), ".", ",");
    private static readonly NumberFormatInfo English = Separators(CultureInfo.GetCultureInfo("en-US"), ",", ".");

    /// <summary>"vi" or "en" (case-insensitive), as the CLI's <c>--number-format</c> and the upload page take them.</summary>
    public static bool TryParseFormat(string? text, out NumberFormat format)
    {
        switch (text?.Trim().ToLowerInvariant())
        {
            case "vi" or "vi-vn":
                format = NumberFormat.Vi;
                return true;
            case "en" or "en-us" or "en-gb":
                format = NumberFormat.En;
                return true;
            default:
                format = NumberFormat.Vi;
                return false;
        }
    }

    /// <summary>The number <paramref name="text"/> means in <paramref name="format"/>, or a sentence saying why it cannot be read and how to write it.</summary>
    public static bool TryParse(string text, NumberFormat format, Language language, out decimal value, out string problem)
    {
        ArgumentNullException.ThrowIfNull(text);
        value = 0;
        var s = text.Trim();
        var (group, mark) = format == NumberFormat.Vi ? ('.', ',') : (',', '.');
        if (s.Length == 0)
        {
            problem = language.T("không có giá trị", "is empty");
            return false;
        }

        var shape = (format == NumberFormat.Vi ? ViShape() : EnShape()).Match(s);
        if (!shape.Success)
        {
            problem = Unreadable(s, format, group, mark, language);
            return false;
        }

        // One to three digits, the decimal mark, exactly three digits: the other notation's thousands.
        if (!shape.Groups["grouped"].Success && shape.Groups["fraction"].Value.Length == 3 && shape.Groups["integer"].Value is { Length: <= 3 } integer && integer[0] != '0')
        {
            var thousands = decimal.Parse(s, Style, format == NumberFormat.Vi ? English : Vietnamese);
            var reading = decimal.Parse(s, Style, Numbers(format));
            var small = Format(reading, format);
            var whole = reading == decimal.Truncate(reading);
            problem = language.T(
                $"'{s}' có thể hiểu là {small} hoặc {Words(thousands, language)}: theo {Notation(format, language)}, dấu '{mark}' là dấu thập phân và dấu '{group}' tách hàng nghìn, nên để ghi {Words(thousands, language)} hãy viết {Format(thousands, format)} (hoặc {Plain(thousands)}){(whole ? $", còn nếu muốn ghi {small} thì chỉ cần viết {small}" : "")}",
                $"'{s}' could mean {small} or {Words(thousands, language)}: in {Notation(format, language)} '{mark}' marks decimals and '{group}' groups thousands, so write {Format(thousands, format)} (or {Plain(thousands)}) for {Words(thousands, language)}{(whole ? $", or just {small} if that is what you meant" : "")}");
            return false;
        }

        if (!decimal.TryParse(s, Style, Numbers(format), out value))
        {
            problem = language.T($"'{s}' quá lớn", $"'{s}' is too large");
            return false;
        }

        problem = "";
        return true;
    }

    /// <summary>A whole number (counts and stocks): as <see cref="TryParse"/>, and refused with a sentence when it has a fractional part.</summary>
    public static bool TryParseWhole(string text, NumberFormat format, Language language, out decimal value, out string problem)
    {
        if (!TryParse(text, format, language, out value, out problem))
        {
            return false;
        }

        return IsWhole(value, text.Trim(), format, language, out problem);
    }

    /// <summary>Whether a number read from a typed cell or text is whole; if not, the sentence to show.</summary>
    public static bool IsWhole(decimal value, string written, NumberFormat format, Language language, out string problem)
    {
        if (value == decimal.Truncate(value))
        {
            problem = "";
            return true;
        }

        var (below, above) = (Format(decimal.Truncate(value), format), Format(decimal.Truncate(value) + (value > 0 ? 1 : -1), format));
        problem = language.T(
            $"'{written}' không phải số nguyên; chỉ số này đếm người hoặc sự việc: hãy viết một số nguyên, ví dụ {below} hoặc {above}",
            $"'{written}' is not a whole number; this element counts people or things: write a whole number such as {below} or {above}");
        return false;
    }

    /// <summary>The number as it is written in <paramref name="format"/>: 1.000,5 or 1,000.5.</summary>
    public static string Format(decimal value, NumberFormat format) => value.ToString("#,##0.############", Numbers(format));

    private const NumberStyles Style = NumberStyles.AllowLeadingSign | NumberStyles.AllowThousands | NumberStyles.AllowDecimalPoint;

    private static NumberFormatInfo Numbers(NumberFormat format) => format == NumberFormat.Vi ? Vietnamese : English;

    private static string Plain(decimal value) => value.ToString("0.############", CultureInfo.InvariantCulture);

    /// <summary>"one thousand" ("một nghìn"), "one million" ("một triệu"), else the number.</summary>
    private static string Words(decimal value, Language language) => value switch
    {
        1000 => language.T("một nghìn", "one thousand"),
        1_000_000 => language.T("một triệu", "one million"),
        _ => Plain(value),
    };

    /// <summary>"cách viết số tiếng Việt" / "Vietnamese notation": the notation's name in the language asked for.</summary>
    private static string Notation(NumberFormat format, Language language) => format == NumberFormat.Vi
        ? language.T("cách viết số tiếng Việt", "Vietnamese notation")
        : language.T("cách viết số tiếng Anh", "English notation");

    /// <summary>Why text that has no shape of the notation cannot be read, with how to write what it probably means.</summary>
    private static string Unreadable(string s, NumberFormat format, char group, char mark, Language language)
    {
        var other = format == NumberFormat.Vi ? NumberFormat.En : NumberFormat.Vi;
        var otherShape = (other == NumberFormat.Vi ? ViShape() : EnShape()).Match(s);
        if (s.Contains(group, StringComparison.Ordinal) && s.Contains(mark, StringComparison.Ordinal) && s.LastIndexOf(mark) < s.LastIndexOf(group))
        {
            // "1,000.5" in Vietnamese notation: separators in the other notation's order.
            var meant = otherShape.Success
                ? language.T($"hãy viết {Format(decimal.Parse(s, Style, Numbers(other)), format)}", $"write {Format(decimal.Parse(s, Style, Numbers(other)), format)}")
                : language.T($"hãy viết theo dạng {Format(1000.5m, format)}", $"write it like {Format(1000.5m, format)}");
            return language.T(
                $"'{s}' đặt các dấu tách sai thứ tự theo {Notation(format, language)}, trong đó dấu '{group}' tách hàng nghìn và dấu '{mark}' là dấu thập phân: {meant}",
                $"'{s}' has its separators in the wrong order for {Notation(format, language)}, where '{group}' groups thousands and '{mark}' marks decimals: {meant}");
        }

        if (s.Contains(group, StringComparison.Ordinal) && otherShape.Success)
        {
            // "1.5" in Vietnamese notation: the dot is not followed by a group of three digits.
            var meant = Format(decimal.Parse(s, Style, Numbers(other)), format);
            return language.T(
                $"'{s}' không đúng {Notation(format, language)}: dấu '{group}' tách hàng nghìn theo nhóm ba chữ số ({Format(1000m, format)} là một nghìn) và dấu '{mark}' là dấu thập phân; nếu {s} là số viết theo {Notation(other, language)} thì hãy viết {meant}",
                $"'{s}' is not a {(format == NumberFormat.Vi ? "Vietnamese" : "English")} number: '{group}' groups thousands in threes ({Format(1000m, format)} is one thousand) and '{mark}' marks decimals; for {s} in {Notation(other, language)} write {meant}");
        }

        if (s.Contains(group, StringComparison.Ordinal))
        {
            return language.T(
                $"'{s}' không đúng {Notation(format, language)}: dấu '{group}' tách hàng nghìn theo nhóm ba chữ số, như {Format(1_000_000m, format)}",
                $"'{s}' is not a {(format == NumberFormat.Vi ? "Vietnamese" : "English")} number: '{group}' groups thousands in threes, as in {Format(1_000_000m, format)}");
        }

        return language.T(
            $"'{s}' không phải là số (theo {Notation(format, language)}, số được viết như {Format(1000m, format)} hoặc {Format(2.5m, format)})",
            $"'{s}' is not a number (in {Notation(format, language)} write numbers like {Format(1000m, format)} or {Format(2.5m, format)})");
    }

    private static NumberFormatInfo Separators(CultureInfo culture, string group, string mark)
    {
        // The culture's data decide everything else (signs, digits); the separators are the notation's own
        // whatever the platform's locale data say.
        var numbers = (NumberFormatInfo)culture.NumberFormat.Clone();
        numbers.NumberGroupSeparator = group;
        numbers.NumberDecimalSeparator = mark;
        return NumberFormatInfo.ReadOnly(numbers);
    }

    [GeneratedRegex(@"^-?(?<integer>(?<grouped>[1-9][0-9]{0,2}(\.[0-9]{3})+)|[0-9]+)(,(?<fraction>[0-9]+))?$", RegexOptions.CultureInvariant)]
    private static partial Regex ViShape();

    [GeneratedRegex(@"^-?(?<integer>(?<grouped>[1-9][0-9]{0,2}(,[0-9]{3})+)|[0-9]+)(\.(?<fraction>[0-9]+))?$", RegexOptions.CultureInvariant)]
    private static partial Regex EnShape();
}
