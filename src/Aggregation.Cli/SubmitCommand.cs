using System.CommandLine;
using Aggregation.Protos.V1;
using Aggregation.Spreadsheets;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Spectre.Console;

namespace Aggregation.Cli;

/// <summary><c>aggregation submit</c>: one report for one unit and period, typed on the command line, sent once however often it is retried.</summary>
internal static class SubmitCommand
{
    public static Command Build()
    {
        var unit = new Option<string>("--unit") { Description = "GSO code of the reporting unit", Required = true };
        var period = new Option<string>("--period") { Description = "Period: 2025-03, 2025Q1, 2025S1 or 2025", Required = true };
        var values = new Option<string[]>("--value")
        {
            Description = "element=value; repeat for several. Numbers for counts/stocks, yes/no for flags, comma-separated ids for entities",
            AllowMultipleArgumentsPerToken = false,
        };
        var withdraw = new Option<string[]>("--withdraw") { Description = "Withdraw the value of this element (repeatable)" };
        var key = new Option<string?>("--key")
        {
            Description = "Idempotency key (default: a new one, printed). Run the same command again with the same key after a network error: it sends the same report (same values, same report time), which is counted once",
        };
        var reportedAt = new Option<string?>("--reported-at")
        {
            Description = "The report's time, ISO 8601 (2025-04-02T08:30:00+07:00; without an offset, Vietnam time). Default: now, or, for a --key already used on this computer, that key's first time",
        };
        var numbers = NumberText.CreateOption("How numbers in --value are written: vi (1.000 is one thousand, 1,5 one and a half) or en (1,000 and 1.5)");
        var command = new Command("submit", "Submit a report for one unit and period.") { unit, period, values, withdraw, key, reportedAt, numbers };
        command.SetAction(CliApp.Guard(async (parse, ct) =>
        {
            using var channel = CliApp.Channel(parse);
            var headers = CliApp.Headers(parse);
            var programmeId = parse.GetValue(CliApp.ProgrammeOption)!;
            var programmes = await new Protos.V1.Catalog.CatalogClient(channel).ListProgrammesAsync(new ListProgrammesRequest(), headers, cancellationToken: ct);
            var programme = programmes.Programmes.FirstOrDefault(p => p.Id == programmeId);
            if (programme is null)
            {
                Unknown(Ui.T("chương trình", "programme"), programmeId, programmes.Programmes.Select(p => p.Id));
                return 2;
            }

            var pairs = new List<(string Element, string Text)>();
            foreach (var text in parse.GetValue(values) ?? [])
            {
                var eq = text.IndexOf('=', StringComparison.Ordinal);
                if (eq <= 0)
                {
                    Ui.Error.MarkupLineInterpolated($"[red]--value '{text}'[/] {Ui.T("phải có dạng mã_chỉ_số=giá_trị", "must be element=value")}");
                    return 2;
                }

                pairs.Add((text[..eq], text[(eq + 1)..]));
            }

            var withdrawn = parse.GetValue(withdraw) ?? [];
            var elementIds = programme.DataElements.Select(e => e.Id).ToList();
            var unknown = pairs.Select(p => p.Element).Concat(withdrawn).Where(e => !elementIds.Contains(e)).Distinct(StringComparer.Ordinal).ToList();
            foreach (var element in unknown)
            {
                Unknown(Ui.T("mã chỉ số", "data element"), element, elementIds);
            }

            if (unknown.Count > 0)
            {
                Ui.Error.MarkupLine(Ui.T("Chưa gửi gì. `aggregation programmes` liệt kê các mã chỉ số.", "Nothing was sent. `aggregation programmes` lists the data elements."));
                return 2;
            }

            var format = NumberText.FormatOf(parse.GetValue(numbers));
            var typedValues = new List<DataValue>();
            foreach (var (element, text) in pairs)
            {
                if (!TryParseValue(element, text, programme, format, out var value, out var problem))
                {
                    Ui.Error.MarkupLineInterpolated($"[red]--value {element}={text}[/]: {problem}");
                    Ui.Error.MarkupLine(Ui.T("Chưa gửi gì.", "Nothing was sent."));
                    return 2;
                }

                typedValues.Add(value);
            }

            var idempotencyKey = parse.GetValue(key) ?? Guid.NewGuid().ToString("N");
            DateTimeOffset? explicitTime = null;
            if (parse.GetValue(reportedAt) is { } typedTime)
            {
                if (!SubmittedKeys.TryParseTime(typedTime, out var parsed))
                {
                    Ui.Error.MarkupLineInterpolated($"[red]--reported-at '{typedTime}'[/] {Ui.T("không phải thời điểm ISO 8601, ví dụ 2025-04-02T08:30:00+07:00.", "is not an ISO 8601 time such as 2025-04-02T08:30:00+07:00.")}");
                    return 2;
                }

                explicitTime = parsed;
            }

            // Remembered before sending: a retry after a lost answer must send the same report.
            var time = SubmittedKeys.ReportTime(Ui.ServerAddress, idempotencyKey, explicitTime, DateTimeOffset.UtcNow);
            var report = new Report
            {
                IdempotencyKey = idempotencyKey,
                UnitCode = parse.GetValue(unit)!,
                ProgrammeId = programmeId,
                Period = parse.GetValue(period)!,
                ReportedAt = Timestamp.FromDateTimeOffset(time),
                SourceSystem = "aggregation-cli",
            };
            report.Values.AddRange(typedValues);
            report.Values.AddRange(withdrawn.Select(e => new DataValue { DataElement = e, Withdrawn = new Withdrawal() }));

            SubmitReportResponse response;
            try
            {
                response = await new Ingestion.IngestionClient(channel).SubmitReportAsync(new SubmitReportRequest { Report = report }, headers, cancellationToken: ct);
            }
            catch (RpcException ex) when (ex.StatusCode is StatusCode.Unavailable or StatusCode.DeadlineExceeded or StatusCode.Cancelled or StatusCode.Internal or StatusCode.ResourceExhausted)
            {
                CliApp.Report(ex);
                Ui.Error.MarkupLineInterpolated($"{Ui.T("Không rõ báo cáo đã được ghi nhận hay chưa. Để gửi lại an toàn (chỉ được tính một lần), chạy lại đúng lệnh này với", "The report may or may not have been recorded. To retry safely (it is counted once), run the same command again with")} [bold]--key {idempotencyKey}[/]");
                return 1;
            }

            var r = response.Result;
            var what = $"{report.UnitCode} {report.Period}, {Ui.T("khóa", "key")} {r.IdempotencyKey}, {Ui.T("thời điểm báo cáo", "reported at")} {Ui.Time(time)}";
            switch (r.Outcome)
            {
                case ReportOutcome.Accepted:
                    Ui.Out.MarkupLineInterpolated($"[green]{Ui.T("Đã nhận", "Accepted")}[/]: {what}");
                    break;
                case ReportOutcome.Duplicate:
                    Ui.Out.MarkupLineInterpolated($"[green]{Ui.T("Trùng lặp", "Duplicate")}[/]: {Ui.T("báo cáo này đã được nhận trước đó và chỉ được tính một lần", "this report was already received and is counted once")} ({what})");
                    break;
                default:
                    Ui.Error.MarkupLineInterpolated($"[red]{Ui.T("Bị từ chối", "Rejected")}[/]: {what}");
                    foreach (var v in r.Violations)
                    {
                        Ui.Error.MarkupLineInterpolated($"  [yellow]{v.Field}[/]: {v.Description}");
                    }

                    return 1;
            }

            foreach (var s in r.SupersededElements)
            {
                Ui.Out.MarkupLineInterpolated($"[yellow]{s}[/]: {Ui.T("không thay đổi, vì một báo cáo muộn hơn đã đặt giá trị này", "unchanged: a later report already set it")}");
            }

            if (parse.GetValue(key) is null)
            {
                Ui.Error.MarkupLineInterpolated($"[grey]{Ui.T("Nếu cần gửi lại đúng báo cáo này (chỉ được tính một lần):", "To send this very report again (it is counted once):")} --key {idempotencyKey}[/]");
            }

            return 0;
        }));
        return command;
    }

