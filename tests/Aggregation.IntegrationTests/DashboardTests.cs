using System.Text.RegularExpressions;
using Aggregation.Protos.V1;
using Aggregation.Server.Dashboard;
using Deque.AxeCore.Playwright;
using Google.Protobuf.WellKnownTypes;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Aggregation.IntegrationTests;

/// <summary>
/// The provincial dashboard in a real headless Chromium (Debian's package, driven by Playwright):
/// it shows the province, moves live when a report is accepted, drills down, works at 390 px and with
/// the keyboard, passes axe-core, speaks the page's language and lets the figures be taken away.
/// </summary>
public sealed class DashboardTests(ServerFixture server) : IClassFixture<ServerFixture>
{
    [Fact]
    public async Task The_provinces_figure_changes_on_the_open_page_within_a_second_of_a_report_and_drills_down_to_a_district()
    {
        await using var browser = await HeadlessChromium.LaunchAsync();
        var page = await browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 1400, Height = 1600 } });
        var errors = new List<string>();
        page.PageError += (_, e) => errors.Add(e);

        var token = TestCredentials.Token(new Aggregation.Security.AccessGrant("province-dashboard", TestCredentials.Tenant, [Aggregation.Security.Roles.Viewer], ["19"]));
        // January–June 2025: the 2021-2025 hierarchy (172 communes in 9 districts) was in force throughout.
        await page.GotoAsync($"{server.WebAddress}/?unit=19&period=2025S1#token={token}");
        var t11 = page.Locator("#indicators tr[data-indicator='T1.1'] td.value");
        await Expect(page.Locator("#unit-name")).ToHaveTextAsync("Tỉnh Thái Nguyên");
        await Expect(t11).ToHaveTextAsync("0,0 %");
        await Expect(page.Locator("#live")).ToHaveClassAsync(new System.Text.RegularExpressions.Regex("on"));

        await server.Ingestion.SubmitReportAsync(new SubmitReportRequest
        {
            Report = new Report
            {
                IdempotencyKey = Guid.NewGuid().ToString("N"),
                UnitCode = "05443",
                ProgrammeId = ServerFixture.Programme,
                Period = "2025-03",
                ReportedAt = Timestamp.FromDateTime(DateTime.UtcNow),
                Values = { ReportGenerator.Number("awareness_activities", 2) },
            },
        });

        // 1 of 172 communes, without a reload; reported today, long after March's deadline: reported, not on time.
        await Expect(t11).ToHaveTextAsync("0,6 %", new LocatorAssertionsToHaveTextOptions { Timeout = 1000 });
        var monthly = page.Locator("#completeness tr[data-data-set='commune-monthly'] td.num");
        await Expect(monthly).ToHaveTextAsync(["1", "0", "172"]);
        await Expect(page.Locator("#updated")).Not.ToHaveTextAsync("–");
        Directory.CreateDirectory(ArtifactDirectory);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(ArtifactDirectory, "dashboard-province.png"), FullPage = true });

        await page.Locator("#children tr[data-unit='164']").ClickAsync();
        await Expect(page.Locator("#unit-name")).ToHaveTextAsync("Thành phố Thái Nguyên");
        await Expect(page.Locator("#breadcrumb a[data-unit='19']")).ToHaveTextAsync("Tỉnh Thái Nguyên");
        await Expect(page.Locator("#indicators tr[data-indicator='T1.1'] td.num").First).ToHaveTextAsync("1 / 32");
        await Expect(page.Locator("#children tr[data-unit='05443']")).ToBeVisibleAsync();
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(ArtifactDirectory, "dashboard-district.png"), FullPage = true });

        await page.Locator("#lang").ClickAsync();
        await Expect(page.Locator("#indicators thead th").First).ToHaveTextAsync("Target");

        // The province for 2025 restated in today's structure: the answer says how it was obtained.
        await page.Locator("#breadcrumb a[data-unit='19']").ClickAsync();
        await page.Locator("#view").SelectOptionAsync("restated");
        await Expect(page.Locator("#method")).ToContainTextAsync("Re-expressed in the structure of 19");
        Assert.Empty(errors);
    }

    [Fact]
    public async Task Without_a_token_the_page_asks_for_one_and_a_district_viewer_then_sees_its_district_only()
    {
        await using var browser = await HeadlessChromium.LaunchAsync();
        var page = await browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 1200, Height = 900 } });

        await page.GotoAsync($"{server.WebAddress}/?period=2025");
        await Expect(page.Locator("#signin")).ToBeVisibleAsync();
        await Expect(page.Locator("main")).ToBeHiddenAsync();

        var token = TestCredentials.Token(new Aggregation.Security.AccessGrant("district-164-dashboard", TestCredentials.Tenant, [Aggregation.Security.Roles.Viewer], ["164"]));
        await page.Locator("#signin-token").FillAsync(token);
        await page.Locator("#signin-form button").ClickAsync();
        await Expect(page.Locator("#unit-name")).ToHaveTextAsync("Thành phố Thái Nguyên");
        await Expect(page.Locator("#live")).ToHaveClassAsync(new System.Text.RegularExpressions.Regex("on"));

        var province = await page.APIRequest.GetAsync($"{server.WebAddress}/api/rollup?unit=19&period=2025", new APIRequestContextOptions { Headers = new Dictionary<string, string> { ["Authorization"] = "Bearer " + token } });
        Assert.Equal(403, province.Status);
        var anonymous = await page.APIRequest.GetAsync($"{server.WebAddress}/api/rollup?unit=164&period=2025");
        Assert.Equal(401, anonymous.Status);
    }

    [Fact]
    public async Task Numbers_are_written_in_the_pages_language_vietnamese_decimal_comma_beside_thousand_dots_english_the_reverse()
    {
        await SeedSecondHalfOf2025Async();
        await using var browser = await HeadlessChromium.LaunchAsync();
        var page = await OpenAsync(browser, "?unit=19&period=2025S2");
        var t13a = page.Locator("#indicators tr[data-indicator='T1.3a']");
        await Expect(t13a.Locator("td.value")).ToHaveTextAsync("199,5 %");
        await Expect(t13a.Locator("td.fraction")).ToHaveTextAsync("1.995 / 1.000");
        await Expect(t13a.Locator("td.target")).ToHaveTextAsync("70,0 %");

        await page.Locator("#lang").ClickAsync();
        await Expect(t13a.Locator("td.value")).ToHaveTextAsync("199.5 %");
        await Expect(t13a.Locator("td.fraction")).ToHaveTextAsync("1,995 / 1,000");
        await Expect(t13a.Locator("td.target")).ToHaveTextAsync("70.0 %");
    }

    [Fact]
    public async Task A_rate_above_100_percent_is_flagged_as_data_to_check_not_met()
    {
        await SeedSecondHalfOf2025Async();
        await using var browser = await HeadlessChromium.LaunchAsync();
        var page = await OpenAsync(browser, "?unit=19&period=2025S2");
        var status = page.Locator("#indicators tr[data-indicator='T1.3a'] .status");
        await Expect(status).ToHaveTextAsync("! Số liệu cần kiểm tra");
        await Expect(status).ToHaveClassAsync(new Regex("data-check"));
        await Expect(page.Locator("#children tr[data-unit='01840'] td.cell.data-check")).ToContainTextAsync("Số liệu cần kiểm tra");

        await page.Locator("#lang").ClickAsync();
        await Expect(status).ToHaveTextAsync("! Data to check");
    }

    [Fact]
    public async Task The_dashboard_opens_on_the_latest_completed_half_year_with_the_units_that_reported_first()
    {
        // Vietnam time is UTC+7: at 17:30 UTC on 30 June it is already 1 July in Vietnam.
        var calendar = new Aggregation.Periods.ProgrammeCalendar(2021, 2025);
        Assert.Equal("2024S2", DashboardApi.DefaultPeriod(calendar, new DateTimeOffset(2025, 6, 30, 16, 59, 0, TimeSpan.Zero)).ToString());
        Assert.Equal("2025S1", DashboardApi.DefaultPeriod(calendar, new DateTimeOffset(2025, 6, 30, 17, 0, 0, TimeSpan.Zero)).ToString());
        Assert.Equal("2023S1", DashboardApi.DefaultPeriod(calendar, new DateTimeOffset(2023, 11, 2, 0, 0, 0, TimeSpan.Zero)).ToString());
        Assert.Equal("2021S1", DashboardApi.DefaultPeriod(calendar, new DateTimeOffset(2021, 3, 1, 0, 0, 0, TimeSpan.Zero)).ToString());
        Assert.Equal("2025S2", DashboardApi.DefaultPeriod(calendar, new DateTimeOffset(2026, 12, 2, 0, 0, 0, TimeSpan.Zero)).ToString());

        await SeedSecondHalfOf2025Async();
        await using var browser = await HeadlessChromium.LaunchAsync();
        var page = await OpenAsync(browser, "");
        // Today (after the plan ended) the latest completed half-year of the plan is July–December 2025.
        await Expect(page.Locator("#period")).ToHaveValueAsync("2025S2");
        await Expect(page.Locator("#unit-name")).ToHaveTextAsync("Tỉnh Thái Nguyên");
        var rows = page.Locator("#children tbody tr");
        await Expect(rows.Nth(0)).ToHaveTextAsync(new Regex("^Có báo cáo trong kỳ \\(1\\)"));
        await Expect(rows.Nth(1)).ToHaveAttributeAsync("data-unit", "01840");
        await Expect(rows.Nth(2)).ToHaveTextAsync(new Regex("^Chưa có báo cáo trong kỳ \\(91\\)"));
        Assert.Equal(92, await page.Locator("#children tbody tr[data-unit]").CountAsync());
    }

    [Fact]
    public async Task At_390_px_wide_nothing_overflows_and_the_status_of_every_target_is_visible()
    {
        await using var browser = await HeadlessChromium.LaunchAsync();
        foreach (var (query, lang) in Views.SelectMany(v => new[] { (v, ""), (v, "&lang=en") }))
        {
            var page = await OpenAsync(browser, query + lang, width: 390);
            await Expect(page.Locator("#indicators tbody tr").First).ToBeVisibleAsync();
            var scrollWidth = await page.EvaluateAsync<int>("document.documentElement.scrollWidth");
            if (scrollWidth > 390)
            {
                // Name the widest culprits: elements reaching past the screen whose children do not.
                var wide = await page.EvaluateAsync<string[]>("""
                    [...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > 390
                        && ![...e.children].some(c => c.getBoundingClientRect().right > 390))
                      .slice(0, 3).map(e => { const chain = []; for (let x = e; x; x = x.parentElement) chain.push(`${x.tagName.toLowerCase()}#${x.id}.${x.className}:${Math.round(x.getBoundingClientRect().width)}`); return chain.join(' < '); })
                    """);
                Assert.Fail($"{query}{lang}: the page is {scrollWidth} px wide at 390 px: {string.Join("; ", wide)}");
            }

            // Every status pill is drawn and lies within the screen (read in one go: the live stream may redraw the rows).
            var boxes = await page.EvaluateAsync<double[][]>("[...document.querySelectorAll('#indicators tbody .status')].map(e => { const r = e.getBoundingClientRect(); return [r.left, r.right, r.width, r.height]; })");
            Assert.Equal(await page.Locator("#indicators tbody tr").CountAsync(), boxes.Length);
            foreach (var box in boxes)
            {
                Assert.True(box[2] > 0 && box[3] > 0 && box[0] >= 0 && box[1] <= 390, $"{query}{lang}: a status is outside the screen: left {box[0]}, right {box[1]}");
            }

            Directory.CreateDirectory(ArtifactDirectory);
            await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(ArtifactDirectory, $"dashboard-390-{query.Split('&')[0][6..]}{(lang.Length > 0 ? "-en" : "")}.png"), FullPage = true });
            await page.CloseAsync();
        }
    }

    [Fact]
    public async Task With_the_keyboard_alone_a_unit_row_is_reached_and_enter_drills_down_and_the_breadcrumb_leads_back()
    {
        await using var browser = await HeadlessChromium.LaunchAsync();
        var page = await OpenAsync(browser, "?unit=19&period=2025S1");
        await Expect(page.Locator("#children tr[data-unit='164']")).ToBeVisibleAsync();

        // An indicator row: Tab reaches it, Enter shows its trend, with a visible focus.
        await HeadlessChromium.TabToAsync(page, "#indicators tr[data-indicator='T1.3a']");
        Assert.NotEqual("none", await page.EvaluateAsync<string>("getComputedStyle(document.activeElement).outlineStyle"));
        await page.Keyboard.PressAsync("Enter");
        await Expect(page.Locator("#trend-indicator")).ToHaveTextAsync("T1.3a");

        // A unit row: Tab reaches it, Enter opens the unit.
        await HeadlessChromium.TabToAsync(page, "#children tr[data-unit='164']");
        Assert.NotEqual("none", await page.EvaluateAsync<string>("getComputedStyle(document.activeElement).outlineStyle"));
        await page.Keyboard.PressAsync("Enter");
        await Expect(page.Locator("#unit-name")).ToHaveTextAsync("Thành phố Thái Nguyên");

        // The breadcrumb: Tab reaches the province, Enter goes back to it.
        await HeadlessChromium.TabToAsync(page, "#breadcrumb a[data-unit='19']");
        await page.Keyboard.PressAsync("Enter");
        await Expect(page.Locator("#unit-name")).ToHaveTextAsync("Tỉnh Thái Nguyên");
    }

    [Fact]
    public async Task Axe_finds_no_serious_or_critical_violation_on_the_province_district_and_commune_views_in_both_languages()
    {
        await SeedSecondHalfOf2025Async();
        await using var browser = await HeadlessChromium.LaunchAsync();
        var found = new List<string>();
        foreach (var (query, lang) in Views.Append("?unit=19&period=2025S2").SelectMany(v => new[] { (v, ""), (v, "&lang=en") }))
        {
            var page = await OpenAsync(browser, query + lang);
            await Expect(page.Locator("#indicators tbody tr").First).ToBeVisibleAsync();
            await Expect(page.Locator("#trend-table tbody tr").First).ToBeAttachedAsync();
            var result = await page.RunAxe();
            found.AddRange(result.Violations.Where(v => v.Impact is "serious" or "critical")
                .Select(v => $"{query}{lang}: {v.Id} ({v.Impact}) {v.Help}: {string.Join(" | ", v.Nodes.Take(3).Select(n => n.Html))}"));
            await page.CloseAsync();
        }

        Assert.True(found.Count == 0, string.Join("\n", found));
    }

    [Fact]
    public async Task The_chart_has_its_values_as_a_table()
    {
        await SeedSecondHalfOf2025Async();
        await using var browser = await HeadlessChromium.LaunchAsync();
        var page = await OpenAsync(browser, "?unit=19&period=2025S2");
        await page.Locator("#indicators tr[data-indicator='T1.3a']").ClickAsync();
        await Expect(page.Locator("#trend")).ToHaveAttributeAsync("aria-label", new Regex("T1.3a"));
        await Expect(page.Locator("#trend-table caption")).ToHaveTextAsync("Số liệu của biểu đồ: T1.3a");
        await page.Locator("#trend-values summary").ClickAsync();
        var rows = page.Locator("#trend-table tbody tr");
        await Expect(rows).ToHaveCountAsync(12);
        await Expect(rows.Nth(8)).ToHaveTextAsync(new Regex("^2025-09\\s*100,0\\s%\\s*70,0\\s%\\s*Đạt$"));
        await Expect(rows.Nth(9)).ToHaveTextAsync(new Regex("^2025-10\\s*99,5\\s%\\s*70,0\\s%\\s*Đạt$"));
        await Expect(rows.Nth(0)).ToHaveTextAsync(new Regex("^2025-01\\s*–\\s*70,0\\s%\\s*Chưa có số liệu$"));
    }

    [Fact]
    public async Task The_method_sentence_and_the_update_time_are_in_the_pages_language_with_the_date_and_vietnam_time()
    {
        await using var browser = await HeadlessChromium.LaunchAsync();
        var page = await OpenAsync(browser, "?unit=19&period=2025");
        await Expect(page.Locator("#method")).ToContainTextAsync("Như đã diễn ra");
        await Expect(page.Locator("#method")).ToContainTextAsync("đến 30/06/2025");
        await Expect(page.Locator("#updated")).ToHaveTextAsync(new Regex(@"^\d{2}/\d{2}/\d{4} \d{2}:\d{2} \(giờ Việt Nam, UTC\+7\)$"));
        var shown = await page.Locator("#updated").TextContentAsync();
        var at = DateTimeOffset.Parse(await page.Locator("#updated").GetAttributeAsync("datetime") ?? "", System.Globalization.CultureInfo.InvariantCulture);
        Assert.StartsWith(at.ToOffset(TimeSpan.FromHours(7)).ToString("dd/MM/yyyy HH:mm", System.Globalization.CultureInfo.InvariantCulture), shown);

        await page.Locator("#lang").ClickAsync();
        await Expect(page.Locator("#method")).ToContainTextAsync("As it happened");
        await Expect(page.Locator("#updated")).ToHaveTextAsync(new Regex(@"^\d{2}/\d{2}/\d{4} \d{2}:\d{2} \(Vietnam time, UTC\+7\)$"));
    }

    [Fact]
    public async Task A_bad_period_and_a_unit_outside_the_viewers_scope_are_said_in_a_sentence_of_the_pages_language()
    {
        await using var browser = await HeadlessChromium.LaunchAsync();
        var page = await OpenAsync(browser, "?unit=19&period=2031S7");
        await Expect(page.Locator("#message")).ToHaveTextAsync("Kỳ báo cáo “2031S7” không có trong kế hoạch; trang hiển thị 6 tháng cuối năm 2025.");
        await Expect(page.Locator("#period")).ToHaveValueAsync("2025S2");
        await Expect(page.Locator("#unit-name")).ToHaveTextAsync("Tỉnh Thái Nguyên");
        Assert.DoesNotContain("{", await page.Locator("body").InnerTextAsync(), StringComparison.Ordinal);

        var district = new Aggregation.Security.AccessGrant("district-164-dashboard", TestCredentials.Tenant, [Aggregation.Security.Roles.Viewer], ["164"]);
        var english = await OpenAsync(browser, "?unit=19&period=2025S1&lang=en", grant: district);
        await Expect(english.Locator("#message")).ToHaveTextAsync("You are not allowed to open the unit “19”; the page shows your own unit instead.");
        await Expect(english.Locator("#unit-name")).ToHaveTextAsync("Thành phố Thái Nguyên");
        Assert.DoesNotContain("{", await english.Locator("body").InnerTextAsync(), StringComparison.Ordinal);

        // The breadcrumb names the province but links only to what this viewer may open.
        await Expect(english.Locator("#breadcrumb [data-unit='19']")).ToHaveTextAsync("Tỉnh Thái Nguyên");
        await Expect(english.Locator("#breadcrumb a[data-unit='19']")).ToHaveCountAsync(0);
    }

    [Fact]
    public async Task The_page_has_a_favicon_served_and_loads_without_a_failed_request()
    {
        await using var browser = await HeadlessChromium.LaunchAsync();
        var page = await browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 1200, Height = 900 } });
        var failures = new List<string>();
        page.Response += (_, r) => { if (r.Status >= 400) failures.Add($"{r.Status} {r.Url}"); };
        page.Console += (_, m) => { if (m.Type == "error") failures.Add(m.Text); };
        await page.GotoAsync($"{server.WebAddress}/?unit=19&period=2025S1#token={ProvinceToken}");
        await Expect(page.Locator("#indicators tbody tr").First).ToBeVisibleAsync();
        var href = await page.Locator("link[rel='icon']").GetAttributeAsync("href");
        Assert.NotNull(href);
        var icon = await page.APIRequest.GetAsync(new Uri(new Uri(server.WebAddress + "/"), href).ToString());
        Assert.Equal(200, icon.Status);
        Assert.StartsWith("image/", icon.Headers["content-type"], StringComparison.Ordinal);
        Assert.Empty(failures);
    }

    [Fact]
    public async Task On_paper_statuses_are_black_text_in_a_bordered_box_and_the_controls_are_left_out()
    {
        await using var browser = await HeadlessChromium.LaunchAsync();
        var page = await OpenAsync(browser, "?unit=19&period=2025S1");
        await Expect(page.Locator("#indicators .status").First).ToBeVisibleAsync();
        await page.EmulateMediaAsync(new PageEmulateMediaOptions { Media = Media.Print });
        var style = await page.EvaluateAsync<string[]>("(() => { const s = getComputedStyle(document.querySelector('#indicators .status')); return [s.color, s.borderTopStyle, s.backgroundColor]; })()");
        Assert.Equal(PrintedStatusStyle, style);
        await Expect(page.Locator("#indicators .status").First).ToHaveTextAsync(new Regex("Chưa có số liệu|Chưa đạt|Đúng tiến độ|Đạt|Không đặt mục tiêu"));
        await Expect(page.Locator(".controls")).ToBeHiddenAsync();
    }

    [Fact]
    public async Task The_targets_and_units_tables_download_as_csv_with_a_bom_holding_the_rows_shown_and_the_chart_as_png()
    {
        await SeedSecondHalfOf2025Async();
        await using var browser = await HeadlessChromium.LaunchAsync();
        var page = await OpenAsync(browser, "?unit=19&period=2025S2");
        await Expect(page.Locator("#children tbody tr[data-unit='01840']")).ToBeVisibleAsync();

        var targets = await DownloadAsync(page, "#download-indicators");
        Assert.Equal(Bom, targets.Bytes[..3]);
        var lines = targets.Lines;
        Assert.Equal(await page.Locator("#indicators tbody tr").CountAsync() + 1, lines.Length);
        Assert.Equal("Chỉ tiêu;Nội dung;Giá trị;Đơn vị tính;Tử số;Mẫu số;Mục tiêu (%);Đánh giá", lines[0]);
        Assert.Contains(lines, l => l.StartsWith("T1.3a;", StringComparison.Ordinal) && l.EndsWith(";199,5;%;1995;1000;70,0;Số liệu cần kiểm tra", StringComparison.Ordinal));

        var units = await DownloadAsync(page, "#download-children");
        Assert.Equal(Bom, units.Bytes[..3]);
        var shown = await page.Locator("#children tbody tr[data-unit]").EvaluateAllAsync<string[]>("rows => rows.map(r => r.dataset.unit)");
        Assert.Equal(shown, units.Lines.Skip(1).Select(l => l.Split(';')[0]).ToArray());
        Assert.StartsWith("01840;Phường Đức Xuân;Có;", units.Lines[1], StringComparison.Ordinal);

        var chart = await DownloadAsync(page, "#download-trend");
        Assert.EndsWith(".png", chart.Name, StringComparison.Ordinal);
        Assert.Equal(PngSignature, chart.Bytes[..4]);

        // In English the file is comma-separated with a decimal point.
        await page.Locator("#lang").ClickAsync();
        await Expect(page.Locator("#indicators thead th").First).ToHaveTextAsync("Target");
        var english = await DownloadAsync(page, "#download-indicators");
        Assert.Contains(english.Lines, l => l.StartsWith("T1.3a,", StringComparison.Ordinal) && l.EndsWith(",199.5,%,1995,1000,70.0,Data to check", StringComparison.Ordinal));
    }

    private static readonly byte[] Bom = [0xEF, 0xBB, 0xBF];

    private static readonly byte[] PngSignature = [0x89, (byte)'P', (byte)'N', (byte)'G'];

    /// <summary>Black text, a solid border, no background: [color, border-top-style, background-color].</summary>
    private static readonly string[] PrintedStatusStyle = ["rgb(0, 0, 0)", "solid", "rgba(0, 0, 0, 0)"];

    /// <summary>The province, a district and a commune of the 2021–2025 structure, in January–June 2025.</summary>
    private static readonly string[] Views = ["?unit=19&period=2025S1", "?unit=164&period=2025S1", "?unit=05443&period=2025S1&asOf=2025-06-30"];

    private static string ProvinceToken => TestCredentials.Token(new Aggregation.Security.AccessGrant("province-dashboard", TestCredentials.Tenant, [Aggregation.Security.Roles.Viewer], ["19"]));

    /// <summary>
    /// One commune of the structure in force from 1 July 2025 reports for September and October 2025:
    /// 1,000 workers at the establishments each month (a stock), 1,000 then 995 reached (a count, each
    /// month within the month's workers), so over the half-year more workers were reached (1,995) than
    /// are employed: 199.5 %. Keys are fixed,
    /// so a second call is a duplicate and changes nothing.
    /// </summary>
    private async Task SeedSecondHalfOf2025Async()
    {
        Report Report(string key, string period, params DataValue[] values) => new()
        {
            IdempotencyKey = key,
            UnitCode = "01840",
            ProgrammeId = ServerFixture.Programme,
            Period = period,
            ReportedAt = Timestamp.FromDateTime(new DateTime(2025, 11, 5, 2, 0, 0, DateTimeKind.Utc)),
            Values = { values },
        };
        await server.Ingestion.SubmitReportAsync(new SubmitReportRequest { Report = Report("dashboard-01840-2025-09-police", "2025-09", ReportGenerator.Number("workers_at_establishments", 1000)) });
        await server.Ingestion.SubmitReportAsync(new SubmitReportRequest { Report = Report("dashboard-01840-2025-10-police", "2025-10", ReportGenerator.Number("workers_at_establishments", 1000)) });
        await server.Ingestion.SubmitReportAsync(new SubmitReportRequest { Report = Report("dashboard-01840-2025-09-commune", "2025-09", ReportGenerator.Number("awareness_activities", 1), ReportGenerator.Number("workers_reached", 1000)) });
        await server.Ingestion.SubmitReportAsync(new SubmitReportRequest { Report = Report("dashboard-01840-2025-10-commune", "2025-10", ReportGenerator.Number("workers_reached", 995)) });
    }

    private async Task<IPage> OpenAsync(HeadlessChromium browser, string query, int width = 1400, Aggregation.Security.AccessGrant? grant = null)
    {
        var page = await browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = width, Height = 900 }, AcceptDownloads = true });
        var token = grant is null ? ProvinceToken : TestCredentials.Token(grant);
        await page.GotoAsync($"{server.WebAddress}/{query}#token={token}");
        await Expect(page.Locator("#unit-name")).Not.ToHaveTextAsync("…");
        return page;
    }

    private static async Task<(string Name, byte[] Bytes, string[] Lines)> DownloadAsync(IPage page, string button)
    {
        var download = await page.RunAndWaitForDownloadAsync(() => page.Locator(button).ClickAsync());
        var path = Path.Combine(ArtifactDirectory, download.SuggestedFilename);
        Directory.CreateDirectory(ArtifactDirectory);
        await download.SaveAsAsync(path);
        var bytes = await File.ReadAllBytesAsync(path);
        var lines = System.Text.Encoding.UTF8.GetString(bytes, 3, bytes.Length - 3).Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        return (download.SuggestedFilename, bytes, lines);
    }

    /// <summary>Screenshots are kept as test artifacts beside the test results.</summary>
    private static string ArtifactDirectory => Path.Combine(AppContext.BaseDirectory, "artifacts");
}
