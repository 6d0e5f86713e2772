using System.CommandLine;
using System.Globalization;
using System.Text.RegularExpressions;

namespace Aggregation.Cli;

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
/// with a sentence that shows how to write it, in the run's language (<see cref="Ui.T"/>).
/// </summary>
public static partial class NumberText
{
    private static readonly NumberFormatInfo Vietnamese = Separators(CultureInfo.GetCultureInfo("vi-VN"), ".", ",");
    private static readonly NumberFormatInfo English = Separators(CultureInfo.GetCultureInfo("en-US"), ",", ".");

    /// <summary>The option <c>--number-format vi|en</c> (default vi) of the commands that read numbers people wrote.</summary>
    public static Option<string> CreateOption(string description)
    {
        var option = new Option<string>("--number-format") { Description = description, DefaultValueFactory = _ => "vi" };
        option.AcceptOnlyFromAmong("vi", "en");
        return option;
    }

    /// <summary>The format the option <see cref="CreateOption"/> names; the parser has already refused any other value.</summary>
    public static NumberFormat FormatOf(string? option) =>
        TryParseFormat(option, out var format) ? format : throw new ArgumentException($"'{option}' is not a number format (vi or en)", nameof(option));

    /// <summary>"vi" or "en" (case-insensitive) as the option <c>--number-format</c> takes them.</summary>
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
    public static bool TryParse(string text, NumberFormat format, out decimal value, out string problem)
    {
        ArgumentNullException.ThrowIfNull(text);
        value = 0;
        var s = text.Trim();
        var (group, mark) = format == NumberFormat.Vi ? ('.', ',') : (',', '.');
        if (s.Length == 0)
        {
            problem = Ui.T("không có giá trị", "is empty");
            return false;
        }

        var shape = (format == NumberFormat.Vi ? ViShape() : EnShape()).Match(s);
        if (!shape.Success)
        {
            problem = Unreadable(s, format, group, mark);
            return false;
        }

        // One to three digits, the decimal mark, exactly three digits: the other notation's thousands.
        if (!shape.Groups["grouped"].Success && shape.Groups["fraction"].Value.Length == 3 && shape.Groups["integer"].Value is { Length: <= 3 } integer && integer[0] != '0')
        {
            var thousands = decimal.Parse(s, Style, format == NumberFormat.Vi ? English : Vietnamese);
            var reading = decimal.Parse(s, Style, Numbers(format));
            var small = Format(reading, format);
            var whole = reading == decimal.Truncate(reading);
            problem = Ui.T(
                $"'{s}' có thể hiểu là {small} hoặc {Words(thousands)}: theo {Notation(format)}, dấu '{mark}' là dấu thập phân và dấu '{group}' tách hàng nghìn, nên để ghi {Words(thousands)} hãy viết {Format(thousands, format)} (hoặc {Plain(thousands)}){(whole ? $", còn nếu muốn ghi {small} thì chỉ cần viết {small}" : "")}",
                $"'{s}' could mean {small} or {Words(thousands)}: in {Notation(format)} '{mark}' marks decimals and '{group}' groups thousands, so write {Format(thousands, format)} (or {Plain(thousands)}) for {Words(thousands)}{(whole ? $", or just {small} if that is what you meant" : "")}");
            return false;
        }

        if (!decimal.TryParse(s, Style, Numbers(format), out value))
        {
            problem = Ui.T($"'{s}' quá lớn", $"'{s}' is too large");
            return false;
        }

        problem = "";
        return true;
    }

    /// <summary>A whole number (counts and stocks): as <see cref="TryParse"/>, and refused with a sentence when it has a fractional part.</summary>
    public static bool TryParseWhole(string text, NumberFormat format, out decimal value, out string problem)
    {
        if (!TryParse(text, format, out value, out problem))
        {
            return false;
        }

        return IsWhole(value, text.Trim(), format, out problem);
    }

