using System.Diagnostics;
using System.Text.Json;

namespace Aggregation.IntegrationTests;

/// <summary>
/// The national benchmark at its smallest scale, as a correctness check: it runs to the end and the
/// product's province and nation figures equal the SQL baseline's for the same data.
/// </summary>
public sealed class NationalBenchmarkSmokeTests
{
    [Fact]
    public async Task The_national_benchmark_completes_at_the_smallest_scale_and_the_products_rollups_equal_the_sql_baseline()
    {
        var json = Path.Combine(Directory.CreateTempSubdirectory("bench-").FullName, "national.json");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = BenchDirectory };
        foreach (var arg in new[] { Path.Combine(BenchDirectory, "Aggregation.NationalBench.dll"), "--scale", "0.002", "--months", "3", "--quick", "--check", "--json", json })
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"the benchmark did not finish within 5 minutes:\n{await stdout}");
        }

        Assert.True(process.ExitCode == 0, $"exit {process.ExitCode}:\n{await stdout}\n{await stderr}");
        using var result = JsonDocument.Parse(await File.ReadAllTextAsync(json));
        Assert.Equal("equal", result.RootElement.GetProperty("run").GetProperty("check").GetString());
        Assert.True(result.RootElement.GetProperty("run").GetProperty("values").GetInt64() > 0);
        var figures = result.RootElement.GetProperty("figures").EnumerateArray().Select(f => f.GetProperty("Name").GetString()).ToList();
        Assert.Contains("bulk durable ingest, values/s", figures);
        Assert.Contains("cold start to correct national rollups, s", figures);
        Assert.Contains("bulk durable ingest, values/s", figures);
    }

    /// <summary>The benchmark's build output, built with the same configuration as the tests.</summary>
    private static string BenchDirectory
    {
        get
        {
            var server = new DirectoryInfo(SiloProcess.ServerDirectory);
            var configuration = server.Parent!.Name;
            return Path.Combine(server.Parent.Parent!.Parent!.Parent!.Parent!.FullName, "bench", "Aggregation.NationalBench", "bin", configuration, "net10.0");
        }
    }
}
