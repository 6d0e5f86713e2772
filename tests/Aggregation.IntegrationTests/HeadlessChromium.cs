using Microsoft.Playwright;

namespace Aggregation.IntegrationTests;

/// <summary>
/// Debian's Chromium, headless, driven by Playwright: what every browser test of the pages (dashboard,
/// data entry, upload, review and approval) opens its pages in. tests/run.sh installs the package.
/// </summary>
internal sealed class HeadlessChromium(IPlaywright playwright, IBrowser browser) : IAsyncDisposable
{
    private static readonly string[] Arguments =
        ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];

    public static async Task<HeadlessChromium> LaunchAsync()
    {
        var executable = new[] { Environment.GetEnvironmentVariable("AGGREGATION_CHROMIUM"), "/usr/bin/chromium", "/usr/bin/chromium-browser" }
            .FirstOrDefault(p => !string.IsNullOrEmpty(p) && File.Exists(p))
            ?? throw new InvalidOperationException("No Chromium found at /usr/bin/chromium (or AGGREGATION_CHROMIUM): run the tests through tests/run.sh, which installs Debian's chromium package.");
        var playwright = await Playwright.CreateAsync();
        var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions { ExecutablePath = executable, Headless = true, Args = Arguments });
        return new HeadlessChromium(playwright, browser);
    }

    public Task<IPage> NewPageAsync(BrowserNewPageOptions options) => browser.NewPageAsync(options);

    /// <summary>Presses Tab until <paramref name="selector"/> has the focus (at most 300 times): the page is usable by keyboard alone.</summary>
    public static async Task TabToAsync(IPage page, string selector)
    {
        ArgumentNullException.ThrowIfNull(page);
        for (var i = 0; i < 300; i++)
        {
            await page.Keyboard.PressAsync("Tab");
            if (await page.EvaluateAsync<bool>("s => document.activeElement === document.querySelector(s)", selector))
            {
                return;
            }
        }

        Assert.Fail($"Tab never reached {selector}");
    }

    /// <summary>
    /// Where a screenshot the README shows is written: docs/screenshots of the checkout the tests run
    /// from (the test output's artifacts/ when there is none).
    /// </summary>
    public static string ScreenshotPath(string name)
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Aggregation.sln")))
            {
                var screenshots = Path.Combine(directory.FullName, "docs", "screenshots");
                Directory.CreateDirectory(screenshots);
                return Path.Combine(screenshots, name);
            }
        }

        var artifacts = Path.Combine(AppContext.BaseDirectory, "artifacts");
        Directory.CreateDirectory(artifacts);
        return Path.Combine(artifacts, name);
    }

    public async ValueTask DisposeAsync()
    {
        await browser.DisposeAsync();
        playwright.Dispose();
    }
}