    /// <summary>Whether a number read from a typed cell or text is whole; if not, the sentence to show.</summary>
    public static bool IsWhole(decimal value, string written, NumberFormat format, out string problem)
    {
        if (value == decimal.Truncate(value))
        {
            problem = "";
            return true;
        }

        var (below, above) = (Format(decimal.Truncate(value), format), Format(decimal.Truncate(value) + (value > 0 ? 1 : -1), format));
        problem = Ui.T(
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
    private static string Words(decimal value) => value switch
    {
        1000 => Ui.T("một nghìn", "one thousand"),
        1_000_000 => Ui.T("một triệu", "one million"),
        _ => Plain(value),
    };

    /// <summary>"cách viết số tiếng Việt" / "Vietnamese notation": the notation's name in the run's language.</summary>
    private static string Notation(NumberFormat format) => format == NumberFormat.Vi
        ? Ui.T("cách viết số tiếng Việt", "Vietnamese notation")
        : Ui.T("cách viết số tiếng Anh", "English notation");

    /// <summary>Why text that has no shape of the notation cannot be read, with how to write what it probably means.</summary>
    private static string Unreadable(string s, NumberFormat format, char group, char mark)
    {
        var other = format == NumberFormat.Vi ? NumberFormat.En : NumberFormat.Vi;
        var otherShape = (other == NumberFormat.Vi ? ViShape() : EnShape()).Match(s);
        if (s.Contains(group, StringComparison.Ordinal) && s.Contains(mark, StringComparison.Ordinal) && s.LastIndexOf(mark) < s.LastIndexOf(group))
        {
            // "1,000.5" in Vietnamese notation: separators in the other notation's order.
            var meant = otherShape.Success
                ? Ui.T($"hãy viết {Format(decimal.Parse(s, Style, Numbers(other)), format)}", $"write {Format(decimal.Parse(s, Style, Numbers(other)), format)}")
                : Ui.T($"hãy viết theo dạng {Format(1000.5m, format)}", $"write it like {Format(1000.5m, format)}");
            return Ui.T(
                $"'{s}' đặt các dấu tách sai thứ tự theo {Notation(format)}, trong đó dấu '{group}' tách hàng nghìn và dấu '{mark}' là dấu thập phân: {meant}",
                $"'{s}' has its separators in the wrong order for {Notation(format)}, where '{group}' groups thousands and '{mark}' marks decimals: {meant}");
        }

        if (s.Contains(group, StringComparison.Ordinal) && otherShape.Success)
        {
            // "1.5" in Vietnamese notation: the dot is not followed by a group of three digits.
            var meant = Format(decimal.Parse(s, Style, Numbers(other)), format);
            return Ui.T(
                $"'{s}' không đúng {Notation(format)}: dấu '{group}' tách hàng nghìn theo nhóm ba chữ số ({Format(1000m, format)} là một nghìn) và dấu '{mark}' là dấu thập phân; nếu {s} là số viết theo {Notation(other)} thì hãy viết {meant}",
                $"'{s}' is not a {(format == NumberFormat.Vi ? "Vietnamese" : "English")} number: '{group}' groups thousands in threes ({Format(1000m, format)} is one thousand) and '{mark}' marks decimals; for {s} in {Notation(other)} write {meant}");
        }

        if (s.Contains(group, StringComparison.Ordinal))
        {
            return Ui.T(
                $"'{s}' không đúng {Notation(format)}: dấu '{group}' tách hàng nghìn theo nhóm ba chữ số, như {Format(1_000_000m, format)}",
                $"'{s}' is not a {(format == NumberFormat.Vi ? "Vietnamese" : "English")} number: '{group}' groups thousands in threes, as in {Format(1_000_000m, format)}");
        }

        return Ui.T(
            $"'{s}' không phải là số (theo {Notation(format)}, số được viết như {Format(1000m, format)} hoặc {Format(2.5m, format)})",
            $"'{s}' is not a number (in {Notation(format)} write numbers like {Format(1000m, format)} or {Format(2.5m, format)})");
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
