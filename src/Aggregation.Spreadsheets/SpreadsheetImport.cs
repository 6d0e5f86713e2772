using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Aggregation.Protos.V1;
using Google.Protobuf.WellKnownTypes;

namespace Aggregation.Spreadsheets;

/// <summary>
/// Where an import's reports go: the server's SubmitReports (validate_only for the checking pass), over
/// gRPC for the command line or through the server's own pipeline for the upload page.
/// </summary>
public interface IReportSink
{
    /// <summary>One batch (at most 1000 reports); the response has a result per report, by index.</summary>
    Task<SubmitReportsResponse> SubmitAsync(IReadOnlyList<Report> reports, bool validateOnly, CancellationToken cancellationToken);

    /// <summary>The name of the unit a code names on a day, or null when the tenant has none (for the hint on codes that lost their leading zeros).</summary>
    Task<string?> UnitNameAsync(string code, string asOf, CancellationToken cancellationToken);

    /// <summary>A server's violation in both languages; by default as the server wrote it, in either.</summary>
    Said Explain(string description) => Said.Same(description);
}

/// <summary>
/// An error of an imported file: the row as the spreadsheet program numbers it, the column's position
/// (for ordering; -1 when the file has no such column), the column as the officer sees it
/// ("C (awareness_activities)") with its id, and what is wrong in both languages.
/// </summary>
public sealed record ImportError(int Row, int Index, string Column, string ColumnId, Said Message);

/// <summary>
/// The import of one spreadsheet, as the command line and the upload page run it: a checking pass over
/// the whole file (every row read, turned into a report, and checked by the server without applying
/// it), then, when allowed, an applying pass over the rows that passed. The file is read twice rather
/// than held: memory stays flat however long it is, and errors are kept to the first
/// <see cref="MaxErrorsKept"/> by row.
/// </summary>
public sealed partial class SpreadsheetImport
{
    /// <summary>The errors kept (in row order); the count of all of them is <see cref="ErrorCount"/>.</summary>
    public const int MaxErrorsKept = 200;

    /// <summary>The widths GSO codes are written in (province 2, district 3, commune 5 digits): where a lost leading zero is looked for.</summary>
    private static readonly int[] CodeWidths = [2, 3, 5];

    private readonly Protos.V1.Programme _programme;
    private readonly string _path;
    private readonly string _sourceSystem;
    private readonly Timestamp _reportedAt;
    private readonly NumberFormat _numbers;
    private readonly int _batchSize;
    private readonly IReportSink _sink;
    private readonly Dictionary<string, string> _types;
    private readonly Dictionary<string, string> _headings;
    private readonly Dictionary<string, Said?> _hints = new(StringComparer.Ordinal);
    private readonly List<ImportError> _errors = [];
    private readonly List<ImportError> _refusedWhenApplied = [];
    private readonly HashSet<int> _badRows = [];
    private readonly List<string> _columns = [];
    private SpreadsheetHeader? _header;

    /// <param name="path">The file, CSV or .xlsx by its extension.</param>
    /// <param name="sourceSystem">What the reports say they came from ("aggregation import march.xlsx").</param>
    /// <param name="reportedAt">
    /// The file's time, which every report carries: importing the same file again repeats the same
    /// reports (duplicates, counted once); an edited file's reports are later and replace earlier values.
    /// </param>
    public SpreadsheetImport(Protos.V1.Programme programme, string path, string sourceSystem, Timestamp reportedAt, NumberFormat numbers, int batchSize, IReportSink sink)
    {
        ArgumentNullException.ThrowIfNull(programme);
        _programme = programme;
        _path = path;
        _sourceSystem = sourceSystem;
        _reportedAt = reportedAt;
        _numbers = numbers;
        _batchSize = Math.Clamp(batchSize, 1, 1000);
        _sink = sink;
        _types = programme.DataElements.ToDictionary(e => e.Id, e => e.Type, StringComparer.Ordinal);
        _headings = Headings(programme);
    }

    /// <summary>Data rows of the file (after the checking pass).</summary>
    public int Rows { get; private set; }

