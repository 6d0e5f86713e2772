using System.Globalization;
using DocumentFormat.OpenXml;
using DocumentFormat.OpenXml.Packaging;
using DocumentFormat.OpenXml.Spreadsheet;

namespace Aggregation.Server.Export;

/// <summary>
/// The report's figures as a workbook (.xlsx, in Vietnamese), for officials who reuse them: the
/// targets with numerator, denominator, value, target and assessment; the child units one row each
/// with every target's result and assessment; the reports received per data set. Every sheet prints
/// on A4 landscape fitted to the page width, its header row repeated on each page. The document to
/// sign is <see cref="ReportDocument"/>.
/// </summary>
public static class ReportWorkbook
{
    private const uint Plain = 0;
    private const uint Bold = 1;
    private const uint Percent = 2;
    private const uint Title = 3;
    private const uint Header = 4;
    private const uint Wrapped = 5;
    private const uint Whole = 6;
    private const uint Note = 7;
    private const uint Subtitle = 8;
    private const uint Centred = 9;

    public const string ContentType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

    public static byte[] Write(ReportContent report)
    {
        ArgumentNullException.ThrowIfNull(report);
        using var buffer = new MemoryStream();
        using (var document = SpreadsheetDocument.Create(buffer, SpreadsheetDocumentType.Workbook))
        {
            var workbook = document.AddWorkbookPart();
            workbook.Workbook = new Workbook();
            workbook.AddNewPart<WorkbookStylesPart>().Stylesheet = Styles();
            var sheets = workbook.Workbook.AppendChild(new Sheets());
            var names = new DefinedNames();
            var unit = report.Unit;

            var targets = new List<Row>
            {
                Line(1, ($"Kết quả thực hiện {report.Programme.NameVi}", Title)),
                Line(2, ($"{unit.Unit.Name} - {ReportText.PeriodLabel(report.Period)}", Subtitle)),
                Line(3, ($"Số liệu đến {report.ProducedText}", Plain)),
                Tall(Line(5, ("Mã", Header), ("Chỉ tiêu", Header), ("Tử số", Header), ("Mẫu số", Header), ("Kết quả đạt được", Header), ("Mục tiêu", Header), ("Đánh giá", Header)), 32),
            };
            if (report.ApprovalNote is { } approval)
            {
                targets.Insert(3, Line(4, (approval, Note)));
            }

            var rowNumber = 6u;
            foreach (var indicator in unit.Indicators)
            {
                var row = new Row { RowIndex = rowNumber++ };
                var rate = indicator.HasDenominator;
                row.Append(
                    Text(indicator.IndicatorId, Bold),
                    Text(indicator.NameVi, Wrapped),
                    Number(indicator.HasNumerator ? indicator.Numerator : null, false),
                    Number(indicator.HasDenominator ? indicator.Denominator : null, false),
                    Number(indicator.HasValue ? indicator.Value : null, rate),
                    Number(indicator.HasTarget ? indicator.Target : null, rate),
                    Text(ReportText.Assessment(indicator), Centred));
                targets.Add(Tall(row, 30));
            }

            AddSheet(workbook, sheets, names, "Chỉ tiêu", targets, [8, 62, 11, 11, 12, 10, 20], headerRow: 5);

            if (report.Children.Count > 0 && report.UnitTables.Count > 0)
            {
                var ids = report.UnitTables.SelectMany(t => t).ToList();
                var note = "Mỗi ô: kết quả đạt được và đánh giá so với mục tiêu của kỳ (ghi dưới mã chỉ tiêu); \"–\": chưa có số liệu. Báo cáo: đã nhận/phải nhận (đúng hạn).";
                var units = new List<Row>
                {
                    Line(1, ($"Kết quả theo đơn vị - {unit.Unit.Name} - {ReportText.PeriodLabel(report.Period)}", Title)),
                    Tall(Line(2, (report.ReorganisationNote is { } change ? change + " " + note : note, Note)), 48),
                    Tall(Line(4, [("STT", Header), ("Đơn vị", Header), ("Cấp", Header), .. ids.Select(id => (ReportContent.Figure(unit, id) is { HasTarget: true } t ? $"{id}\n({ReportText.Target(t)})" : id, Header)), ("Báo cáo", Header)]), 32),
                };
                rowNumber = 5;
                var number = 0;
                foreach (var child in report.Children)
                {
                    var row = new Row { RowIndex = rowNumber++ };
                    row.Append(Number(++number, false), Text(child.Unit.Name, Wrapped), Text(ReportText.LevelLabel(child.Unit.Level), Centred));
                    foreach (var id in ids)
                    {
                        var figure = ReportContent.Figure(child, id);
                        row.Append(Text(figure is null || ReportText.Value(figure) == "–" ? "–" : $"{ReportText.Value(figure)} {ReportText.ShortAssessment(figure)}".Trim(), Centred));
                    }

                    row.Append(Text(ReportText.Received(child.Completeness), Centred));
                    units.Add(Tall(row, 30));
                }

                var widths = new List<double> { 5, 24, 9 };
                widths.AddRange(ids.Select(_ => 11.0));
                widths.Add(16);
                AddSheet(workbook, sheets, names, "Theo đơn vị", units, widths, headerRow: 4, merge: [$"A2:{ColumnName(widths.Count)}2"]);
            }

            var completeness = new List<Row>
            {
                Line(1, ($"Tình hình báo cáo - {unit.Unit.Name} - {ReportText.PeriodLabel(report.Period)}", Title)),
                Tall(Line(3, ("Loại báo cáo", Header), ("Phải báo cáo", Header), ("Đã báo cáo", Header), ("Đúng hạn", Header), ("Tỷ lệ đã báo cáo", Header), ("Hạn nộp (ngày sau kỳ)", Header)), 32),
            };
            rowNumber = 4;
            foreach (var set in unit.Completeness)
            {
                var row = new Row { RowIndex = rowNumber++ };
                row.Append(
                    Text(set.NameVi, Wrapped),
                    Number(set.Expected, false),
                    Number(set.Reported, false),
                    Number(set.OnTime, false),
                    Number(set.Expected > 0 ? (double)set.Reported / set.Expected : null, true),
                    Number(set.HasDeadlineDays ? set.DeadlineDays : null, false));
                completeness.Add(row);
            }

            AddSheet(workbook, sheets, names, "Tình hình báo cáo", completeness, [60, 13, 13, 13, 14, 14], headerRow: 3);
            workbook.Workbook.Append(names);
            workbook.Workbook.Save();
        }

        return buffer.ToArray();
    }

