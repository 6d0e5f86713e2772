using System.CommandLine;
using Aggregation.Protos.V1;
using Spectre.Console;

namespace Aggregation.Cli;

/// <summary><c>aggregation deliveries</c> (and <c>resend</c>, <c>produce</c>): reports to the ministry and their delivery, for tenant admins.</summary>
internal static class DeliveriesCommands
{
    public static Command Build()
    {
        var limit = new Option<int>("--limit") { Description = "How many, newest first", DefaultValueFactory = _ => 50 };
        var output = Listing.Option();
        var list = new Command("deliveries", "Reports to the ministry and their delivery state (tenant admins).") { limit, output };
        list.SetAction(CliApp.Guard(async (parse, ct) =>
        {
            using var channel = CliApp.Channel(parse);
            var response = await new Protos.V1.Reporting.ReportingClient(channel).ListDeliveriesAsync(new ListDeliveriesRequest { Limit = parse.GetValue(limit) }, CliApp.Headers(parse), cancellationToken: ct);
            var listing = new Listing(
                new ListColumn("period", "kỳ", "period"),
                new ListColumn("unit_code", "đơn vị", "unit"),
                new ListColumn("revision", "lần sửa", "revision"),
                new ListColumn("payload", "nội dung", "payload"),
                new ListColumn("state", "trạng thái", "state"),
                new ListColumn("attempts", "số lần gửi", "attempts"),
                new ListColumn("next_attempt_at", "lần gửi tới", "next attempt"),
                new ListColumn("sent_at", "đã gửi lúc", "sent"),
                new ListColumn("last_error", "lỗi gần nhất", "last error") { Wrap = true },
                new ListColumn("idempotency_key", "khóa", "key"));
            foreach (var d in response.Deliveries)
            {
                // The CSV and JSON values are the words scripts have read since these were text on the wire.
                var state = d.Status switch
                {
                    DeliveryStatus.Sent => new ListCell(Ui.T("đã gửi", "sent"), "sent", "green"),
                    DeliveryStatus.Failed => new ListCell(Ui.T("thất bại", "failed"), "failed", "red"),
                    DeliveryStatus.Pending => new ListCell(Ui.T("chờ gửi", "pending"), "pending", "yellow"),
                    _ => UnknownValue((int)d.Status),
                };
                var payload = d.PayloadKind switch
                {
                    PayloadKind.Adx => new ListCell("ADX", "adx"),
                    PayloadKind.Dhis2DataValues => new ListCell(Ui.T("số liệu DHIS2", "DHIS2 values"), "dhis2-data-values"),
                    PayloadKind.Dhis2Registrations => new ListCell(Ui.T("báo cáo đủ (DHIS2)", "DHIS2 completeness"), "dhis2-registrations"),
                    _ => UnknownValue((int)d.PayloadKind),
                };
                listing.Add(d.Period, d.UnitCode, ListCell.Of(d.Revision), payload, state, ListCell.Of(d.Attempts), ListCell.Time(d.NextAttemptAt), ListCell.Time(d.SentAt), d.LastError, d.IdempotencyKey);
            }

            var format = parse.GetValue(output);
            listing.Write(format);
            if (format == OutputFormat.Table)
            {
                var circuit = response.Circuit switch
                {
                    CircuitState.Closed => Ui.T("bình thường", "closed (sending)"),
                    CircuitState.Open => Ui.T("tạm ngừng gửi", "open (not sending for now)"),
                    CircuitState.HalfOpen => Ui.T("đang thử lại", "half-open (trying again)"),
                    var other => UnknownValue((int)other).Text,
                };
                Ui.Out.MarkupLineInterpolated($"{Ui.Count(listing.Count, "báo cáo", "report", "reports")}. {Ui.T("Kết nối tới Bộ", "Link to the ministry")}: {circuit}; {Ui.T("đã ngắt", "opened")} {Ui.Count(response.CircuitOpenings, "lần kể từ khi máy chủ khởi động", "time since the server started", "times since the server started")}");
            }

            return 0;
        }));

        var key = new Option<string>("--key") { Description = "Idempotency key of the delivery (see `deliveries`)", Required = true };
        var resend = new Command("resend", "Send a delivered or failed report again, with the same idempotency key.") { key };
        resend.SetAction(CliApp.Guard(async (parse, ct) =>
        {
            using var channel = CliApp.Channel(parse);
            await new Protos.V1.Reporting.ReportingClient(channel).ResendDeliveryAsync(new ResendDeliveryRequest { IdempotencyKey = parse.GetValue(key)! }, CliApp.Headers(parse), cancellationToken: ct);
            Ui.Out.MarkupLine(Markup.Escape(Ui.T("Đã xếp lịch gửi lại.", "Queued to be sent again.")));
            return 0;
        }));

        var produce = new Command("produce", "Produce every due 6-monthly and annual report now (unchanged ones are not produced again).");
        produce.SetAction(CliApp.Guard(async (parse, ct) =>
        {
            using var channel = CliApp.Channel(parse);
            var response = await new Protos.V1.Reporting.ReportingClient(channel).ProduceReportsAsync(new ProduceReportsRequest(), CliApp.Headers(parse), cancellationToken: ct);
            Ui.Out.MarkupLine(Markup.Escape(Ui.Count(response.Produced, "báo cáo được lập hoặc sửa", "report produced or revised", "reports produced or revised")));
            foreach (var waiting in response.Waiting)
            {
                Ui.Out.MarkupLine(Markup.Escape(Ui.T(
                    $"Báo cáo {waiting.Period} của {waiting.UnitCode} chờ cấp tỉnh phê duyệt: {waiting.Reason}",
                    $"The {waiting.Period} report of {waiting.UnitCode} waits for province approval: {waiting.Reason}")));
            }

            return 0;
        }));

        list.Subcommands.Add(resend);
        list.Subcommands.Add(produce);
        return list;

        // A value this client does not know (unset, or added by a newer server): its number, so it can be looked up.
        static ListCell UnknownValue(int value) => new(Ui.T($"không rõ ({value})", $"unknown ({value})"), null);
    }
}
