using System.Text.Encodings.Web;
using System.Text.Json;
using Aggregation.Protos.V1;
using Spectre.Console;

namespace Aggregation.Cli;

/// <summary>Renders a rollup as the tables a monitoring officer reads, or as CSV/JSON for programs.</summary>
internal static class RollupTables
{
    public static void Write(GetRollupResponse response, OutputFormat format, bool showValues, bool restated)
    {
        var r = response.Rollup;
        var units = new[] { r }.Concat(response.Children).ToList();
        var indicators = Indicators(units);
        switch (format)
        {
            case OutputFormat.Csv:
                // One row per unit and indicator: the unit first, then each child with --children.
                indicators.WriteCsv(Console.Out);
                return;
            case OutputFormat.Json:
                WriteJson(response, indicators);
                return;
        }

        var console = Ui.Out;
        console.MarkupLineInterpolated($"[bold]{r.Unit.Name}[/] ({r.Unit.Code}, {Ui.Level(r.Unit.Level)}) · {r.ProgrammeId} · {Ui.T("kỳ", "period")} {r.Period}");

        // The server explains its method in English; a Vietnamese run says which view it read in Vietnamese.
        var method = Ui.English
            ? r.Method
            : restated
                ? "Trình bày lại theo cơ cấu hiện nay của đơn vị: cộng cả số liệu của các đơn vị đã sáp nhập vào."
                : "Như đã diễn ra: mỗi báo cáo theo cơ cấu hành chính có hiệu lực trong kỳ của nó.";
        if (method.Length > 0)
        {
            console.MarkupLineInterpolated($"[grey]{method}[/]");
        }

        var own = new Listing(
            new ListColumn("indicator", "chỉ tiêu", "indicator"),
            new ListColumn("name", "tên", "name") { Wrap = true },
            new ListColumn("value", "đạt", "value"),
            new ListColumn("fraction", "tử/mẫu", "num/den"),
            new ListColumn("target", "mục tiêu", "target"),
            new ListColumn("status", "trạng thái", "status"));
        foreach (var i in r.Indicators)
        {
            own.Add(
                i.IndicatorId,
                Ui.English ? i.NameEn : i.NameVi,
                Value(i),
                i.HasDenominator ? $"{Ui.Number(i.Numerator)}/{Ui.Number(i.Denominator)}" : i.HasNumerator ? Ui.Number(i.Numerator) : "-",
                i.HasTarget ? ListCell.Ratio(i.Target, 0) : new ListCell("-", null),
                Status(i.Status));
        }

        own.WriteTable(console);
        if (r.Completeness.Count > 0)
        {
            Completeness(r).WriteTable(console);
        }

        if (showValues)
        {
            Values(r).WriteTable(console);
        }

        if (response.Children.Count > 0)
        {
            var ids = r.Indicators.Select(i => i.IndicatorId).ToList();
            var children = new Listing([new ListColumn("unit", "đơn vị", "unit") { Wrap = true }, .. ids.Select(id => new ListColumn(id, id, id))]);
            foreach (var child in response.Children)
            {
                children.Add([$"{child.Unit.Code} {child.Unit.Name}", .. ids.Select(id => child.Indicators.FirstOrDefault(i => i.IndicatorId == id) is { } i ? Value(i) : new ListCell("", null))]);
            }

            children.WriteTable(console);
        }
    }

