using System.CommandLine;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Aggregation.Protos.V1;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Grpc.Net.Client;
using Spectre.Console;

namespace Aggregation.Cli.Import;

/// <summary>
/// <c>aggregation import FILE</c> and <c>aggregation import template</c>: district officers' spreadsheets
/// (CSV or .xlsx, one row per unit and period, one column per data element) in and out.
/// </summary>
public static partial class ImportCommands
{
    public const string UnitColumn = "unit_code";
    public const string PeriodColumn = "period";
    public const string NameColumn = "unit_name";

    /// <summary>The headings of the templates' first three columns (the elements' headings are their Vietnamese names).</summary>
    public const string UnitHeading = "Mã đơn vị";
    public const string NameHeading = "Tên đơn vị";
    public const string PeriodHeading = "Kỳ báo cáo";

    private const int MaxErrorsShown = 200;

    /// <summary>The widths GSO codes are written in (province 2, district 3, commune 5 digits): where a lost leading zero is looked for.</summary>
    private static readonly int[] CodeWidths = [2, 3, 5];

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
                    var importer = new SpreadsheetImport(channel, headers, programme, path, Math.Clamp(parse.GetValue(batch), 1, 1000), format);
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
                    var template = new Template(new Catalog.CatalogClient(channel), headers, programme, set);
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

    /// <summary>The import itself: a checking pass over the whole file, then (if allowed) an applying pass.</summary>
    private sealed partial class SpreadsheetImport(GrpcChannel channel, Metadata headers, Protos.V1.Programme programme, string path, int batchSize, NumberFormat numbers)
    {
        private readonly Ingestion.IngestionClient _client = new(channel);
        private readonly Dictionary<string, string> _types = programme.DataElements.ToDictionary(e => e.Id, e => e.Type, StringComparer.Ordinal);
        private readonly Dictionary<string, string> _headings = Headings(programme);
        private readonly Dictionary<string, string?> _hints = new(StringComparer.Ordinal);
        private readonly List<ImportError> _errors = [];
        private readonly List<ImportError> _refusedWhenApplied = [];
        private readonly HashSet<int> _badRows = [];
        private readonly List<string> _columns = [];
        private int _errorCount;
        private int _blankRows;
        private SpreadsheetHeader? _header;
        private bool _headerRefused;

        /// <summary>Reports are stamped with the file's time: re-importing the same file repeats the same reports (duplicates), an edited file's reports are later and replace the earlier values.</summary>
        private readonly Timestamp _reportedAt = Timestamp.FromDateTime(File.GetLastWriteTimeUtc(path));

        private sealed record ImportError(int Row, int Index, string Column, string Message);

        public async Task<int> RunAsync(bool validOnly, CancellationToken cancellationToken)
        {
            // Progress on standard error, with the errors: standard output keeps the result alone.
            var rows = 0;
            await Ui.Error.Status().StartAsync(Ui.T("Đang kiểm tra từng dòng…", "Checking every row…"), async _ =>
                rows = await PassAsync(validate: true, null, cancellationToken));

            if (_errorCount > 0)
            {
                Print(_errors);
                if (_errorCount > MaxErrorsShown)
                {
                    var more = Ui.Number(_errorCount - MaxErrorsShown);
                    Ui.Error.MarkupLine(Markup.Escape(Ui.T($"… và {more} lỗi khác", $"… and {more} more")));
                }

                var (errors, bad, all) = (Ui.Count(_errorCount, "lỗi", "error", "errors"), Ui.Number(_badRows.Count), Ui.Count(rows, "dòng", "row", "rows"));
                Ui.Error.MarkupLineInterpolated($"[red]{(_headerRefused
                    ? Ui.T($"{errors} ở dòng tiêu đề; chưa kiểm tra các dòng số liệu.", $"{errors} in the header; the data rows were not checked.")
                    : Ui.T($"{errors} ở {bad} trong số {all}.", $"{errors} in {bad} of {all}."))}[/]");
                if (_headerRefused)
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
                    var task = progress.AddTask(Ui.T("Đang nhập", "Importing"), maxValue: Math.Max(1, rows - _badRows.Count - _blankRows));
                    await PassAsync(validate: false, (response, count) =>
                    {
                        totals.Accepted += response.Accepted;
                        totals.Duplicates += response.Duplicates;
                        totals.Rejected += response.Rejected;
                        task.Increment(count);
                    }, cancellationToken);
                });

            // Rows that passed the check but were refused when applied (the values held changed meanwhile).
            Print(_refusedWhenApplied);
            Ui.Out.MarkupLine(Markup.Escape(Summary(totals)));
            return totals.Rejected > 0 || _errorCount > 0 ? 1 : 0;
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
            if (_blankRows > 0)
            {
                var blank = Ui.Count(_blankRows, "dòng", "row", "rows");
                text.Append(Ui.T($" Bỏ qua {blank} không có giá trị.", $", {blank} without values skipped"));
            }

