using System.Text.Json;
using System.Text.RegularExpressions;
using Aggregation.Protos.V1;
using Aggregation.Security;
using Deque.AxeCore.Playwright;
using Google.Protobuf.WellKnownTypes;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Aggregation.IntegrationTests;

/// <summary>
/// A server whose reporting calendar says 20 August 2025, 10:00 in Vietnam: July 2025 has ended (its
/// deadline, 10 days after, has passed), August has begun, September has not. The structure in force
/// is the one of 1 July 2025: province 19 and its 92 communes.
/// </summary>
public sealed class DataEntryServerFixture : ServerFixture
{
    protected override DateTimeOffset? Today => new DateTimeOffset(2025, 8, 20, 3, 0, 0, TimeSpan.Zero);
}

/// <summary>
/// The data entry form in a real headless Chromium on a real server and PostgreSQL: a commune officer
/// enters a month and corrects it, withdraws a value, a double click or a retry counts once, wrong
/// input is said beside its field in the page's language and changes nothing, the units due are
/// listed first, and the page passes axe-core and works at 390 px and by keyboard.
/// </summary>
public sealed class DataEntryTests(DataEntryServerFixture server) : IClassFixture<DataEntryServerFixture>
{
    [Fact]
    public async Task A_commune_officer_enters_july_then_corrects_it_and_the_communes_figures_follow()
    {
        await using var browser = await HeadlessChromium.LaunchAsync();
        var page = await OpenAsync(browser, Officer("01840"), "", width: 900);
        await Expect(page.Locator("#entry-period")).ToHaveValueAsync("2025-07");
        await Expect(page.Locator("#entry-unit")).ToHaveValueAsync("01840");
        await Expect(page.Locator("#form-heading")).ToHaveTextAsync("Báo cáo tháng cấp xã – Tháng 7/2025");
        await Expect(page.Locator("label[for='f-complaints_received']")).ToHaveTextAsync("Số tố giác, tin báo, khiếu nại về vi phạm pháp luật phòng, chống mại dâm đã tiếp nhận");
        await Expect(page.Locator("#f-complaints_received")).ToHaveAttributeAsync("inputmode", "numeric");

        await page.Locator("#f-awareness_activities").FillAsync("3");
        await page.Locator("#f-complaints_received").FillAsync("1.200");
        await page.Locator("#f-complaints_handled_on_time").FillAsync("1.000");
                await page.ScreenshotAsync(new PageScreenshotOptions { Path = HeadlessChromium.ScreenshotPath("entry-form.png"), FullPage = true });
        var saved = VietnamTime(server.Clock!.GetUtcNow());
        await page.Locator("#save").ClickAsync();

        var confirmation = page.Locator("#confirmation");
        await Expect(confirmation).ToContainTextAsync($"Đã lưu lúc {saved} (giờ Việt Nam, UTC+7).");
        await Expect(confirmation).ToContainTextAsync("Nhận mới (3)");
        // A thousand written the Vietnamese way is a thousand: T3.1 is 1,000 handled of 1,200 received.
        var t31 = await IndicatorAsync("01840", "2025-07", "T3.1");
        Assert.Equal((1000L, 1200L), (t31.Numerator, t31.Denominator));
        await Expect(page.Locator("#f-complaints_handled_on_time")).ToHaveValueAsync("1.000");
        await Expect(page.Locator("#h-complaints_handled_on_time")).ToContainTextAsync($"Đang lưu: 1.000 (nộp lúc {saved} (giờ Việt Nam, UTC+7))");

        // A correction a minute later replaces the value held; the figures follow.
        server.Clock!.Advance(TimeSpan.FromMinutes(1));
        await page.Locator("#f-complaints_handled_on_time").FillAsync("1.150");
        await page.Locator("#save").ClickAsync();
        await Expect(confirmation).ToContainTextAsync($"Đã lưu lúc {VietnamTime(server.Clock.GetUtcNow())} (giờ Việt Nam, UTC+7).");
        await Expect(confirmation).ToContainTextAsync("Đã sửa (1): Số tố giác, tin báo, khiếu nại được xác minh, phân loại, xử lý kịp thời");
        await Expect(confirmation).Not.ToContainTextAsync("Nhận mới");
        t31 = await IndicatorAsync("01840", "2025-07", "T3.1");
        Assert.Equal((1150L, 1200L), (t31.Numerator, t31.Denominator));
        await Expect(page.Locator("#f-complaints_handled_on_time")).ToHaveValueAsync("1.150");

        var audit = await AuditAsync("01840", "2025-07", "complaints_handled_on_time");
        Assert.Equal([(AuditAction.Accepted, "", "1000"), (AuditAction.Corrected, "1000", "1150")], audit.Select(r => (r.Action, r.OldValue, r.NewValue)));
        Assert.All(audit, r => Assert.Equal("data-entry-form", r.SourceSystem));
    }

