using System.Text;
using Aggregation.Protos.V1;
using Aggregation.Security;
using Aggregation.Spreadsheets;
using Deque.AxeCore.Playwright;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Aggregation.IntegrationTests;

/// <summary>
/// The spreadsheet upload page in a real headless Chromium on a real server and PostgreSQL: the
/// command line's template downloaded from the page and filled in as an officer does; every error
/// listed by row and column in Vietnamese with nothing imported; the valid rows imported when the
/// officer chooses them, once however often the file is uploaded; a large file's progress; keyboard,
/// 390 px and axe-core in both languages.
/// </summary>
public sealed class UploadPageTests(ServerFixture server) : IClassFixture<ServerFixture>
{
    private static readonly AccessGrant DistrictOfficer = new("district-164-officer", TestCredentials.Tenant, [Roles.Submitter], ["164"]);
    private static readonly AccessGrant ProvinceOfficer = new("province-19-officer", TestCredentials.Tenant, [Roles.Submitter], ["19"]);

    private readonly DirectoryInfo _folder = Directory.CreateTempSubdirectory("upload-page-");

    [Fact]
    public async Task A_template_from_the_page_with_errors_lists_each_by_row_and_column_in_vietnamese_imports_nothing_then_its_valid_rows_import_once()
    {
        await using var browser = await HeadlessChromium.LaunchAsync();
        var page = await OpenAsync(browser, DistrictOfficer, width: 1100);

        // The template of district 164 for July 2024, downloaded from the page: the command line's own.
        await page.Locator("#template-unit").SelectOptionAsync("164");
        await page.Locator("#template-dataset").SelectOptionAsync("commune-monthly");
        await page.Locator("#template-period").FillAsync("2024-07");
        var download = await page.RunAndWaitForDownloadAsync(() => page.Locator("#template-download").ClickAsync());
        var template = Path.Combine(_folder.FullName, download.SuggestedFilename);
        await download.SaveAsAsync(template);
        Assert.EndsWith(".xlsx", template, StringComparison.Ordinal);
        await Expect(page.Locator("#template-summary")).ToContainTextAsync("2024-07: 32 đơn vị cấp xã");
        var header = new List<string>();
        var rows = SpreadsheetRows.Read(template, header).ToList();
        Assert.Equal(32, rows.Count);
        Assert.Equal(["unit_code", "unit_name", "period", "awareness_activities", "workers_reached", "complaints_received", "complaints_handled_on_time", "support_wishing_eligible", "support_accessed"], header);

        // The officer fills in every commune; two rows are wrong: a word for a number, and more
        // complaints handled on time than received (the server's rule).
        var filled = Path.Combine(_folder.FullName, "thang-7-2024.xlsx");
        File.Copy(template, filled);
        OfficerSpreadsheet.Fill(filled, (code, _) => code switch
        {
            "05443" => [("awareness_activities", "abc", false)],
            "05446" => [("awareness_activities", "1", true), ("complaints_received", "2", true), ("complaints_handled_on_time", "5", true)],
            _ => [("awareness_activities", "1", true)],
        });
        var (wordRow, ruleRow) = (RowOf(rows, "05443"), RowOf(rows, "05446"));
        var ledger = await LedgerRowsAsync();

        await UploadAsync(page, filled);
        await Expect(page.Locator("#result-summary")).ToHaveTextAsync("2 lỗi ở 2 trong số 32 dòng. Chưa nhập gì. Hãy sửa tệp và tải lên lại, hoặc chỉ nhập các dòng hợp lệ.");
        var word = page.Locator($"#errors tbody tr[data-row='{wordRow}']");
        await Expect(word.Locator("td").Nth(0)).ToHaveTextAsync("D (awareness_activities)");
        await Expect(word.Locator("td").Nth(1)).ToContainTextAsync("'abc' không phải là số");
        var rule = page.Locator($"#errors tbody tr[data-row='{ruleRow}']");
        await Expect(rule.Locator("td").Nth(0)).ToHaveTextAsync("G (complaints_handled_on_time)");
        await Expect(rule.Locator("td").Nth(1)).ToContainTextAsync("complaints_handled_on_time (5) không được lớn hơn complaints_received (2)");
        await Expect(page.Locator("#errors thead th").First).ToHaveTextAsync("Dòng");
        await Expect(page.Locator("#import-all")).ToBeHiddenAsync();
        Assert.Equal(ledger, await LedgerRowsAsync());
        Assert.Equal(0, Value(await server.ReadAsync("164", "2024-07"), "awareness_activities"));
        await ScreenshotForTheReadmeAsync(page, "upload-errors.png");

        await page.Locator("#import-valid").ClickAsync();
        await Expect(page.Locator("#result-summary")).ToHaveTextAsync("Đã nhập 30 báo cáo, 0 báo cáo đã nhập từ trước, 0 báo cáo bị từ chối. Không nhập 2 dòng có lỗi.");
        await Eventually.WaitAsync(
            () => server.ReadAsync("164", "2024-07"),
            r => Value(r, "awareness_activities") == 30,
            TimeSpan.FromSeconds(10),
            r => $"district 164 holds {Value(r, "awareness_activities")} awareness activities for July 2024");
        var imported = await LedgerRowsAsync();
        Assert.Equal(ledger + 30, imported);

        // The same file again: the same reports, counted once.
        await UploadAsync(page, filled);
        await Expect(page.Locator("#import-valid")).ToBeVisibleAsync();
        await page.Locator("#import-valid").ClickAsync();
        await Expect(page.Locator("#result-summary")).ToHaveTextAsync("Đã nhập 0 báo cáo, 30 báo cáo đã nhập từ trước, 0 báo cáo bị từ chối. Không nhập 2 dòng có lỗi.");
        Assert.Equal(imported, await LedgerRowsAsync());
        Assert.Equal(30, Value(await server.ReadAsync("164", "2024-07"), "awareness_activities"));
    }

