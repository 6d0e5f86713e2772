/// <summary>
/// Variants of the shipped catalog that the benchmarks set beside it (linked into each benchmark
/// project), so that what a change of the catalog costs is read side by side.
/// </summary>
internal static class CatalogVariants
{
    /// <summary>The shipped 1 July mapping cut to the rows of some old provinces (their units' codes, from the first units file).</summary>
    public static string MappingOfProvinces(string shipped, params string[] provinces)
    {
        var parents = File.ReadLines(Path.Combine(shipped, "units-2021-2025.csv")).Skip(1).Select(l => l.Split(',')).ToDictionary(f => f[0], f => f[3], StringComparer.Ordinal);
        string ProvinceOf(string code)
        {
            while (parents.TryGetValue(code, out var parent) && parent.Length > 0)
            {
                code = parent;
            }

            return code;
        }

        var lines = File.ReadLines(Path.Combine(shipped, "reorganisations", "2025-07-01.csv"))
            .Where(l => l.StartsWith('#') || l.StartsWith("level,", StringComparison.Ordinal) || (l.Split(',') is [_, var old, ..] && old.Length > 0 && provinces.Contains(ProvinceOf(old))));
        return string.Join('\n', lines) + "\n";
    }
}
