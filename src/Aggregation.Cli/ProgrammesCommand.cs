using System.CommandLine;
using Aggregation.Protos.V1;
using Spectre.Console;

namespace Aggregation.Cli;

/// <summary><c>aggregation programmes</c>: the tenant's programmes, data sets and indicators.</summary>
internal static class ProgrammesCommand
{
    public static Command Build()
    {
        var output = Listing.Option();
        var command = new Command("programmes", "List the tenant's programmes, data sets and indicators (csv: one row per indicator; json: everything).") { output };
        command.SetAction(CliApp.Guard(async (parse, ct) =>
        {
            using var channel = CliApp.Channel(parse);
            var response = await new Protos.V1.Catalog.CatalogClient(channel).ListProgrammesAsync(new ListProgrammesRequest(), CliApp.Headers(parse), cancellationToken: ct);
            var format = parse.GetValue(output);
            var sets = response.Programmes.ToDictionary(p => p.Id, DataSets);
            var indicators = response.Programmes.ToDictionary(p => p.Id, Indicators);
            switch (format)
            {
                case OutputFormat.Csv:
                    var all = new Listing([new ListColumn("programme", "chương trình", "programme"), .. indicators.Values.First().Columns]);
                    foreach (var p in response.Programmes)
                    {
                        foreach (var row in indicators[p.Id].Rows)
                        {
                            all.Add([p.Id, .. row]);
                        }
                    }

                    all.WriteCsv(Console.Out);
                    break;
                case OutputFormat.Json:
                    using (var stream = new MemoryStream())
                    {
                        using (var json = new System.Text.Json.Utf8JsonWriter(stream, new System.Text.Json.JsonWriterOptions { Indented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
                        {
                            json.WriteStartArray();
                            foreach (var p in response.Programmes)
                            {
                                json.WriteStartObject();
                                json.WriteString("id", p.Id);
                                json.WriteString("name_vi", p.NameVi);
                                json.WriteString("name_en", p.NameEn);
                                json.WriteString("first_period", p.FirstPeriod);
                                json.WriteString("last_period", p.LastPeriod);
                                json.WritePropertyName("data_sets");
                                sets[p.Id].WriteJson(json);
                                json.WritePropertyName("indicators");
                                indicators[p.Id].WriteJson(json);
                                json.WriteEndObject();
                            }

                            json.WriteEndArray();
                        }

                        Console.Out.WriteLine(System.Text.Encoding.UTF8.GetString(stream.ToArray()));
                    }

                    break;
                default:
                    foreach (var p in response.Programmes)
                    {
                        Ui.Out.MarkupLineInterpolated($"[bold]{(Ui.English ? p.NameEn : p.NameVi)}[/] ({p.Id}, {p.FirstPeriod} – {p.LastPeriod})");
                        sets[p.Id].WriteTable(Ui.Out);
                        indicators[p.Id].WriteTable(Ui.Out);
                    }

                    break;
            }

            return 0;
        }));
        return command;

        static Listing DataSets(Protos.V1.Programme p)
        {
            var listing = new Listing(
                new ListColumn("data_set", "báo cáo", "data set"),
                new ListColumn("name", "tên", "name") { Wrap = true },
                new ListColumn("level", "cấp", "level"),
                new ListColumn("period_type", "kỳ", "period"),
                new ListColumn("reporter", "đơn vị báo cáo", "reporter") { Wrap = true },
                new ListColumn("data_elements", "mã chỉ số", "data elements") { Wrap = true });
            foreach (var ds in p.DataSets)
            {
                listing.Add(ds.Id, Ui.English ? ds.NameEn : ds.NameVi, new ListCell(Ui.Level(ds.Level), ds.Level), new ListCell(Ui.Frequency(ds.PeriodType), ds.PeriodType), ds.Reporter, new ListCell(string.Join(", ", ds.DataElements), ds.DataElements.ToList()));
            }

            return listing;
        }

        static Listing Indicators(Protos.V1.Programme p)
        {
            var listing = new Listing(
                new ListColumn("indicator", "chỉ tiêu", "indicator"),
                new ListColumn("name", "tên", "name") { Wrap = true },
                new ListColumn("target", "mục tiêu", "target"),
                new ListColumn("target_basis", "cách tính", "basis"),
                new ListColumn("applies_to", "áp dụng cho", "levels"));
            foreach (var i in p.Indicators)
            {
                listing.Add(i.Id, Ui.English ? i.NameEn : i.NameVi, i.HasTarget ? ListCell.Ratio(i.Target, 0) : new ListCell("-", null), new ListCell(Ui.TargetBasis(i.TargetBasis), i.TargetBasis), new ListCell(string.Join(", ", i.AppliesTo.Select(Ui.Level)), i.AppliesTo.ToList()));
            }

            return listing;
        }
    }
}
