using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using Aggregation.Storage;

namespace Aggregation.IntegrationTests;

/// <summary>
/// A real Prometheus (Debian's package, installed by tests/run.sh) on a loopback port, scraping one
/// target every second, its storage in a temporary folder removed when it stops. Its HTTP query
/// API answers PromQL as an operator's dashboard would ask it.
/// </summary>
internal sealed class PrometheusServer : IAsyncDisposable
{
    private readonly Process _process;
    private readonly string _directory;
    private readonly HttpClient _http;

    private PrometheusServer(Process process, string directory, string address)
    {
        _process = process;
        _directory = directory;
        _http = new HttpClient { BaseAddress = new Uri(address), Timeout = TimeSpan.FromSeconds(10) };
    }

    /// <summary>
    /// Starts Prometheus scraping <paramref name="target"/> (host:port, path /metrics), evaluating the
    /// rule files given (as an operator's Prometheus loads deploy/prometheus/alerts.yml), and waits until it is ready.
    /// </summary>
    public static async Task<PrometheusServer> StartAsync(string target, params string[] ruleFiles)
    {
        var binary = Binary() ?? throw new InvalidOperationException("Prometheus is not installed: run the tests through tests/run.sh, which installs Debian's prometheus package.");
        var directory = Directory.CreateTempSubdirectory("aggregation-prometheus-").FullName;
        var config = Path.Combine(directory, "prometheus.yml");
        await File.WriteAllTextAsync(config, $"""
            global:
              scrape_interval: 1s
              scrape_timeout: 1s
              evaluation_interval: 1s
            rule_files: [{string.Join(", ", ruleFiles.Select(f => $"'{f}'"))}]
            scrape_configs:
              - job_name: aggregation
                metrics_path: /metrics
                static_configs:
                  - targets: ['{target}']
            """);
        var address = $"127.0.0.1:{LoopbackPorts.Take()}";
        var start = new ProcessStartInfo(binary)
        {
            ArgumentList =
            {
                $"--config.file={config}",
                $"--storage.tsdb.path={Path.Combine(directory, "data")}",
                $"--web.listen-address={address}",
                "--log.level=warn",
            },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = directory,
        };
        var process = Process.Start(start) ?? throw new InvalidOperationException($"{binary} did not start.");
        var log = new System.Text.StringBuilder();
        process.ErrorDataReceived += (_, e) => { lock (log) { log.AppendLine(e.Data); } };
        process.OutputDataReceived += (_, e) => { lock (log) { log.AppendLine(e.Data); } };
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();
        var server = new PrometheusServer(process, directory, $"http://{address}");
        try
        {
            await Eventually.WaitAsync(
                async () => process.HasExited ? "exited" : await server.ReadyAsync(),
                state => state is "ready" or "exited",
                TimeSpan.FromSeconds(30),
                state => $"Prometheus at {address} is {state}");
            if (process.HasExited)
            {
                throw new InvalidOperationException($"Prometheus exited with {process.ExitCode}: {log}");
            }
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }

        return server;
    }

    /// <summary>
    /// The value of an instant PromQL query that yields one sample, or null when it yields none
    /// (yet). NaN is returned as such (a histogram with no observations in the window).
    /// </summary>
    public async Task<double?> QueryAsync(string promql)
    {
        using var response = await _http.GetAsync(new Uri("/api/v1/query?query=" + Uri.EscapeDataString(promql), UriKind.Relative));
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        if (body.GetProperty("status").GetString() != "success")
        {
            throw new InvalidOperationException($"Prometheus refused {promql}: {body}");
        }

        var result = body.GetProperty("data").GetProperty("result");
        if (result.GetArrayLength() == 0)
        {
            return null;
        }

        return double.Parse(result[0].GetProperty("value")[1].GetString()!, NumberStyles.Float, CultureInfo.InvariantCulture);
    }

    /// <summary>Every loaded rule as Prometheus last evaluated it: its name, health ("ok", "err", "unknown") and last error.</summary>
    public async Task<IReadOnlyList<(string Name, string Health, string Error)>> RulesAsync()
    {
        var body = await _http.GetFromJsonAsync<JsonElement>(new Uri("/api/v1/rules", UriKind.Relative));
        return
        [
            .. body.GetProperty("data").GetProperty("groups").EnumerateArray()
                .SelectMany(g => g.GetProperty("rules").EnumerateArray())
                .Select(r => (r.GetProperty("name").GetString()!, r.GetProperty("health").GetString()!, r.TryGetProperty("lastError", out var e) ? e.GetString() ?? "" : "")),
        ];
    }

    /// <summary>The health of the scrape target as Prometheus last saw it ("up", "down", "unknown"), with its last error.</summary>
    public async Task<string> TargetHealthAsync()
    {
        var body = await _http.GetFromJsonAsync<JsonElement>(new Uri("/api/v1/targets", UriKind.Relative));
        var targets = body.GetProperty("data").GetProperty("activeTargets");
        return targets.GetArrayLength() == 0
            ? "no target yet"
            : $"{targets[0].GetProperty("health").GetString()} {targets[0].GetProperty("lastError").GetString()}";
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
        _http.Dispose();
        try
        {
            Directory.Delete(_directory, recursive: true);
        }
        catch (IOException)
        {
            // Left in the temporary folder; nothing reads it again.
        }
    }

    private async Task<string> ReadyAsync()
    {
        try
        {
            using var response = await _http.GetAsync(new Uri("/-/ready", UriKind.Relative));
            return response.IsSuccessStatusCode ? "ready" : $"answering {(int)response.StatusCode}";
        }
        catch (HttpRequestException ex)
        {
            return $"not answering ({ex.Message})";
        }
    }

    private static string? Binary()
    {
        var candidates = new[] { Environment.GetEnvironmentVariable("AGGREGATION_PROMETHEUS"), "/usr/bin/prometheus" }
            .Concat((Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries).Select(p => Path.Combine(p, "prometheus")));
        return candidates.FirstOrDefault(c => !string.IsNullOrEmpty(c) && File.Exists(c));
    }
}