    [Fact]
    public async Task Withdrawing_a_value_takes_it_out_of_the_figures_and_the_form_shows_none_held()
    {
        await server.Ingestion.SubmitReportAsync(new SubmitReportRequest { Report = Report("01843", "2025-07", ReportGenerator.Number("complaints_received", 40), ReportGenerator.Number("awareness_activities", 2)) });
        await using var browser = await HeadlessChromium.LaunchAsync();
        var page = await OpenAsync(browser, Officer("01843"), "");
        await Expect(page.Locator("#f-complaints_received")).ToHaveValueAsync("40");
        Assert.Equal(40L, (await IndicatorAsync("01843", "2025-07", "T3.1")).Denominator);

        await page.Locator("#w-complaints_received").CheckAsync();
        await Expect(page.Locator("#f-complaints_received")).ToBeDisabledAsync();
        await page.Locator("#save").ClickAsync();
        await Expect(page.Locator("#confirmation")).ToContainTextAsync("Đã rút lại (1): Số tố giác, tin báo, khiếu nại về vi phạm pháp luật phòng, chống mại dâm đã tiếp nhận");
        await Expect(page.Locator("#h-complaints_received")).ToContainTextAsync("Chưa có giá trị.");
        await Expect(page.Locator("#f-complaints_received")).ToHaveValueAsync("");
        await Expect(page.Locator("#w-complaints_received")).ToHaveCountAsync(0);

        var t31 = await IndicatorAsync("01843", "2025-07", "T3.1");
        Assert.True(!t31.HasDenominator || t31.Denominator == 0, $"complaints received still counted: {t31.Denominator}");
        Assert.Equal(AuditAction.Withdrawn, (await AuditAsync("01843", "2025-07", "complaints_received"))[^1].Action);
        // The other value of the month is untouched.
        await Expect(page.Locator("#f-awareness_activities")).ToHaveValueAsync("2");
    }

    [Fact]
    public async Task A_double_click_and_a_retry_after_a_lost_answer_each_count_once()
    {
        await using var browser = await HeadlessChromium.LaunchAsync();
        var page = await OpenAsync(browser, Officer("01849"), "");
        var keys = new List<string>();
        page.Request += (_, r) =>
        {
            if (r.Method == "POST" && r.Url.EndsWith("/api/entry", StringComparison.Ordinal))
            {
                keys.Add(JsonDocument.Parse(r.PostData!).RootElement.GetProperty("idempotencyKey").GetString()!);
            }
        };

        await page.Locator("#f-awareness_activities").FillAsync("4");
        await page.Locator("#save").DblClickAsync();
        await Expect(page.Locator("#confirmation")).ToContainTextAsync("Nhận mới (1)");
        var first = await AuditAsync("01849", "2025-07", "awareness_activities");
        Assert.Single(first);

        // The answer to the next save is lost on the way back: the server saved it, the page does not know.
        server.Clock!.Advance(TimeSpan.FromMinutes(1));
        var lost = 0;
        await page.RouteAsync("**/api/entry", async route =>
        {
            if (Interlocked.Increment(ref lost) == 1)
            {
                await route.FetchAsync();
                await route.AbortAsync("connectionreset");
            }
            else
            {
                await route.ContinueAsync();
            }
        });
        await page.Locator("#f-awareness_activities").FillAsync("5");
        await page.Locator("#save").ClickAsync();
        await Expect(page.Locator("#message")).ToContainTextAsync("Không gửi được số liệu");
        await Expect(page.Locator("#save")).ToBeEnabledAsync();
        await page.Locator("#save").ClickAsync();
        await Expect(page.Locator("#confirmation")).ToContainTextAsync("Lần nộp này đã được lưu trước đó (không tính hai lần)");

        var records = await AuditAsync("01849", "2025-07", "awareness_activities");
        Assert.Equal([(AuditAction.Accepted, "", "4"), (AuditAction.Corrected, "4", "5")], records.Select(r => (r.Action, r.OldValue, r.NewValue)));
        Assert.Equal(3, keys.Count);
        Assert.Equal(keys[1], keys[2]);
        Assert.NotEqual(keys[0], keys[1]);
        Assert.Equal([keys[0], keys[1]], records.Select(r => r.IdempotencyKey));
    }

