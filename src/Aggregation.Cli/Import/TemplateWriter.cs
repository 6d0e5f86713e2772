using System.Globalization;
using CsvHelper;
using DocumentFormat.OpenXml;
using DocumentFormat.OpenXml.Packaging;
using DocumentFormat.OpenXml.Spreadsheet;

namespace Aggregation.Cli.Import;

/// <summary>Writes an import file: a header row and data rows, as .xlsx (text cells, header frozen) or CSV.</summary>
public static class TemplateWriter
{
    public static void Write(string path, IReadOnlyList<string> header, IEnumerable<IReadOnlyList<string>> rows)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (Path.GetExtension(path).Equals(".xlsx", StringComparison.OrdinalIgnoreCase))
        {
            WriteXlsx(path, header, rows);
            return;
        }

        using var writer = new StreamWriter(path, append: false, new System.Text.UTF8Encoding(true));
        using var csv = new CsvWriter(writer, CultureInfo.InvariantCulture);
        foreach (var row in new[] { header }.Concat(rows))
        {
            foreach (var cell in row)
            {
                csv.WriteField(cell);
            }

            csv.NextRecord();
        }
    }

    /// <summary>Streams rows with OpenXmlWriter, so a large file costs no more memory than a small one.</summary>
    public static void WriteXlsx(string path, IReadOnlyList<string> header, IEnumerable<IReadOnlyList<string>> rows)
    {
        ArgumentNullException.ThrowIfNull(header);
        ArgumentNullException.ThrowIfNull(rows);
        using var document = SpreadsheetDocument.Create(path, SpreadsheetDocumentType.Workbook);
        var workbook = document.AddWorkbookPart();
        workbook.Workbook = new Workbook();
        var styles = workbook.AddNewPart<WorkbookStylesPart>();
        styles.Stylesheet = new Stylesheet(
            new Fonts(new Font(), new Font(new Bold())),
            new Fills(new Fill(new PatternFill { PatternType = PatternValues.None }), new Fill(new PatternFill { PatternType = PatternValues.Gray125 })),
            new Borders(new Border()),
            new CellFormats(new CellFormat(), new CellFormat { FontId = 1, ApplyFont = true }));
        var sheet = workbook.AddNewPart<WorksheetPart>();
        using (var writer = OpenXmlWriter.Create(sheet))
        {
            writer.WriteStartElement(new Worksheet());
            writer.WriteElement(new SheetViews(new SheetView(new Pane { VerticalSplit = 1, TopLeftCell = "A2", ActivePane = PaneValues.BottomLeft, State = PaneStateValues.Frozen }) { WorkbookViewId = 0 }));
            writer.WriteElement(new Columns(header.Select((h, i) => new Column { Min = (uint)(i + 1), Max = (uint)(i + 1), Width = Math.Max(12, h.Length + 4), CustomWidth = true })));
            writer.WriteStartElement(new SheetData());
            var number = 0u;
            foreach (var row in new[] { header }.Concat(rows))
            {
                number++;
                writer.WriteStartElement(new Row { RowIndex = number });
                foreach (var cell in row)
                {
                    writer.WriteElement(new Cell
                    {
                        DataType = CellValues.InlineString,
                        InlineString = new InlineString(new Text(cell)),
                        StyleIndex = number == 1 ? 1u : 0u,
                    });
                }

                writer.WriteEndElement();
            }

            writer.WriteEndElement();
            writer.WriteEndElement();
        }

        workbook.Workbook.AppendChild(new Sheets(new Sheet { Id = workbook.GetIdOfPart(sheet), SheetId = 1, Name = "Báo cáo" }));
        workbook.Workbook.Save();
    }
}
