using System.Globalization;
using DocumentFormat.OpenXml;
using DocumentFormat.OpenXml.Packaging;
using DocumentFormat.OpenXml.Wordprocessing;

namespace Aggregation.Server.Export;

/// <summary>
/// The report as the document an official signs (.docx): laid out as a Vietnamese administrative
/// document (Nghị định 30/2020/NĐ-CP): agency and number on the left, national motto and slogan on
/// the right, place and date, "BÁO CÁO" and its subject, the body with its tables, "Nơi nhận:" and
/// the signature block. A4 landscape, Times New Roman, tables fitted to the page width with their
/// header rows repeated on every page; units are rows so that 9 districts or 92 communes both fit.
/// </summary>
public static class ReportDocument
{
    public const string ContentType = "application/vnd.openxmlformats-officedocument.wordprocessingml.document";

    // A4 landscape in twentieths of a point; margins of Nghị định 30 (left 30 mm, right 15 mm, top and bottom 20 mm).
    private const int PageWidth = 16838;
    private const int PageHeight = 11906;
    private const int MarginLeft = 1701;
    private const int MarginRight = 850;
    private const int MarginTop = 1134;
    private const int MarginBottom = 1134;
    private const int TextWidth = PageWidth - MarginLeft - MarginRight;

    private const string Font = "Times New Roman";
    private const int Body = 28;
    private const int TableText = 22;
    private const int NarrowTableText = 20;

    public static byte[] Write(ReportContent report)
    {
        ArgumentNullException.ThrowIfNull(report);
        using var buffer = new MemoryStream();
        using (var document = WordprocessingDocument.Create(buffer, WordprocessingDocumentType.Document))
        {
            var main = document.AddMainDocumentPart();
            main.AddNewPart<StyleDefinitionsPart>().Styles = Styles();
            var header = main.AddNewPart<HeaderPart>();
            header.Header = new Header(PageNumber());
            var body = new DocumentFormat.OpenXml.Wordprocessing.Body();
            main.Document = new Document(body);

            body.Append(Letterhead(report.Letterhead));
            body.Append(
                Text("BÁO CÁO", Body, bold: true, align: JustificationValues.Center, before: 240),
                Text(report.Subject, Body, bold: true, align: JustificationValues.Center),
                Rule(1700, TextWidth));
            if (report.ApprovalNote is { } approval)
            {
                body.Append(Text(approval, Body, bold: true, italic: true, align: JustificationValues.Center));
            }

            body.Append(Paragraph(
                $"Căn cứ {report.Programme.NameVi}, {report.Letterhead.Issuer} báo cáo kết quả thực hiện {ReportText.PeriodPhrase(report.Period)} (từ ngày {ReportText.Date(report.Period.Start)} đến ngày {ReportText.Date(report.Period.End.AddDays(-1))}) như sau:"));

            body.Append(Heading("I. KẾT QUẢ THỰC HIỆN CÁC CHỈ TIÊU"));
            body.Append(Paragraph($"Số liệu tổng hợp từ báo cáo của các đơn vị đến {report.ProducedText}. {report.Summary}"));
            body.Append(Caption($"Bảng 1. Kết quả các chỉ tiêu của {report.Unit.Unit.Name}"));
            body.Append(TargetsTable(report));

            if (report.Children.Count > 0 && report.UnitTables.Count > 0)
            {
                body.Append(Heading($"II. KẾT QUẢ THEO ĐƠN VỊ ({report.ChildLevels.ToUpperInvariant()})"));
                if (report.ReorganisationNote is { } note)
                {
                    body.Append(Paragraph(note));
                }

                for (var t = 0; t < report.UnitTables.Count; t++)
                {
                    var suffix = report.UnitTables.Count > 1 ? ((char)('a' + t)).ToString() : "";
                    body.Append(Caption($"Bảng 2{suffix}. Kết quả và đánh giá từng chỉ tiêu theo đơn vị"));
                    body.Append(UnitsTable(report, report.UnitTables[t], withReports: t == report.UnitTables.Count - 1));
                }

                body.Append(Note("Tiêu đề cột: mã chỉ tiêu và mục tiêu của kỳ. Mỗi ô: kết quả đạt được và đánh giá so với mục tiêu. Dấu \"–\": chưa có số liệu. Cột \"Báo cáo\": số báo cáo đã nhận/phải nhận trong kỳ, trong đó số nhận đúng hạn."));
            }

            body.Append(Heading(report.Children.Count > 0 && report.UnitTables.Count > 0 ? "III. TÌNH HÌNH BÁO CÁO" : "II. TÌNH HÌNH BÁO CÁO"));
            body.Append(Caption("Bảng 3. Số đơn vị phải báo cáo, đã báo cáo và báo cáo đúng hạn theo từng loại báo cáo"));
            body.Append(CompletenessTable(report));

            body.Append(Paragraph($"Trên đây là báo cáo kết quả thực hiện {report.Programme.NameVi} trong {ReportText.PeriodPhrase(report.Period)}./."));
            body.Append(Closing(report.Letterhead));

            body.Append(new SectionProperties(
                new HeaderReference { Type = HeaderFooterValues.Default, Id = main.GetIdOfPart(header) },
                new PageSize { Width = PageWidth, Height = PageHeight, Orient = PageOrientationValues.Landscape },
                new PageMargin { Top = MarginTop, Bottom = MarginBottom, Left = MarginLeft, Right = MarginRight, Header = 567, Footer = 567, Gutter = 0 },
                new TitlePage()));
            main.Document.Save();
        }

        return buffer.ToArray();
    }

