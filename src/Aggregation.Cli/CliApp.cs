using System.CommandLine;
using System.Globalization;
using Aggregation.Protos.V1;
using Google.Protobuf.WellKnownTypes;
using Google.Rpc;
using Grpc.Core;
using Grpc.Net.Client;
using Spectre.Console;

namespace Aggregation.Cli;

/// <summary>The <c>aggregation</c> command: submit reports, read rollups, browse the hierarchy.</summary>
public static class CliApp
{
    public const string DefaultProgramme = "prostitution-prevention-2021-2025";

    private const string DefaultServer = "http://127.0.0.1:5080";

    private static readonly Option<string> Server = new("--server")
    {
        Description = $"gRPC address of the server (default: $AGGREGATION_SERVER, else {DefaultServer})",
        Recursive = true,
    };

    private static readonly Option<string?> TenantOption = new("--tenant")
    {
        Description = "Tenant id (default: the server's default tenant)",
        Recursive = true,
    };

    // No default value: help prints defaults, and this one would be the caller's secret.
    private static readonly Option<string?> TokenOption = new("--token")
    {
        Description = "Access token (default: $AGGREGATION_TOKEN); get one with `aggregation token`",
        Recursive = true,
    };

    internal static readonly Option<bool> EnglishOption = new("--en", "--english")
    {
        Description = "English labels and messages (default: Vietnamese)",
        Recursive = true,
    };

    private static readonly Option<string?> AsOfOption = new("--as-of")
    {
        Description = "Date (yyyy-MM-dd) at which --unit's code is read: codes were reused by the 2025-07 hierarchy (default: the unit in force at the period's end)",
    };

    private static readonly Option<bool> RestatedOption = new("--restated")
    {
        Description = "Re-express history in the unit's structure: add the data of every unit merged into it (default: as it happened)",
    };

    private static readonly Option<string> ProgrammeOption = new("--programme")
    {
        Description = "Programme id",
        DefaultValueFactory = _ => DefaultProgramme,
        Recursive = true,
    };

    public static RootCommand Build()
    {
        var root = new RootCommand("Aggregation client: submit indicator reports and read rollups. The server is --server or $AGGREGATION_SERVER (default " + DefaultServer + "); the token --token or $AGGREGATION_TOKEN.");
        root.Options.Add(Server);
        root.Options.Add(TenantOption);
        root.Options.Add(TokenOption);
        root.Options.Add(ProgrammeOption);
        root.Options.Add(EnglishOption);
        root.Subcommands.Add(SubmitCommand());
        root.Subcommands.Add(RollupCommand());
        root.Subcommands.Add(WatchCommand());
        root.Subcommands.Add(UnitsCommand());
        root.Subcommands.Add(ProgrammesCommand());
        root.Subcommands.Add(ExportCommand());
        root.Subcommands.Add(ReportCommand());
        root.Subcommands.Add(DeliveriesCommand());
        root.Subcommands.Add(Import.ImportCommands.Build(Connect, ProgrammeOption, Report));
        root.Subcommands.Add(TokenCommands.Build(TenantOption, Connect, Report));
        return root;
    }

