using System.CommandLine;
using Aggregation.Protos.V1;
namespace Aggregation.Cli;

/// <summary><c>aggregation rollup</c>: a unit's indicators, status and completeness for a period.</summary>
internal static class RollupCommand
{
    public static Command Build()
    {
        var unit = new Option<string>("--unit") { Description = "GSO code (VN for the nation)", Required = true };
        var period = new Option<string>("--period") { Description = "2025-03, 2025Q1, 2025S1, 2025 or 2021-2025", Required = true };
        var children = new Option<bool>("--children") { Description = "Also show each child unit's indicators" };
        var values = new Option<bool>("--values") { Description = "Also show every data element's aggregated value" };
        var output = Listing.Option();
        var command = new Command("rollup", "Show a unit's indicators, status and completeness for a period.") { unit, period, children, values, CliApp.AsOfOption, CliApp.RestatedOption, output };
        command.SetAction(CliApp.Guard(async (parse, ct) =>
        {
            using var channel = CliApp.Channel(parse);
            var restated = parse.GetValue(CliApp.RestatedOption);
            var response = await new Rollups.RollupsClient(channel).GetRollupAsync(
                new GetRollupRequest
                {
                    UnitCode = parse.GetValue(unit)!,
                    ProgrammeId = parse.GetValue(CliApp.ProgrammeOption)!,
                    Period = parse.GetValue(period)!,
                    IncludeChildren = parse.GetValue(children),
                    AsOf = parse.GetValue(CliApp.AsOfOption) ?? "",
                    View = restated ? HistoryView.Restated : HistoryView.AsHappened,
                },
                CliApp.Headers(parse),
                cancellationToken: ct);
            RollupTables.Write(response, parse.GetValue(output), parse.GetValue(values), restated);
            return 0;
        }));
        return command;
    }
}