    /// <summary>Agency and number on the left, motto, slogan, place and date on the right, without borders.</summary>
    private static Table Letterhead(ReportLetterhead letterhead)
    {
        const int left = 6237;
        const int right = TextWidth - left;
        var table = new Table(
            new TableProperties(new TableWidth { Width = TextWidth.ToString(CultureInfo.InvariantCulture), Type = TableWidthUnitValues.Dxa }, new TableLayout { Type = TableLayoutValues.Fixed }, NoBorders()),
            new TableGrid(new GridColumn { Width = left.ToString(CultureInfo.InvariantCulture) }, new GridColumn { Width = right.ToString(CultureInfo.InvariantCulture) }));
        table.Append(new TableRow(
            Cell(left, [
                Text(letterhead.GoverningBody, 26, align: JustificationValues.Center),
                Text(letterhead.Agency, 26, bold: true, align: JustificationValues.Center),
                Rule(1300, left - 216),
            ]),
            Cell(right, [
                Text("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", 26, bold: true, align: JustificationValues.Center),
                Text("Độc lập - Tự do - Hạnh phúc", Body, bold: true, align: JustificationValues.Center),
                Rule(3900, right - 216),
            ])));
        table.Append(new TableRow(
            Cell(left, [Text($"Số:        /BC-{letterhead.Symbol}", 26, align: JustificationValues.Center, before: 120)]),
            Cell(right, [Text($"{letterhead.Place}, ngày … tháng … năm …", Body, italic: true, align: JustificationValues.Center, before: 120)])));
        return table;
    }

    /// <summary>Every target of the unit: numerator, denominator, result, target, assessment.</summary>
    private static Table TargetsTable(ReportContent report)
    {
        int[] widths = [1000, 0, 1400, 1400, 1400, 1400, 2400];
        widths[1] = TextWidth - widths.Sum();
        var table = Grid(widths);
        table.Append(HeaderRow(widths, TableText, ["Mã", "Chỉ tiêu", "Tử số", "Mẫu số", "Kết quả đạt được", "Mục tiêu", "Đánh giá"]));
        foreach (var indicator in report.Unit.Indicators)
        {
            table.Append(BodyRow(widths, TableText, [
                (indicator.IndicatorId, JustificationValues.Center, true),
                (indicator.NameVi, JustificationValues.Left, false),
                (indicator.HasNumerator ? ReportText.Number(indicator.Numerator) : "–", JustificationValues.Right, false),
                (indicator.HasDenominator ? ReportText.Number(indicator.Denominator) : "–", JustificationValues.Right, false),
                (ReportText.Value(indicator), JustificationValues.Right, false),
                (ReportText.Target(indicator), JustificationValues.Right, false),
                (ReportText.Assessment(indicator), JustificationValues.Center, false),
            ]));
        }

        return table;
    }

