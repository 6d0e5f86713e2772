using System.Globalization;
using System.Text.Json;

/// <summary>One measured figure, with the baseline's where there is one. Ratio: how many times better the product is.</summary>
internal sealed record Figure(string Name, double Product, double? Baseline, string? BaselineName, bool Higher = false)
{
    public double? Ratio => Baseline is { } b && Product > 0 && b > 0 ? (Higher ? Product / b : b / Product) : null;
}

/// <summary>The figures of the run: each printed as it is measured, then all of them as a table and as JSON.</summary>
internal sealed class Results
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    private readonly List<Figure> _figures = [];

    public void Measured(Figure f)
    {
        _figures.Add(f);
        Console.WriteLine($"  {f.Name}: {f.Product:G5}{(f.Baseline is { } b ? $" (baseline {b:G5}, {f.Ratio:F2}×)" : "")}");
    }

    public void PrintTable(double rebuildSeconds, TimeSpan total)
    {
        Console.WriteLine();
        Console.WriteLine($"{"figure",-72} {"product",12} {"baseline",12} {"ratio",9}  baseline");
        foreach (var f in _figures)
        {
            Console.WriteLine($"{f.Name,-72} {f.Product,12:G5} {(f.Baseline is { } b ? b.ToString("G5", CultureInfo.InvariantCulture) : ""),12} {(f.Ratio is { } r ? r.ToString("F2", CultureInfo.InvariantCulture) + "×" : ""),9}  {f.BaselineName}");
        }

        Console.WriteLine($"batch rebuild of the country's rollup table: {rebuildSeconds:F1} s; total run {total.TotalMinutes:F1} min");
    }

    /// <summary>The JSON that docs/benchmarks.md quotes (docs/bench-national.json) and the smoke test reads.</summary>
    public async Task WriteJsonAsync(BenchOptions options, int communes, Ingested ingested, double rebuildSeconds, IReadOnlyList<string> mismatches)
    {
        await File.WriteAllTextAsync(options.JsonPath, JsonSerializer.Serialize(new
        {
            machine = new { cores = Environment.ProcessorCount, memoryGb = Machine.MemoryGb(), commit = Machine.Commit() },
            run = new { scale = options.Scale, silos = options.Silos, months = options.Months, seed = options.Seed, communes, reports = ingested.Reports, values = ingested.Values, batchRebuildSeconds = rebuildSeconds, check = mismatches.Count == 0 ? "equal" : string.Join("; ", mismatches) },
            figures = _figures.Select(f => new { f.Name, f.Product, f.Baseline, f.Ratio, baseline = f.BaselineName }),
        }, Indented));
        Console.WriteLine($"written {options.JsonPath}");
    }
}
