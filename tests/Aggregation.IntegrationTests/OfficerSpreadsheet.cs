using Aggregation.Spreadsheets;
using DocumentFormat.OpenXml.Packaging;
using DocumentFormat.OpenXml.Spreadsheet;

namespace Aggregation.IntegrationTests;

/// <summary>An officer at work on an import template, for the command-line and upload-page tests alike.</summary>
public static class OfficerSpreadsheet
{
    /// <summary>
    /// What an officer does in a spreadsheet program: types values into the template's rows (a typed
    /// number is a number cell, anything else a text cell) and saves.
    /// </summary>
    public static void Fill(string path, Func<string, string, IEnumerable<(string Column, string Value, bool Typed)>> values)
    {
        using var document = SpreadsheetDocument.Open(path, true);
        var workbook = document.WorkbookPart!;
        var sheet = (WorksheetPart)workbook.GetPartById(workbook.Workbook.Sheets!.Elements<Sheet>().First().Id!);
        var rows = sheet.Worksheet.Descendants<Row>().ToList();
        var ids = rows.Single(r => r.RowIndex!.Value == 2).Elements<Cell>().Select(c => c.InnerText).ToList();
        foreach (var row in rows.Where(r => r.RowIndex!.Value > 2))
        {
            var cells = row.Elements<Cell>().ToList();
            foreach (var (column, value, typed) in values(cells[0].InnerText, cells[2].InnerText).OrderBy(v => ids.IndexOf(v.Column)))
            {
                var reference = SpreadsheetRows.ColumnName(ids.IndexOf(column)) + row.RowIndex!.Value;
                Cell cell = typed
                    ? new Cell { CellReference = reference, CellValue = new CellValue(value) }
                    : new Cell { CellReference = reference, DataType = CellValues.InlineString, InlineString = new InlineString(new DocumentFormat.OpenXml.Spreadsheet.Text(value)) };
                if (row.Elements<Cell>().FirstOrDefault(c => c.CellReference?.Value == reference) is { } written)
                {
                    // Typed over: what the officer typed replaces the template's cell.
                    written.InsertAfterSelf(cell);
                    written.Remove();
                }
                else
                {
                    row.AppendChild(cell);
                }
            }
        }

        sheet.Worksheet.Save();
    }

}
