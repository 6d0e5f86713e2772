using System.CommandLine;
using Aggregation.Protos.V1;
using Spectre.Console;

namespace Aggregation.Cli;

/// <summary><c>aggregation units</c>: the administrative hierarchy, as in force on a date.</summary>
internal static class UnitsCommand
{
    public static Command Build()
    {
        var parent = new Option<string?>("--parent") { Description = "Show this unit and its children (default: the tenant's provinces)" };
        var level = new Option<string?>("--level") { Description = "List every unit of a level (province, district, commune)" };
        var asOf = new Option<string?>("--as-of") { Description = "The hierarchy in force on this date (yyyy-MM-dd; default today)" };
        var output = Listing.Option();
        var command = new Command("units", "Browse the administrative hierarchy.") { parent, level, asOf, output };
        command.SetAction(CliApp.Guard(async (parse, ct) =>
        {
            using var channel = CliApp.Channel(parse);
            var client = new Protos.V1.Catalog.CatalogClient(channel);
            var format = parse.GetValue(output);
            var listing = new Listing(
                new ListColumn("code", "mã", "code"),
                new ListColumn("name", "tên", "name") { Wrap = true },
                new ListColumn("level", "cấp", "level"),
                new ListColumn("parent_code", "thuộc", "parent"),
                new ListColumn("valid_from", "từ ngày", "from"),
                new ListColumn("valid_to", "đến ngày", "to"));
            void Add(Protos.V1.Unit u) => listing.Add(u.Code, u.Name, new ListCell(Ui.Level(u.Level), u.Level), u.ParentCode, u.ValidFrom, u.ValidTo);
            if (parse.GetValue(level) is { } l)
            {
                var token = "";
                do
                {
                    var page = await client.ListUnitsAsync(new ListUnitsRequest { Level = l, AncestorCode = parse.GetValue(parent) ?? "", PageSize = 1000, PageToken = token, AsOf = parse.GetValue(asOf) ?? "" }, CliApp.Headers(parse), cancellationToken: ct);
                    foreach (var u in page.Units)
                    {
                        Add(u);
                    }

                    token = page.NextPageToken;
                }
                while (token.Length > 0);
            }
            else
            {
                var response = await client.GetUnitAsync(new GetUnitRequest { Code = parse.GetValue(parent) ?? "", AsOf = parse.GetValue(asOf) ?? "" }, CliApp.Headers(parse), cancellationToken: ct);
                if (format == OutputFormat.Table)
                {
                    var u = response.Unit;
                    var within = response.Ancestors.Count == 0 ? "" : " · " + string.Join(" < ", response.Ancestors.Select(a => a.Name));
                    Ui.Out.MarkupLineInterpolated($"[bold]{u.Code} {u.Name}[/] ({Ui.Level(u.Level)}){within}");
                }

                foreach (var u in response.Children)
                {
                    Add(u);
                }
            }

            listing.Write(format);
            if (format == OutputFormat.Table)
            {
                Ui.Out.MarkupLine(Markup.Escape(Ui.Count(listing.Count, "đơn vị", "unit", "units")));
            }

            return 0;
        }));
        return command;
    }
}
