using Aggregation.Protos.V1;
using Google.Protobuf.WellKnownTypes;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Aggregation.IntegrationTests;

/// <summary>
/// The provincial dashboard in a real headless Chromium (Debian's package, driven by Playwright):
/// it shows the province, moves live when a report is accepted, and drills down.
/// </summary>
public sealed class DashboardTests(ServerFixture server) : IClassFixture<ServerFixture>
{
    private static readonly string[] ChromiumArguments =
        ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];

    [Fact]
    public async Task The_provinces_figure_changes_on_the_open_page_within_a_second_of_a_report_and_drills_down_to_a_district()
    {
        await using var browser = await LaunchAsync();
        var page = await browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 1400, Height = 1600 } });
        var errors = new List<string>();
        page.PageError += (_, e) => errors.Add(e);

        var token = TestCredentials.Token(new Aggregation.Security.AccessGrant("province-dashboard", TestCredentials.Tenant, [Aggregation.Security.Roles.Viewer], ["19"]));
        // January–June 2025: the 2021-2025 hierarchy (172 communes in 9 districts) was in force throughout.
        await page.GotoAsync($"{server.WebAddress}/?unit=19&period=2025S1#token={token}");
        var t11 = page.Locator("#indicators tr[data-indicator='T1.1'] td.value");
        await Expect(page.Locator("#unit-name")).ToHaveTextAsync("Tỉnh Thái Nguyên");
        await Expect(t11).ToHaveTextAsync("0.0 %");
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
        await Expect(t11).ToHaveTextAsync("0.6 %", new LocatorAssertionsToHaveTextOptions { Timeout = 1000 });
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
        await using var browser = await LaunchAsync();
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

    /// <summary>Screenshots are kept as test artifacts beside the test results.</summary>
    private static string ArtifactDirectory => Path.Combine(AppContext.BaseDirectory, "artifacts");

    private static async Task<IAsyncDisposableBrowser> LaunchAsync()
    {
        var executable = new[] { Environment.GetEnvironmentVariable("AGGREGATION_CHROMIUM"), "/usr/bin/chromium", "/usr/bin/chromium-browser" }
            .FirstOrDefault(p => !string.IsNullOrEmpty(p) && File.Exists(p))
            ?? throw new InvalidOperationException("No Chromium found at /usr/bin/chromium (or AGGREGATION_CHROMIUM): run the tests through tests/run.sh, which installs Debian's chromium package.");
        var playwright = await Playwright.CreateAsync();
        var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions { ExecutablePath = executable, Headless = true, Args = ChromiumArguments });
        return new IAsyncDisposableBrowser(playwright, browser);
    }

    private sealed class IAsyncDisposableBrowser(IPlaywright playwright, IBrowser browser) : IAsyncDisposable
    {
        public Task<IPage> NewPageAsync(BrowserNewPageOptions options) => browser.NewPageAsync(options);

        public async ValueTask DisposeAsync()
        {
            await browser.DisposeAsync();
            playwright.Dispose();
        }
    }
}