    /// <summary>One row per child unit, one column per target (result and assessment), then the reports received.</summary>
    private static Table UnitsTable(ReportContent report, IReadOnlyList<string> targets, bool withReports)
    {
        const int number = 600;
        const int name = 2900;
        const int reports = 1900;
        var each = (TextWidth - number - name - (withReports ? reports : 0)) / targets.Count;
        var widths = new List<int> { number, name };
        widths.AddRange(targets.Select(_ => each));
        if (withReports)
        {
            widths.Add(reports);
        }

        var titles = new List<string> { "STT", "Đơn vị" };
        foreach (var id in targets)
        {
            var target = ReportContent.Figure(report.Unit, id);
            titles.Add(target is { HasTarget: true } ? $"{id}\n({ReportText.Target(target)})" : id);
        }

        if (withReports)
        {
            titles.Add("Báo cáo");
        }

        var table = Grid([.. widths]);
        table.Append(HeaderRow([.. widths], NarrowTableText, titles));
        var row = 0;
        foreach (var (heading, units) in report.ChildGroups)
        {
            if (heading is not null)
            {
                table.Append(new TableRow(
                    new TableRowProperties(new CantSplit()),
                    new TableCell(
                        new TableCellProperties(new TableCellWidth { Width = TextWidth.ToString(CultureInfo.InvariantCulture), Type = TableWidthUnitValues.Dxa }, new GridSpan { Val = widths.Count }),
                        Text(heading, NarrowTableText, bold: true, italic: true))));
            }

            foreach (var unit in units)
            {
                var cells = new List<(string, JustificationValues, bool)>
                {
                    ((++row).ToString(CultureInfo.InvariantCulture), JustificationValues.Center, false),
                    (unit.Unit.Name, JustificationValues.Left, false),
                };
                foreach (var id in targets)
                {
                    var figure = ReportContent.Figure(unit, id);
                    cells.Add(figure is null || ReportText.Value(figure) == "–"
                        ? ("–", JustificationValues.Center, false)
                        : ($"{ReportText.Value(figure)}\n{ReportText.ShortAssessment(figure)}".TrimEnd('\n'), JustificationValues.Center, false));
                }

                if (withReports)
                {
                    cells.Add((ReportText.Received(unit.Completeness), JustificationValues.Center, false));
                }

                table.Append(BodyRow([.. widths], NarrowTableText, cells));
            }
        }

        return table;
    }

    private static Table CompletenessTable(ReportContent report)
    {
        int[] widths = [700, 0, 1500, 1500, 1500, 1500, 1900];
        widths[1] = TextWidth - widths.Sum();
        var table = Grid(widths);
        table.Append(HeaderRow(widths, TableText, ["STT", "Loại báo cáo", "Phải báo cáo", "Đã báo cáo", "Đúng hạn", "Tỷ lệ đã báo cáo", "Hạn nộp"]));
        var row = 0;
        foreach (var set in report.Unit.Completeness)
        {
            table.Append(BodyRow(widths, TableText, [
                ((++row).ToString(CultureInfo.InvariantCulture), JustificationValues.Center, false),
                (set.NameVi, JustificationValues.Left, false),
                (ReportText.Number(set.Expected), JustificationValues.Right, false),
                (ReportText.Number(set.Reported), JustificationValues.Right, false),
                (ReportText.Number(set.OnTime), JustificationValues.Right, false),
                (set.Expected > 0 ? ReportText.Percent((double)set.Reported / set.Expected) : "–", JustificationValues.Right, false),
                (set.HasDeadlineDays ? $"{set.DeadlineDays} ngày sau kỳ" : "Không đặt", JustificationValues.Center, false),
            ]));
        }

        if (row == 0)
        {
            table.Append(new TableRow(new TableCell(
                new TableCellProperties(new TableCellWidth { Width = TextWidth.ToString(CultureInfo.InvariantCulture), Type = TableWidthUnitValues.Dxa }, new GridSpan { Val = widths.Length }),
                Text("Chưa nhận được báo cáo nào trong kỳ.", TableText, italic: true))));
        }

        return table;
    }

    /// <summary>"Nơi nhận:" on the left, the signer's title and room to sign on the right.</summary>
    private static Table Closing(ReportLetterhead letterhead)
    {
        const int left = 6237;
        const int right = TextWidth - left;
        var recipients = new List<OpenXmlElement> { Text("Nơi nhận:", 24, bold: true, italic: true, before: 240) };
        recipients.AddRange(letterhead.Recipients.Select(r => Text("- " + r, 22)));
        var signature = new List<OpenXmlElement> { Text(letterhead.SignerTitle, Body, bold: true, align: JustificationValues.Center, before: 240) };
        signature.AddRange(Enumerable.Range(0, 5).Select(_ => Text("", Body)));
        var table = new Table(
            new TableProperties(new TableWidth { Width = TextWidth.ToString(CultureInfo.InvariantCulture), Type = TableWidthUnitValues.Dxa }, new TableLayout { Type = TableLayoutValues.Fixed }, NoBorders()),
            new TableGrid(new GridColumn { Width = left.ToString(CultureInfo.InvariantCulture) }, new GridColumn { Width = right.ToString(CultureInfo.InvariantCulture) }),
            new TableRow(new TableRowProperties(new CantSplit()), Cell(left, recipients), Cell(right, signature)));
        return table;
    }

