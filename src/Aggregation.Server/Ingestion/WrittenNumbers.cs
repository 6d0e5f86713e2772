using System.Globalization;
using System.Text.RegularExpressions;

namespace Aggregation.Server.Ingestion;

/// <summary>
/// Reads a whole number as an officer typed it into the browser's form, in the notation of the page's
/// language: Vietnamese <c>1.000</c> (<c>.</c> groups thousands, <c>,</c> marks decimals) or English
/// <c>1,000</c>. The same strictness as the command line's reading of spreadsheet cells
/// (Aggregation.Cli NumberText): groups of exactly three digits, and whatever could be read two ways
/// (<c>1,000</c> on the Vietnamese page: one, or an English thousand?) is refused with a sentence, in
/// both languages, that shows how to write it. Counts and stocks are whole and not negative.
/// </summary>
public static partial class WrittenNumbers
{
    private static readonly NumberFormatInfo Vietnamese = Separators(".", ",");
    private static readonly NumberFormatInfo English = Separators(",", ".");

    /// <summary>A problem with what was typed, said in Vietnamese and in English.</summary>
    public sealed record Problem(string Vi, string En);

    /// <summary>The whole number <paramref name="text"/> means in the page's notation, or why it cannot be taken.</summary>
    public static bool TryParseWhole(string text, bool vietnamese, long max, out long value, out Problem? problem)
    {
        ArgumentNullException.ThrowIfNull(text);
        value = 0;
        problem = null;
        var s = text.Trim();
        var (group, mark) = vietnamese ? ('.', ',') : (',', '.');
        var shape = (vietnamese ? ViShape() : EnShape()).Match(s);
        if (!shape.Success)
        {
            problem = Unreadable(s, vietnamese, group, mark);
            return false;
        }

        // One to three digits, the decimal mark, exactly three digits: the other notation's thousands.
        var fraction = shape.Groups["fraction"].Value;
        if (!shape.Groups["grouped"].Success && fraction.Length == 3 && shape.Groups["integer"].Value is { Length: <= 3 } integer && integer[0] != '0')
        {
            var reading = Write(decimal.Parse(s, Style, Numbers(vietnamese)), vietnamese);
            var thousands = decimal.Parse(s, Style, Numbers(!vietnamese));
            problem = new Problem(
                $"“{s}” có thể hiểu là {reading} hoặc {Write(thousands, vietnamese)}: theo {NotationVi(vietnamese)}, dấu “{mark}” là dấu thập phân và dấu “{group}” tách hàng nghìn, nên hãy viết {Write(thousands, vietnamese)} (hoặc {Plain(thousands)}).",
                $"“{s}” could mean {reading} or {Write(thousands, vietnamese)}: in {NotationEn(vietnamese)} “{mark}” marks decimals and “{group}” groups thousands, so write {Write(thousands, vietnamese)} (or {Plain(thousands)}).");
            return false;
        }

        var number = decimal.Parse(s, Style, Numbers(vietnamese));
        if (number != decimal.Truncate(number))
        {
            var below = decimal.Truncate(number);
            problem = new Problem(
                $"“{s}” không phải số nguyên; ô này đếm người hoặc sự việc: hãy viết một số nguyên, ví dụ {Write(below, vietnamese)} hoặc {Write(below + 1, vietnamese)}.",
                $"“{s}” is not a whole number; this field counts people or things: write a whole number such as {Write(below, vietnamese)} or {Write(below + 1, vietnamese)}.");
            return false;
        }

        if (number > max)
        {
            problem = new Problem(
                $"“{s}” lớn hơn giá trị lớn nhất được nhận ({Write(max, vietnamese)}).",
                $"“{s}” is larger than the largest accepted value ({Write(max, vietnamese)}).");
            return false;
        }

        value = (long)number;
        return true;
    }

