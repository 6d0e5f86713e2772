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

    private static readonly Option<string> Server = new("--server")
    {
        Description = "gRPC address of the server",
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable("AGGREGATION_SERVER") ?? "http://127.0.0.1:5080",
        Recursive = true,
    };

    private static readonly Option<string?> TenantOption = new("--tenant")
    {
        Description = "Tenant id (default: the server's default tenant)",
        Recursive = true,
    };

    private static readonly Option<string?> TokenOption = new("--token")
    {
        Description = "Access token (default: $AGGREGATION_TOKEN); get one with `aggregation token`",
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable("AGGREGATION_TOKEN"),
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
        var root = new RootCommand("Aggregation client: submit indicator reports and read rollups.");
        root.Options.Add(Server);
        root.Options.Add(TenantOption);
        root.Options.Add(TokenOption);
        root.Options.Add(ProgrammeOption);
        root.Subcommands.Add(SubmitCommand());
        root.Subcommands.Add(RollupCommand());
        root.Subcommands.Add(WatchCommand());
        root.Subcommands.Add(UnitsCommand());
        root.Subcommands.Add(ProgrammesCommand());
        root.Subcommands.Add(ExportCommand());
        root.Subcommands.Add(ReportCommand());
        root.Subcommands.Add(DeliveriesCommand());
        root.Subcommands.Add(Import.ImportCommands.Build(parse => (Channel(parse), Headers(parse)), ProgrammeOption, Report));
        root.Subcommands.Add(TokenCommands.Build(TenantOption, parse => (Channel(parse), Headers(parse)), Report));
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
        var key = new Option<string?>("--key") { Description = "Idempotency key (default: a new one); reuse it to retry safely" };
        var command = new Command("submit", "Submit a report for one unit and period.") { unit, period, values, withdraw, key };
        command.SetAction(Guard(async (parse, ct) =>
        {
            using var channel = Channel(parse);
            var headers = Headers(parse);
            var programmeId = parse.GetValue(ProgrammeOption)!;
            var programmes = await new Protos.V1.Catalog.CatalogClient(channel).ListProgrammesAsync(new ListProgrammesRequest(), headers, cancellationToken: ct);
            var programme = programmes.Programmes.FirstOrDefault(p => p.Id == programmeId);
            var report = new Report
            {
                IdempotencyKey = parse.GetValue(key) ?? Guid.NewGuid().ToString("N"),
                UnitCode = parse.GetValue(unit)!,
                ProgrammeId = programmeId,
                Period = parse.GetValue(period)!,
                ReportedAt = Timestamp.FromDateTime(DateTime.UtcNow),
                SourceSystem = "aggregation-cli",
            };
            foreach (var text in parse.GetValue(values) ?? [])
            {
                var eq = text.IndexOf('=', StringComparison.Ordinal);
                if (eq <= 0)
                {
                    AnsiConsole.MarkupLineInterpolated($"[red]--value '{text}' must be element=value[/]");
                    return 2;
                }

                report.Values.Add(ParseValue(text[..eq], text[(eq + 1)..], programme));
            }

            foreach (var element in parse.GetValue(withdraw) ?? [])
            {
                report.Values.Add(new DataValue { DataElement = element, Withdrawn = new Withdrawal() });
            }

            var response = await new Ingestion.IngestionClient(channel).SubmitReportAsync(new SubmitReportRequest { Report = report }, headers, cancellationToken: ct);
            var r = response.Result;
            AnsiConsole.MarkupLineInterpolated($"[green]{r.Outcome}[/] key={r.IdempotencyKey} unit version={r.UnitVersion}");
            foreach (var s in r.SupersededElements)
            {
                AnsiConsole.MarkupLineInterpolated($"[yellow]superseded[/] {s}: a later report already set it");
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
        var english = new Option<bool>("--en") { Description = "English labels (default Vietnamese)" };
        var command = new Command("rollup", "Show a unit's indicators, status and completeness for a period.") { unit, period, children, values, english, AsOfOption, RestatedOption };
        command.SetAction(Guard(async (parse, ct) =>
        {
            using var channel = Channel(parse);
            var response = await new Rollups.RollupsClient(channel).GetRollupAsync(
                new GetRollupRequest
                {
                    UnitCode = parse.GetValue(unit)!,
                    ProgrammeId = parse.GetValue(ProgrammeOption)!,
                    Period = parse.GetValue(period)!,
                    IncludeChildren = parse.GetValue(children),
                    AsOf = parse.GetValue(AsOfOption) ?? "",
                    View = parse.GetValue(RestatedOption) ? HistoryView.Restated : HistoryView.AsHappened,
                },
                Headers(parse),
                cancellationToken: ct);
            var en = parse.GetValue(english);
            RollupTables.Write(response, en, parse.GetValue(values));
            return 0;
        }));
        return command;
    }

    private static Command WatchCommand()
    {
        var unit = new Option<string>("--unit") { Description = "GSO code (VN for the nation)", Required = true };
        var periods = new Option<string[]>("--period") { Description = "Period(s) to watch (repeatable)", Required = true };
        var children = new Option<bool>("--children") { Description = "Also watch the unit's direct children" };
        var resume = new Option<long>("--resume") { Description = "Last version seen: resume without a snapshot if nothing changed" };
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
            try
            {
                await foreach (var message in call.ResponseStream.ReadAllAsync(ct))
                {
                    var time = DateTime.Now.ToString("HH:mm:ss.fff", CultureInfo.InvariantCulture);
                    switch (message.ContentCase)
                    {
                        case SubscribeResponse.ContentOneofCase.Confirmation:
                            AnsiConsole.MarkupLineInterpolated($"{time} [bold]subscribed[/] {message.Confirmation.SubscriptionId} version {message.Confirmation.Version}{(message.Confirmation.Resumed ? " (resumed, nothing missed)" : "")}");
                            break;
                        case SubscribeResponse.ContentOneofCase.Heartbeat:
                            AnsiConsole.MarkupLineInterpolated($"{time} [grey]heartbeat, version {message.Heartbeat.Version}[/]");
                            break;
                        default:
                            var (kind, version, rollups) = message.Snapshot is { } s ? ("snapshot", s.Version, s.Rollups) : ("update", message.Update.Version, message.Update.Rollups);
                            AnsiConsole.MarkupLineInterpolated($"{time} [bold]{kind}[/] version {version}");
                            foreach (var r in rollups)
                            {
                                var figures = string.Join("  ", r.Indicators.Where(i => i.HasValue).Select(i => $"{i.IndicatorId}={(i.HasDenominator ? i.Value.ToString("P1", CultureInfo.InvariantCulture) : i.Value.ToString("0", CultureInfo.InvariantCulture))}"));
                                AnsiConsole.MarkupLineInterpolated($"  {r.Unit.Code} {r.Unit.Name} {r.Period}: {figures}");
                            }

                            break;
                    }
                }
            }
            catch (RpcException ex) when (ex.StatusCode == StatusCode.Cancelled && ct.IsCancellationRequested)
            {
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
        var command = new Command("units", "Browse the administrative hierarchy.") { parent, level, asOf };
        command.SetAction(Guard(async (parse, ct) =>
        {
            using var channel = Channel(parse);
            var client = new Protos.V1.Catalog.CatalogClient(channel);
            var table = new Table().AddColumns("code", "name", "level", "parent");
            if (parse.GetValue(level) is { } l)
            {
                var token = "";
                do
                {
                    var page = await client.ListUnitsAsync(new ListUnitsRequest { Level = l, AncestorCode = parse.GetValue(parent) ?? "", PageSize = 1000, PageToken = token, AsOf = parse.GetValue(asOf) ?? "" }, Headers(parse), cancellationToken: ct);
                    foreach (var u in page.Units)
                    {
                        table.AddRow(u.Code, Markup.Escape(u.Name), u.Level, u.ParentCode);
                    }

                    token = page.NextPageToken;
                }
                while (token.Length > 0);
            }
            else
            {
                var response = await client.GetUnitAsync(new GetUnitRequest { Code = parse.GetValue(parent) ?? "", AsOf = parse.GetValue(asOf) ?? "" }, Headers(parse), cancellationToken: ct);
                AnsiConsole.MarkupLineInterpolated($"[bold]{response.Unit.Code} {response.Unit.Name}[/] ({response.Unit.Level}) {string.Join(" < ", response.Ancestors.Select(a => a.Name))}");
                foreach (var u in response.Children)
                {
                    table.AddRow(u.Code, Markup.Escape(u.Name), u.Level, u.ParentCode);
                }
            }

            AnsiConsole.Write(table);
            return 0;
        }));
        return command;
    }

    private static Command ExportCommand()
    {
        var unit = new Option<string>("--unit") { Description = "GSO code of the unit (VN for the nation)", Required = true };
        var period = new Option<string>("--period") { Description = "2025-03, 2025Q1, 2025S1, 2025 (ADX also 2021-2025)", Required = true };
        var subtree = new Option<bool>("--subtree") { Description = "Every unit below it too" };
        var format = new Option<string>("--format") { Description = "adx or dhis2", DefaultValueFactory = _ => "adx" };
        format.AcceptOnlyFromAmong("adx", "dhis2");
        var output = new Option<string?>("--output", "-o") { Description = "File to write (default: the suggested name in this folder; - for standard output)" };
        var command = new Command("export", "Export aggregated values as ADX XML or DHIS2 dataValueSets JSON, in the receiver's codes (org units as coded in the reported period).") { unit, period, subtree, format, output, AsOfOption, RestatedOption };
        command.SetAction(Guard(async (parse, ct) =>
        {
            using var channel = Channel(parse);
            var response = await new Exports.ExportsClient(channel).ExportAsync(
                new ExportRequest
                {
                    UnitCode = parse.GetValue(unit)!,
                    ProgrammeId = parse.GetValue(ProgrammeOption)!,
                    Period = parse.GetValue(period)!,
                    IncludeSubtree = parse.GetValue(subtree),
                    Format = parse.GetValue(format) == "dhis2" ? ExportFormat.Dhis2Json : ExportFormat.Adx,
                    AsOf = parse.GetValue(AsOfOption) ?? "",
                    View = parse.GetValue(RestatedOption) ? HistoryView.Restated : HistoryView.AsHappened,
                },
                Headers(parse),
                cancellationToken: ct);
            var path = parse.GetValue(output) ?? response.FileName;
            if (path == "-")
            {
                await using var stdout = Console.OpenStandardOutput();
                response.Content.WriteTo(stdout);
                return 0;
            }

            await File.WriteAllBytesAsync(path, response.Content.ToByteArray(), ct);
            AnsiConsole.MarkupLineInterpolated($"{response.Groups} groups, {response.Values} values → [green]{path}[/]");
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
            AnsiConsole.MarkupLineInterpolated($"{response.Values} targets for {response.Groups} units → [green]{path}[/]");
            return 0;
        }));
        return command;
    }

    private static Command DeliveriesCommand()
    {
        var limit = new Option<int>("--limit") { Description = "How many, newest first", DefaultValueFactory = _ => 50 };
        var list = new Command("deliveries", "Reports to the ministry and their delivery state (tenant admins).") { limit };
        list.SetAction(Guard(async (parse, ct) =>
        {
            using var channel = Channel(parse);
            var response = await new Protos.V1.Reporting.ReportingClient(channel).ListDeliveriesAsync(new ListDeliveriesRequest { Limit = parse.GetValue(limit) }, Headers(parse), cancellationToken: ct);
            var table = new Table().AddColumns("period", "unit", "rev", "state", "attempts", "next attempt", "sent", "last error", "key");
            foreach (var d in response.Deliveries)
            {
                table.AddRow(
                    Markup.Escape(d.Period),
                    Markup.Escape(d.UnitCode),
                    d.Revision.ToString(CultureInfo.InvariantCulture),
                    d.State switch { "sent" => "[green]sent[/]", "failed" => "[red]failed[/]", _ => "[yellow]pending[/]" },
                    d.Attempts.ToString(CultureInfo.InvariantCulture),
                    d.NextAttemptAt is null ? "" : d.NextAttemptAt.ToDateTimeOffset().ToLocalTime().ToString("g", CultureInfo.CurrentCulture),
                    d.SentAt is null ? "" : d.SentAt.ToDateTimeOffset().ToLocalTime().ToString("g", CultureInfo.CurrentCulture),
                    Markup.Escape(d.LastError),
                    Markup.Escape(d.IdempotencyKey));
            }

            AnsiConsole.Write(table);
            AnsiConsole.MarkupLineInterpolated($"circuit to the ministry: {response.CircuitState} (opened {response.CircuitOpenings} times since this silo started)");
            return 0;
        }));

        var key = new Option<string>("--key") { Description = "Idempotency key of the delivery (see `deliveries`)", Required = true };
        var resend = new Command("resend", "Send a delivered or failed report again, with the same idempotency key.") { key };
        resend.SetAction(Guard(async (parse, ct) =>
        {
            using var channel = Channel(parse);
            await new Protos.V1.Reporting.ReportingClient(channel).ResendDeliveryAsync(new ResendDeliveryRequest { IdempotencyKey = parse.GetValue(key)! }, Headers(parse), cancellationToken: ct);
            AnsiConsole.MarkupLine("queued");
            return 0;
        }));

        var produce = new Command("produce", "Produce every due 6-monthly and annual report now (unchanged ones are not produced again).");
        produce.SetAction(Guard(async (parse, ct) =>
        {
            using var channel = Channel(parse);
            var response = await new Protos.V1.Reporting.ReportingClient(channel).ProduceReportsAsync(new ProduceReportsRequest(), Headers(parse), cancellationToken: ct);
            AnsiConsole.MarkupLineInterpolated($"{response.Produced} reports produced or revised");
            return 0;
        }));

        list.Subcommands.Add(resend);
        list.Subcommands.Add(produce);
        return list;
    }

    private static Command ProgrammesCommand()
    {
        var command = new Command("programmes", "List the tenant's programmes, data sets and indicators.");
        command.SetAction(Guard(async (parse, ct) =>
        {
            using var channel = Channel(parse);
            var response = await new Protos.V1.Catalog.CatalogClient(channel).ListProgrammesAsync(new ListProgrammesRequest(), Headers(parse), cancellationToken: ct);
            foreach (var p in response.Programmes)
            {
                AnsiConsole.MarkupLineInterpolated($"[bold]{p.Id}[/] v{p.Version}: {p.NameVi} ({p.FirstPeriod} – {p.LastPeriod})");
                var sets = new Table().AddColumns("data set", "level", "period", "reporter", "elements");
                foreach (var ds in p.DataSets)
                {
                    sets.AddRow(ds.Id, ds.Level, ds.PeriodType, Markup.Escape(ds.Reporter), string.Join(", ", ds.DataElements));
                }

                AnsiConsole.Write(sets);
                var indicators = new Table().AddColumns("indicator", "name", "target", "levels");
                foreach (var i in p.Indicators)
                {
                    indicators.AddRow(i.Id, Markup.Escape(i.NameVi), i.HasTarget ? $"{i.Target:P0} ({i.TargetBasis})" : "-", string.Join(", ", i.AppliesTo));
                }

                AnsiConsole.Write(indicators);
            }

            return 0;
        }));
        return command;
    }

    private static DataValue ParseValue(string element, string text, Protos.V1.Programme? programme)
    {
        var type = programme?.DataElements.FirstOrDefault(e => e.Id == element)?.Type;
        var value = new DataValue { DataElement = element };
        switch (type)
        {
            case "flag":
                value.Flag = text.ToLowerInvariant() is "yes" or "true" or "1" or "có";
                break;
            case "entities":
                value.Entities = new EntityIds();
                value.Entities.Ids.AddRange(text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
                break;
            default:
                // Sent as typed: the server explains what is wrong with it.
                value.Number = double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var n) ? n : double.NaN;
                break;
        }

        return value;
    }

    private static GrpcChannel Channel(ParseResult parse) => GrpcChannel.ForAddress(parse.GetValue(Server)!);

    private static Metadata Headers(ParseResult parse)
    {
        var headers = new Metadata();
        if (parse.GetValue(TenantOption) is { Length: > 0 } tenant)
        {
            headers.Add("x-tenant-id", tenant);
        }

        if (parse.GetValue(TokenOption) is { Length: > 0 } token)
        {
            headers.Add("authorization", "Bearer " + token);
        }

        return headers;
    }

    /// <summary>Turns gRPC errors into a readable message and exit code 1.</summary>
    private static Func<ParseResult, CancellationToken, Task<int>> Guard(Func<ParseResult, CancellationToken, Task<int>> action) =>
        async (parse, ct) =>
        {
            try
            {
                return await action(parse, ct);
            }
            catch (RpcException ex)
            {
                return Report(ex);
            }
        };

    /// <summary>Prints a gRPC error with its field violations.</summary>
    public static int Report(RpcException ex)
    {
        AnsiConsole.MarkupLineInterpolated($"[red]{ex.StatusCode}[/]: {ex.Status.Detail}");
        var bad = ex.GetRpcStatus()?.GetDetail<BadRequest>();
        foreach (var v in bad?.FieldViolations ?? [])
        {
            AnsiConsole.MarkupLineInterpolated($"  [yellow]{v.Field}[/]: {v.Description}");
        }

        return 1;
    }
}
