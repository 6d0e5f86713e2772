using System.Globalization;
using System.CommandLine;
using Aggregation.Protos.V1;
using Spectre.Console;

namespace Aggregation.Cli;

/// <summary><c>aggregation report</c>: the 6-monthly or annual report, as the document to sign or its figures as a workbook.</summary>
internal static class ReportCommand
{
    public static Command Build()
    {
        var unit = new Option<string>("--unit") { Description = "GSO code of the unit (its districts, or its communes after 30 June 2025, get a row each)", Required = true };
        var period = new Option<string>("--period") { Description = "2025S1, 2025S2, 2025 or 2021-2025", Required = true };
        var format = new Option<string?>("--format") { Description = "docx (the document to sign, the default) or xlsx (the figures as a workbook); taken from --output's extension when that is .docx or .xlsx" };
        format.AcceptOnlyFromAmong("docx", "xlsx");
        var output = new Option<string?>("--output", "-o") { Description = "File to write, .docx or .xlsx (default: the suggested name in this folder)" };
        var command = new Command("report", "Write the 6-monthly or annual report in Vietnamese: a .docx laid out as an administrative document, ready to sign (A4 landscape), or its figures as an .xlsx.") { unit, period, format, output, CliApp.AsOfOption };
        command.SetAction(CliApp.Guard(async (parse, ct) =>
        {
            var path = parse.GetValue(output);
            var extension = Path.GetExtension(path ?? "").ToLowerInvariant();
            var named = extension is ".docx" or ".xlsx" ? extension[1..] : null;
            var asked = parse.GetValue(format);
            if (path is not null && named is null && asked is null)
            {
                AnsiConsole.MarkupLineInterpolated(CultureInfo.InvariantCulture, $"[red]--output '{path}' should end in .docx (the document to sign) or .xlsx (the figures), or give --format docx|xlsx[/]");
                return 2;
            }

            if (named is not null && asked is not null && named != asked)
            {
                AnsiConsole.MarkupLineInterpolated(CultureInfo.InvariantCulture, $"[red]--format {asked} does not match --output '{path}'; give a file name ending in .{asked}[/]");
                return 2;
            }

            using var channel = CliApp.Channel(parse);
            var response = await new Exports.ExportsClient(channel).ExportWorkbookAsync(
                new ExportWorkbookRequest
                {
                    UnitCode = parse.GetValue(unit)!,
                    ProgrammeId = parse.GetValue(CliApp.ProgrammeOption)!,
                    Period = parse.GetValue(period)!,
                    AsOf = parse.GetValue(CliApp.AsOfOption) ?? "",
                    Format = (asked ?? named) == "xlsx" ? ReportFormat.Xlsx : ReportFormat.Docx,
                },
                CliApp.Headers(parse),
                cancellationToken: ct);
            path ??= response.FileName;
            await File.WriteAllBytesAsync(path, response.Content.ToByteArray(), ct);
            Ui.Out.MarkupLineInterpolated($"{Ui.Count(response.Values, "chỉ tiêu", "target", "targets")}, {Ui.Count(response.Groups, "đơn vị", "unit", "units")} → [green]{path}[/]");
            return 0;
        }));
        return command;
    }
}
