using System.CommandLine;
using System.Globalization;
using System.Text;
using Aggregation.Protos.V1;
using Aggregation.Spreadsheets;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Grpc.Net.Client;
using Spectre.Console;

namespace Aggregation.Cli.Import;

/// <summary>
/// <c>aggregation import FILE</c> and <c>aggregation import template</c>: district officers' spreadsheets
/// (CSV or .xlsx, one row per unit and period, one column per data element) in and out.
/// </summary>
public static class ImportCommands
{
    private const int MaxErrorsShown = SpreadsheetImport.MaxErrorsKept;

    public static Command Build(Func<ParseResult, (GrpcChannel Channel, Metadata Headers)> connect, Option<string> programmeOption, Func<RpcException, int> report)
    {
        var file = new Argument<string>("file") { Description = "A .csv or .xlsx file: a header row of column ids (unit_code, period, one per data element) or the template's headings, then a row per unit and period (see `import template`)" };
        var validOnly = new Option<bool>("--valid-only") { Description = "Apply the valid rows even when others have errors (default: apply nothing unless every row is valid); exits 1 when any row was refused" };
        var batch = new Option<int>("--batch") { Description = "Reports per call", DefaultValueFactory = _ => 500 };
        var numbers = NumberText.CreateOption("How numbers written as text in the file are read: vi (1.000 is one thousand, 1,5 one and a half) or en (1,000 and 1.5); numbers typed in .xlsx cells are read as they are");
        var command = new Command("import", "Import a spreadsheet of reports: every row is checked first and every error listed with its row and column.") { file, validOnly, batch, numbers };
        command.SetAction(async (parse, ct) =>
        {
            // The language first: what is wrong with the file is said before any server is asked.
            Ui.Configure(parse, CliApp.EnglishOption);
            var path = parse.GetValue(file)!;
            if (!File.Exists(path))
            {
                Ui.Error.MarkupLineInterpolated($"[red]{Ui.T($"Không có tệp {path}", $"No file {path}")}[/]");
                return 1;
            }

            try
            {
                var (channel, headers) = connect(parse);
                using (channel)
                {
                    var format = NumberText.FormatOf(parse.GetValue(numbers));
                    var programme = await ProgrammeAsync(channel, headers, parse.GetValue(programmeOption)!, ct);
                    var importer = new ImportRun(channel, headers, programme, path, Math.Clamp(parse.GetValue(batch), 1, 1000), format);
                    return await importer.RunAsync(parse.GetValue(validOnly), ct);
                }
            }
            catch (RpcException ex)
            {
                return report(ex);
            }
            catch (CliUsageException ex)
            {
                Ui.Error.MarkupLineInterpolated($"[red]{ex.Message}[/]");
                return 2;
            }
            catch (Exception ex) when (ex is IOException or InvalidDataException or UnauthorizedAccessException or CsvHelper.CsvHelperException or DocumentFormat.OpenXml.Packaging.OpenXmlPackageException)
            {
                Ui.Error.MarkupLineInterpolated($"[red]{Ui.T("Không đọc được tệp", "The file cannot be read")}[/]: {ex.Message}");
                return 1;
            }
        });
        command.Subcommands.Add(TemplateCommand(connect, programmeOption, report));
        return command;
    }

    /// <summary>The programme definition from the server (element types, data sets).</summary>
    public static async Task<Protos.V1.Programme> ProgrammeAsync(GrpcChannel channel, Metadata headers, string programmeId, CancellationToken cancellationToken)
    {
        var programmes = await new Catalog.CatalogClient(channel).ListProgrammesAsync(new ListProgrammesRequest(), headers, cancellationToken: cancellationToken);
        return programmes.Programmes.FirstOrDefault(p => p.Id == programmeId)
            ?? throw new RpcException(new Grpc.Core.Status(StatusCode.InvalidArgument, Ui.T($"Tỉnh không có chương trình '{programmeId}'.", $"The tenant runs no programme '{programmeId}'.")));
    }