    private static Command SubmitCommand()
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
        command.SetAction(Guard(async (parse, ct) =>
        {
            using var channel = Channel(parse);
            var headers = Headers(parse);
            var programmeId = parse.GetValue(ProgrammeOption)!;
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

            NumberText.TryParseFormat(parse.GetValue(numbers), out var format);
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
                Report(ex);
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

    private static Command RollupCommand()
    {
        var unit = new Option<string>("--unit") { Description = "GSO code (VN for the nation)", Required = true };
        var period = new Option<string>("--period") { Description = "2025-03, 2025Q1, 2025S1, 2025 or 2021-2025", Required = true };
        var children = new Option<bool>("--children") { Description = "Also show each child unit's indicators" };
        var values = new Option<bool>("--values") { Description = "Also show every data element's aggregated value" };
        var output = Listing.Option();
        var command = new Command("rollup", "Show a unit's indicators, status and completeness for a period.") { unit, period, children, values, AsOfOption, RestatedOption, output };
        command.SetAction(Guard(async (parse, ct) =>
        {
            using var channel = Channel(parse);
            var restated = parse.GetValue(RestatedOption);
            var response = await new Rollups.RollupsClient(channel).GetRollupAsync(
                new GetRollupRequest
                {
                    UnitCode = parse.GetValue(unit)!,
                    ProgrammeId = parse.GetValue(ProgrammeOption)!,
                    Period = parse.GetValue(period)!,
                    IncludeChildren = parse.GetValue(children),
                    AsOf = parse.GetValue(AsOfOption) ?? "",
                    View = restated ? HistoryView.Restated : HistoryView.AsHappened,
                },
                Headers(parse),
                cancellationToken: ct);
            RollupTables.Write(response, parse.GetValue(output), parse.GetValue(values), restated);
            return 0;
        }));
        return command;
    }

    private static Command WatchCommand()
    {
        var unit = new Option<string>("--unit") { Description = "GSO code (VN for the nation)", Required = true };
        var periods = new Option<string[]>("--period") { Description = "Period(s) to watch (repeatable)", Required = true };
        var children = new Option<bool>("--children") { Description = "Also watch the unit's direct children" };
        var resume = new Option<long>("--resume") { Description = "Resume point printed when a previous watch stopped: no snapshot if nothing changed since" };
        var command = new Command("watch", "Follow a unit's figures live until Ctrl+C.") { unit, periods, children, resume };
        command.SetAction(Guard(async (parse, ct) =>
        {
            using var channel = Channel(parse);
            using var call = new Subscriptions.SubscriptionsClient(channel).Subscribe(
                new SubscribeRequest
                {
                    UnitCode = parse.GetValue(unit)!,
                    ProgrammeId = parse.GetValue(ProgrammeOption)!,
                    Periods = { parse.GetValue(periods)! },
                    IncludeChildren = parse.GetValue(children),
                    ResumeFromVersion = parse.GetValue(resume),
                },
                Headers(parse),
                cancellationToken: ct);
            long last = 0;
            try
            {
                await foreach (var message in call.ResponseStream.ReadAllAsync(ct))
                {
                    var time = Ui.Time(DateTimeOffset.UtcNow);
                    switch (message.ContentCase)
                    {
                        case SubscribeResponse.ContentOneofCase.Confirmation:
                            last = message.Confirmation.Version;
                            Ui.Out.MarkupLineInterpolated($"{time} [bold]{Ui.T("đang theo dõi", "watching")}[/]{(message.Confirmation.Resumed ? Ui.T(" (tiếp tục, không bỏ lỡ gì)", " (resumed, nothing missed)") : "")}");
                            break;
                        case SubscribeResponse.ContentOneofCase.Heartbeat:
                            last = message.Heartbeat.Version;
                            Ui.Out.MarkupLineInterpolated($"{time} [grey]{Ui.T("vẫn kết nối, không có thay đổi", "still connected, no change")}[/]");
                            break;
                        default:
                            var (kind, version, rollups) = message.Snapshot is { } s ? (Ui.T("số liệu hiện tại", "current figures"), s.Version, s.Rollups) : (Ui.T("cập nhật", "update"), message.Update.Version, message.Update.Rollups);
                            last = version;
                            Ui.Out.MarkupLineInterpolated($"{time} [bold]{kind}[/]");
                            foreach (var r in rollups)
                            {
                                var figures = string.Join("  ", r.Indicators.Where(i => i.HasValue).Select(i => $"{i.IndicatorId}={(i.HasDenominator ? Ui.Percent(i.Value) : Ui.Number((long)Math.Round(i.Value)))}"));
                                Ui.Out.MarkupLineInterpolated($"  {r.Unit.Code} {r.Unit.Name} {r.Period}: {figures}");
                            }

                            break;
                    }
                }
            }
            catch (RpcException ex) when (ex.StatusCode == StatusCode.Cancelled && ct.IsCancellationRequested)
            {
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
            }

            if (last > 0)
            {
                Ui.Error.MarkupLineInterpolated($"[grey]{Ui.T("Để tiếp tục từ đây:", "To resume from here:")} --resume {last}[/]");
            }

            return 0;
        }));
        return command;
    }

    private static Command UnitsCommand()
    {
        var parent = new Option<string?>("--parent") { Description = "Show this unit and its children (default: the tenant's provinces)" };
        var level = new Option<string?>("--level") { Description = "List every unit of a level (province, district, commune)" };
        var asOf = new Option<string?>("--as-of") { Description = "The hierarchy in force on this date (yyyy-MM-dd; default today)" };
        var output = Listing.Option();
        var command = new Command("units", "Browse the administrative hierarchy.") { parent, level, asOf, output };
        command.SetAction(Guard(async (parse, ct) =>
        {
            using var channel = Channel(parse);
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
                    var page = await client.ListUnitsAsync(new ListUnitsRequest { Level = l, AncestorCode = parse.GetValue(parent) ?? "", PageSize = 1000, PageToken = token, AsOf = parse.GetValue(asOf) ?? "" }, Headers(parse), cancellationToken: ct);
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
                var response = await client.GetUnitAsync(new GetUnitRequest { Code = parse.GetValue(parent) ?? "", AsOf = parse.GetValue(asOf) ?? "" }, Headers(parse), cancellationToken: ct);
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

    private static Command ExportCommand()
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
        var command = new Command("export", "Export what the receiver holds as ADX XML or DHIS2 JSON, in its codes: each data set in its collection period (months for monthly data sets), at the level the receiver profile names.") { unit, period, subtree, format, level, output, AsOfOption, RestatedOption };
        command.SetAction(Guard(async (parse, ct) =>
        {
            using var channel = Channel(parse);
            ExportResponse response;
            try
            {
                response = await new Exports.ExportsClient(channel).ExportAsync(
                    new ExportRequest
                    {
                        UnitCode = parse.GetValue(unit)!,
                        ProgrammeId = parse.GetValue(ProgrammeOption)!,
                        Period = parse.GetValue(period)!,
                        IncludeSubtree = parse.GetValue(subtree),
                        Format = parse.GetValue(format) switch
                        {
                            "dhis2" => ExportFormat.Dhis2Json,
                            "dhis2-completeness" => ExportFormat.Dhis2CompletenessJson,
                            _ => ExportFormat.Adx,
                        },
                        OrgUnitLevel = parse.GetValue(level) ?? "",
                        AsOf = parse.GetValue(AsOfOption) ?? "",
                        View = parse.GetValue(RestatedOption) ? HistoryView.Restated : HistoryView.AsHappened,
                    },
                    Headers(parse),
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

    private static Command ReportCommand()
    {
        var unit = new Option<string>("--unit") { Description = "GSO code of the unit (its districts, or its communes after 30 June 2025, get a row each)", Required = true };
        var period = new Option<string>("--period") { Description = "2025S1, 2025S2, 2025 or 2021-2025", Required = true };
        var format = new Option<string?>("--format") { Description = "docx (the document to sign, the default) or xlsx (the figures as a workbook); taken from --output's extension when that is .docx or .xlsx" };
        format.AcceptOnlyFromAmong("docx", "xlsx");
        var output = new Option<string?>("--output", "-o") { Description = "File to write, .docx or .xlsx (default: the suggested name in this folder)" };
        var command = new Command("report", "Write the 6-monthly or annual report in Vietnamese: a .docx laid out as an administrative document, ready to sign (A4 landscape), or its figures as an .xlsx.") { unit, period, format, output, AsOfOption };
        command.SetAction(Guard(async (parse, ct) =>
        {
            var path = parse.GetValue(output);
            var extension = Path.GetExtension(path ?? "").ToLowerInvariant();
            var named = extension is ".docx" or ".xlsx" ? extension[1..] : null;
            var asked = parse.GetValue(format);
            if (path is not null && named is null && asked is null)
            {
                AnsiConsole.MarkupLineInterpolated($"[red]--output '{path}' should end in .docx (the document to sign) or .xlsx (the figures), or give --format docx|xlsx[/]");
                return 2;
            }

            if (named is not null && asked is not null && named != asked)
            {
                AnsiConsole.MarkupLineInterpolated($"[red]--format {asked} does not match --output '{path}'; give a file name ending in .{asked}[/]");
                return 2;
            }

            using var channel = Channel(parse);
            var response = await new Exports.ExportsClient(channel).ExportWorkbookAsync(
                new ExportWorkbookRequest
                {
                    UnitCode = parse.GetValue(unit)!,
                    ProgrammeId = parse.GetValue(ProgrammeOption)!,
                    Period = parse.GetValue(period)!,
                    AsOf = parse.GetValue(AsOfOption) ?? "",
                    Format = (asked ?? named) == "xlsx" ? ReportFormat.Xlsx : ReportFormat.Docx,
                },
                Headers(parse),
                cancellationToken: ct);
            path ??= response.FileName;
            await File.WriteAllBytesAsync(path, response.Content.ToByteArray(), ct);
            Ui.Out.MarkupLineInterpolated($"{Ui.Count(response.Values, "chỉ tiêu", "target", "targets")}, {Ui.Count(response.Groups, "đơn vị", "unit", "units")} → [green]{path}[/]");
            return 0;
        }));
        return command;
    }

    private static Command DeliveriesCommand()
    {
        var limit = new Option<int>("--limit") { Description = "How many, newest first", DefaultValueFactory = _ => 50 };
        var output = Listing.Option();
        var list = new Command("deliveries", "Reports to the ministry and their delivery state (tenant admins).") { limit, output };
        list.SetAction(Guard(async (parse, ct) =>
        {
            using var channel = Channel(parse);
            var response = await new Protos.V1.Reporting.ReportingClient(channel).ListDeliveriesAsync(new ListDeliveriesRequest { Limit = parse.GetValue(limit) }, Headers(parse), cancellationToken: ct);
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
        resend.SetAction(Guard(async (parse, ct) =>
        {
            using var channel = Channel(parse);
            await new Protos.V1.Reporting.ReportingClient(channel).ResendDeliveryAsync(new ResendDeliveryRequest { IdempotencyKey = parse.GetValue(key)! }, Headers(parse), cancellationToken: ct);
            Ui.Out.MarkupLine(Markup.Escape(Ui.T("Đã xếp lịch gửi lại.", "Queued to be sent again.")));
            return 0;
        }));

        var produce = new Command("produce", "Produce every due 6-monthly and annual report now (unchanged ones are not produced again).");
        produce.SetAction(Guard(async (parse, ct) =>
        {
            using var channel = Channel(parse);
            var response = await new Protos.V1.Reporting.ReportingClient(channel).ProduceReportsAsync(new ProduceReportsRequest(), Headers(parse), cancellationToken: ct);
            Ui.Out.MarkupLine(Markup.Escape(Ui.Count(response.Produced, "báo cáo được lập hoặc sửa", "report produced or revised", "reports produced or revised")));
            return 0;
        }));

        list.Subcommands.Add(resend);
        list.Subcommands.Add(produce);
        return list;

        // A value this client does not know (unset, or added by a newer server): its number, so it can be looked up.
        static ListCell UnknownValue(int value) => new(Ui.T($"không rõ ({value})", $"unknown ({value})"), null);
    }

    private static Command ProgrammesCommand()
    {
        var output = Listing.Option();
        var command = new Command("programmes", "List the tenant's programmes, data sets and indicators (csv: one row per indicator; json: everything).") { output };
        command.SetAction(Guard(async (parse, ct) =>
        {
            using var channel = Channel(parse);
            var response = await new Protos.V1.Catalog.CatalogClient(channel).ListProgrammesAsync(new ListProgrammesRequest(), Headers(parse), cancellationToken: ct);
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

    /// <summary>The channel and call headers, for commands defined elsewhere (import, token); sets the run's language first.</summary>
    private static (GrpcChannel Channel, Metadata Headers) Connect(ParseResult parse)
    {
        Ui.Configure(parse, EnglishOption);
        return (Channel(parse), Headers(parse));
    }

    private static GrpcChannel Channel(ParseResult parse)
    {
        var address = parse.GetValue(Server) is { Length: > 0 } given ? given
            : Environment.GetEnvironmentVariable("AGGREGATION_SERVER") is { Length: > 0 } configured ? configured
            : DefaultServer;
        Ui.ServerAddress = address;
        try
        {
            return GrpcChannel.ForAddress(address);
        }
        catch (Exception ex) when (ex is UriFormatException or ArgumentException)
        {
            throw new CliUsageException(Ui.T(
                $"'{address}' không phải địa chỉ máy chủ: viết dạng http://máy:cổng (--server hoặc AGGREGATION_SERVER).",
                $"'{address}' is not a server address: write it as http://host:port (--server or AGGREGATION_SERVER)."));
        }
    }

    private static Metadata Headers(ParseResult parse)
    {
        var headers = new Metadata();
        if (parse.GetValue(TenantOption) is { Length: > 0 } tenant)
        {
            headers.Add("x-tenant-id", tenant);
        }

        var token = parse.GetValue(TokenOption) is { Length: > 0 } given ? given : Environment.GetEnvironmentVariable("AGGREGATION_TOKEN");
        SentToken = token is { Length: > 0 };
        if (SentToken)
        {
            headers.Add("authorization", "Bearer " + token);
        }

        return headers;
    }

    /// <summary>Whether this run sends a token: without one, an authentication failure is explained as "no token".</summary>
    private static bool SentToken { get; set; }

    /// <summary>Sets the run's language, and turns gRPC errors and bad addresses into one readable message and exit code 1.</summary>
    private static Func<ParseResult, CancellationToken, Task<int>> Guard(Func<ParseResult, CancellationToken, Task<int>> action) =>
        async (parse, ct) =>
        {
            Ui.Configure(parse, EnglishOption);
            try
            {
                return await action(parse, ct);
            }
            catch (RpcException ex)
            {
                return Report(ex);
            }
            catch (CliUsageException ex)
            {
                Ui.Error.MarkupLine($"[red]{Markup.Escape(ex.Message)}[/]");
                return 2;
            }
        };

    /// <summary>Prints a gRPC error once: what went wrong, then each offending field.</summary>
    public static int Report(RpcException ex)
    {
        ArgumentNullException.ThrowIfNull(ex);
        Ui.Error.MarkupLine(ErrorMessages.Describe(ex, SentToken));
        return 1;
    }
}

/// <summary>A command line that cannot be acted on; its message says what to write instead.</summary>
public sealed class CliUsageException(string message) : Exception(message);