    [Fact]
    public async Task A_value_of_the_wrong_type_is_said_beside_its_field_in_the_pages_language_and_nothing_changes()
    {
        await using var browser = await HeadlessChromium.LaunchAsync();
        var page = await OpenAsync(browser, Officer("01864"), "");
        await page.Locator("#f-complaints_received").FillAsync("1,5");
        await page.Locator("#f-awareness_activities").FillAsync("ba");
        await page.Locator("#save").ClickAsync();

        var error = page.Locator("#e-awareness_activities");
        await Expect(error).ToHaveTextAsync("“ba” không phải là số; hãy viết một số nguyên như 1.000 hoặc 25.");
        await Expect(page.Locator("#e-complaints_received")).ToContainTextAsync("“1,5” không phải số nguyên");
        var input = page.Locator("#f-awareness_activities");
        await Expect(input).ToHaveAttributeAsync("aria-invalid", "true");
        await Expect(input).ToHaveAttributeAsync("aria-describedby", new Regex("\\be-awareness_activities\\b"));
        // The first field with an error (in the form's order) has the focus.
        await Expect(input).ToBeFocusedAsync();
        await Expect(page.Locator("#message")).ToContainTextAsync("Chưa lưu: 2 ô có lỗi");

        // A rule of the programme, checked by the unit itself, in Vietnamese too.
        await page.Locator("#f-awareness_activities").FillAsync("1");
        await page.Locator("#f-complaints_received").FillAsync("3");
        await page.Locator("#f-complaints_handled_on_time").FillAsync("5");
        await page.Locator("#save").ClickAsync();
        await Expect(page.Locator("#e-complaints_handled_on_time")).ToHaveTextAsync("“Số tố giác, tin báo, khiếu nại được xác minh, phân loại, xử lý kịp thời” (5) không được lớn hơn “Số tố giác, tin báo, khiếu nại về vi phạm pháp luật phòng, chống mại dâm đã tiếp nhận” (3) của cùng đơn vị, cùng kỳ báo cáo.");
        await Expect(page.Locator("#e-awareness_activities")).ToBeHiddenAsync();

        // In English, the same field's sentence is English, and "1.000" is not taken for a thousand.
        await page.Locator("#lang").ClickAsync();
        await Expect(page.Locator("#e-complaints_handled_on_time")).ToContainTextAsync("complaints_handled_on_time (5) may not exceed complaints_received (3)");
        await page.Locator("#f-complaints_handled_on_time").FillAsync("1.000");
        await page.Locator("#save").ClickAsync();
        await Expect(page.Locator("#e-complaints_handled_on_time")).ToHaveTextAsync("“1.000” could mean 1 or 1,000: in English notation “.” marks decimals and “,” groups thousands, so write 1,000 (or 1000).");

        // Only refusals were recorded: the rule's (the unit checked it), never a value.
        Assert.Empty(await AuditAsync("01864", "2025-07", ""));
        Assert.All(await RecordsAsync("01864", "2025-07", ""), r => Assert.Equal(AuditAction.Rejected, r.Action));
        var t31 = await IndicatorAsync("01864", "2025-07", "T3.1");
        Assert.True(!t31.HasDenominator || t31.Denominator == 0, $"complaints received counted: {t31.Denominator}");
    }