            if (_badRows.Count > 0)
            {
                var bad = Ui.Count(_badRows.Count, "dòng", "row", "rows");
                text.Append(Ui.T($" Không nhập {bad} có lỗi.", $", {bad} with errors not imported"));
            }

            return Ui.English ? text.Append('.').ToString() : text.ToString();
        }

        /// <summary>In row order, then column order; at most <see cref="MaxErrorsShown"/>. Row numbers as the spreadsheet program shows them (no thousands separator).</summary>
        private static void Print(List<ImportError> errors)
        {
            foreach (var error in Sorted(errors))
            {
                var row = error.Row.ToString(CultureInfo.InvariantCulture);
                Ui.Error.MarkupLineInterpolated($"[yellow]{Ui.T($"dòng {row}, cột {error.Column}", $"row {row}, column {error.Column}")}: {error.Message}[/]");
            }
        }

        private static IEnumerable<ImportError> Sorted(IEnumerable<ImportError> errors) =>
            errors.OrderBy(e => e.Row).ThenBy(e => e.Index).Take(MaxErrorsShown);

        /// <summary>Element names (Vietnamese and English) and the templates' headings, for files whose header is the headings alone.</summary>
        private static Dictionary<string, string> Headings(Protos.V1.Programme programme)
        {
            var headings = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
            {
                [Normalize(UnitHeading)] = UnitColumn,
                [Normalize(NameHeading)] = NameColumn,
                [Normalize(PeriodHeading)] = PeriodColumn,
            };
            foreach (var e in programme.DataElements)
            {
                foreach (var name in new[] { e.NameVi, e.NameEn }.Where(n => n.Length > 0))
                {
                    headings.TryAdd(Normalize(name), e.Id);
                }
            }

            return headings;
        }

        /// <summary>Composed Unicode and single spaces: the same heading typed on another machine still matches.</summary>
        private static string Normalize(string text) => string.Join(' ', text.Normalize(NormalizationForm.FormC).Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));

        /// <summary>Streams the file in batches; returns the number of data rows.</summary>
        private async Task<int> PassAsync(bool validate, Action<SubmitReportsResponse, int>? done, CancellationToken cancellationToken)
        {
            _columns.Clear();
            var batch = new List<(SpreadsheetRow Row, Report Report, List<string> ValueColumns)>();
            var rows = 0;
            var headerChecked = false;
            foreach (var row in SpreadsheetRows.Read(path, _columns, h => _headings.GetValueOrDefault(Normalize(h)), h => _header = h))
            {
                if (!headerChecked)
                {
                    headerChecked = true;
                    if (validate && !CheckHeader())
                    {
                        return 0;
                    }
                }

                rows++;
                if (!validate && _badRows.Contains(row.Number))
                {
                    continue;
                }

                var built = ToReport(row, validate, out var blank);
                if (blank && validate)
                {
                    _blankRows++;
                }

                if (built is { } b)
                {
                    batch.Add((row, b.Report, b.Columns));
                }

                if (batch.Count == batchSize)
                {
                    await SendAsync(batch, validate, done, cancellationToken);
                    batch.Clear();
                }
            }

            if (batch.Count > 0)
            {
                await SendAsync(batch, validate, done, cancellationToken);
            }

            if (validate && !headerChecked && _header is not null)
            {
                // A header without data rows: still said if it is wrong.
                CheckHeader();
            }

            return rows;
        }

        /// <summary>
        /// The header's columns. An error names the row people read the columns by (a template's
        /// headings, on its first row) and says where the id is when the ids are on a row of their own
        /// (a template's second row, hidden in .xlsx).
        /// </summary>
        private bool CheckHeader()
        {
            var (row, ids) = (_header!.Headings, _header.Ids);
            var where = ids == row ? "" : Ui.T(
                $" (mã cột nằm ở dòng {ids}, dòng mã cột của biểu mẫu, được ẩn trong tệp .xlsx)",
                $" (the column ids are on row {ids}, the template's row of ids, hidden in .xlsx)");
            foreach (var required in new[] { UnitColumn, PeriodColumn })
            {
                if (!_columns.Contains(required))
                {
                    Error(row, required, Ui.T(
                        $"thiếu cột này: dòng tiêu đề phải ghi mã các cột ({UnitColumn}, {PeriodColumn}, rồi mã các chỉ số) hoặc các tiêu đề của biểu mẫu ({UnitHeading}, {PeriodHeading}, rồi tên các chỉ số){where}",
                        $"this column is missing: the header row names the columns by id ({UnitColumn}, {PeriodColumn}, then data elements) or by the template's headings ({UnitHeading}, {PeriodHeading}, then the elements' names){where}"));
                }
            }

            foreach (var column in _columns.Where(c => c.Length > 0 && c is not (UnitColumn or PeriodColumn or NameColumn) && !_types.ContainsKey(c)))
            {
                Error(row, column, Ui.T($"không phải mã hay tên chỉ số nào của chương trình {programme.Id}{where}", $"not a data element of {programme.Id}{where}"));
            }

            _headerRefused = _errorCount > 0;
            return _errorCount == 0;
        }

        /// <summary>The row's report; null when it has errors or no value at all (<paramref name="blank"/>: a row the officer left empty, skipped).</summary>
        private (Report Report, List<string> Columns)? ToReport(SpreadsheetRow row, bool validate, out bool blank)
        {
            blank = !row.Cells.Keys.Any(_types.ContainsKey);
            if (blank)
            {
                return null;
            }

            var report = new Report
            {
                UnitCode = row.Cells.GetValueOrDefault(UnitColumn, ""),
                Period = row.Cells.GetValueOrDefault(PeriodColumn, ""),
                ProgrammeId = programme.Id,
                ReportedAt = _reportedAt,
                SourceSystem = "aggregation import " + Path.GetFileName(path),
            };
            var columns = new List<string>();
            var ok = true;
            if (row.Typed.Contains(PeriodColumn) && double.TryParse(report.Period, NumberStyles.Float, CultureInfo.InvariantCulture, out var serial) && serial is >= 36526 and < 73051)
            {
                // 2025-03 typed into a cell not formatted as text becomes a date (1 March 2025).
                var date = DateTime.FromOADate(serial);
                var (day, month) = (date.ToString("dd/MM/yyyy", CultureInfo.InvariantCulture), date.ToString("yyyy-MM", CultureInfo.InvariantCulture));
                ok = Fail(validate, row.Number, PeriodColumn, Ui.T(
                    $"ô chứa một ngày ({day}), không phải kỳ báo cáo: chương trình bảng tính tự đổi kỳ gõ vào ô không định dạng văn bản (Text) thành ngày; hãy định dạng ô là văn bản và viết {month}",
                    $"the cell holds a date ({day}), not a period: spreadsheet programs turn a period typed into a cell not formatted as text into a date; format the cell as text and write {month}"));
            }

            foreach (var (column, text) in row.Cells.OrderBy(c => c.Key, StringComparer.Ordinal))
            {
                if (!_types.TryGetValue(column, out var type))
                {
                    continue;
                }

                var value = new DataValue { DataElement = column };
                switch (type)
                {
                    case "flag":
                        switch (Normalize(text).ToLowerInvariant())
                        {
                            case "yes" or "có" or "1" or "true": value.Flag = true; break;
                            case "no" or "không" or "0" or "false": value.Flag = false; break;
                            default: ok = Fail(validate, row.Number, column, Ui.T($"'{text}' không phải Có/Không: hãy viết {TemplateWriter.Yes} hoặc {TemplateWriter.No} (hoặc yes/no)", $"'{text}' is not yes/no: write {TemplateWriter.Yes} or {TemplateWriter.No} (or yes/no)")); continue;
                        }

                        break;
                    case "entities":
                        value.Entities = new EntityIds { Ids = { text.Split([',', ';'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) } };
                        break;
                    default:
                        if (!Number(text, row.Typed.Contains(column), out var number, out var problem))
                        {
                            ok = Fail(validate, row.Number, column, problem);
                            continue;
                        }

                        value.Number = (double)number;
                        break;
                }

                report.Values.Add(value);
                columns.Add(column);
            }

            if (!ok)
            {
                return null;
            }

            report.IdempotencyKey = Key(report);
            return (report, columns);
        }

        /// <summary>A typed .xlsx number as it is; text by the file's number format. Counts and stocks are whole numbers.</summary>
        private bool Number(string text, bool typed, out decimal number, out string problem)
        {
            if (typed)
            {
                if (!decimal.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out number))
                {
                    problem = Ui.T($"'{text}' không phải là số", $"'{text}' is not a number");
                    return false;
                }

                return NumberText.IsWhole(number, NumberText.Format(number, numbers), numbers, out problem);
            }

            return NumberText.TryParseWhole(text, numbers, out number, out problem);
        }

        private bool Fail(bool validate, int row, string column, string message)
        {
            if (validate)
            {
                Error(row, column, message);
            }

            return false;
        }

        private async Task SendAsync(List<(SpreadsheetRow Row, Report Report, List<string> ValueColumns)> batch, bool validate, Action<SubmitReportsResponse, int>? done, CancellationToken cancellationToken)
        {
            var request = new SubmitReportsRequest { ValidateOnly = validate };
            request.Reports.AddRange(batch.Select(b => b.Report));
            var response = await _client.SubmitReportsAsync(request, headers, cancellationToken: cancellationToken);
            foreach (var result in response.Results.Where(r => r.Outcome == ReportOutcome.Rejected))
            {
                var (row, report, valueColumns) = batch[result.Index];
                foreach (var violation in result.Violations)
                {
                    var column = ColumnOf(violation.Field, valueColumns);
                    var message = violation.Description;
                    if (column == UnitColumn && await HintAsync(report.UnitCode, report.Period, cancellationToken) is { } hint)
                    {
                        message += "; " + hint;
                    }

                    if (validate)
                    {
                        Error(row.Number, column, message);
                    }
                    else
                    {
                        _refusedWhenApplied.Add(new ImportError(row.Number, _columns.IndexOf(column), Display(column), message));
                    }
                }
            }

            done?.Invoke(response, batch.Count);
        }

        /// <summary>
        /// "did you mean 05458 (Phường Đồng Quang)?" for a code that lost its leading zeros, as spreadsheet
        /// programs do to 05458 in a cell not formatted as text: the padded codes the tenant knows in the period.
        /// </summary>
        private async Task<string?> HintAsync(string code, string period, CancellationToken cancellationToken)
        {
            if (code.Length is 0 or >= 5 || !code.All(char.IsAsciiDigit))
            {
                return null;
            }

            if (_hints.TryGetValue(code + "|" + period, out var known))
            {
                return known;
            }

            var asOf = PeriodDates.TryLastDay(period, out var last) ? PeriodDates.Iso(last) : "";
            var found = new List<string>();
            foreach (var width in CodeWidths.Where(w => w > code.Length))
            {
                var candidate = code.PadLeft(width, '0');
                try
                {
                    var unit = (await new Catalog.CatalogClient(channel).GetUnitAsync(new GetUnitRequest { Code = candidate, AsOf = asOf }, headers, cancellationToken: cancellationToken)).Unit;
                    found.Add($"{candidate} ({unit.Name})");
                }
                catch (RpcException ex) when (ex.StatusCode == StatusCode.InvalidArgument)
                {
                }
            }

            var hint = found.Count == 0 ? null
                : Ui.T(
                    $"có phải là {string.Join(" hoặc ", found)}? Chương trình bảng tính bỏ các số 0 ở đầu mã trong ô không định dạng văn bản (Text)",
                    $"did you mean {string.Join(" or ", found)}? Spreadsheet programs drop the leading zeros of codes in cells not formatted as text");
            _hints[code + "|" + period] = hint;
            return hint;
        }

        /// <summary>"reports[3].values[1].number" → the column of the row's second value; "reports[3].period" → period.</summary>
        private static string ColumnOf(string field, List<string> valueColumns)
        {
            var match = ValuePath().Match(field);
            if (match.Success && int.TryParse(match.Groups[1].Value, out var index) && index < valueColumns.Count)
            {
                return valueColumns[index];
            }

            var dot = field.IndexOf("].", StringComparison.Ordinal);
            return dot >= 0 ? field[(dot + 2)..] : field;
        }

        /// <summary>"D (workers_reached)": the letter the officer sees, and the column's id.</summary>
        private string Display(string column) => _columns.IndexOf(column) is >= 0 and var index ? $"{SpreadsheetRows.ColumnName(index)} ({column})" : column;

        /// <summary>Keeps the first errors by row, however many there are: memory stays flat on a file of bad rows.</summary>
        private void Error(int row, string column, string message)
        {
            _errorCount++;
            _badRows.Add(row);
            _errors.Add(new ImportError(row, _columns.IndexOf(column), Display(column), message));
            if (_errors.Count >= MaxErrorsShown * 4)
            {
                var kept = Sorted(_errors).ToList();
                _errors.Clear();
                _errors.AddRange(kept);
            }
        }

        /// <summary>Stable across runs: the same row of the same file is the same report.</summary>
        private static string Key(Report report)
        {
            var text = new StringBuilder().Append(report.UnitCode).Append('|').Append(report.Period).Append('|').Append(report.ReportedAt.Seconds).Append('.').Append(report.ReportedAt.Nanos);
            foreach (var v in report.Values)
            {
                text.Append('|').Append(v.DataElement).Append('=').Append(v.ToString());
            }

            return "import-" + Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())), 0, 16).ToLowerInvariant();
        }

        [GeneratedRegex(@"values\[(\d+)\]")]
        private static partial Regex ValuePath();
    }
}