    private static Command TemplateCommand(Func<ParseResult, (GrpcChannel Channel, Metadata Headers)> connect, Option<string> programmeOption, Func<RpcException, int> report)
    {
        var district = new Option<string>("--district") { Description = "GSO code of the district (or province) whose units get a row each; for periods after it ceased to exist, its province's", Required = true };
        var dataSet = new Option<string>("--dataset") { Description = "Data set whose elements become the columns", DefaultValueFactory = _ => "commune-monthly" };
        var periods = new Option<string[]>("--period") { Description = "Period(s) to lay out, e.g. 2025-03 (repeatable); each lists the units in force in it", Required = true };
        var output = new Option<string>("--output", "-o") { Description = "File to write (.xlsx or .csv)", Required = true };
        var command = new Command("template", "Write a blank import file for a district: a row per unit in force and period, a column per data element.") { district, dataSet, periods, output };
        command.SetAction(async (parse, ct) =>
        {
            // The language first, and the periods checked before any server is asked.
            Ui.Configure(parse, CliApp.EnglishOption);
            var wanted = new List<(string Period, DateOnly Last)>();
            foreach (var period in parse.GetValue(periods)!.Distinct(StringComparer.Ordinal))
            {
                if (!PeriodDates.TryLastDay(period, out var last))
                {
                    Ui.Error.MarkupLineInterpolated($"[red]{Ui.T($"--period '{period}' không phải kỳ báo cáo", $"--period '{period}' is not a period")}[/]: {Ui.T("hãy viết 2025-03 (một tháng), 2025Q1 (một quý), 2025S1 (6 tháng) hoặc 2025 (một năm)", "write 2025-03 (a month), 2025Q1, 2025S1 or 2025")}");
                    return 2;
                }

                wanted.Add((period, last));
            }

            try
            {
                var (channel, headers) = connect(parse);
                using (channel)
                {
                    var programme = await ProgrammeAsync(channel, headers, parse.GetValue(programmeOption)!, ct);
                    var set = programme.DataSets.FirstOrDefault(d => d.Id == parse.GetValue(dataSet))
                        ?? throw new RpcException(new Grpc.Core.Status(StatusCode.InvalidArgument, Ui.T(
                            $"Không có bộ số liệu '{parse.GetValue(dataSet)}' (các bộ có: {string.Join(", ", programme.DataSets.Select(d => d.Id))}).",
                            $"Unknown data set '{parse.GetValue(dataSet)}' (one of {string.Join(", ", programme.DataSets.Select(d => d.Id))}).")));
                    var template = new Template(new GrpcTemplateUnits(new Catalog.CatalogClient(channel), headers), programme, set, Ui.Language);
                    var code = parse.GetValue(district)!;
                    foreach (var (period, last) in wanted)
                    {
                        if (await template.AddPeriodAsync(code, period, last, ct) is { } problem)
                        {
                            Ui.Error.MarkupLineInterpolated($"[red]{problem}[/]");
                            return 1;
                        }
                    }

                    var path = parse.GetValue(output)!;
                    template.Write(path);
                    foreach (var note in template.Notes)
                    {
                        Ui.Error.MarkupLineInterpolated($"[yellow]{note}[/]");
                    }

                    var rows = Ui.Count(template.Rows.Count, "dòng", "row", "rows");
                    var elements = Ui.Count(set.DataElements.Count, "chỉ số", "data element", "data elements");
                    Ui.Out.MarkupLineInterpolated($"{rows} ({string.Join("; ", template.Summary)}), {elements} → [green]{path}[/]");
                    return 0;
                }
            }
            catch (RpcException ex)
            {
                return report(ex);
            }
            catch (CliUsageException ex)
            {
                Ui.Error.MarkupLineInterpolated($"[red]{ex.Message}[/]");
                return 2;
            }
        });
        return command;
    }