    private static Listing Indicators(IEnumerable<UnitRollup> units)
    {
        var listing = new Listing(
            new ListColumn("unit_code", "mã đơn vị", "unit code"),
            new ListColumn("unit_name", "đơn vị", "unit") { Wrap = true },
            new ListColumn("period", "kỳ", "period"),
            new ListColumn("indicator", "chỉ tiêu", "indicator"),
            new ListColumn("name", "tên", "name") { Wrap = true },
            new ListColumn("value", "đạt", "value"),
            new ListColumn("numerator", "tử số", "numerator"),
            new ListColumn("denominator", "mẫu số", "denominator"),
            new ListColumn("target", "mục tiêu", "target"),
            new ListColumn("status", "trạng thái", "status"));
        foreach (var u in units)
        {
            foreach (var i in u.Indicators)
            {
                listing.Add(
                    u.Unit.Code,
                    u.Unit.Name,
                    u.Period,
                    i.IndicatorId,
                    Ui.English ? i.NameEn : i.NameVi,
                    Value(i),
                    ListCell.Of(i.HasNumerator ? i.Numerator : null),
                    ListCell.Of(i.HasDenominator ? i.Denominator : null),
                    i.HasTarget ? ListCell.Ratio(i.Target, 0) : new ListCell("-", null),
                    Status(i.Status));
            }
        }

        return listing;
    }

    private static Listing Completeness(UnitRollup r)
    {
        var completeness = new Listing(
            new ListColumn("data_set", "báo cáo", "data set") { Wrap = true },
            new ListColumn("reported", "đã báo cáo", "reported"),
            new ListColumn("on_time", "đúng hạn", "on time"),
            new ListColumn("expected", "phải báo cáo", "expected"));
        foreach (var c in r.Completeness)
        {
            completeness.Add(new ListCell(Ui.English ? c.NameEn : c.NameVi, c.DataSet), ListCell.Of(c.Reported), ListCell.Of(c.OnTime), ListCell.Of(c.Expected));
        }

        return completeness;
    }

    private static Listing Values(UnitRollup r)
    {
        var values = new Listing(
            new ListColumn("data_element", "mã chỉ số", "data element"),
            new ListColumn("value", "giá trị", "value"),
            new ListColumn("aggregation", "cách cộng", "aggregation"));
        foreach (var v in r.Values)
        {
            values.Add(v.DataElement, ListCell.Of(v.HasValue ? v.Value : null), v.Aggregation);
        }

        return values;
    }

    private static void WriteJson(GetRollupResponse response, Listing indicators)
    {
        var r = response.Rollup;
        using var stream = new MemoryStream();
        using (var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            json.WriteStartObject();
            json.WriteString("unit_code", r.Unit.Code);
            json.WriteString("unit_name", r.Unit.Name);
            json.WriteString("level", r.Unit.Level);
            json.WriteString("programme", r.ProgrammeId);
            json.WriteString("period", r.Period);
            json.WriteString("read_at", Ui.IsoTime(r.ReadAt));
            json.WriteString("method", r.Method);
            json.WritePropertyName("indicators");
            indicators.WriteJson(json);
            json.WritePropertyName("completeness");
            Completeness(r).WriteJson(json);
            json.WritePropertyName("values");
            Values(r).WriteJson(json);
            json.WriteEndObject();
        }

        Console.Out.WriteLine(System.Text.Encoding.UTF8.GetString(stream.ToArray()));
    }

    private static ListCell Value(IndicatorValue i) =>
        !i.HasValue ? new ListCell("-", null) : i.HasDenominator ? ListCell.Ratio(i.Value) : new ListCell(Ui.Number((long)Math.Round(i.Value)), i.Value);

    private static ListCell Status(IndicatorStatus status) => status switch
    {
        IndicatorStatus.Met => new ListCell(Ui.T("đạt", "met"), "met", "green"),
        IndicatorStatus.OnTrack => new ListCell(Ui.T("đúng tiến độ", "on track"), "on_track", "yellow"),
        IndicatorStatus.OffTrack => new ListCell(Ui.T("chưa đạt", "off track"), "off_track", "red"),
        IndicatorStatus.NoTarget => new ListCell(Ui.T("không có mục tiêu", "no target"), "no_target"),
        IndicatorStatus.DataToCheck => new ListCell(Ui.T("số liệu cần kiểm tra (trên 100 %)", "data to check (above 100 %)"), "data_to_check", "magenta"),
        _ => new ListCell(Ui.T("chưa có số liệu", "no data"), "no_data"),
    };
}