    [Fact]
    public async Task A_unit_outside_the_officers_scope_and_a_period_not_begun_are_refused_in_a_sentence_and_change_nothing()
    {
        await using var browser = await HeadlessChromium.LaunchAsync();
        var grant = Officer("01879");
        var page = await OpenAsync(browser, grant, "?period=2025-09");
        await Expect(page.Locator("#message")).ToHaveTextAsync("Kỳ 2025-09 chưa bắt đầu (hôm nay là 20/08/2025, giờ Việt Nam): chưa thể báo cáo cho kỳ này.");
        await Expect(page.Locator("#entry-period")).ToHaveValueAsync("2025-07");
        Assert.Equal(["2025-08", "2025-07", "2025-06"], (await page.Locator("#entry-period option").EvaluateAllAsync<string[]>("o => o.map(x => x.value)"))[..3]);

        var outside = await OpenAsync(browser, grant, "?unit=01840&lang=en");
        await Expect(outside.Locator("#message")).ToContainTextAsync("This credential may not submit this form for the unit “01840”");
        await Expect(outside.Locator("#entry-unit")).ToHaveValueAsync("01879");
        await outside.Locator("#lang").ClickAsync();
        await Expect(outside.Locator("#message")).ToContainTextAsync("Mã truy cập này không được nộp biểu mẫu này cho đơn vị “01840”");

        // The server refuses the same whatever the page offers: another commune, a month not begun.
        var other = await PostAsync(page, grant, "01840", "2025-07", "awareness_activities", "7");
        Assert.Equal(403, other.Status);
        Assert.Equal("Mã truy cập này không được nộp số liệu cho đơn vị “01840”; không có gì được lưu.", (await other.JsonAsync())!.Value.GetProperty("fields")[0].GetProperty("vi").GetString());
        var early = await PostAsync(page, grant, "01879", "2025-09", "awareness_activities", "7");
        Assert.Equal(400, early.Status);
        var field = (await early.JsonAsync())!.Value.GetProperty("fields")[0];
        Assert.Equal(("period", "Kỳ 2025-09 chưa bắt đầu (hôm nay là 20/08/2025, giờ Việt Nam): chưa thể báo cáo cho kỳ này."), (field.GetProperty("field").GetString(), field.GetProperty("vi").GetString()));

        Assert.DoesNotContain(await AuditAsync("01840", "", ""), r => r.Subject == grant.Subject);
        Assert.Empty(await AuditAsync("01879", "", ""));
        var rejected = (await new Audit.AuditClient(server.Channel).QueryAuditAsync(new QueryAuditRequest { Subject = grant.Subject, Action = AuditAction.Rejected })).Records;
        Assert.Equal(["2025-07", "2025-09"], rejected.Select(r => r.Period).Order());
    }

