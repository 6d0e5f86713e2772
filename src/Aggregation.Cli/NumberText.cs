using System.CommandLine;
using Aggregation.Spreadsheets;

namespace Aggregation.Cli;

/// <summary>
/// Numbers people write on the command line and in imported files, read by the shared
/// <see cref="NumberReader"/> with its sentences in the run's language (<see cref="Ui.T"/>).
/// </summary>
public static class NumberText
{
    /// <summary>The option <c>--number-format vi|en</c> (default vi) of the commands that read numbers people wrote.</summary>
    public static Option<string> CreateOption(string description)
    {
        var option = new Option<string>("--number-format") { Description = description, DefaultValueFactory = _ => "vi" };
        option.AcceptOnlyFromAmong("vi", "en");
        return option;
    }

    /// <summary>The format the option <see cref="CreateOption"/> names; the parser has already refused any other value.</summary>
    public static NumberFormat FormatOf(string? option) =>
        NumberReader.TryParseFormat(option, out var format) ? format : throw new ArgumentException($"'{option}' is not a number format (vi or en)", nameof(option));

    /// <inheritdoc cref="NumberReader.TryParse"/>
    public static bool TryParse(string text, NumberFormat format, out decimal value, out string problem) =>
        NumberReader.TryParse(text, format, Ui.Language, out value, out problem);

    /// <inheritdoc cref="NumberReader.TryParseWhole"/>
    public static bool TryParseWhole(string text, NumberFormat format, out decimal value, out string problem) =>
        NumberReader.TryParseWhole(text, format, Ui.Language, out value, out problem);

    /// <inheritdoc cref="NumberReader.IsWhole"/>
    public static bool IsWhole(decimal value, string written, NumberFormat format, out string problem) =>
        NumberReader.IsWhole(value, written, format, Ui.Language, out problem);

    /// <inheritdoc cref="NumberReader.Format"/>
    public static string Format(decimal value, NumberFormat format) => NumberReader.Format(value, format);
}