    [Fact]
    public async Task A_valid_file_of_thousands_of_rows_shows_its_progress_to_the_last_row_and_imports_wholly()
    {
        await using var browser = await HeadlessChromium.LaunchAsync();
        var page = await OpenAsync(browser, ProvinceOfficer, width: 1100);

        // Every commune of the province for every month of 2023, from the template's rows: 178 in January–March,
        // 177 from April (Xã Quân Chu went into Thị trấn Quân Chu on 10/04/2023).
        var template = await page.APIRequest.GetAsync(
            $"{server.WebAddress}/api/import/template?unit=19&dataSet=commune-monthly&format=csv&period={string.Join(",", Enumerable.Range(1, 12).Select(m => $"2023-{m:00}"))}",
            new APIRequestContextOptions { Headers = new Dictionary<string, string> { ["Authorization"] = "Bearer " + TestCredentials.Token(ProvinceOfficer) } });
        Assert.Equal(200, template.Status);
        var templatePath = Path.Combine(_folder.FullName, "province-2023.csv");
        await File.WriteAllBytesAsync(templatePath, await template.BodyAsync());
        var rows = SpreadsheetRows.Read(templatePath, []).ToList();
        Assert.Equal((178 * 3) + (177 * 9), rows.Count);
        var csv = new StringBuilder("unit_code,period,awareness_activities\n");
        foreach (var row in rows)
        {
            csv.Append(row.Cells["unit_code"]).Append(',').Append(row.Cells["period"]).Append(",1\n");
        }

        var filled = Path.Combine(_folder.FullName, "ca-nam-2023.csv");
        await File.WriteAllTextAsync(filled, csv.ToString());

        await UploadAsync(page, filled);
        await Expect(page.Locator("#result-summary")).ToHaveTextAsync("Tệp hợp lệ: 2.127 dòng có số liệu. Chưa nhập gì.");
        await Expect(page.Locator("#progress")).ToHaveAttributeAsync("aria-valuenow", "100");
        await Expect(page.Locator("#progress-count")).ToHaveTextAsync("2.127 / 2.127 dòng (100 %)");
        await Expect(page.Locator("#import-valid")).ToBeHiddenAsync();

        await page.Locator("#import-all").ClickAsync();
        await Expect(page.Locator("#result-summary")).ToHaveTextAsync("Đã nhập 2.127 báo cáo, 0 báo cáo đã nhập từ trước, 0 báo cáo bị từ chối.");
        await Expect(page.Locator("#progress")).ToHaveAttributeAsync("aria-valuenow", "100");
        await Expect(page.Locator("#progress-label")).ToHaveTextAsync("Đã nhập ca-nam-2023.csv");
        await Expect(page.Locator("#progress-count")).ToHaveTextAsync("2.127 / 2.127 dòng (100 %)");
        await Eventually.WaitAsync(
            () => server.ReadAsync("19", "2023"),
            r => Value(r, "awareness_activities") == 2127,
            TimeSpan.FromSeconds(30),
            r => $"the province holds {Value(r, "awareness_activities")} awareness activities for 2023");
    }

