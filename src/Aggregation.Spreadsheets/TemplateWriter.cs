using System.Globalization;
using CsvHelper;
using DocumentFormat.OpenXml;
using DocumentFormat.OpenXml.Packaging;
using DocumentFormat.OpenXml.Spreadsheet;

namespace Aggregation.Spreadsheets;

/// <summary>What a template column holds, which decides its cell format and validation.</summary>
public enum TemplateColumnKind
{
    /// <summary>The unit's code: text, so a spreadsheet program keeps its leading zeros.</summary>
    Code,

    /// <summary>The unit's name (read by people, ignored by the import).</summary>
    Name,

    /// <summary>The period code: text, so 2025-03 does not become a date.</summary>
    Period,

    /// <summary>A count or stock: whole numbers from 0.</summary>
    Whole,

    /// <summary>Yes/no: Có or Không.</summary>
    Flag,

    /// <summary>Free text (entity ids separated by commas).</summary>
    Text,
}

/// <summary>A column of a template: the id the import reads, the heading people read, what it holds.</summary>
public sealed record TemplateColumn(string Id, string Heading, TemplateColumnKind Kind);

/// <summary>
/// Writes an import template. .xlsx: the headings in Vietnamese on row 1, the column ids on row 2
/// (hidden; the import reads them), both frozen with the unit's code and name; code and period
/// cells formatted as text, whole-number and Có/Không validation on the value cells, and a sheet of
/// instructions. CSV: the headings row then the ids row.
/// </summary>
public static class TemplateWriter
{
    /// <summary>Rows of the value columns' validation beyond the last written row, for rows people add.</summary>
    private const int SpareRows = 500;

    public const string Yes = "Có";
    public const string No = "Không";

    public static void Write(string path, IReadOnlyList<TemplateColumn> columns, IEnumerable<IReadOnlyList<string>> rows, IReadOnlyList<string> instructions)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(columns);
        if (Path.GetExtension(path).Equals(".xlsx", StringComparison.OrdinalIgnoreCase))
        {
            WriteXlsx(path, columns, rows, instructions);
            return;
        }

