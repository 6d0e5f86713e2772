using System.Diagnostics;
using Aggregation.Security;
using Aggregation.Storage;
using Microsoft.Extensions.Logging.Abstractions;

/// <summary>
/// <c>--startup [--runs 5]</c>: how long a national server (every province a tenant) takes from its
/// process start until its health endpoint says serving, on an empty database, with the shipped
/// catalog beside the same catalog whose 1 July 2025 mapping covers Thái Nguyên and Bắc Kạn only (the
/// national file's rows of provinces 19 and 06): what a national mapping adds to a start. Runs
/// alternate between the two so that a busy moment of the machine falls on both; medians are printed.
/// </summary>
internal static class StartupCost
{
    public static async Task RunAsync(string shipped, int runs)
    {
        var twoProvinces = Directory.CreateTempSubdirectory("catalog-19-06-").FullName;
        foreach (var file in Directory.EnumerateFiles(shipped, "*", SearchOption.AllDirectories))
        {
            var copy = Path.Combine(twoProvinces, Path.GetRelativePath(shipped, file));
            Directory.CreateDirectory(Path.GetDirectoryName(copy)!);
            File.Copy(file, copy, overwrite: true);
        }

        File.WriteAllText(Path.Combine(twoProvinces, "reorganisations", "2025-07-01.csv"), CatalogVariants.MappingOfProvinces(shipped, "19", "06"));

        var pgDirectory = Path.Combine(Path.GetTempPath(), $"aggregation-startup-{Environment.ProcessId}");
        var postgres = await EmbeddedPostgres.StartAsync(pgDirectory, NullLogger.Instance);
        try
        {
            await DatabaseMigrator.EnsureDatabaseAsync(postgres.ConnectionString(), "aggregation");
            var key = SigningKey.Generate();
            string[] Args(string catalog) =>
            [
                $"--Catalog:Directory={catalog}", "--Catalog:AllProvinces=true", "--Logging:LogLevel:Default=Warning",
                $"--Database:ConnectionString={postgres.ConnectionString("aggregation")}",
                $"--Security:Jwt:SigningKeys:0:Id={key.Id}", $"--Security:Jwt:SigningKeys:0:Secret={Convert.ToBase64String(key.Secret)}",
            ];

            var logs = Directory.CreateDirectory(pgDirectory + "-logs").FullName;
            var variants = new[] { ("1 July 2025 mapping of provinces 19 and 06 only", Args(twoProvinces)), ("national 1 July 2025 mapping (shipped)", Args(shipped)) };
            var times = variants.ToDictionary(v => v.Item1, _ => new List<double>());

            // The first start applies the schema: not measured.
            await StartOnceAsync(Args(shipped), logs);
            for (var run = 0; run < runs; run++)
            {
                foreach (var (name, args) in variants)
                {
                    times[name].Add(await StartOnceAsync(args, logs));
                }
            }

            Console.WriteLine($"national server start, process start to serving, empty database: median of {runs} starts each");
            foreach (var (name, list) in times)
            {
                list.Sort();
                Console.WriteLine($"  {name,-50} median {list[list.Count / 2],6:F2} s (min {list[0]:F2}, max {list[^1]:F2})");
            }
        }
        finally
        {
            await postgres.StopAsync();
            Directory.Delete(pgDirectory, recursive: true);
            Directory.Delete(twoProvinces, recursive: true);
        }
    }

    private static async Task<double> StartOnceAsync(string[] args, string logs)
    {
        using var silos = new Silos(1, args, logs);
        var watch = Stopwatch.StartNew();
        await silos.StartAsync(firstAlone: true);
        var seconds = watch.Elapsed.TotalSeconds;
        await silos.StopAsync();
        return seconds;
    }
}