    [Fact]
    public async Task At_390_px_by_keyboard_the_errors_read_in_both_languages_and_axe_finds_no_serious_or_critical_violation()
    {
        await using var browser = await HeadlessChromium.LaunchAsync();
        var page = await OpenAsync(browser, DistrictOfficer, width: 390);
        var csv = Path.Combine(_folder.FullName, "loi.csv");
        await File.WriteAllLinesAsync(csv,
        [
            "unit_code,period,awareness_activities,complaints_received",
            "05446,2024-08,2,4",
            "05443,2024-08,1.5,",
            "99999,2024-08,1,",
        ]);

        await UploadAsync(page, csv);
        await Expect(page.Locator("#result-summary")).ToContainTextAsync("2 lỗi ở 2 trong số 3 dòng");
        await Expect(page.Locator("#errors tbody tr[data-row='3'] td").Nth(1)).ToContainTextAsync("không đúng cách viết số tiếng Việt");
        await Expect(page.Locator("#errors tbody tr[data-row='4'] td").Nth(0)).ToHaveTextAsync("A (unit_code)");
        await Expect(page.Locator("#errors tbody tr[data-row='4'] td").Nth(1)).ToContainTextAsync("'99999' không phải đơn vị mà tài khoản này được báo cáo");
        Assert.True(await page.EvaluateAsync<bool>("() => document.documentElement.scrollWidth <= 390"), "the page is wider than 390 px");
        await AssertAccessibleAsync(page, "vi");

        await page.Locator("#lang").ClickAsync();
        await Expect(page.Locator("html")).ToHaveAttributeAsync("lang", "en");
        await Expect(page.Locator("#errors thead th").First).ToHaveTextAsync("Row");
        await Expect(page.Locator("#errors tbody tr[data-row='3'] td").Nth(1)).ToContainTextAsync("is not a Vietnamese number");
        await Expect(page.Locator("#result-summary")).ToContainTextAsync("2 errors in 2 of 3 rows");
        await AssertAccessibleAsync(page, "en");

        // The valid row by keyboard alone.
        await HeadlessChromium.TabToAsync(page, "#import-valid");
        await page.Keyboard.PressAsync("Enter");
        await Expect(page.Locator("#result-summary")).ToHaveTextAsync("1 report imported, 0 already imported before, 0 rejected. 2 rows with errors not imported.");
        await Eventually.WaitAsync(() => server.ReadAsync("05446", "2024-08"), r => Value(r, "complaints_received") == 4, TimeSpan.FromSeconds(10), _ => "row 2 not applied");
    }

    [Fact]
    public async Task A_file_that_is_not_a_spreadsheet_is_refused_in_the_pages_language_and_changes_nothing()
    {
        await using var browser = await HeadlessChromium.LaunchAsync();
        var page = await OpenAsync(browser, DistrictOfficer, width: 1100);
        var notes = Path.Combine(_folder.FullName, "ghi-chu.txt");
        await File.WriteAllTextAsync(notes, "unit_code,period,awareness_activities\n05446,2024-09,2\n");
        var ledger = await LedgerRowsAsync();

        await page.Locator("#upload-file").SetInputFilesAsync(notes);
        await page.Locator("#upload-send").ClickAsync();
        await Expect(page.Locator("#message")).ToHaveTextAsync("Tệp ghi-chu.txt không phải .xlsx hay .csv: hãy tải lên biểu mẫu đã điền, lưu dưới dạng .xlsx hoặc .csv.");
        Assert.Equal(ledger, await LedgerRowsAsync());
    }

    private static async Task UploadAsync(IPage page, string path)
    {
        await page.Locator("#upload-file").SetInputFilesAsync(path);
        await page.Locator("#upload-send").ClickAsync();
        await Expect(page.Locator("#result")).ToBeVisibleAsync(new LocatorAssertionsToBeVisibleOptions { Timeout = 60_000 });
    }

    private static async Task AssertAccessibleAsync(IPage page, string lang)
    {
        var result = await page.RunAxe();
        var serious = result.Violations.Where(v => v.Impact is "serious" or "critical").ToList();
        Assert.True(serious.Count == 0, $"axe ({lang}): " + string.Join("; ", serious.Select(v => $"{v.Id}: {v.Help} ({string.Join(", ", v.Nodes.Select(n => n.Html))})")));
    }

    /// <summary>The row number the spreadsheet program shows for a unit's row.</summary>
    private static int RowOf(List<SpreadsheetRow> rows, string code) => rows.Single(r => r.Cells["unit_code"] == code).Number;

    private static long? Value(UnitRollup rollup, string element) => rollup.Values.Single(v => v.DataElement == element).Value;

    private async Task<long> LedgerRowsAsync() => (await RecordedRows.CountAsync(server.ConnectionString)).Ledger;

    private async Task<IPage> OpenAsync(HeadlessChromium browser, AccessGrant grant, int width)
    {
        var page = await browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = width, Height = 900 }, AcceptDownloads = true });
        await page.GotoAsync($"{server.WebAddress}/upload.html#token={TestCredentials.Token(grant)}");
        await Expect(page.Locator("#template-unit option").First).ToBeAttachedAsync();
        return page;
    }

    /// <summary>The README's screenshots are taken by the tests, into docs/screenshots of the repository.</summary>
    private static async Task ScreenshotForTheReadmeAsync(IPage page, string name)
    {
        await page.Locator("#result").ScrollIntoViewIfNeededAsync();
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = HeadlessChromium.ScreenshotPath(name), FullPage = true });
    }
}
