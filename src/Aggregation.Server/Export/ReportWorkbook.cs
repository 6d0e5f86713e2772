using System.Globalization;
using Aggregation.Periods;
using Aggregation.Protos.V1;
using DocumentFormat.OpenXml;
using DocumentFormat.OpenXml.Packaging;
using DocumentFormat.OpenXml.Spreadsheet;

namespace Aggregation.Server.Export;

/// <summary>
/// The 6-monthly or annual report as officials read it (.xlsx, in Vietnamese): the plan's targets
/// table - each target, the value reached, the target and whether it is met - with a column per
/// child unit (district), and a second sheet of reporting completeness per data set.
/// </summary>
public static class ReportWorkbook
{
    private const uint Plain = 0;
    private const uint Bold = 1;
    private const uint Percent = 2;
    private const uint Title = 3;
    private const uint Header = 4;

    public const string ContentType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

    public static string PeriodLabel(Period period) => period.Type switch
    {
        PeriodType.SixMonthly => period.Number == 1 ? $"6 tháng đầu năm {period.Year}" : $"6 tháng cuối năm {period.Year}",
        PeriodType.Yearly => $"Năm {period.Year}",
        PeriodType.Quarterly => $"Quý {period.Number} năm {period.Year}",
        PeriodType.Monthly => $"Tháng {period.Number}/{period.Year}",
        _ => $"Giai đoạn {period.Year}–{period.EndYear}",
    };

    public static string StatusLabel(Protos.V1.IndicatorStatus status) => status switch
    {
        Protos.V1.IndicatorStatus.Met => "Đạt",
        Protos.V1.IndicatorStatus.OnTrack => "Đúng tiến độ",
        Protos.V1.IndicatorStatus.OffTrack => "Chưa đạt",
        Protos.V1.IndicatorStatus.NoTarget => "Không đặt mục tiêu",
        _ => "Chưa có số liệu",
    };

    public static byte[] Write(Protos.V1.Programme programme, Period period, UnitRollup unit, IReadOnlyList<UnitRollup> children, DateTimeOffset produced)
    {
        ArgumentNullException.ThrowIfNull(programme);
        ArgumentNullException.ThrowIfNull(unit);
        ArgumentNullException.ThrowIfNull(children);
        using var buffer = new MemoryStream();
        using (var document = SpreadsheetDocument.Create(buffer, SpreadsheetDocumentType.Workbook))
        {
            var workbook = document.AddWorkbookPart();
            workbook.Workbook = new Workbook();
            workbook.AddNewPart<WorkbookStylesPart>().Stylesheet = Styles();
            var sheets = workbook.Workbook.AppendChild(new Sheets());

            var targets = new List<Row>
            {
                Line(1, (programme.NameVi, Title)),
                Line(2, ($"{unit.Unit.Name} - {PeriodLabel(period)}", Bold)),
                Line(3, ($"Lập ngày {produced.ToOffset(TimeSpan.FromHours(7)):dd/MM/yyyy HH:mm} (giờ Việt Nam)", Plain)),
                Line(5, [("Chỉ tiêu", Header), ("Nội dung", Header), ("Kết quả đạt được", Header), ("Mục tiêu", Header), ("Đánh giá", Header), .. children.Select(c => (c.Unit.Name, Header))]),
            };
            var rowNumber = 6u;
            foreach (var indicator in unit.Indicators)
            {
                var row = new Row { RowIndex = rowNumber++ };
                var rate = indicator.HasDenominator;
                row.Append(Text(indicator.IndicatorId, Bold), Text(indicator.NameVi, Plain), Number(indicator.HasValue ? indicator.Value : null, rate), Number(indicator.HasTarget ? indicator.Target : null, rate), Text(StatusLabel(indicator.Status), Plain));
                foreach (var child in children)
                {
                    var figure = child.Indicators.FirstOrDefault(i => i.IndicatorId == indicator.IndicatorId);
                    row.Append(Number(figure is { HasValue: true } ? figure.Value : null, rate));
                }

                targets.Add(row);
            }

            AddSheet(workbook, sheets, 1, "Chỉ tiêu", targets, [12, 70, 16, 12, 18, .. children.Select(_ => 16.0)]);

            var completeness = new List<Row>
            {
                Line(1, ("Tình hình báo cáo: đã báo cáo (đúng hạn) / phải báo cáo", Title)),
                Line(3, [("Bộ báo cáo", Header), (unit.Unit.Name, Header), .. children.Select(c => (c.Unit.Name, Header))]),
            };
            rowNumber = 4;
            foreach (var set in unit.Completeness)
            {
                var row = new Row { RowIndex = rowNumber++ };
                row.Append(Text(set.NameVi, Plain), Text($"{set.Reported} ({set.OnTime})/{set.Expected}", Plain));
                foreach (var child in children)
                {
                    var c = child.Completeness.FirstOrDefault(x => x.DataSet == set.DataSet);
                    row.Append(Text(c is null ? "" : $"{c.Reported} ({c.OnTime})/{c.Expected}", Plain));
                }

                completeness.Add(row);
            }

            AddSheet(workbook, sheets, 2, "Mức độ đầy đủ", completeness, [60, 18, .. children.Select(_ => 16.0)]);
            workbook.Workbook.Save();
        }

        return buffer.ToArray();
    }

    private static void AddSheet(WorkbookPart workbook, Sheets sheets, uint id, string name, List<Row> rows, IReadOnlyList<double> widths)
    {
        var part = workbook.AddNewPart<WorksheetPart>();
        var columns = new Columns(widths.Select((w, i) => new Column { Min = (uint)(i + 1), Max = (uint)(i + 1), Width = w, CustomWidth = true }));
        part.Worksheet = new Worksheet(columns, new SheetData(rows));
        sheets.Append(new Sheet { Id = workbook.GetIdOfPart(part), SheetId = id, Name = name });
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
        ? new Cell { CellValue = new CellValue(v.ToString("R", CultureInfo.InvariantCulture)), DataType = CellValues.Number, StyleIndex = percent ? Percent : Plain }
        : Text("-", Plain);

    private static Stylesheet Styles() => new(
        new Fonts(new Font(), new Font(new Bold()), new Font(new Bold(), new FontSize { Val = 14 })),
        new Fills(new Fill(new PatternFill { PatternType = PatternValues.None }), new Fill(new PatternFill { PatternType = PatternValues.Gray125 }), new Fill(new PatternFill(new ForegroundColor { Rgb = "FFDDEBF7" }) { PatternType = PatternValues.Solid })),
        new Borders(new Border()),
        new CellFormats(
            new CellFormat(),
            new CellFormat { FontId = 1, ApplyFont = true },
            new CellFormat { NumberFormatId = 10, ApplyNumberFormat = true },
            new CellFormat { FontId = 2, ApplyFont = true },
            new CellFormat { FontId = 1, FillId = 2, ApplyFont = true, ApplyFill = true, Alignment = new Alignment { WrapText = true, Vertical = VerticalAlignmentValues.Center }, ApplyAlignment = true }));
}