        // With a byte-order mark: spreadsheet programs then read the Vietnamese headings as UTF-8.
        using var writer = new StreamWriter(path, append: false, new System.Text.UTF8Encoding(true));
        using var csv = new CsvWriter(writer, CultureInfo.InvariantCulture);
        foreach (var row in new[] { columns.Select(c => c.Heading).ToList(), columns.Select(c => c.Id).ToList() }.Concat(rows))
        {
            foreach (var cell in row)
            {
                csv.WriteField(cell);
            }

            csv.NextRecord();
        }
    }

    private static void WriteXlsx(string path, IReadOnlyList<TemplateColumn> columns, IEnumerable<IReadOnlyList<string>> rows, IReadOnlyList<string> instructions)
    {
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentNullException.ThrowIfNull(instructions);
        using var document = SpreadsheetDocument.Create(path, SpreadsheetDocumentType.Workbook);
        var workbook = document.AddWorkbookPart();
        workbook.Workbook = new Workbook();
        var styles = workbook.AddNewPart<WorkbookStylesPart>();
        styles.Stylesheet = Styles();

        var sheet = workbook.AddNewPart<WorksheetPart>();
        uint number;
        using (var writer = OpenXmlWriter.Create(sheet))
        {
            writer.WriteStartElement(new Worksheet());

            // Headings and ids frozen above, code and name frozen on the left.
            writer.WriteElement(new SheetViews(new SheetView(
                new Pane { HorizontalSplit = 2, VerticalSplit = 2, TopLeftCell = "C3", ActivePane = PaneValues.BottomRight, State = PaneStateValues.Frozen },
                new Selection { Pane = PaneValues.BottomRight, ActiveCell = "D3", SequenceOfReferences = new ListValue<StringValue> { InnerText = "D3" } })
            { WorkbookViewId = 0 }));
            writer.WriteElement(new Columns(columns.Select((c, i) => new Column
            {
                Min = (uint)(i + 1),
                Max = (uint)(i + 1),
                Width = c.Kind switch { TemplateColumnKind.Code => 10, TemplateColumnKind.Period => 10, TemplateColumnKind.Name => 28, _ => 22 },
                CustomWidth = true,
                Style = StyleOf(c.Kind),
            })));
            writer.WriteStartElement(new SheetData());
            WriteRow(writer, new Row { RowIndex = 1, Height = 90, CustomHeight = true }, columns.Select(c => c.Heading).ToList(), _ => HeadingStyle);
            WriteRow(writer, new Row { RowIndex = 2, Hidden = true }, columns.Select(c => c.Id).ToList(), _ => IdStyle);
            number = 2;
            foreach (var row in rows)
            {
                number++;
                WriteRow(writer, new Row { RowIndex = number }, row, i => StyleOf(columns[i].Kind));
            }

            writer.WriteEndElement();

            var range = (uint last) => (int i) => $"{SpreadsheetRows.ColumnName(i)}3:{SpreadsheetRows.ColumnName(i)}{last}";
            var cells = range(number + SpareRows);
            var validations = columns.Select((c, i) => c.Kind switch
            {
                TemplateColumnKind.Whole => new DataValidation(new Formula1("0"))
                {
                    Type = DataValidationValues.Whole,
                    Operator = DataValidationOperatorValues.GreaterThanOrEqual,
                    AllowBlank = true,
                    ShowErrorMessage = true,
                    ShowInputMessage = true,
                    ErrorTitle = "Số nguyên",
                    Error = "Ô này chỉ nhận số nguyên từ 0 trở lên (1.000 là một nghìn). Để trống nếu không có số liệu.",
                    PromptTitle = "Số nguyên",
                    Prompt = "Số nguyên từ 0 trở lên; để trống nếu không có số liệu.",
                    SequenceOfReferences = new ListValue<StringValue> { InnerText = cells(i) },
                },
                TemplateColumnKind.Flag => new DataValidation(new Formula1($"\"{Yes},{No}\""))
                {
                    Type = DataValidationValues.List,
                    AllowBlank = true,
                    ShowErrorMessage = true,
                    ShowInputMessage = true,
                    ErrorTitle = "Có / Không",
                    Error = $"Chọn {Yes} hoặc {No} trong danh sách. Để trống nếu không có số liệu.",
                    PromptTitle = "Có / Không",
                    Prompt = $"Chọn {Yes} hoặc {No}.",
                    SequenceOfReferences = new ListValue<StringValue> { InnerText = cells(i) },
                },
                _ => null,
            }).OfType<DataValidation>().ToList();
            if (validations.Count > 0)
            {
                writer.WriteElement(new DataValidations(validations) { Count = (uint)validations.Count });
            }

            writer.WriteEndElement();
        }

        var help = workbook.AddNewPart<WorksheetPart>();
        help.Worksheet = new Worksheet(
            new Columns(new Column { Min = 1, Max = 1, Width = 100, CustomWidth = true, Style = WrapStyle }),
            new SheetData(instructions.Select((line, i) => new Row(new Cell { CellReference = $"A{i + 1}", DataType = CellValues.InlineString, InlineString = new InlineString(new Text(line)), StyleIndex = i == 0 ? HeadingStyle : WrapStyle }) { RowIndex = (uint)(i + 1) })));

        // A workbook view for the sheets' views to refer to (workbookViewId 0), opening on the data sheet.
        workbook.Workbook.AppendChild(new BookViews(new WorkbookView { ActiveTab = 0 }));
        workbook.Workbook.AppendChild(new Sheets(
            new Sheet { Id = workbook.GetIdOfPart(sheet), SheetId = 1, Name = "Báo cáo" },
            new Sheet { Id = workbook.GetIdOfPart(help), SheetId = 2, Name = "Hướng dẫn" }));
        workbook.Workbook.Save();
    }

    private const uint HeadingStyle = 1;
    private const uint TextStyle = 2;
    private const uint WholeStyle = 3;
    private const uint IdStyle = 4;
    private const uint WrapStyle = 5;

    private static uint StyleOf(TemplateColumnKind kind) => kind switch
    {
        TemplateColumnKind.Code or TemplateColumnKind.Period or TemplateColumnKind.Text or TemplateColumnKind.Flag => TextStyle,
        TemplateColumnKind.Whole => WholeStyle,
        _ => 0,
    };

    private static void WriteRow(OpenXmlWriter writer, Row row, IReadOnlyList<string> cells, Func<int, uint> style)
    {
        writer.WriteStartElement(row);
        for (var i = 0; i < cells.Count; i++)
        {
            // Blank value cells are not written: the column's format and validation apply to them.
            if (cells[i].Length == 0)
            {
                continue;
            }

            writer.WriteElement(new Cell
            {
                CellReference = SpreadsheetRows.ColumnName(i) + row.RowIndex!.Value.ToString(CultureInfo.InvariantCulture),
                DataType = CellValues.InlineString,
                InlineString = new InlineString(new Text(cells[i])),
                StyleIndex = style(i),
            });
        }

        writer.WriteEndElement();
    }

    private static Stylesheet Styles() => new(
        new Fonts(new Font(), new Font(new Bold()), new Font(new Italic(), new Color { Rgb = "FF595959" })) { Count = 3 },
        new Fills(
            new Fill(new PatternFill { PatternType = PatternValues.None }),
            new Fill(new PatternFill { PatternType = PatternValues.Gray125 }),
            new Fill(new PatternFill(new ForegroundColor { Rgb = "FFDDEBF7" }) { PatternType = PatternValues.Solid })) { Count = 3 },
        new Borders(
            new Border(),
            new Border(new LeftBorder { Style = BorderStyleValues.Thin }, new RightBorder { Style = BorderStyleValues.Thin }, new TopBorder { Style = BorderStyleValues.Thin }, new BottomBorder { Style = BorderStyleValues.Thin }, new DiagonalBorder())) { Count = 2 },
        new CellFormats(
            new CellFormat(),
            new CellFormat(new Alignment { WrapText = true, Vertical = VerticalAlignmentValues.Top }) { FontId = 1, FillId = 2, BorderId = 1, ApplyFont = true, ApplyFill = true, ApplyBorder = true, ApplyAlignment = true },
            new CellFormat { NumberFormatId = 49, ApplyNumberFormat = true },
            new CellFormat { NumberFormatId = 3, ApplyNumberFormat = true },
            new CellFormat { FontId = 2, ApplyFont = true },
            new CellFormat(new Alignment { WrapText = true, Vertical = VerticalAlignmentValues.Top }) { ApplyAlignment = true }) { Count = 6 });
}
