using System.Diagnostics;
using System.Text.RegularExpressions;
using Aggregation.Hierarchy;

/// <summary>
/// What the catalog costs a server at start: the time to load and validate it (the median of several
/// loads after a warm-up) and the managed heap it keeps (a GC.GetTotalMemory(true) delta over one
/// loaded catalog, the median of three), for the shipped catalog beside the same catalog with less in it, so that a change
/// of the catalog is read side by side: the first hierarchy version alone, the 1 July 2025 mapping as
/// it shipped for Thái Nguyên and Bắc Kạn only (the national file's rows of provinces 19 and 06), and
/// the national mapping as shipped. Each in a national deployment (every province a tenant) and the
/// shipped one as the default deployment loads it.
/// </summary>
internal static class CatalogCost
{
    public static void Run(string shipped, int loads)
    {
        var variants = new (string Name, string Directory, bool AllProvinces)[]
        {
            ("first version only (2021-2025), national", Variant(shipped, WithoutReorganisations, null), true),
            ("+ 2025-07 for provinces 19 and 06 only, national", Variant(shipped, null, CatalogVariants.MappingOfProvinces(shipped, "19", "06")), true),
            ("+ 2025-07 for all 63 provinces (shipped), national", shipped, true),
            ("shipped, default deployment (2 tenants)", shipped, false),
        };

        try
        {
            Measure(variants, loads);
        }
        finally
        {
            foreach (var (_, directory, _) in variants.Where(v => v.Directory != shipped))
            {
                Directory.Delete(directory, recursive: true);
            }
        }
    }

    private static void Measure((string Name, string Directory, bool AllProvinces)[] variants, int loads)
    {
        Console.WriteLine($"catalog load and validation: median of {loads} loads after one warm-up; retained = managed heap kept by one loaded catalog");
        Console.WriteLine($"{"catalog",-52} {"units",8} {"median ms",10} {"min ms",8} {"max ms",8} {"retained MB",12}");
        foreach (var (name, directory, allProvinces) in variants)
        {
            Catalog.Load(directory, allProvinces);
            var times = new List<double>();
            var units = 0;
            for (var i = 0; i < loads; i++)
            {
                GC.Collect();
                var watch = Stopwatch.StartNew();
                var catalog = Catalog.Load(directory, allProvinces);
                times.Add(watch.Elapsed.TotalMilliseconds);
                units = catalog.UnitCount;
            }

            times.Sort();
            var retained = new[] { Retained(directory, allProvinces), Retained(directory, allProvinces), Retained(directory, allProvinces) }.Order().ElementAt(1);
            Console.WriteLine($"{name,-52} {units,8:N0} {times[times.Count / 2],10:F0} {times[0],8:F0} {times[^1],8:F0} {retained / 1e6,12:F1}");
        }
    }

    // Its own frame, so that no catalog of an earlier measurement is still reachable from a local.
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static long Retained(string directory, bool allProvinces)
    {
        var before = GC.GetTotalMemory(forceFullCollection: true);
        var kept = Catalog.Load(directory, allProvinces);
        var after = GC.GetTotalMemory(forceFullCollection: true);
        GC.KeepAlive(kept);
        return after - before;
    }

    private static string WithoutReorganisations(string tenantsJson) =>
        Regex.Replace(tenantsJson, @"""reorganisations""\s*:\s*\[.*?\],", "", RegexOptions.Singleline);

    private static string Variant(string shipped, Func<string, string>? tenants, string? mapping)
    {
        var target = Directory.CreateTempSubdirectory("catalog-cost-").FullName;
        foreach (var file in Directory.EnumerateFiles(shipped, "*", SearchOption.AllDirectories))
        {
            var copy = Path.Combine(target, Path.GetRelativePath(shipped, file));
            Directory.CreateDirectory(Path.GetDirectoryName(copy)!);
            File.Copy(file, copy);
        }

        if (tenants is not null)
        {
            var path = Path.Combine(target, "tenants.json");
            File.WriteAllText(path, tenants(File.ReadAllText(path)));
        }

        if (mapping is not null)
        {
            File.WriteAllText(Path.Combine(target, "reorganisations", "2025-07-01.csv"), mapping);
        }

        return target;
    }
}
