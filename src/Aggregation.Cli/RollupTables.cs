using System.Globalization;
using Aggregation.Protos.V1;
using Spectre.Console;

namespace Aggregation.Cli;

/// <summary>Renders a rollup as the tables a monitoring officer reads.</summary>
internal static class RollupTables
{
    public static void Write(GetRollupResponse response, bool english, bool showValues)
    {
        var r = response.Rollup;
        AnsiConsole.MarkupLineInterpolated($"[bold]{r.Unit.Name}[/] ({r.Unit.Code}, {r.Unit.Level}, hierarchy {r.Unit.HierarchyVersion}) · {r.ProgrammeId} · {r.Period} · version {r.Version}");
        if (r.Method.Length > 0)
        {
            AnsiConsole.MarkupLineInterpolated($"[grey]{r.Method}[/]");
        }

        var table = new Table().AddColumns(english ? "indicator" : "chỉ tiêu", english ? "name" : "tên", english ? "value" : "đạt", english ? "num/den" : "tử/mẫu", english ? "target" : "mục tiêu", english ? "status" : "trạng thái");
        foreach (var i in r.Indicators)
        {
            table.AddRow(
                i.IndicatorId,
                Markup.Escape(english ? i.NameEn : i.NameVi),
                Format(i),
                i.HasDenominator ? $"{i.Numerator}/{i.Denominator}" : i.HasNumerator ? i.Numerator.ToString(CultureInfo.InvariantCulture) : "-",
                i.HasTarget ? i.Target.ToString("P0", CultureInfo.InvariantCulture) : "-",
                Status(i.Status, english));
        }

        AnsiConsole.Write(table);
        if (r.Completeness.Count > 0)
        {
            var completeness = new Table().AddColumns(english ? "data set" : "báo cáo", english ? "reported" : "đã báo cáo", english ? "expected" : "phải báo cáo");
            foreach (var c in r.Completeness)
            {
                completeness.AddRow(Markup.Escape(english ? c.NameEn : c.NameVi), c.Reported.ToString(CultureInfo.InvariantCulture), c.Expected.ToString(CultureInfo.InvariantCulture));
            }

            AnsiConsole.Write(completeness);
        }

        if (showValues)
        {
            var values = new Table().AddColumns("data element", "value", "aggregation");
            foreach (var v in r.Values)
            {
                values.AddRow(v.DataElement, v.HasValue ? v.Value.ToString(CultureInfo.InvariantCulture) : "-", v.Aggregation);
            }

            AnsiConsole.Write(values);
        }

        if (response.Children.Count > 0)
        {
            var ids = r.Indicators.Select(i => i.IndicatorId).ToList();
            var children = new Table().AddColumn(english ? "unit" : "đơn vị");
            foreach (var id in ids)
            {
                children.AddColumn(id);
            }

            foreach (var child in response.Children)
            {
                var row = new List<string> { Markup.Escape($"{child.Unit.Code} {child.Unit.Name}") };
                row.AddRange(ids.Select(id => child.Indicators.FirstOrDefault(i => i.IndicatorId == id) is { } i ? Format(i) : ""));
                children.AddRow(row.ToArray());
            }

            AnsiConsole.Write(children);
        }
    }

    private static string Format(IndicatorValue i) =>
        !i.HasValue ? "-" : i.HasDenominator ? i.Value.ToString("P1", CultureInfo.InvariantCulture) : i.Value.ToString("0", CultureInfo.InvariantCulture);

    private static string Status(IndicatorStatus status, bool english) => status switch
    {
        IndicatorStatus.Met => english ? "[green]met[/]" : "[green]đạt[/]",
        IndicatorStatus.OnTrack => english ? "[yellow]on track[/]" : "[yellow]đúng tiến độ[/]",
        IndicatorStatus.OffTrack => english ? "[red]off track[/]" : "[red]chưa đạt[/]",
        IndicatorStatus.NoTarget => english ? "no target" : "không có mục tiêu",
        _ => english ? "no data" : "chưa có số liệu",
    };
}
