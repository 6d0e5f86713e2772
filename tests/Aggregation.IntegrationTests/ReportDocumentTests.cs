using System.Globalization;
using System.Text.RegularExpressions;
using Aggregation.Cli;
using Aggregation.Protos.V1;
using DocumentFormat.OpenXml.Packaging;
using DocumentFormat.OpenXml.Spreadsheet;
using Spectre.Console;
using static Aggregation.IntegrationTests.ReportGenerator;

namespace Aggregation.IntegrationTests;

/// <summary>
/// The report the provincial department signs and sends upward (`aggregation report`), printed to
/// PDF with LibreOffice as an official would print it: an administrative document's layout, every
/// target's figures, a row per district (or per commune after 1 July 2025), A4 landscape with no
/// column pushed off the page and the header row repeated on every page of a table.
/// </summary>
public sealed class ReportDocumentTests(ServerFixture server) : IClassFixture<ServerFixture>, IAsyncLifetime
{
    private static readonly TimeSpan PrintTimeout = TimeSpan.FromSeconds(120);

    // The unit table's columns for districts and communes (the targets the plan measures at those levels).
    private static readonly string[] DistrictColumns = ["STT", "Đơn", "T1.1", "T1.3a", "T1.3b", "T3.1", "T3.2b", "T3.2c", "T4.2", "T5.1b", "Báo"];
    private static readonly string[] CommuneColumns = ["STT", "Đơn", "T1.3a", "T3.1", "T3.2b", "T3.2c", "T4.2", "T5.1b", "Báo"];

    private readonly DirectoryInfo _folder = Directory.CreateTempSubdirectory("report-");
    private readonly ReportGenerator _reports = new(1411);

    public async Task InitializeAsync()
    {
        // A few figures in the first half of 2025, with thousands, so that every target has something
        // to print. 900 workers reached in March and again in April out of 1.200 employed: 150 %, a
        // figure to check rather than a target met.
        Report[] reports =
        [
            _reports.New("05443", "2025-03", Number("establishments_at_risk", 12), Number("workers_at_establishments", 1200), Entities("establishments_inspected", "CS-01", "CS-02")),
            _reports.New("05443", "2025-04", Number("establishments_at_risk", 12), Number("workers_at_establishments", 1200)),
            _reports.New("05443", "2025-03", Number("awareness_activities", 2), Number("workers_reached", 900), Number("complaints_received", 3), Number("complaints_handled_on_time", 2), Number("support_wishing_eligible", 5), Number("support_accessed", 3)),
            _reports.New("05443", "2025-04", Number("workers_reached", 900)),
            _reports.New("164", "2025S1", Flag("district_plan_adopted", true), Number("industrial_zone_workers", 5000), Number("industrial_zone_workers_reached", 3500), Number("local_officials", 20), Number("local_officials_trained", 12)),
            _reports.New("19", "2025-02", Number("press_publications", 2)),
            _reports.New("19", "2025S1", Number("provincial_officials", 40), Number("provincial_officials_trained", 30)),
        ];
        foreach (var report in reports)
        {
            var ack = await server.Ingestion.SubmitReportAsync(new SubmitReportRequest { Report = report });
            // Each test of the class submits them; the server keeps them once.
            Assert.Contains(ack.Result.Outcome, (ReportOutcome[])[ReportOutcome.Accepted, ReportOutcome.Duplicate]);
        }

        await Eventually.WaitAsync(
            () => server.ReadAsync(ServerFixture.ProvinceCode, "2025S1"),
            r => Indicator(r, "T1.3a").Numerator == 1800 && Indicator(r, "T1.3b").Numerator == 3500 && Indicator(r, "T5.1a").Numerator == 30 && Indicator(r, "T1.2").Numerator == 1,
            TimeSpan.FromSeconds(10),
            r => $"T1.3a {Indicator(r, "T1.3a").Numerator}, T1.3b {Indicator(r, "T1.3b").Numerator}");
    }