    /// <summary>"Unknown data element 'awarness_activities'. Did you mean awareness_activities?"</summary>
    private static void Unknown(string what, string typed, IEnumerable<string> known)
    {
        var ids = known.ToList();
        var closest = Ui.Closest(typed, ids);
        var hint = closest is not null
            ? Ui.T($" Có phải ý bạn là [bold]{Markup.Escape(closest)}[/]?", $" Did you mean [bold]{Markup.Escape(closest)}[/]?")
            : ids.Count <= 12 ? Ui.T(" Các mã có: ", " Known: ") + Markup.Escape(string.Join(", ", ids)) : "";
        Ui.Error.MarkupLine($"[red]{Markup.Escape(Ui.T($"Không có {what} '{typed}'.", $"Unknown {what} '{typed}'."))}[/]{hint}");
    }

    /// <summary>An element's value as the officer typed it: numbers by the declared notation (the same reading as a spreadsheet's), yes/no for flags.</summary>
    private static bool TryParseValue(string element, string text, Protos.V1.Programme? programme, NumberFormat format, out DataValue value, out string problem)
    {
        var type = programme?.DataElements.FirstOrDefault(e => e.Id == element)?.Type;
        value = new DataValue { DataElement = element };
        problem = "";
        switch (type)
        {
            case "flag":
                switch (text.Trim().Normalize(System.Text.NormalizationForm.FormC).ToLowerInvariant())
                {
                    case "yes" or "true" or "1" or "có": value.Flag = true; break;
                    case "no" or "false" or "0" or "không": value.Flag = false; break;
                    default: problem = Ui.T($"'{text}' không phải có/không: hãy viết có hoặc không (yes/no)", $"'{text}' is not yes/no: write yes or no (có/không)"); return false;
                }

                break;
            case "entities":
                value.Entities = new EntityIds();
                value.Entities.Ids.AddRange(text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
                break;
            case null:
                // An element the programme does not have: sent for the server to name it (a number read as written).
                value.Number = NumberText.TryParse(text, format, out var any, out _) ? (double)any : double.NaN;
                break;
            default:
                // Counts and stocks are whole numbers; the server explains any other rule (negative numbers).
                if (!NumberText.TryParseWhole(text, format, out var number, out problem))
                {
                    return false;
                }

                value.Number = (double)number;
                break;
        }

        return true;
    }
}