    /// <summary>Every error found by the checking pass, kept or not.</summary>
    public int ErrorCount { get; private set; }

    /// <summary>Rows with at least one error.</summary>
    public int BadRows => _badRows.Count;

    /// <summary>Rows the officer left without any value: skipped, not errors.</summary>
    public int BlankRows { get; private set; }

    /// <summary>The header itself is wrong: no row can be read, so none is valid.</summary>
    public bool HeaderRefused { get; private set; }

    /// <summary>Rows the applying pass sends: those with values and without errors.</summary>
    public int RowsToImport => HeaderRefused ? 0 : Math.Max(0, Rows - BadRows - BlankRows);

    /// <summary>The first <see cref="MaxErrorsKept"/> errors, in row order then column order.</summary>
    public IReadOnlyList<ImportError> Errors => Sorted(_errors).ToList();

    /// <summary>Rows that passed the check but were refused when applied (the values held changed meanwhile).</summary>
    public IReadOnlyList<ImportError> RefusedWhenApplied => Sorted(_refusedWhenApplied).ToList();

    /// <summary>
    /// The checking pass: reads every row, sends the reports in batches with validate_only, and keeps
    /// what is wrong by row and column. <paramref name="progress"/> is told the rows read after each batch.
    /// </summary>
    public async Task ValidateAsync(Action<int>? progress, CancellationToken cancellationToken)
    {
        Rows = await PassAsync(validate: true, progress is null ? null : (_, rows) => progress(rows), cancellationToken);
        progress?.Invoke(Rows);
    }

    /// <summary>
    /// The applying pass over the rows without errors (after <see cref="ValidateAsync"/>); <paramref name="done"/>
    /// is told each batch's answer and its size. Returns the totals.
    /// </summary>
    public async Task<SubmitReportsResponse> ImportAsync(Action<SubmitReportsResponse, int>? done, CancellationToken cancellationToken)
    {
        if (HeaderRefused)
        {
            throw new InvalidOperationException("A file whose header is refused has no valid row to import.");
        }

        var totals = new SubmitReportsResponse();
        await PassAsync(validate: false, (response, count) =>
        {
            totals.Accepted += response.Accepted;
            totals.Duplicates += response.Duplicates;
            totals.Rejected += response.Rejected;
            done?.Invoke(response, count);
        }, cancellationToken);
        return totals;
    }

    /// <summary>Data rows of a file without checking them (for a progress bar's total), reading it as the import does.</summary>
    public static int CountRows(string path) => SpreadsheetRows.Read(path, []).Count();

    /// <summary>Element names (Vietnamese and English) and the templates' headings, for files whose header is the headings alone.</summary>
    private static Dictionary<string, string> Headings(Protos.V1.Programme programme)
    {
        var headings = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
        {
            [Normalize(TemplateLayout.UnitHeading)] = TemplateLayout.UnitColumn,
            [Normalize(TemplateLayout.NameHeading)] = TemplateLayout.NameColumn,
            [Normalize(TemplateLayout.PeriodHeading)] = TemplateLayout.PeriodColumn,
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
        foreach (var row in SpreadsheetRows.Read(_path, _columns, h => _headings.GetValueOrDefault(Normalize(h)), h => _header = h))
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
                BlankRows++;
            }

            if (built is { } b)
            {
                batch.Add((row, b.Report, b.Columns));
            }

            if (batch.Count == _batchSize)
            {
                await SendAsync(batch, validate, done, rows, cancellationToken);
                batch.Clear();
            }
        }

