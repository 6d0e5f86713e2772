using System.Globalization;
using CsvHelper;
using CsvHelper.Configuration;
using DocumentFormat.OpenXml.Packaging;
using DocumentFormat.OpenXml.Spreadsheet;
using OpenXmlReader = DocumentFormat.OpenXml.OpenXmlReader;

namespace Aggregation.Spreadsheets;

/// <summary>
/// One data row of an import file: its number as the officer sees it (the first row is 1) and its
/// cells by column id. <see cref="Typed"/> names the columns whose cell is a number typed in an .xlsx
/// (its text is then the number in invariant notation, as the file stores it).
/// </summary>
public sealed record SpreadsheetRow(int Number, IReadOnlyDictionary<string, string> Cells)
{
    public IReadOnlySet<string> Typed { get; init; } = new HashSet<string>();
}

/// <summary>
/// Where a file's header is, by the row numbers people see: <see cref="Headings"/> is the row they read
/// the columns by (the first row), <see cref="Ids"/> the row of column ids the import reads; the same row
/// unless the file has both (a template: its headings, then its ids on a row hidden in .xlsx).
/// </summary>
public sealed record SpreadsheetHeader(int Headings, int Ids);

/// <summary>
/// Reads a CSV or .xlsx file row by row, without loading it whole: memory stays flat however long
/// the file. The header is the row of column ids (<c>unit_code</c>, <c>period</c>, element ids): the
/// first row, or the second when the first holds the headings people read (the templates' hidden id
/// row); a file whose only header is the headings has them translated to ids. Empty rows are skipped.
/// </summary>
public static class SpreadsheetRows
{
    /// <summary>The file's data rows; <paramref name="columns"/> receives the column ids (by position) once enumeration starts.</summary>
    /// <param name="heading">The id a heading stands for (null: none), for files whose header is the headings alone.</param>
    /// <param name="header">Told where the header is, once enumeration starts.</param>
    /// <param name="language">The language of the sentence when the file is not a workbook it can read.</param>
    public static IEnumerable<SpreadsheetRow> Read(string path, List<string> columns, Func<string, string?>? heading = null, Action<SpreadsheetHeader>? header = null, Language language = default)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(columns);
        var raw = Path.GetExtension(path).Equals(".xlsx", StringComparison.OrdinalIgnoreCase) ? ReadXlsx(path, language) : ReadCsv(path);
        return Rows(raw, columns, heading ?? (_ => null), header ?? (_ => { }));
    }

    /// <summary>"A", "B", … "AA": the column as spreadsheet programs name it.</summary>
    public static string ColumnName(int index)
    {
        var name = "";
        for (var i = index + 1; i > 0; i = (i - 1) / 26)
        {
            name = (char)('A' + ((i - 1) % 26)) + name;
        }

        return name;
    }

    private sealed record RawRow(int Number, Dictionary<int, (string Text, bool Typed)> Cells)
    {
        public bool Has(string text) => Cells.Values.Any(c => c.Text == text);

        public List<string> Texts() => Enumerable.Range(0, Cells.Count == 0 ? 0 : Cells.Keys.Max() + 1).Select(i => Cells.TryGetValue(i, out var c) ? c.Text : "").ToList();
    }

    private static IEnumerable<SpreadsheetRow> Rows(IEnumerable<RawRow> raw, List<string> columns, Func<string, string?> heading, Action<SpreadsheetHeader> header)
    {
        using var rows = raw.GetEnumerator();
        if (!rows.MoveNext())
        {
            yield break;
        }

        var first = rows.Current;
        RawRow? pending = null;
        if (first.Has(TemplateLayout.UnitColumn))
        {
            columns.AddRange(first.Texts());
            header(new SpreadsheetHeader(first.Number, first.Number));
        }
        else
        {
            pending = rows.MoveNext() ? rows.Current : null;
            if (pending is not null && pending.Has(TemplateLayout.UnitColumn))
            {
                // Headings people read, then the ids.
                columns.AddRange(pending.Texts());
                header(new SpreadsheetHeader(first.Number, pending.Number));
                pending = null;
            }
            else
            {
                columns.AddRange(first.Texts().Select(t => heading(t) ?? t));
                header(new SpreadsheetHeader(first.Number, first.Number));
            }
        }

        if (pending is not null && ToRow(pending, columns) is { } firstData)
        {
            yield return firstData;
        }

        while (rows.MoveNext())
        {
            if (ToRow(rows.Current, columns) is { } row)
            {
                yield return row;
            }
        }
    }

    private static SpreadsheetRow? ToRow(RawRow raw, List<string> columns)
    {
        var cells = new Dictionary<string, string>(StringComparer.Ordinal);
        var typed = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (index, (text, isNumber)) in raw.Cells)
        {
            if (index < columns.Count && columns[index].Length > 0)
            {
                cells[columns[index]] = text;
                if (isNumber)
                {
                    typed.Add(columns[index]);
                }
            }
        }

        return cells.Count == 0 ? null : new SpreadsheetRow(raw.Number, cells) { Typed = typed };
    }

    private static IEnumerable<RawRow> ReadCsv(string path)
    {
        using var reader = new StreamReader(path);
        // Blank lines are read (and skipped below) rather than ignored, so that rows keep the numbers a spreadsheet program shows.
        using var csv = new CsvParser(reader, new CsvConfiguration(CultureInfo.InvariantCulture) { DetectDelimiter = true, TrimOptions = TrimOptions.Trim, BadDataFound = null, IgnoreBlankLines = false });
        var number = 0;
        while (csv.Read())
        {
            number++;
            var cells = new Dictionary<int, (string, bool)>();
            var record = csv.Record ?? [];
            for (var i = 0; i < record.Length; i++)
            {
                if (record[i].Trim() is { Length: > 0 } text)
                {
                    cells[i] = (text, false);
                }
            }

            if (cells.Count > 0)
            {
                yield return new RawRow(number, cells);
            }
        }
    }

    private static IEnumerable<RawRow> ReadXlsx(string path, Language language)
    {
        using var document = SpreadsheetDocument.Open(path, isEditable: false);
        var workbook = document.WorkbookPart ?? throw new InvalidDataException(language.T($"{path} không có bảng tính (workbook).", $"{path} has no workbook."));
        var first = workbook.Workbook.Sheets?.Elements<Sheet>().FirstOrDefault() ?? throw new InvalidDataException(language.T($"{path} không có trang tính nào.", $"{path} has no sheet."));
        var sheet = (WorksheetPart)workbook.GetPartById(first.Id!);
        var shared = workbook.SharedStringTablePart?.SharedStringTable.Elements<SharedStringItem>().Select(s => s.InnerText).ToArray() ?? [];

        using var reader = OpenXmlReader.Create(sheet);
        var previous = 0;
        while (reader.Read())
        {
            if (reader.ElementType != typeof(Row) || !reader.IsStartElement)
            {
                continue;
            }

            var row = (Row)reader.LoadCurrentElement()!;
            var number = (int)(row.RowIndex?.Value ?? (uint)(previous + 1));
            previous = number;
            var values = new Dictionary<int, (string, bool)>();
            var next = 0;
            foreach (var cell in row.Elements<Cell>())
            {
                // Cells name their column ("C7"); writers may omit it for consecutive cells.
                var column = cell.CellReference?.Value is { } reference ? ColumnIndex(reference) : next;
                next = column + 1;
                var type = cell.DataType?.Value;
                var text = type == CellValues.SharedString && int.TryParse(cell.CellValue?.Text, out var index) && index < shared.Length
                    ? shared[index]
                    : type == CellValues.InlineString ? cell.InlineString?.InnerText ?? "" : cell.CellValue?.Text ?? "";

                // A cell without a type (or typed n) holds a number the spreadsheet program read as one.
                var isNumber = type is null || type == CellValues.Number;
                if (text.Trim() is { Length: > 0 } trimmed)
                {
                    values[column] = (trimmed, isNumber);
                }
            }

            if (values.Count > 0)
            {
                yield return new RawRow(number, values);
            }
        }
    }

    /// <summary>"C7" → 2.</summary>
    private static int ColumnIndex(string reference)
    {
        var index = 0;
        foreach (var c in reference)
        {
            if (!char.IsAsciiLetter(c))
            {
                break;
            }

            index = (index * 26) + (char.ToUpperInvariant(c) - 'A' + 1);
        }

        return index - 1;
    }
}