    private static Table Grid(IReadOnlyList<int> widths)
    {
        var border = (BorderType b) => { b.Val = BorderValues.Single; b.Size = 4; b.Color = "000000"; return b; };
        return new Table(
            new TableProperties(
                new TableWidth { Width = TextWidth.ToString(CultureInfo.InvariantCulture), Type = TableWidthUnitValues.Dxa },
                new TableLayout { Type = TableLayoutValues.Fixed },
                new TableBorders(
                    border(new TopBorder()), border(new LeftBorder()), border(new BottomBorder()), border(new RightBorder()),
                    border(new InsideHorizontalBorder()), border(new InsideVerticalBorder())),
                new TableCellMarginDefault(
                    new TopMargin { Width = "30", Type = TableWidthUnitValues.Dxa },
                    new TableCellLeftMargin { Width = 70, Type = TableWidthValues.Dxa },
                    new BottomMargin { Width = "30", Type = TableWidthUnitValues.Dxa },
                    new TableCellRightMargin { Width = 70, Type = TableWidthValues.Dxa })),
            new TableGrid(widths.Select(w => new GridColumn { Width = w.ToString(CultureInfo.InvariantCulture) })));
    }

    /// <summary>A header row repeated at the top of every page the table runs onto.</summary>
    private static TableRow HeaderRow(IReadOnlyList<int> widths, int size, IReadOnlyList<string> titles)
    {
        var row = new TableRow(new TableRowProperties(new TableHeader(), new CantSplit()));
        for (var i = 0; i < titles.Count; i++)
        {
            var lines = titles[i].Split('\n');
            var cell = new TableCell(new TableCellProperties(
                new TableCellWidth { Width = widths[i].ToString(CultureInfo.InvariantCulture), Type = TableWidthUnitValues.Dxa },
                new Shading { Val = ShadingPatternValues.Clear, Fill = "E7E6E6", Color = "auto" },
                new TableCellVerticalAlignment { Val = TableVerticalAlignmentValues.Top }));
            cell.Append(lines.Select((l, n) => Text(l, size, bold: n == 0, align: JustificationValues.Center)));
            row.Append(cell);
        }

        return row;
    }

    private static TableRow BodyRow(IReadOnlyList<int> widths, int size, IReadOnlyList<(string Text, JustificationValues Align, bool Bold)> cells)
    {
        var row = new TableRow(new TableRowProperties(new CantSplit()));
        for (var i = 0; i < cells.Count; i++)
        {
            var (text, align, bold) = cells[i];
            var cell = new TableCell(new TableCellProperties(
                new TableCellWidth { Width = widths[i].ToString(CultureInfo.InvariantCulture), Type = TableWidthUnitValues.Dxa },
                new TableCellVerticalAlignment { Val = TableVerticalAlignmentValues.Top }));
            cell.Append(text.Split('\n').Select(l => Text(l, size, bold: bold, align: align)));
            row.Append(cell);
        }

        return row;
    }

    private static TableCell Cell(int width, IEnumerable<OpenXmlElement> content)
    {
        var cell = new TableCell(new TableCellProperties(new TableCellWidth { Width = width.ToString(CultureInfo.InvariantCulture), Type = TableWidthUnitValues.Dxa }));
        cell.Append(content);
        return cell;
    }

    private static TableBorders NoBorders() => new(
        new TopBorder { Val = BorderValues.None }, new LeftBorder { Val = BorderValues.None },
        new BottomBorder { Val = BorderValues.None }, new RightBorder { Val = BorderValues.None },
        new InsideHorizontalBorder { Val = BorderValues.None }, new InsideVerticalBorder { Val = BorderValues.None });