    /// <summary>The import itself, as the shared <see cref="SpreadsheetImport"/> runs it over gRPC, with its progress and errors on standard error.</summary>
    private sealed class ImportRun(GrpcChannel channel, Metadata headers, Protos.V1.Programme programme, string path, int batchSize, NumberFormat numbers)
    {
        /// <summary>Reports are stamped with the file's time: re-importing the same file repeats the same reports (duplicates), an edited file's reports are later and replace the earlier values.</summary>
        private readonly SpreadsheetImport _import = new(
            programme,
            path,
            "aggregation import " + Path.GetFileName(path),
            Timestamp.FromDateTime(File.GetLastWriteTimeUtc(path)),
            numbers,
            batchSize,
            new GrpcReportSink(channel, headers));

        public async Task<int> RunAsync(bool validOnly, CancellationToken cancellationToken)
        {
            // Progress on standard error, with the errors: standard output keeps the result alone.
            await Ui.Error.Status().StartAsync(Ui.T("Đang kiểm tra từng dòng…", "Checking every row…"), async _ =>
                await _import.ValidateAsync(null, cancellationToken));

            var rows = _import.Rows;
            if (_import.ErrorCount > 0)
            {
                Print(_import.Errors);
                if (_import.ErrorCount > MaxErrorsShown)
                {
                    var more = Ui.Number(_import.ErrorCount - MaxErrorsShown);
                    Ui.Error.MarkupLine(Markup.Escape(Ui.T($"… và {more} lỗi khác", $"… and {more} more")));
                }

                var (errors, bad, all) = (Ui.Count(_import.ErrorCount, "lỗi", "error", "errors"), Ui.Number(_import.BadRows), Ui.Count(rows, "dòng", "row", "rows"));
                Ui.Error.MarkupLineInterpolated($"[red]{(_import.HeaderRefused
                    ? Ui.T($"{errors} ở dòng tiêu đề; chưa kiểm tra các dòng số liệu.", $"{errors} in the header; the data rows were not checked.")
                    : Ui.T($"{errors} ở {bad} trong số {all}.", $"{errors} in {bad} of {all}."))}[/]");
                if (_import.HeaderRefused)
                {
                    // No row is known to be valid while its columns are not: --valid-only cannot help.
                    Ui.Error.MarkupLine(Markup.Escape(Ui.T(
                        "Chưa nhập gì. Hãy sửa dòng tiêu đề: chưa biết đúng các cột thì không đọc được dòng nào.",
                        "Nothing was imported. Correct the header: no row can be read until its columns are known.")));
                    return 1;
                }

                if (!validOnly)
                {
                    Ui.Error.MarkupLine(Markup.Escape(Ui.T(
                        "Chưa nhập gì. Hãy sửa tệp, hoặc thêm --valid-only để chỉ nhập các dòng hợp lệ.",
                        "Nothing was imported. Correct the file, or pass --valid-only to import the valid rows.")));
                    return 1;
                }
            }

            var totals = new SubmitReportsResponse();
            await Ui.Error.Progress()
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
                .StartAsync(async progress =>
                {
                    var task = progress.AddTask(Ui.T("Đang nhập", "Importing"), maxValue: Math.Max(1, _import.RowsToImport));
                    totals = await _import.ImportAsync((_, count) => task.Increment(count), cancellationToken);
                });

            // Rows that passed the check but were refused when applied (the values held changed meanwhile).
            Print(_import.RefusedWhenApplied);
            Ui.Out.MarkupLine(Markup.Escape(Summary(totals)));
            return totals.Rejected > 0 || _import.ErrorCount > 0 ? 1 : 0;
        }