    /// <summary>The number as the page's language writes it: 1.000 or 1,000.</summary>
    public static string Write(decimal value, bool vietnamese) => value.ToString("#,##0.############", Numbers(vietnamese));

    private const NumberStyles Style = NumberStyles.AllowThousands | NumberStyles.AllowDecimalPoint;

    private static string Plain(decimal value) => value.ToString("0.############", CultureInfo.InvariantCulture);

    private static Problem Unreadable(string s, bool vietnamese, char group, char mark)
    {
        if (s.Length == 0)
        {
            return new Problem("Ô này chưa có số.", "This field has no number.");
        }

        if (s.StartsWith('-') && (vietnamese ? ViShape() : EnShape()).IsMatch(s[1..]))
        {
            return new Problem(
                $"“{s}” là số âm; số đếm và số lượng hiện có là 0 hoặc lớn hơn.",
                $"“{s}” is negative; counts and stocks are zero or more.");
        }

        var other = (vietnamese ? EnShape() : ViShape()).Match(s);
        if (s.Contains(group, StringComparison.Ordinal) && other.Success)
        {
            // "1.5" on the Vietnamese page: the dot is not followed by a group of three digits.
            var meant = Write(decimal.Parse(s, Style, Numbers(!vietnamese)), vietnamese);
            return new Problem(
                $"“{s}” không đúng {NotationVi(vietnamese)}: dấu “{group}” tách hàng nghìn theo nhóm ba chữ số ({Write(1000, vietnamese)} là một nghìn) và dấu “{mark}” là dấu thập phân; nếu {s} được viết theo {NotationVi(!vietnamese)} thì hãy viết {meant}.",
                $"“{s}” is not in {NotationEn(vietnamese)}: “{group}” groups thousands in threes ({Write(1000, vietnamese)} is one thousand) and “{mark}” marks decimals; for {s} in {NotationEn(!vietnamese)} write {meant}.");
        }

        if (s.Contains(group, StringComparison.Ordinal) || s.Contains(mark, StringComparison.Ordinal))
        {
            return new Problem(
                $"“{s}” không đúng {NotationVi(vietnamese)}: dấu “{group}” tách hàng nghìn theo nhóm ba chữ số, như {Write(1_000_000, vietnamese)}.",
                $"“{s}” is not in {NotationEn(vietnamese)}: “{group}” groups thousands in threes, as in {Write(1_000_000, vietnamese)}.");
        }

        return new Problem(
            $"“{s}” không phải là số; hãy viết một số nguyên như {Write(1000, vietnamese)} hoặc 25.",
            $"“{s}” is not a number; write a whole number such as {Write(1000, vietnamese)} or 25.");
    }

    private static string NotationVi(bool vietnamese) => vietnamese ? "cách viết số tiếng Việt" : "cách viết số tiếng Anh";

    private static string NotationEn(bool vietnamese) => vietnamese ? "Vietnamese notation" : "English notation";

    private static NumberFormatInfo Numbers(bool vietnamese) => vietnamese ? Vietnamese : English;

    private static NumberFormatInfo Separators(string group, string mark)
    {
        var numbers = (NumberFormatInfo)CultureInfo.InvariantCulture.NumberFormat.Clone();
        numbers.NumberGroupSeparator = group;
        numbers.NumberDecimalSeparator = mark;
        return NumberFormatInfo.ReadOnly(numbers);
    }

    [GeneratedRegex(@"^(?<integer>(?<grouped>[1-9][0-9]{0,2}(\.[0-9]{3})+)|[0-9]+)(,(?<fraction>[0-9]+))?$", RegexOptions.CultureInvariant)]
    private static partial Regex ViShape();

    [GeneratedRegex(@"^(?<integer>(?<grouped>[1-9][0-9]{0,2}(,[0-9]{3})+)|[0-9]+)(\.(?<fraction>[0-9]+))?$", RegexOptions.CultureInvariant)]
    private static partial Regex EnShape();
}
