using System.CommandLine;
using Aggregation.Protos.V1;
using Grpc.Core;
using Spectre.Console;

namespace Aggregation.Cli;

/// <summary><c>aggregation export</c>: what the receiver holds, as ADX XML or DHIS2 JSON, written to a file.</summary>
internal static class ExportCommand
{
    public static Command Build()
    {
        var unit = new Option<string>("--unit") { Description = "GSO code of the unit (VN for the nation)", Required = true };
        var period = new Option<string>("--period") { Description = "2025-03, 2025Q1, 2025S1, 2025 (ADX also 2021-2025)", Required = true };
        var subtree = new Option<bool>("--subtree") { Description = "Every unit below it too" };
        var format = new Option<string>("--format")
        {
            Description = "adx (IHE ADX XML), dhis2 (DHIS2 dataValueSets JSON) or dhis2-completeness (DHIS2 completeDataSetRegistrations JSON: the reports that are complete)",
            DefaultValueFactory = _ => "adx",
        };
        format.AcceptOnlyFromAmong("adx", "dhis2", "dhis2-completeness");
        var level = new Option<string?>("--level")
        {
            Description = "The level the receiver holds: lowest (each data set at the units that report it; the receiver aggregates) or a level such as province (one total per unit of that level). Default: the tenant's receiver profile",
        };
        var output = new Option<string?>("--output", "-o") { Description = "File to write (default: the suggested name in this folder; - for standard output)" };
        var command = new Command("export", "Export what the receiver holds as ADX XML or DHIS2 JSON, in its codes: each data set in its collection period (months for monthly data sets), at the level the receiver profile names.") { unit, period, subtree, format, level, output, CliApp.AsOfOption, CliApp.RestatedOption };
        command.SetAction(CliApp.Guard(async (parse, ct) =>
        {
            using var channel = CliApp.Channel(parse);
            ExportResponse response;
            try
            {
                response = await new Exports.ExportsClient(channel).ExportAsync(
                    new ExportRequest
                    {
                        UnitCode = parse.GetValue(unit)!,
                        ProgrammeId = parse.GetValue(CliApp.ProgrammeOption)!,
                        Period = parse.GetValue(period)!,
                        IncludeSubtree = parse.GetValue(subtree),
                        Format = parse.GetValue(format) switch
                        {
                            "dhis2" => ExportFormat.Dhis2Json,
                            "dhis2-completeness" => ExportFormat.Dhis2CompletenessJson,
                            _ => ExportFormat.Adx,
                        },
                        OrgUnitLevel = parse.GetValue(level) ?? "",
                        AsOf = parse.GetValue(CliApp.AsOfOption) ?? "",
                        View = parse.GetValue(CliApp.RestatedOption) ? HistoryView.Restated : HistoryView.AsHappened,
                    },
                    CliApp.Headers(parse),
                    cancellationToken: ct);
            }
            catch (RpcException ex) when (ex.StatusCode == StatusCode.NotFound)
            {
                Ui.Error.MarkupLineInterpolated($"[yellow]{Ui.T("Không có gì để xuất", "Nothing to export")}[/]: {Ui.T($"{parse.GetValue(unit)}{(parse.GetValue(subtree) ? " và các đơn vị trực thuộc" : "")} không có số liệu nào cho kỳ {parse.GetValue(period)}; không ghi tệp nào.", $"{parse.GetValue(unit)}{(parse.GetValue(subtree) ? " and the units below it" : "")} hold no data for {parse.GetValue(period)}; no file was written.")}");
                return 1;
            }

            var path = parse.GetValue(output) ?? response.FileName;
            if (path == "-")
            {
                await using var stdout = Console.OpenStandardOutput();
                response.Content.WriteTo(stdout);
                return 0;
            }

            await File.WriteAllBytesAsync(path, response.Content.ToByteArray(), ct);
            Ui.Out.MarkupLineInterpolated($"{Ui.Count(response.Groups, "nhóm", "group", "groups")}, {Ui.Count(response.Values, "giá trị", "value", "values")} → [green]{path}[/]");
            return 0;
        }));
        return command;
    }
}
