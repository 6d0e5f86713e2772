using System.Globalization;
using CsvHelper;
using CsvHelper.Configuration;
using DocumentFormat.OpenXml.Packaging;
using DocumentFormat.OpenXml.Spreadsheet;
using OpenXmlReader = DocumentFormat.OpenXml.OpenXmlReader;

namespace Aggregation.Cli.Import;

/// <summary>One data row of an import file: its number as the officer sees it (header = row 1) and its cells by column header.</summary>
public sealed record SpreadsheetRow(int Number, IReadOnlyDictionary<string, string> Cells);

/// <summary>
/// Reads a CSV or .xlsx file row by row, without loading it whole: memory stays flat however long
/// the file. The first row names the columns; empty rows are skipped.
/// </summary>
public static class SpreadsheetRows
{
    /// <summary>The file's data rows; <paramref name="columns"/> receives the header once enumeration starts.</summary>
    public static IEnumerable<SpreadsheetRow> Read(string path, List<string> columns)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(columns);
        return Path.GetExtension(path).Equals(".xlsx", StringComparison.OrdinalIgnoreCase) ? ReadXlsx(path, columns) : ReadCsv(path, columns);
    }

    private static IEnumerable<SpreadsheetRow> ReadCsv(string path, List<string> columns)
    {
        using var reader = new StreamReader(path);
        using var csv = new CsvReader(reader, new CsvConfiguration(CultureInfo.InvariantCulture) { DetectDelimiter = true, TrimOptions = TrimOptions.Trim, BadDataFound = null });
        if (!csv.Read() || !csv.ReadHeader())
        {
            yield break;
        }

        columns.AddRange(csv.HeaderRecord!.Select(h => h.Trim()));
        var number = 1;
        while (csv.Read())
        {
            number++;
            var cells = new Dictionary<string, string>(StringComparer.Ordinal);
            for (var i = 0; i < columns.Count; i++)
            {
                var value = csv.GetField(i) ?? "";
                if (value.Length > 0)
                {
                    cells[columns[i]] = value;
                }
            }

            if (cells.Count > 0)
            {
                yield return new SpreadsheetRow(number, cells);
            }
        }
    }

    private static IEnumerable<SpreadsheetRow> ReadXlsx(string path, List<string> columns)
    {
        using var document = SpreadsheetDocument.Open(path, isEditable: false);
        var workbook = document.WorkbookPart ?? throw new InvalidDataException($"{path} has no workbook.");
        var first = workbook.Workbook.Sheets?.Elements<Sheet>().FirstOrDefault() ?? throw new InvalidDataException($"{path} has no sheet.");
        var sheet = (WorksheetPart)workbook.GetPartById(first.Id!);
        var shared = workbook.SharedStringTablePart?.SharedStringTable.Elements<SharedStringItem>().Select(s => s.InnerText).ToArray() ?? [];

        using var reader = OpenXmlReader.Create(sheet);
        while (reader.Read())
        {
            if (reader.ElementType != typeof(Row) || !reader.IsStartElement)
            {
                continue;
            }

            var row = (Row)reader.LoadCurrentElement()!;
            var number = (int)(row.RowIndex?.Value ?? 0);
            var values = new Dictionary<int, string>();
            var next = 0;
            foreach (var cell in row.Elements<Cell>())
            {
                // Cells name their column ("C7"); writers may omit it for consecutive cells.
                var column = cell.CellReference?.Value is { } reference ? ColumnIndex(reference) : next;
                next = column + 1;
                var text = cell.DataType?.Value == CellValues.SharedString && int.TryParse(cell.CellValue?.Text, out var index) && index < shared.Length
                    ? shared[index]
                    : cell.DataType?.Value == CellValues.InlineString ? cell.InlineString?.InnerText ?? "" : cell.CellValue?.Text ?? "";
                if (text.Trim() is { Length: > 0 } trimmed)
                {
                    values[column] = trimmed;
                }
            }

            if (columns.Count == 0)
            {
                var width = values.Count == 0 ? 0 : values.Keys.Max() + 1;
                columns.AddRange(Enumerable.Range(0, width).Select(i => values.GetValueOrDefault(i, "")));
                continue;
            }

            var cells = values.Where(v => v.Key < columns.Count && columns[v.Key].Length > 0).ToDictionary(v => columns[v.Key], v => v.Value, StringComparer.Ordinal);
            if (cells.Count > 0)
            {
                yield return new SpreadsheetRow(number, cells);
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