    [Fact]
    public async Task The_units_due_and_not_yet_reported_are_listed_first_with_the_deadline_then_those_reported()
    {
        await server.Ingestion.SubmitReportAsync(new SubmitReportRequest { Report = Report("01894", "2025-08", ReportGenerator.Number("awareness_activities", 1)) });
        await using var browser = await HeadlessChromium.LaunchAsync();
        var province = new AccessGrant("province-entry", TestCredentials.Tenant, [Roles.Submitter], ["19"]);
        var page = await OpenAsync(browser, province, "?dataSet=commune-monthly&period=2025-08");
        var groups = page.Locator("#entry-unit optgroup");
        await Expect(groups).ToHaveCountAsync(2);
        await Expect(groups.Nth(0)).ToHaveAttributeAsync("label", "Chưa báo cáo (91) – hạn nộp 11/09/2025 07:00 (giờ Việt Nam, UTC+7)");
        await Expect(groups.Nth(1)).ToHaveAttributeAsync("label", "Đã báo cáo (1)");
        Assert.Equal(["01894"], await groups.Nth(1).Locator("option").EvaluateAllAsync<string[]>("o => o.map(x => x.value)"));
        Assert.Equal(91, await groups.Nth(0).Locator("option").CountAsync());
        await Expect(page.Locator("#units-summary")).ToContainTextAsync("91 đơn vị chưa báo cáo kỳ này, 1 đơn vị đã báo cáo. Hạn nộp: 11/09/2025 07:00 (giờ Việt Nam, UTC+7).");
        // The first unit due is opened.
        await Expect(page.Locator("#entry-unit")).ToHaveValueAsync(await groups.Nth(0).Locator("option").First.GetAttributeAsync("value") ?? "");

        await page.Locator("#lang").ClickAsync();
        await Expect(groups.Nth(0)).ToHaveAttributeAsync("label", "Not reported yet (91) – due 11/09/2025 07:00 (Vietnam time, UTC+7)");
    }

    [Fact]
    public async Task A_credential_without_the_submitter_role_is_told_it_cannot_submit()
    {
        await using var browser = await HeadlessChromium.LaunchAsync();
        var viewer = new AccessGrant("viewer-entry", TestCredentials.Tenant, [Roles.Viewer], ["19"]);
        var page = await OpenAsync(browser, viewer, "");
        await Expect(page.Locator("#message")).ToContainTextAsync("Mã truy cập này không có quyền nộp số liệu");
        await Expect(page.Locator("#entry-form")).ToBeHiddenAsync();
    }

    [Fact]
    public async Task Axe_finds_no_serious_or_critical_violation_on_the_form_with_values_and_errors_in_both_languages()
    {
        await server.Ingestion.SubmitReportAsync(new SubmitReportRequest { Report = Report("01906", "2025-07", ReportGenerator.Number("workers_at_establishments", 12), ReportGenerator.Entities("establishments_inspected", "CS-01", "CS-02")) });
        await using var browser = await HeadlessChromium.LaunchAsync();
        var found = new List<string>();
        foreach (var lang in new[] { "", "&lang=en" })
        {
            var page = await OpenAsync(browser, Officer("01906"), "?dataSet=commune-police-monthly" + lang);
            await Expect(page.Locator("#f-establishments_inspected")).ToHaveValueAsync("CS-01\nCS-02");
            await Expect(page.Locator(".held-ids li")).ToHaveTextAsync(["CS-01", "CS-02"]);
            found.AddRange(await SeriousAsync(page, "form" + lang));
            await page.Locator("#f-establishments_at_risk").FillAsync("x");
            await page.Locator("#save").ClickAsync();
            await Expect(page.Locator("#e-establishments_at_risk")).ToBeVisibleAsync();
            found.AddRange(await SeriousAsync(page, "errors" + lang));
            await page.CloseAsync();
        }

        Assert.True(found.Count == 0, string.Join("\n", found));
    }

    [Fact]
    public async Task At_390_px_wide_with_the_keyboard_alone_an_officer_fills_the_form_and_saves_it()
    {
        await using var browser = await HeadlessChromium.LaunchAsync();
        foreach (var lang in new[] { "", "&lang=en" })
        {
            var page = await OpenAsync(browser, Officer("01912"), "?dataSet=commune-monthly" + lang, width: 390);
            var scrollWidth = await page.EvaluateAsync<int>("document.documentElement.scrollWidth");
            Assert.True(scrollWidth <= 390, $"{lang}: the page is {scrollWidth} px wide at 390 px");
            await page.CloseAsync();
        }

        var keyboard = await OpenAsync(browser, Officer("01912"), "", width: 390);
        await HeadlessChromium.TabToAsync(keyboard, "#f-awareness_activities");
        Assert.NotEqual("none", await keyboard.EvaluateAsync<string>("getComputedStyle(document.activeElement).outlineStyle"));
        await keyboard.Keyboard.TypeAsync("2");
        await keyboard.Keyboard.PressAsync("Tab");
        await keyboard.Keyboard.TypeAsync("2.500");
        await HeadlessChromium.TabToAsync(keyboard, "#save");
        await keyboard.Keyboard.PressAsync("Enter");
        await Expect(keyboard.Locator("#confirmation")).ToContainTextAsync("Nhận mới (2)");
        Assert.Equal("2500", (await AuditAsync("01912", "2025-07", "workers_reached")).Single().NewValue);
    }

