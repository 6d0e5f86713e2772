using System.CommandLine;
using System.Globalization;
using Aggregation.Protos.V1;
using Spectre.Console;

namespace Aggregation.Cli;

/// <summary><c>aggregation review</c>: what needs a look before approving the figures of a unit and the units below it.</summary>
internal static class ReviewCommand
{
    public static Command Build()
    {
        var unit = new Option<string>("--unit") { Description = "GSO code of the area to review (a province or a unit below it)", Required = true };
        var period = new Option<string>("--period") { Description = "2025-03, 2025Q1, 2025S1, 2025 or 2021-2025", Required = true };
        var dataSet = new Option<string?>("--data-set") { Description = "Only findings about this data set (default: all)" };
        var output = Listing.Option();
        var command = new Command("review", "List what needs a look before approving: broken rules, values far from a unit's history, missing and late reports, units holding back a target.") { unit, period, dataSet, output };
        command.SetAction(CliApp.Guard(async (parse, ct) =>
        {
            using var channel = CliApp.Channel(parse);
            var response = await new Protos.V1.Review.ReviewClient(channel).ListFindingsAsync(
                new ListFindingsRequest
                {
                    ProgrammeId = parse.GetValue(CliApp.ProgrammeOption)!,
                    UnitCode = parse.GetValue(unit)!,
                    Period = parse.GetValue(period)!,
                    DataSet = parse.GetValue(dataSet) ?? "",
                },
                CliApp.Headers(parse),
                cancellationToken: ct);
            var format = parse.GetValue(output);
            Rows(response).Write(format);
            if (format == OutputFormat.Table)
            {
                Ui.Out.MarkupLine(Markup.Escape(response.Findings.Count == 0
                    ? Ui.T("Không có gì cần xem lại.", "Nothing needs a look.")
                    : Ui.Count(response.Findings.Count, "điểm cần xem lại", "finding", "findings")));
            }

            return 0;
        }));
        return command;
    }

    /// <summary>One row per finding; the message in the run's language, the history as "period=value;…" for programs.</summary>
    internal static Listing Rows(ListFindingsResponse response)
    {
        var listing = new Listing(
            new ListColumn("unit_code", "mã", "code"),
            new ListColumn("unit_name", "đơn vị", "unit") { Wrap = true },
            new ListColumn("kind", "loại", "kind"),
            new ListColumn("data_set", "bộ dữ liệu", "data set"),
            new ListColumn("subject", "chỉ tiêu / trường", "indicator / element"),
            new ListColumn("period", "kỳ", "period"),
            new ListColumn("value", "giá trị", "value"),
            new ListColumn("history", "lịch sử", "history") { Wrap = true },
            new ListColumn("message", "nội dung", "message") { Wrap = true });
        foreach (var f in response.Findings)
        {
            var subject = f.IndicatorId.Length > 0 ? f.IndicatorId : f.DataElement;
            var value = f.HasValue ? new ListCell(Number(f.Value), f.Value) : new ListCell("", null);
            var history = string.Join(";", f.History.Select(h => $"{h.Period}={h.Value.ToString(CultureInfo.InvariantCulture)}"));
            listing.Add(
                f.UnitCode,
                f.UnitName,
                new ListCell(Kind(f.Kind), KindId(f.Kind), f.Kind is FindingKind.RuleViolation or FindingKind.Outlier ? "red" : "yellow"),
                f.DataSet,
                subject,
                f.Period,
                value,
                new ListCell(string.Join(", ", f.History.Select(h => Number(h.Value))), history),
                Ui.T(f.MessageVi, f.MessageEn));
        }

        return listing;
    }

    /// <summary>A figure in the run's language: 1.000 and 4,7 in Vietnamese, 1,000 and 4.7 in English.</summary>
    private static string Number(double value) =>
        value.ToString("#,##0.##", Ui.English ? CultureInfo.GetCultureInfo("en-US") : CultureInfo.GetCultureInfo("vi-VN"));

    private static string Kind(FindingKind kind) => kind switch
    {
        FindingKind.RuleViolation => Ui.T("sai quy tắc", "rule broken"),
        FindingKind.Outlier => Ui.T("khác thường", "outlier"),
        FindingKind.MissingReport => Ui.T("chưa báo cáo", "missing report"),
        FindingKind.LateReport => Ui.T("báo cáo muộn", "late report"),
        FindingKind.TargetHeldBack => Ui.T("kéo chỉ tiêu", "holds back target"),
        _ => kind.ToString(),
    };

    /// <summary>The kind as the contract names it (RULE_VIOLATION), for CSV and JSON.</summary>
    private static string KindId(FindingKind kind) => kind switch
    {
        FindingKind.RuleViolation => "RULE_VIOLATION",
        FindingKind.Outlier => "OUTLIER",
        FindingKind.MissingReport => "MISSING_REPORT",
        FindingKind.LateReport => "LATE_REPORT",
        FindingKind.TargetHeldBack => "TARGET_HELD_BACK",
        _ => "UNSPECIFIED",
    };
}