    /// <summary>The short solid line under the agency, the slogan and the subject: an empty paragraph's bottom border, indented to the line's length.</summary>
    private static Paragraph Rule(int length, int within)
    {
        // Centred in the width it sits in (a cell less its margins, or the text width) by indenting
        // it equally from both sides.
        var indent = Math.Max(0, (within - length) / 2).ToString(CultureInfo.InvariantCulture);
        return new Paragraph(
            new ParagraphProperties(
                new ParagraphBorders(new BottomBorder { Val = BorderValues.Single, Size = 6, Color = "000000", Space = 1 }),
                new SpacingBetweenLines { Before = "0", After = "0", Line = "120", LineRule = LineSpacingRuleValues.Exact },
                new Indentation { Left = indent, Right = indent },
                new Justification { Val = JustificationValues.Center }),
            new Run(new RunProperties(new FontSize { Val = "4" }), new Text("")));
    }

    private static Paragraph Heading(string text) => Text(text, Body, bold: true, before: 200, indent: 567, align: JustificationValues.Both, keepWithNext: true);

    private static Paragraph Caption(string text) => Text(text, 24, bold: true, italic: true, align: JustificationValues.Center, before: 160, after: 80, keepWithNext: true);

    private static Paragraph Note(string text) => Text(text, 22, italic: true, before: 60, align: JustificationValues.Both);

    private static Paragraph Paragraph(string text) => Text(text, Body, before: 120, indent: 567, align: JustificationValues.Both);

    private static Paragraph Text(string text, int size, bool bold = false, bool italic = false, JustificationValues? align = null, int before = 0, int after = 0, int indent = 0, bool keepWithNext = false)
    {
        var properties = new ParagraphProperties();
        if (keepWithNext)
        {
            properties.Append(new KeepNext());
        }

        properties.Append(new SpacingBetweenLines { Before = before.ToString(CultureInfo.InvariantCulture), After = after.ToString(CultureInfo.InvariantCulture), Line = "264", LineRule = LineSpacingRuleValues.Auto });
        if (indent > 0)
        {
            properties.Append(new Indentation { FirstLine = indent.ToString(CultureInfo.InvariantCulture) });
        }

        properties.Append(new Justification { Val = align ?? JustificationValues.Left });
        var run = new RunProperties(new RunFonts { Ascii = Font, HighAnsi = Font, ComplexScript = Font, EastAsia = Font });
        if (bold)
        {
            run.Append(new Bold());
        }

        if (italic)
        {
            run.Append(new Italic());
        }

        run.Append(new FontSize { Val = size.ToString(CultureInfo.InvariantCulture) }, new FontSizeComplexScript { Val = size.ToString(CultureInfo.InvariantCulture) });
        return new Paragraph(properties, new Run(run, new Text(text) { Space = SpaceProcessingModeValues.Preserve }));
    }

    /// <summary>The page number at the top centre of every page after the first (Nghị định 30).</summary>
    private static Paragraph PageNumber() => new(
        new ParagraphProperties(new Justification { Val = JustificationValues.Center }),
        new Run(new RunProperties(new RunFonts { Ascii = Font, HighAnsi = Font }, new FontSize { Val = "26" }), new FieldChar { FieldCharType = FieldCharValues.Begin }),
        new Run(new RunProperties(new RunFonts { Ascii = Font, HighAnsi = Font }, new FontSize { Val = "26" }), new FieldCode(" PAGE ") { Space = SpaceProcessingModeValues.Preserve }),
        new Run(new RunProperties(new RunFonts { Ascii = Font, HighAnsi = Font }, new FontSize { Val = "26" }), new FieldChar { FieldCharType = FieldCharValues.Separate }),
        new Run(new RunProperties(new RunFonts { Ascii = Font, HighAnsi = Font }, new FontSize { Val = "26" }), new Text("2")),
        new Run(new RunProperties(new RunFonts { Ascii = Font, HighAnsi = Font }, new FontSize { Val = "26" }), new FieldChar { FieldCharType = FieldCharValues.End }));

    private static Styles Styles() => new(
        new DocDefaults(
            new RunPropertiesDefault(new RunPropertiesBaseStyle(
                new RunFonts { Ascii = Font, HighAnsi = Font, ComplexScript = Font, EastAsia = Font },
                new FontSize { Val = Body.ToString(CultureInfo.InvariantCulture) },
                new Languages { Val = "vi-VN" })),
            new ParagraphPropertiesDefault(new ParagraphPropertiesBaseStyle(new SpacingBetweenLines { After = "0", Line = "264", LineRule = LineSpacingRuleValues.Auto }))));
}