    /// <summary>A sheet that prints on A4 landscape, fitted to one page wide, its header row on every page.</summary>
    private static void AddSheet(WorkbookPart workbook, Sheets sheets, DefinedNames names, string name, List<Row> rows, IReadOnlyList<double> widths, uint headerRow, IReadOnlyList<string>? merge = null)
    {
        var part = workbook.AddNewPart<WorksheetPart>();
        var columns = new Columns(widths.Select((w, i) => new Column { Min = (uint)(i + 1), Max = (uint)(i + 1), Width = w, CustomWidth = true }));
        part.Worksheet = new Worksheet(
            new SheetProperties(new PageSetupProperties { FitToPage = true }),
            new SheetViews(new SheetView(new Pane { VerticalSplit = headerRow, TopLeftCell = $"A{headerRow + 1}", ActivePane = PaneValues.BottomLeft, State = PaneStateValues.Frozen }) { WorkbookViewId = 0 }),
            columns,
            new SheetData(rows));
        if (merge is { Count: > 0 })
        {
            part.Worksheet.Append(new MergeCells(merge.Select(m => new MergeCell { Reference = m })));
        }

        part.Worksheet.Append(
            new PrintOptions { HorizontalCentered = true },
            new PageMargins { Left = 0.8, Right = 0.5, Top = 0.7, Bottom = 0.7, Header = 0.3, Footer = 0.3 },
            new PageSetup { PaperSize = 9, Orientation = OrientationValues.Landscape, FitToWidth = 1, FitToHeight = 0 },
            new HeaderFooter(new OddFooter("&C&P/&N")));
        var index = (uint)sheets.ChildElements.Count;
        sheets.Append(new Sheet { Id = workbook.GetIdOfPart(part), SheetId = index + 1, Name = name });
        names.Append(new DefinedName($"'{name}'!${headerRow}:${headerRow}") { Name = "_xlnm.Print_Titles", LocalSheetId = index });
    }