        if (batch.Count > 0)
        {
            await SendAsync(batch, validate, done, rows, cancellationToken);
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
        string Where(Language l) => ids == row ? "" : l.T(
            $" (mã cột nằm ở dòng {ids}, dòng mã cột của biểu mẫu, được ẩn trong tệp .xlsx)",
            $" (the column ids are on row {ids}, the template's row of ids, hidden in .xlsx)");
        foreach (var required in new[] { TemplateLayout.UnitColumn, TemplateLayout.PeriodColumn })
        {
            if (!_columns.Contains(required))
            {
                Error(row, required, Said.Both(l => l.T(
                    $"thiếu cột này: dòng tiêu đề phải ghi mã các cột ({TemplateLayout.UnitColumn}, {TemplateLayout.PeriodColumn}, rồi mã các chỉ số) hoặc các tiêu đề của biểu mẫu ({TemplateLayout.UnitHeading}, {TemplateLayout.PeriodHeading}, rồi tên các chỉ số){Where(l)}",
                    $"this column is missing: the header row names the columns by id ({TemplateLayout.UnitColumn}, {TemplateLayout.PeriodColumn}, then data elements) or by the template's headings ({TemplateLayout.UnitHeading}, {TemplateLayout.PeriodHeading}, then the elements' names){Where(l)}")));
            }
        }

        foreach (var column in _columns.Where(c => c.Length > 0 && c is not (TemplateLayout.UnitColumn or TemplateLayout.PeriodColumn or TemplateLayout.NameColumn) && !_types.ContainsKey(c)))
        {
            Error(row, column, Said.Both(l => l.T($"không phải mã hay tên chỉ số nào của chương trình {_programme.Id}{Where(l)}", $"not a data element of {_programme.Id}{Where(l)}")));
        }

        HeaderRefused = ErrorCount > 0;
        return ErrorCount == 0;
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
            UnitCode = row.Cells.GetValueOrDefault(TemplateLayout.UnitColumn, ""),
            Period = row.Cells.GetValueOrDefault(TemplateLayout.PeriodColumn, ""),
            ProgrammeId = _programme.Id,
            ReportedAt = _reportedAt,
            SourceSystem = _sourceSystem,
        };
        var columns = new List<string>();
        var ok = true;
        if (row.Typed.Contains(TemplateLayout.PeriodColumn) && double.TryParse(report.Period, NumberStyles.Float, CultureInfo.InvariantCulture, out var serial) && serial is >= 36526 and < 73051)
        {
            // 2025-03 typed into a cell not formatted as text becomes a date (1 March 2025).
            var date = DateTime.FromOADate(serial);
            var (day, month) = (date.ToString("dd/MM/yyyy", CultureInfo.InvariantCulture), date.ToString("yyyy-MM", CultureInfo.InvariantCulture));
            ok = Fail(validate, row.Number, TemplateLayout.PeriodColumn, Said.Both(l => l.T(
                $"ô chứa một ngày ({day}), không phải kỳ báo cáo: chương trình bảng tính tự đổi kỳ gõ vào ô không định dạng văn bản (Text) thành ngày; hãy định dạng ô là văn bản và viết {month}",
                $"the cell holds a date ({day}), not a period: spreadsheet programs turn a period typed into a cell not formatted as text into a date; format the cell as text and write {month}")));
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
                        default: ok = Fail(validate, row.Number, column, Said.Both(l => l.T($"'{text}' không phải Có/Không: hãy viết {TemplateWriter.Yes} hoặc {TemplateWriter.No} (hoặc yes/no)", $"'{text}' is not yes/no: write {TemplateWriter.Yes} or {TemplateWriter.No} (or yes/no)"))); continue;
                    }