        /// <summary>
        /// "Đã nhập 6 báo cáo, 0 báo cáo đã nhập từ trước, 0 báo cáo bị từ chối. Bỏ qua 58 dòng không có giá trị.";
        /// in English "6 reports imported, 0 already imported before, 0 rejected, 58 rows without values skipped."
        /// </summary>
        private string Summary(SubmitReportsResponse totals)
        {
            var (imported, before, rejected) = (Ui.Count(totals.Accepted, "báo cáo", "report", "reports"), Ui.Number(totals.Duplicates), Ui.Number(totals.Rejected));
            var text = new StringBuilder(Ui.T(
                $"Đã nhập {imported}, {before} báo cáo đã nhập từ trước, {rejected} báo cáo bị từ chối.",
                $"{imported} imported, {before} already imported before, {rejected} rejected"));
            if (_import.BlankRows > 0)
            {
                var blank = Ui.Count(_import.BlankRows, "dòng", "row", "rows");
                text.Append(Ui.T($" Bỏ qua {blank} không có giá trị.", $", {blank} without values skipped"));
            }

            if (_import.BadRows > 0)
            {
                var bad = Ui.Count(_import.BadRows, "dòng", "row", "rows");
                text.Append(Ui.T($" Không nhập {bad} có lỗi.", $", {bad} with errors not imported"));
            }

            return Ui.English ? text.Append('.').ToString() : text.ToString();
        }

        /// <summary>In row order, then column order (as kept). Row numbers as the spreadsheet program shows them (no thousands separator).</summary>
        private static void Print(IReadOnlyList<ImportError> errors)
        {
            foreach (var error in errors)
            {
                var row = error.Row.ToString(CultureInfo.InvariantCulture);
                Ui.Error.MarkupLineInterpolated($"[yellow]{Ui.T($"dòng {row}, cột {error.Column}", $"row {row}, column {error.Column}")}: {error.Message.In(Ui.Language)}[/]");
            }
        }
    }

    /// <summary>The server's SubmitReports over gRPC; a code's unit through its Catalog.</summary>
    private sealed class GrpcReportSink(GrpcChannel channel, Metadata headers) : IReportSink
    {
        private readonly Ingestion.IngestionClient _client = new(channel);

        public async Task<SubmitReportsResponse> SubmitAsync(IReadOnlyList<Report> reports, bool validateOnly, CancellationToken cancellationToken)
        {
            var request = new SubmitReportsRequest { ValidateOnly = validateOnly };
            request.Reports.AddRange(reports);
            return await _client.SubmitReportsAsync(request, headers, cancellationToken: cancellationToken);
        }

        public async Task<string?> UnitNameAsync(string code, string asOf, CancellationToken cancellationToken)
        {
            try
            {
                return (await new Catalog.CatalogClient(channel).GetUnitAsync(new GetUnitRequest { Code = code, AsOf = asOf }, headers, cancellationToken: cancellationToken)).Unit.Name;
            }
            catch (RpcException ex) when (ex.StatusCode == StatusCode.InvalidArgument)
            {
                return null;
            }
        }
    }

    /// <summary>The server's catalog over gRPC, for templates.</summary>
    private sealed class GrpcTemplateUnits(Catalog.CatalogClient catalog, Metadata headers) : ITemplateUnits
    {
        public async Task<GetUnitResponse> GetUnitAsync(string code, string asOf, CancellationToken cancellationToken) =>
            await catalog.GetUnitAsync(new GetUnitRequest { Code = code, AsOf = asOf }, headers, cancellationToken: cancellationToken);

        public async Task<IReadOnlyList<Unit>> ListAsync(string level, string ancestorCode, string asOf, CancellationToken cancellationToken)
        {
            var units = new List<Unit>();
            var token = "";
            do
            {
                var page = await catalog.ListUnitsAsync(new ListUnitsRequest { Level = level, AncestorCode = ancestorCode, AsOf = asOf, PageSize = 1000, PageToken = token }, headers, cancellationToken: cancellationToken);
                units.AddRange(page.Units);
                token = page.NextPageToken;
            }
            while (token.Length > 0);
            return units;
        }
    }
}
