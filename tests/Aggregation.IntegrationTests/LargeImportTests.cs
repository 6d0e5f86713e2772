using System.Diagnostics;
using System.Globalization;
using Aggregation.Protos.V1;
using Aggregation.Security;

namespace Aggregation.IntegrationTests;

/// <summary>One tenant whose area is the whole country (63 provinces, 10,035 communes): room for a 100,000-row file of distinct units and months.</summary>
public sealed class CountryTenantServerFixture : ServerFixture
{
    public const string Tenant = "vn-office";

    public static readonly AccessGrant Importer = new("national-importer", Tenant, [Roles.Submitter, Roles.Viewer, Roles.Admin]);

    private static readonly Lazy<string> Directory = new(() => CatalogCopy.Create(target =>
    {
        var provinces = File.ReadLines(Path.Combine(target, "units-2021-2025.csv")).Skip(1).Select(l => l.Split(',')).Where(f => f[2] == "province").Select(f => $"\"{f[0]}\"");
        File.WriteAllText(Path.Combine(target, "tenants.json"), $$"""
            {
              "hierarchy": "units-2021-2025.csv",
              "programmes": [ "programmes/{{Programme}}.json" ],
              "defaultTenant": "{{Tenant}}",
              "tenants": [ { "id": "{{Tenant}}", "name": { "vi": "Cả nước" }, "provinces": [ {{string.Join(", ", provinces)}} ], "programmes": [ "{{Programme}}" ] } ]
            }
            """);
    }));

    public static IEnumerable<string> Communes => File.ReadLines(Path.Combine(AppContext.BaseDirectory, "catalog", "units-2021-2025.csv")).Skip(1).Select(l => l.Split(',')).Where(f => f[2] == "commune").Select(f => f[0]);

    protected override IEnumerable<string> ExtraArguments => [$"--Catalog:Directory={Directory.Value}"];
}

/// <summary>
/// A 100,000-row file imports, in bounded time, through the CLI as an officer runs it (its own
/// process), and the CLI's peak memory does not grow with the file: it is compared with the same
/// import of a 10,000-row file.
/// </summary>
public sealed class LargeImportTests(CountryTenantServerFixture server, Xunit.Abstractions.ITestOutputHelper output) : IClassFixture<CountryTenantServerFixture>
{
    [Fact]
    public async Task A_100000_row_file_imports_within_bounds_with_the_same_memory_as_a_10000_row_file()
    {
        var folder = Directory.CreateTempSubdirectory("large-import-").FullName;
        var communes = CountryTenantServerFixture.Communes.ToList();
        var small = Write(Path.Combine(folder, "small.csv"), communes, months: 1, rows: 10_000);
        var large = Write(Path.Combine(folder, "large.csv"), communes, months: 10, rows: 100_000);

        var clock = Stopwatch.StartNew();
        var smallPeak = await ImportAsync(small, TimeSpan.FromMinutes(3));
        var smallTime = clock.Elapsed;
        clock.Restart();
        var largePeak = await ImportAsync(large, TimeSpan.FromMinutes(6));
        output.WriteLine($"10,000 rows: {smallTime.TotalSeconds:F1} s, peak {smallPeak / 1e6:F0} MB; 100,000 rows: {clock.Elapsed.TotalSeconds:F1} s, peak {largePeak / 1e6:F0} MB");

        Assert.True(largePeak < smallPeak * 1.5, $"peak memory {largePeak / 1e6:F0} MB for 100,000 rows against {smallPeak / 1e6:F0} MB for 10,000");
        var nation = await Eventually.WaitAsync(
            () => new Rollups.RollupsClient(server.ChannelFor(CountryTenantServerFixture.Importer)).GetRollupAsync(new GetRollupRequest { UnitCode = "01", ProgrammeId = ServerFixture.Programme, Period = "2024" }).ResponseAsync,
            r => r.Rollup.Completeness.Single(c => c.DataSet == "commune-monthly").Reported > 0,
            TimeSpan.FromSeconds(30),
            _ => "Hà Nội has no imported report");
        Assert.True(nation.Rollup.Values.Single(v => v.DataElement == "workers_reached").Value > 0);
    }

    /// <summary>Rows for the first <paramref name="rows"/> (commune, month) pairs of 2024.</summary>
    private static string Write(string path, List<string> communes, int months, int rows)
    {
        using var writer = new StreamWriter(path);
        writer.WriteLine("unit_code,period,awareness_activities,workers_reached");
        var written = 0;
        for (var month = 1; month <= months && written < rows; month++)
        {
            foreach (var commune in communes)
            {
                if (written++ == rows)
                {
                    break;
                }

                writer.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{commune},2024-{month:D2},{month % 3},{(commune.GetHashCode(StringComparison.Ordinal) & 63) + month}"));
            }
        }

        return path;
    }

    /// <summary>Runs `aggregation import` as a process and returns its peak resident memory (VmHWM).</summary>
    private async Task<long> ImportAsync(string file, TimeSpan bound)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in new[] { Path.Combine(AppContext.BaseDirectory, "cli", "aggregation.dll"), "import", file, "--batch", "1000", "--en", "--server", server.Address, "--token", TestCredentials.Token(CountryTenantServerFixture.Importer) })
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        long peak = 0;
        using var timeout = new CancellationTokenSource(bound);
        while (!process.HasExited)
        {
            peak = Math.Max(peak, PeakResident(process.Id));
            try
            {
                await process.WaitForExitAsync(timeout.Token).WaitAsync(TimeSpan.FromMilliseconds(100));
            }
            catch (TimeoutException)
            {
                // Still running: sample again.
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                Assert.Fail($"importing {Path.GetFileName(file)} took longer than {bound}:\n{await stdout}\n{await stderr}");
            }
        }

        Assert.True(process.ExitCode == 0, $"import of {Path.GetFileName(file)} exited with {process.ExitCode}:\n{await stdout}\n{await stderr}");
        Assert.Contains("0 rejected", await stdout, StringComparison.Ordinal);
        Assert.True(peak > 0, "no memory sample was taken");
        return peak;
    }

    private static long PeakResident(int pid)
    {
        try
        {
            var line = File.ReadLines($"/proc/{pid}/status").FirstOrDefault(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
            return line is null ? 0 : long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
        }
        catch (IOException)
        {
            return 0;
        }
    }
}