                    break;
                case "entities":
                    value.Entities = new EntityIds { Ids = { text.Split([',', ';'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) } };
                    break;
                default:
                    var typed = row.Typed.Contains(column);
                    if (!Number(text, typed, Language.Vietnamese, out var number, out _))
                    {
                        ok = Fail(validate, row.Number, column, Said.Both(l =>
                        {
                            Number(text, typed, l, out _, out var problem);
                            return problem;
                        }));
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
    private bool Number(string text, bool typed, Language language, out decimal number, out string problem)
    {
        if (typed)
        {
            if (!decimal.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out number))
            {
                problem = language.T($"'{text}' không phải là số", $"'{text}' is not a number");
                return false;
            }

            return NumberReader.IsWhole(number, NumberReader.Format(number, _numbers), _numbers, language, out problem);
        }

        return NumberReader.TryParseWhole(text, _numbers, language, out number, out problem);
    }

    private bool Fail(bool validate, int row, string column, Said message)
    {
        if (validate)
        {
            Error(row, column, message);
        }

        return false;
    }

    private async Task SendAsync(List<(SpreadsheetRow Row, Report Report, List<string> ValueColumns)> batch, bool validate, Action<SubmitReportsResponse, int>? done, int rowsRead, CancellationToken cancellationToken)
    {
        var response = await _sink.SubmitAsync(batch.Select(b => b.Report).ToList(), validate, cancellationToken);
        foreach (var result in response.Results.Where(r => r.Outcome == ReportOutcome.Rejected))
        {
            var (row, report, valueColumns) = batch[result.Index];
            foreach (var violation in result.Violations)
            {
                var column = ColumnOf(violation.Field, valueColumns);
                var message = _sink.Explain(violation.Description);
                if (column == TemplateLayout.UnitColumn && await HintAsync(report.UnitCode, report.Period, cancellationToken) is { } hint)
                {
                    message = new Said(message.Vi + "; " + hint.Vi, message.En + "; " + hint.En);
                }

                if (validate)
                {
                    Error(row.Number, column, message);
                }
                else
                {
                    _refusedWhenApplied.Add(ErrorAt(row.Number, column, message));
                    Trim(_refusedWhenApplied);
                }
            }
        }

        done?.Invoke(response, validate ? rowsRead : batch.Count);
    }

    /// <summary>
    /// "did you mean 05458 (Phường Đồng Quang)?" for a code that lost its leading zeros, as spreadsheet
    /// programs do to 05458 in a cell not formatted as text: the padded codes the tenant knows in the period.
    /// </summary>
    private async Task<Said?> HintAsync(string code, string period, CancellationToken cancellationToken)
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
            if (await _sink.UnitNameAsync(candidate, asOf, cancellationToken) is { } name)
            {
                found.Add($"{candidate} ({name})");
            }
        }

        var hint = found.Count == 0 ? null
            : Said.Both(l => l.T(
                $"có phải là {string.Join(" hoặc ", found)}? Chương trình bảng tính bỏ các số 0 ở đầu mã trong ô không định dạng văn bản (Text)",
                $"did you mean {string.Join(" or ", found)}? Spreadsheet programs drop the leading zeros of codes in cells not formatted as text"));
        _hints[code + "|" + period] = hint;
        return hint;
    }

    /// <summary>"reports[3].values[1].number" → the column of the row's second value; "reports[3].period" → period.</summary>
    private static string ColumnOf(string field, List<string> valueColumns)
    {
        var match = ValuePath().Match(field);
        if (match.Success && int.TryParse(match.Groups[1].Value, CultureInfo.InvariantCulture, out var index) && index < valueColumns.Count)
        {
            return valueColumns[index];
        }

        var dot = field.IndexOf("].", StringComparison.Ordinal);
        return dot >= 0 ? field[(dot + 2)..] : field;
    }

    /// <summary>"D (workers_reached)": the letter the officer sees, and the column's id.</summary>
    private string Display(string column) => _columns.IndexOf(column) is >= 0 and var index ? $"{SpreadsheetRows.ColumnName(index)} ({column})" : column;

    private ImportError ErrorAt(int row, string column, Said message) => new(row, _columns.IndexOf(column), Display(column), column, message);

    /// <summary>Keeps the first errors by row, however many there are: memory stays flat on a file of bad rows.</summary>
    private void Error(int row, string column, Said message)
    {
        ErrorCount++;
        _badRows.Add(row);
        _errors.Add(ErrorAt(row, column, message));
        Trim(_errors);
    }

    private static void Trim(List<ImportError> errors)
    {
        if (errors.Count >= MaxErrorsKept * 4)
        {
            var kept = Sorted(errors).ToList();
            errors.Clear();
            errors.AddRange(kept);
        }
    }

    private static IEnumerable<ImportError> Sorted(IEnumerable<ImportError> errors) =>
        errors.OrderBy(e => e.Row).ThenBy(e => e.Index).Take(MaxErrorsKept);

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
