using System.Xml.Linq;
using Aggregation.Protos.V1;
using Deque.AxeCore.Playwright;
using Google.Protobuf.WellKnownTypes;
using Google.Rpc;
using Grpc.Core;
using Microsoft.Playwright;
using Npgsql;
using static Microsoft.Playwright.Assertions;

namespace Aggregation.IntegrationTests;

/// <summary>
/// The six-monthly cycle on a real server and PostgreSQL, in a real headless Chromium: a commune
/// officer reports and corrects a month, the district approver approves it on the review page, a
/// later correction is refused, the approval is withdrawn with a reason and the correction goes in,
/// the district approves its area, the province approves the district, and the report for the half
/// goes to the ministry with the approved figures. Thái Nguyên sends only approved figures (the
/// shipped default), so until the province approves, the report waits.
/// </summary>
public sealed class SignOffTests(ServerFixture server) : IClassFixture<ServerFixture>
{
    private const string DataSet = "commune-monthly";
    private const string Commune = "05443";
    private const string District = "164";

    // An approval reads the findings of the area it covers before it is recorded: on a machine
    // busy with other builds that takes longer than Playwright's 5 s default.
    private static readonly LocatorAssertionsToHaveAttributeOptions Decided = new() { Timeout = 60_000 };

    // The ward's officer in 2025: since 2025-07-01 the code 05443 names another ward, so a credential
    // scoped by that code would cover today's ward; this one covers the district the ward was in.
    private static readonly Aggregation.Security.AccessGrant Officer = new("officer-05443", TestCredentials.Tenant, [Aggregation.Security.Roles.Submitter], [District], [DataSet]);
    private static readonly Aggregation.Security.AccessGrant DistrictApprover = new("approver-164", TestCredentials.Tenant, [Aggregation.Security.Roles.Approver], [District]);
    private static readonly Aggregation.Security.AccessGrant ProvinceApprover = new("approver-19", TestCredentials.Tenant, [Aggregation.Security.Roles.Approver], [ServerFixture.ProvinceCode]);