    // ----- Helpers -------------------------------------------------------------------------

    /// <summary>How the page writes an instant: dd/MM/yyyy HH:mm in Vietnam (UTC+7).</summary>
    private static string VietnamTime(DateTimeOffset at) => at.ToOffset(TimeSpan.FromHours(7)).ToString("dd/MM/yyyy HH:mm", System.Globalization.CultureInfo.InvariantCulture);

    private static AccessGrant Officer(string commune) => new($"officer-{commune}", TestCredentials.Tenant, [Roles.Submitter], [commune]);

    private static Report Report(string unit, string period, params DataValue[] values) => new()
    {
        IdempotencyKey = $"entry-seed-{unit}-{period}",
        UnitCode = unit,
        ProgrammeId = ServerFixture.Programme,
        Period = period,
        ReportedAt = Timestamp.FromDateTimeOffset(new DateTimeOffset(2025, 8, 5, 2, 0, 0, TimeSpan.Zero)),
        Values = { values },
    };

    private async Task<IndicatorValue> IndicatorAsync(string unit, string period, string indicator)
    {
        var rollup = await server.Rollups.GetRollupAsync(new GetRollupRequest { UnitCode = unit, Period = period, ProgrammeId = ServerFixture.Programme });
        return rollup.Rollup.Indicators.Single(i => i.IndicatorId == indicator);
    }

    /// <summary>
    /// The audit trail of a commune's values: what its reports changed, recorded under the unit's key
    /// (a commune of the 1 July 2025 structure is keyed <c>code@2025-07</c>, its code being reused).
    /// </summary>
    private Task<List<AuditRecord>> AuditAsync(string commune, string period, string element) => RecordsAsync(commune + "@2025-07", period, element);

    /// <summary>Audit records as written: refusals are recorded under the unit code the report named.</summary>
    private async Task<List<AuditRecord>> RecordsAsync(string unit, string period, string element) =>
        [.. (await new Audit.AuditClient(server.Channel).QueryAuditAsync(new QueryAuditRequest { UnitCode = unit, Period = period, DataElement = element, PageSize = 1000 })).Records.OrderBy(r => r.Id)];

    private async Task<IAPIResponse> PostAsync(IPage page, AccessGrant grant, string unit, string period, string element, string text) =>
        await page.APIRequest.PostAsync($"{server.WebAddress}/api/entry", new APIRequestContextOptions
        {
            Headers = new Dictionary<string, string> { ["Authorization"] = "Bearer " + TestCredentials.Token(grant) },
            DataObject = new { idempotencyKey = Guid.NewGuid().ToString(), dataSet = "commune-monthly", period, unit, lang = "vi", values = new[] { new { element, text } } },
        });

    private static async Task<IEnumerable<string>> SeriousAsync(IPage page, string view)
    {
        var result = await page.RunAxe();
        return result.Violations.Where(v => v.Impact is "serious" or "critical")
            .Select(v => $"{view}: {v.Id} ({v.Impact}) {v.Help}: {string.Join(" | ", v.Nodes.Take(3).Select(n => n.Html))}");
    }

    private async Task<IPage> OpenAsync(HeadlessChromium browser, AccessGrant grant, string query, int width = 1200)
    {
        var page = await browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = width, Height = 900 } });
        var errors = new List<string>();
        page.PageError += (_, e) => errors.Add(e);
        await page.GotoAsync($"{server.WebAddress}/entry.html{query}#token={TestCredentials.Token(grant)}");
        await Expect(page.Locator("#programme-name")).Not.ToHaveTextAsync("…");
        Assert.Empty(errors);
        return page;
    }
}