    public Task DisposeAsync()
    {
        _folder.Delete(recursive: true);
        return Task.CompletedTask;
    }

    [Fact]
    public async Task The_half_year_report_prints_as_a_signable_administrative_document_on_A4_landscape_with_every_targets_figures_and_a_row_per_district()
    {
        var path = Path.Combine(_folder.FullName, "bao-cao-2025S1.docx");
        var (exit, output) = await CliAsync("report", "--unit", "19", "--period", "2025S1", "-o", path);
        Assert.True(exit == 0, output);

        var pages = await PrintedDocument.PrintAsync(path, PrintTimeout);

        // Two pages of targets and districts and one for reports received and the signature; never a
        // page per few columns.
        Assert.InRange(pages.Count, 2, 4);
        AssertA4LandscapeWithNothingOffThePage(pages);
        var text = Squeeze(string.Join(" ", pages.Select(p => p.Text)));
        Assert.Contains("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", text, StringComparison.Ordinal);
        Assert.Contains("Độc lập - Tự do - Hạnh phúc", text, StringComparison.Ordinal);
        Assert.Contains("UBND TỈNH THÁI NGUYÊN", text, StringComparison.Ordinal);
        Assert.Contains("SỞ LAO ĐỘNG - THƯƠNG BINH VÀ XÃ HỘI", text, StringComparison.Ordinal);
        Assert.Matches(@"Số: +/BC-SLĐTBXH", text);
        Assert.Contains("Thái Nguyên, ngày … tháng … năm …", text, StringComparison.Ordinal);
        Assert.Matches(@"BÁO CÁO Kết quả thực hiện Kế hoạch thực hiện Chương trình phòng, chống mại dâm tỉnh Thái Nguyên giai đoạn 2021-2025 trong 6 tháng đầu năm 2025", text);
        Assert.Contains("Nơi nhận:", text, StringComparison.Ordinal);
        Assert.Contains("- Bộ Lao động - Thương binh và Xã hội (b/c);", text, StringComparison.Ordinal);
        Assert.Contains("GIÁM ĐỐC", text, StringComparison.Ordinal);

        // Every target on a row of its own: numerator, denominator, value and target as Vietnamese write them.
        var province = await server.ReadAsync(ServerFixture.ProvinceCode, "2025S1");
        Assert.Equal(15, province.Indicators.Count);
        var lines = pages.SelectMany(p => p.Lines).Select(l => l.Select(w => w.Text).ToList()).ToList();
        foreach (var indicator in province.Indicators)
        {
            var row = lines.FirstOrDefault(l => l[0] == indicator.IndicatorId && l.Count > 3);
            Assert.True(row is not null, $"no row for {indicator.IndicatorId}");
            var joined = string.Join(" ", row);
            Assert.Contains(indicator.HasNumerator ? Vietnamese(indicator.Numerator) : "–", joined, StringComparison.Ordinal);
            Assert.Contains(indicator.HasDenominator ? Vietnamese(indicator.Denominator) : "–", joined, StringComparison.Ordinal);
            if (indicator.HasTarget && indicator.HasDenominator)
            {
                Assert.Contains($"{Vietnamese(Math.Round(indicator.Target * 100))} %", joined, StringComparison.Ordinal);
            }
        }

        var rows = lines.Select(l => string.Join(" ", l)).ToList();
        Assert.Contains(rows, l => l.StartsWith("T1.3b", StringComparison.Ordinal) && l.Contains("3.500 5.000 70 % 60 % Đạt", StringComparison.Ordinal));
        Assert.Contains(rows, l => l.StartsWith("T1.3a", StringComparison.Ordinal) && l.Contains("1.800 1.200 150 % 70 % Cần kiểm tra số liệu", StringComparison.Ordinal));
        Assert.DoesNotContain(rows, l => l.StartsWith("T1.3a", StringComparison.Ordinal) && l.Contains("Đạt", StringComparison.Ordinal));
        Assert.Contains("1 chỉ tiêu cần kiểm tra lại số liệu (kết quả vượt 100 %)", text, StringComparison.Ordinal);

        AssertEveryUnitHasARowUnderACompleteHeader(pages, Units("units-2021-2025.csv"), DistrictColumns);
        Assert.Contains("Báo cáo tháng cấp xã", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task After_1_July_2025_the_report_has_a_row_per_commune_of_the_province_and_every_page_of_the_table_repeats_its_header()
    {
        var path = Path.Combine(_folder.FullName, "bao-cao-2025S2.docx");
        var (exit, output) = await CliAsync("report", "--unit", "19", "--period", "2025S2", "-o", path);
        Assert.True(exit == 0, output);

        var pages = await PrintedDocument.PrintAsync(path, PrintTimeout);

        // 92 communes two lines each: several pages, but rows, not columns, flow onto them.
        Assert.InRange(pages.Count, 4, 12);
        AssertA4LandscapeWithNothingOffThePage(pages);
        var text = Squeeze(string.Join(" ", pages.Select(p => p.Text)));
        Assert.Contains("6 tháng cuối năm 2025", text, StringComparison.Ordinal);
        Assert.Contains("Từ ngày 01/07/2025 không còn đơn vị hành chính cấp huyện", text, StringComparison.Ordinal);
        Assert.DoesNotContain("Huyện Đại Từ", text, StringComparison.Ordinal);
        var communes = Units("units-2025-07.csv");
        Assert.Equal(92, communes.Count);
        var tablePages = AssertEveryUnitHasARowUnderACompleteHeader(pages, communes, CommuneColumns);
        Assert.True(tablePages >= 3, $"the 92 communes fill {tablePages} pages");
    }

    [Fact]
    public async Task The_report_workbook_prints_each_sheet_on_A4_landscape_one_page_wide_with_its_header_row_on_every_page()
    {
        // The year as it happened: the nine districts to 30 June, then the 92 communes.
        var path = Path.Combine(_folder.FullName, "bao-cao-2025.xlsx");
        var (exit, output) = await CliAsync("report", "--unit", "19", "--period", "2025", "-o", path);
        Assert.True(exit == 0, output);

        using (var workbook = SpreadsheetDocument.Open(path, false))
        {
            var part = workbook.WorkbookPart!;
            Assert.Equal(["Chỉ tiêu", "Theo đơn vị", "Tình hình báo cáo"], part.Workbook.Sheets!.Elements<Sheet>().Select(s => s.Name!.Value!));
            foreach (var sheet in part.WorksheetParts)
            {
                var setup = sheet.Worksheet.GetFirstChild<PageSetup>()!;
                Assert.Equal(OrientationValues.Landscape, setup.Orientation!.Value);
                Assert.Equal(9u, setup.PaperSize!.Value);
                Assert.Equal(1u, setup.FitToWidth!.Value);
                Assert.Equal(0u, setup.FitToHeight!.Value);
            }

            Assert.Equal(3, part.Workbook.DefinedNames!.Elements<DefinedName>().Count(n => n.Name == "_xlnm.Print_Titles"));
        }

        var pages = await PrintedDocument.PrintAsync(path, PrintTimeout);

        AssertA4LandscapeWithNothingOffThePage(pages);
        var units = Units("units-2021-2025.csv").Concat(Units("units-2025-07.csv")).ToList();
        Assert.Equal(101, units.Count);
        AssertEveryUnitHasARowUnderACompleteHeader(pages, units, ["STT", "Đơn", "Cấp", "T1.1", "T1.3a", "T1.3b", "T3.1", "T3.2b", "T3.2c", "T4.2", "T5.1b", "Báo"]);
        Assert.Contains("Kết quả theo đơn vị - Tỉnh Thái Nguyên - Năm 2025", Squeeze(string.Join(" ", pages.Select(p => p.Text))), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_report_file_name_that_is_neither_docx_nor_xlsx_is_refused_and_nothing_is_written()
    {
        var path = Path.Combine(_folder.FullName, "bao-cao.pdf");

        var (exit, output) = await CliAsync("report", "--unit", "19", "--period", "2025S1", "-o", path);
        var (mismatch, said) = await CliAsync("report", "--unit", "19", "--period", "2025S1", "--format", "xlsx", "-o", Path.Combine(_folder.FullName, "bao-cao.docx"));

        Assert.Equal(2, exit);
        Assert.Contains("should end in .docx (the document to sign) or .xlsx (the figures)", Squeeze(output), StringComparison.Ordinal);
        Assert.Equal(2, mismatch);
        Assert.Contains("--format xlsx does not match", Squeeze(said), StringComparison.Ordinal);
        Assert.Empty(_folder.GetFiles());
    }

    [Fact]
    public async Task A_plan_with_more_targets_than_fit_across_the_page_continues_them_in_a_second_table_with_the_same_rows()
    {
        // Twelve targets measured in 30 districts: 8 side by side, the other 4 in a table of their own.
        var ids = Enumerable.Range(1, 12).Select(i => $"X{i}").ToList();
        UnitRollup Rollup(string code, string name, string level)
        {
            var rollup = new UnitRollup { Unit = new Unit { Code = code, Name = name, Level = level } };
            rollup.Indicators.AddRange(ids.Select((id, i) => new IndicatorValue { IndicatorId = id, NameVi = $"Chỉ tiêu thử {id}", Numerator = i, Denominator = 12, Value = i / 12.0, Target = 0.5, Status = i >= 6 ? IndicatorStatus.Met : IndicatorStatus.OffTrack }));
            return rollup;
        }

        var districts = Enumerable.Range(1, 30).Select(i => Rollup($"D{i}", $"Huyện Thử Nghiệm {i}", "district")).ToList();
        var content = new Aggregation.Server.Export.ReportContent(
            Aggregation.Server.Export.ReportLetterhead.For("Sở Lao động - Thương binh và Xã hội tỉnh Thái Nguyên", null),
            new Protos.V1.Programme { NameVi = "Kế hoạch thử" },
            Aggregation.Periods.Period.Half(2025, 1),
            Rollup("19", "Tỉnh Thái Nguyên", "province"),
            districts,
            DateTimeOffset.UnixEpoch);
        var path = Path.Combine(_folder.FullName, "wide.docx");
        await File.WriteAllBytesAsync(path, Aggregation.Server.Export.ReportDocument.Write(content));

        var pages = await PrintedDocument.PrintAsync(path, PrintTimeout);

        AssertA4LandscapeWithNothingOffThePage(pages);
        var lines = pages.SelectMany(p => p.Lines).Select(l => l.Select(w => w.Text).ToList()).ToList();
        var headers = lines.Where(l => l[0] == "STT" && (l.Contains("X1") || l.Contains("X9"))).ToList();
        Assert.Contains(headers, h => ids.Take(8).All(h.Contains) && !h.Contains("X9"));
        Assert.Contains(headers, h => ids.Skip(8).All(h.Contains) && !h.Contains("X1") && h.Contains("Báo"));
        var text = Squeeze(string.Join(" ", pages.Select(p => p.Text)));
        Assert.Contains("Bảng 2a.", text, StringComparison.Ordinal);
        Assert.Contains("Bảng 2b.", text, StringComparison.Ordinal);
        Assert.Equal(2, Regex.Count(text, "Huyện Thử Nghiệm 30 "));
    }

    private static void AssertA4LandscapeWithNothingOffThePage(IReadOnlyList<PrintedPage> pages)
    {
        foreach (var page in pages)
        {
            Assert.True(Math.Abs(page.Width - 841.9) < 2 && Math.Abs(page.Height - 595.3) < 2, $"page {page.Number} is {page.Width:0} x {page.Height:0} pt, not A4 landscape (842 x 595)");
            var outside = page.Words.FirstOrDefault(w => w.Left < 0 || w.Right > page.Width || w.Top < 0 || w.Bottom > page.Height);
            Assert.True(outside is null, $"'{outside?.Text}' on page {page.Number} lies off the page");
        }
    }

    /// <summary>
    /// Every unit is printed, and every page that prints a unit's row also prints, above it, a
    /// header line holding every column of the table: a column pushed onto another page, or a page
    /// without the header row, fails. Returns the number of pages the table spans.
    /// </summary>
    private static int AssertEveryUnitHasARowUnderACompleteHeader(IReadOnlyList<PrintedPage> pages, IReadOnlyList<string> units, IReadOnlyList<string> columns)
    {
        var found = new HashSet<string>();
        var spanned = 0;
        foreach (var page in pages)
        {
            var lines = page.Lines.Select(l => (Top: l[0].Top, Text: Squeeze(string.Join(" ", l.Select(w => w.Text))), Words: l.Select(w => w.Text).ToList())).ToList();
            var here = units.Where(u => lines.Any(l => Regex.IsMatch(l.Text, $@"(^|\s){Regex.Escape(u)}(\s|$)"))).ToList();
            if (here.Count == 0)
            {
                continue;
            }

            spanned++;
            var header = lines.FirstOrDefault(l => l.Words.Count > 0 && l.Words[0] == "STT" && l.Words.Contains(columns[2]));
            Assert.True(header.Words is not null, $"page {page.Number} prints the rows of {string.Join(", ", here.Take(3))}… without the table's header row");
            var missing = columns.Where(c => !header.Words.Contains(c)).ToList();
            Assert.True(missing.Count == 0, $"the header row on page {page.Number} lacks {string.Join(", ", missing)}: '{header.Text}'");
            var firstRow = lines.Where(l => here.Any(u => l.Text.Contains(u, StringComparison.Ordinal))).Min(l => l.Top);
            Assert.True(header.Top < firstRow, $"on page {page.Number} the header row comes after the first unit");
            found.UnionWith(here);
        }

        var absent = units.Except(found).ToList();
        Assert.True(absent.Count == 0, $"{absent.Count} units have no row: {string.Join(", ", absent.Take(5))}");
        return spanned;
    }

    /// <summary>The province's children in a units file of the shipped catalog.</summary>
    private static List<string> Units(string file) =>
        [.. File.ReadLines(Path.Combine(AppContext.BaseDirectory, "catalog", file)).Skip(1).Select(l => l.Split(',')).Where(f => f[3] == ServerFixture.ProvinceCode).Select(f => f[1])];

    private static IndicatorValue Indicator(UnitRollup rollup, string id) => rollup.Indicators.Single(i => i.IndicatorId == id);

    private static string Vietnamese(double value) =>
        value.ToString("N0", new NumberFormatInfo { NumberGroupSeparator = ".", NumberDecimalSeparator = ",", NumberGroupSizes = [3] });

    private static string Squeeze(string text) => Regex.Replace(text, @"\s+", " ").Trim();

    /// <summary>Runs the CLI in this process as the tenant's operator, capturing what it prints.</summary>
    private async Task<(int Exit, string Output)> CliAsync(params string[] args)
    {
        var output = new StringWriter();
        var console = AnsiConsole.Console;
        AnsiConsole.Console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(output), Interactive = InteractionSupport.No, Ansi = AnsiSupport.No });
        try
        {
            var exit = await CliApp.Build().Parse([.. args, "--server", server.Address, "--token", TestCredentials.Token(TestCredentials.Operator)]).InvokeAsync();
            return (exit, output.ToString().ReplaceLineEndings(" "));
        }
        finally
        {
            AnsiConsole.Console = console;
        }
    }
}