    [Fact]
    public async Task A_half_goes_from_the_commune_through_district_and_province_approval_to_the_ministry_with_the_approved_figures()
    {
        using var officerChannel = TestCredentials.Channel(server.Address, Officer);
        var officer = new Ingestion.IngestionClient(officerChannel);
        await using var browser = await HeadlessChromium.LaunchAsync();

        // The commune officer enters March in the entry form, then corrects it.
        var entry = await OpenEntryAsync(browser, Officer, "2025-03");
        await SaveAsync(entry, "2", "Nhận mới (1)");
        await SaveAsync(entry, "3", "Đã sửa (1)");
        Assert.Equal(3, (await server.ReadAsync(Commune, "2025-03")).Values.Single(v => v.DataElement == "awareness_activities").Value);

        // The district approver approves the commune; its reports are missing for the other months,
        // so the page asks for a comment before sending.
        var district = await OpenReviewAsync(browser, DistrictApprover, District);
        var communeRow = district.Locator($"#approvals tbody tr[data-unit='{Commune}']");
        await Expect(communeRow).ToHaveAttributeAsync("data-state", "provisional", Decided);
        await Expect(communeRow.Locator("td").First).ToHaveTextAsync("Tạm thời, chưa phê duyệt");
        await communeRow.Locator("button[data-action='approve']").ClickAsync();
        await Expect(district.Locator("#decision-label")).ToHaveTextAsync("Ý kiến (bắt buộc)");
        await district.Locator("#decision-submit").ClickAsync();
        await Expect(district.Locator("#decision-error")).ToContainTextAsync("cần ghi ý kiến");
        await district.Locator("#decision-text").FillAsync("Xã chỉ hoạt động trong tháng 3; các tháng khác không có hoạt động.");
        await district.Locator("#decision-submit").ClickAsync();
        await Expect(communeRow).ToHaveAttributeAsync("data-state", "district", Decided);
        await Expect(communeRow.Locator("td").First).ToHaveTextAsync("Đã phê duyệt cấp huyện");
        await Expect(communeRow).ToContainTextAsync(DistrictApprover.Subject);
        await Expect(communeRow).ToContainTextAsync("(giờ Việt Nam, UTC+7)");

        // Approved figures are locked: the officer's later correction is refused naming the approval.
        await entry.Locator("#f-awareness_activities").FillAsync("4");
        await entry.Locator("#save").ClickAsync();
        await Expect(entry.Locator("#message")).ToContainTextAsync("đã được phê duyệt cấp huyện bởi approver-164");
        Assert.Equal(3, (await server.ReadAsync(Commune, "2025-03")).Values.Single(v => v.DataElement == "awareness_activities").Value);
        var refused = await Assert.ThrowsAsync<RpcException>(() => SubmitAsync(officer, "2025-03", 4));
        Assert.Equal(StatusCode.FailedPrecondition, refused.StatusCode);
        Assert.Contains(refused.GetRpcStatus()!.GetDetail<PreconditionFailure>()!.Violations, v => v.Type == "APPROVAL" && v.Subject.StartsWith("approvals/", StringComparison.Ordinal));

        // Withdrawn with the keyboard: a withdrawal without a reason is refused in the page, with one it goes through.
        await communeRow.Locator("button[data-action='withdraw']").FocusAsync();
        await district.Keyboard.PressAsync("Enter");
        await Expect(district.Locator("#decision-text")).ToBeFocusedAsync();
        await district.Keyboard.PressAsync("Tab");
        await Expect(district.Locator("#decision-submit")).ToBeFocusedAsync();
        await district.Keyboard.PressAsync("Enter");
        await Expect(district.Locator("#decision-error")).ToHaveTextAsync("Cần ghi lý do rút phê duyệt.");
        await Expect(district.Locator("#decision-text")).ToBeFocusedAsync();
        await district.Keyboard.TypeAsync("Xã báo cáo nhầm số buổi tuyên truyền tháng 3.");
        await district.Keyboard.PressAsync("Tab");
        await district.Keyboard.PressAsync("Enter");
        await Expect(communeRow).ToHaveAttributeAsync("data-state", "provisional", Decided);
        await Expect(district.Locator("#done")).ToContainTextAsync("Đã rút phê duyệt");

        await SaveAsync(entry, "4", "Đã sửa (1)");

        // The district approves its whole area, so the province may approve the district.
        await district.ReloadAsync();
        var areaRow = district.Locator($"#approvals tbody tr[data-unit='{District}']");
        await areaRow.Locator("button[data-action='approve']").ClickAsync();
        await district.Locator("#decision-text").FillAsync("Đã kiểm tra số liệu các xã; các xã khác chưa có hoạt động trong kỳ.");
        await district.Locator("#decision-submit").ClickAsync();
        await DecidedAsync(district, District, "district");
        await Expect(areaRow).ToHaveAttributeAsync("data-state", "district", Decided);
        await Expect(communeRow).ToHaveAttributeAsync("data-state", "district", Decided);

        // Approved at district level only: the half's report to the ministry waits, and says for what.
        var reporting = new Protos.V1.Reporting.ReportingClient(server.Channel);
        var waiting = await reporting.ProduceReportsAsync(new ProduceReportsRequest());
        var half = Assert.Single(waiting.Waiting, w => w.UnitCode == ServerFixture.ProvinceCode && w.Period == "2025S1");
        Assert.Contains($"{District} Thành phố Thái Nguyên: {DataSet}", half.Reason, StringComparison.Ordinal);
        Assert.Null(await PayloadAsync("2025S1"));

        // The province approver: a district without figures cannot be approved; the district that approved its area can.
        var province = await OpenReviewAsync(browser, ProvinceApprover, ServerFixture.ProvinceCode);
        var empty = province.Locator($"#approvals tbody tr[data-state='provisional']:not([data-unit='{ServerFixture.ProvinceCode}'])").First;
        await empty.Locator("button[data-action='approve']").ClickAsync();
        await Expect(province.Locator("#message")).ToContainTextAsync("chưa có số liệu");
        var districtRow = province.Locator($"#approvals tbody tr[data-unit='{District}']");
        await Expect(districtRow).ToHaveAttributeAsync("data-state", "district", Decided);
        await districtRow.Locator("button[data-action='approve']").ClickAsync();
        await Expect(province.Locator("#decision-heading")).ToContainTextAsync("ở cấp tỉnh");
        await province.Locator("#decision-text").FillAsync("Sở đã đối chiếu với báo cáo của huyện.");
        await province.Locator("#decision-submit").ClickAsync();
        await DecidedAsync(province, District, "province");
        await Expect(districtRow).ToHaveAttributeAsync("data-state", "province", Decided);
        await Expect(districtRow.Locator("td").First).ToHaveTextAsync("Đã phê duyệt cấp tỉnh");
        // The screen as the approver sees it (the findings of every commune below run long).
        await province.ScreenshotAsync(new PageScreenshotOptions { Path = HeadlessChromium.ScreenshotPath("review-approve.png") });

        // Now the half goes out, with the figures as approved (the correction), and nothing marked provisional.
        var produced = await reporting.ProduceReportsAsync(new ProduceReportsRequest());
        Assert.True(produced.Produced > 0, "the approved half produced no report");
        Assert.DoesNotContain(produced.Waiting, w => w.UnitCode == ServerFixture.ProvinceCode && w.Period == "2025S1");
        var payload = await PayloadAsync("2025S1") ?? throw new Xunit.Sdk.XunitException("no ADX document for 2025S1 after the province approved it");
        var adx = XDocument.Parse(payload);
        XNamespace ns = "urn:ihe:qrph:adx:2015";
        // The ward's code was reused on 2025-07-01: the mapping names the 2025 ward by its retired code.
        var march = Assert.Single(adx.Descendants(ns + "group"), g => (string?)g.Attribute("orgUnit") == $"{Commune}-2021-2025" && (string?)g.Attribute("period") == "2025-03-01/P1M");
        var sent = Assert.Single(march.Elements(ns + "dataValue"), v => (string?)v.Attribute("dataElement") == "awareness_activities");
        var approved = (await server.ReadAsync(Commune, "2025-03")).Values.Single(v => v.DataElement == "awareness_activities");
        Assert.Equal(4, approved.Value);
        Assert.Equal(approved.Value.ToString(System.Globalization.CultureInfo.InvariantCulture), (string?)sent.Attribute("value"));
        Assert.DoesNotContain(adx.Descendants(ns + "dataValue"), v => v.Attribute("comment") is not null);

        // The dashboard says so, in words, for the district and the commune below it.
        var dashboard = await browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 1280, Height = 900 } });
        await dashboard.GotoAsync($"{server.WebAddress}/?unit={District}&period=2025S1#token={TestCredentials.Token(ProvinceApprover)}");
        await Expect(dashboard.Locator($"#approval-state li[data-data-set='{DataSet}']")).ToContainTextAsync("Đã phê duyệt cấp tỉnh");
        await Expect(dashboard.Locator($"#children tr[data-unit='{Commune}'] .approval-cell")).ToHaveTextAsync("Đã phê duyệt cấp tỉnh");
        await dashboard.Locator("#lang").ClickAsync();
        await Expect(dashboard.Locator($"#children tr[data-unit='{Commune}'] .approval-cell")).ToHaveTextAsync("Approved at province level");
        await dashboard.Locator("#lang").ClickAsync();
        await Expect(dashboard.Locator($"#children tr[data-unit='{Commune}'] .approval-cell")).ToHaveTextAsync("Đã phê duyệt cấp tỉnh");
        await dashboard.ScreenshotAsync(new PageScreenshotOptions { Path = HeadlessChromium.ScreenshotPath("dashboard-approved.png"), FullPage = true });
    }

    [Fact]
    public async Task Approving_figures_with_open_findings_needs_a_comment_and_without_one_records_nothing()
    {
        using var officerChannel = TestCredentials.Channel(server.Address, Officer);
        Assert.Equal(ReportOutcome.Accepted, (await SubmitAsync(new Ingestion.IngestionClient(officerChannel), "2024-03", 1)).Result.Outcome);
        using var channel = TestCredentials.Channel(server.Address, DistrictApprover);
        var approvals = new Approvals.ApprovalsClient(channel);
        var request = new ApproveRequest { ProgrammeId = ServerFixture.Programme, DataSet = DataSet, UnitCode = Commune, Period = "2024S1", Level = ApprovalLevel.District, Comment = "  " };

        var refused = await Assert.ThrowsAsync<RpcException>(() => approvals.ApproveAsync(request).ResponseAsync);

        Assert.Equal(StatusCode.InvalidArgument, refused.StatusCode);
        Assert.Contains(refused.GetRpcStatus()!.GetDetail<BadRequest>()!.FieldViolations, v => v.Field == "comment" && v.Description.Contains("findings are open", StringComparison.Ordinal));
        var listed = await approvals.ListApprovalsAsync(new ListApprovalsRequest { ProgrammeId = ServerFixture.Programme, UnitCode = Commune, Period = "2024S1", IncludeWithdrawn = true });
        Assert.Empty(listed.Approvals);

        request.Comment = "Các tháng khác xã không có hoạt động.";
        var approved = await approvals.ApproveAsync(request);
        Assert.Equal(ApprovalLevel.District, approved.Approval.Level);
        Assert.Equal(request.Comment, approved.Approval.Comment);
    }

    [Fact]
    public async Task The_review_page_passes_axe_in_both_languages_and_fits_a_phone()
    {
        using var officerChannel = TestCredentials.Channel(server.Address, Officer);
        Assert.Equal(ReportOutcome.Accepted, (await SubmitAsync(new Ingestion.IngestionClient(officerChannel), "2023-02", 5)).Result.Outcome);
        await using var browser = await HeadlessChromium.LaunchAsync();
        var found = new List<string>();
        foreach (var (lang, width) in new[] { ("", 1280), ("&lang=en", 1280), ("", 390), ("&lang=en", 390) })
        {
            var page = await OpenReviewAsync(browser, DistrictApprover, District, "2023S1", lang, width);
            await Expect(page.Locator("#findings section").First).ToBeVisibleAsync();
            await page.Locator($"#approvals tbody tr[data-unit='{Commune}'] button[data-action='approve']").ClickAsync();
            await Expect(page.Locator("#decision")).ToBeVisibleAsync();
            var result = await page.RunAxe();
            found.AddRange(result.Violations.Where(v => v.Impact is "serious" or "critical")
                .Select(v => $"{lang} {width}px: {v.Id} ({v.Impact}) {v.Help}: {string.Join(" | ", v.Nodes.Take(3).Select(n => n.Html))}"));
            var overflow = await page.EvaluateAsync<int>("() => document.documentElement.scrollWidth - document.documentElement.clientWidth");
            if (overflow > 0)
            {
                found.Add($"{lang} {width}px: the page is {overflow} px wider than the screen");
            }

            if (lang.Length > 0)
            {
                await Expect(page.Locator("#decision-label")).ToHaveTextAsync("Comment (required)");
                await Expect(page.Locator("html")).ToHaveAttributeAsync("lang", "en");
            }

            await page.CloseAsync();
        }

        Assert.True(found.Count == 0, string.Join("\n", found));
    }

    /// <summary>Waits until the unit's row shows the state or the page says why not, and fails with the page's sentence.</summary>
    private static async Task DecidedAsync(IPage page, string unit, string state)
    {
        await page.WaitForFunctionAsync(
            "([unit, state]) => document.querySelector(`#approvals tr[data-unit='${unit}']`)?.dataset.state === state || document.querySelector('#decision-error').textContent || document.querySelector('#message').textContent",
            new[] { unit, state },
            new PageWaitForFunctionOptions { Timeout = 60_000 });
        Assert.Equal("", await page.Locator("#decision-error").TextContentAsync());
        Assert.Equal("", await page.Locator("#message").TextContentAsync());
    }

    private static Task<SubmitReportResponse> SubmitAsync(Ingestion.IngestionClient client, string period, int awareness) =>
        client.SubmitReportAsync(new SubmitReportRequest
        {
            Report = new Report
            {
                IdempotencyKey = Guid.NewGuid().ToString("N"),
                UnitCode = Commune,
                ProgrammeId = ServerFixture.Programme,
                Period = period,
                ReportedAt = Timestamp.FromDateTime(DateTime.UtcNow),
                Values = { ReportGenerator.Number("awareness_activities", awareness) },
            },
        }).ResponseAsync;

    /// <summary>The entry form of the commune's monthly report for <paramref name="period"/>, as the officer opens it.</summary>
    private async Task<IPage> OpenEntryAsync(HeadlessChromium browser, Aggregation.Security.AccessGrant grant, string period)
    {
        var page = await browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 1280, Height = 900 } });
        await page.GotoAsync($"{server.WebAddress}/entry.html?dataSet={DataSet}&period={period}&unit={Commune}#token={TestCredentials.Token(grant)}");
        await Expect(page.Locator("#entry-unit")).ToHaveValueAsync(Commune);
        await Expect(page.Locator("#f-awareness_activities")).ToBeVisibleAsync();
        return page;
    }

    /// <summary>Types the month's awareness activities, saves, and waits for the page's confirmation.</summary>
    private static async Task SaveAsync(IPage entry, string awareness, string confirmed)
    {
        await entry.Locator("#f-awareness_activities").FillAsync(awareness);
        await entry.Locator("#save").ClickAsync();
        await Expect(entry.Locator("#confirmation")).ToContainTextAsync(confirmed);
        // The form reloads what the unit holds: the value just saved, not an earlier one.
        await Expect(entry.Locator("#h-awareness_activities")).ToContainTextAsync($"Đang lưu: {awareness} ");
    }

    private async Task<IPage> OpenReviewAsync(HeadlessChromium browser, Aggregation.Security.AccessGrant grant, string unit, string period = "2025S1", string lang = "", int width = 1280)
    {
        var page = await browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = width, Height = 900 } });
        await page.GotoAsync($"{server.WebAddress}/review.html?dataSet={DataSet}&period={period}&unit={unit}{lang}#token={TestCredentials.Token(grant)}");
        await Expect(page.Locator($"#approvals tbody tr[data-unit='{unit}']")).ToBeVisibleAsync();
        return page;
    }

    /// <summary>The latest ADX document recorded for the province and period, or null.</summary>
    private async Task<string?> PayloadAsync(string period)
    {
        await using var connection = new NpgsqlConnection(server.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT content FROM ministry_reports WHERE tenant_id = @t AND unit_code = @u AND period = @p AND payload = @k ORDER BY revision DESC LIMIT 1", connection);
        command.Parameters.AddWithValue("t", TestCredentials.Tenant);
        command.Parameters.AddWithValue("u", ServerFixture.ProvinceCode);
        command.Parameters.AddWithValue("p", period);
        command.Parameters.AddWithValue("k", Aggregation.Storage.Payloads.Adx);
        return await command.ExecuteScalarAsync() is byte[] content ? System.Text.Encoding.UTF8.GetString(content) : null;
    }
}