    /// <summary>Row heights are set, not left to the reader: wrapped text in an unsized row prints cut off.</summary>
    private static Row Tall(Row row, double points)
    {
        row.Height = points;
        row.CustomHeight = true;
        return row;
    }

    private static string ColumnName(int number)
    {
        var name = "";
        for (; number > 0; number = (number - 1) / 26)
        {
            name = (char)('A' + ((number - 1) % 26)) + name;
        }

        return name;
    }

    private static Row Line(uint index, params (string Text, uint Style)[] cells)
    {
        var row = new Row { RowIndex = index };
        row.Append(cells.Select(c => Text(c.Text, c.Style)));
        return row;
    }

    private static Cell Text(string text, uint style) =>
        new() { DataType = CellValues.InlineString, InlineString = new InlineString(new Text(text)), StyleIndex = style };

    private static Cell Number(double? value, bool percent) => value is { } v && double.IsFinite(v)
        ? new Cell { CellValue = new CellValue(v.ToString("R", CultureInfo.InvariantCulture)), DataType = CellValues.Number, StyleIndex = percent ? Percent : Whole }
        : Text("–", Centred);

    private static Stylesheet Styles() => new(
        new NumberingFormats(new NumberingFormat { NumberFormatId = 164, FormatCode = "0.0%" }) { Count = 1 },
        new Fonts(new Font(new FontSize { Val = 11 }, new FontName { Val = "Times New Roman" }), new Font(new Bold(), new FontSize { Val = 11 }, new FontName { Val = "Times New Roman" }), new Font(new Bold(), new FontSize { Val = 13 }, new FontName { Val = "Times New Roman" })),
        new Fills(new Fill(new PatternFill { PatternType = PatternValues.None }), new Fill(new PatternFill { PatternType = PatternValues.Gray125 }), new Fill(new PatternFill(new ForegroundColor { Rgb = "FFE7E6E6" }) { PatternType = PatternValues.Solid })),
        new Borders(new Border(), new Border(new LeftBorder { Style = BorderStyleValues.Thin }, new RightBorder { Style = BorderStyleValues.Thin }, new TopBorder { Style = BorderStyleValues.Thin }, new BottomBorder { Style = BorderStyleValues.Thin }, new DiagonalBorder())),
        new CellStyleFormats(new CellFormat { FontId = 0, FillId = 0, BorderId = 0 }),
        new CellFormats(
            new CellFormat { BorderId = 0 },
            new CellFormat { FontId = 1, BorderId = 1, ApplyFont = true, ApplyBorder = true, Alignment = new Alignment { Vertical = VerticalAlignmentValues.Center }, ApplyAlignment = true },
            new CellFormat { NumberFormatId = 164, BorderId = 1, ApplyNumberFormat = true, ApplyBorder = true, Alignment = new Alignment { Vertical = VerticalAlignmentValues.Center }, ApplyAlignment = true },
            new CellFormat { FontId = 2, ApplyFont = true },
            new CellFormat { FontId = 1, FillId = 2, BorderId = 1, ApplyFont = true, ApplyFill = true, ApplyBorder = true, Alignment = new Alignment { WrapText = true, Vertical = VerticalAlignmentValues.Top, Horizontal = HorizontalAlignmentValues.Center }, ApplyAlignment = true },
            new CellFormat { BorderId = 1, ApplyBorder = true, Alignment = new Alignment { WrapText = true, Vertical = VerticalAlignmentValues.Center }, ApplyAlignment = true },
            new CellFormat { NumberFormatId = 3, BorderId = 1, ApplyNumberFormat = true, ApplyBorder = true, Alignment = new Alignment { Vertical = VerticalAlignmentValues.Center }, ApplyAlignment = true },
            new CellFormat { Alignment = new Alignment { WrapText = true, Vertical = VerticalAlignmentValues.Top }, ApplyAlignment = true },
            new CellFormat { FontId = 1, ApplyFont = true },
            new CellFormat { BorderId = 1, ApplyBorder = true, Alignment = new Alignment { WrapText = true, Vertical = VerticalAlignmentValues.Center, Horizontal = HorizontalAlignmentValues.Center }, ApplyAlignment = true }),
        // The Normal style names Times New Roman, so that cells without a font of their own use it too.
        new CellStyles(new CellStyle { Name = "Normal", FormatId = 0, BuiltinId = 0 }));
}
