/// <summary>Memory of the server after the full load: each silo process's, and their sum.</summary>
internal static class Memory
{
    public static async Task MeasureAsync(NationalRun run, Results results)
    {
        // The heaps first: reading them makes each silo collect fully, so resident memory is read after that collection.
        var heaps = await run.Silos.HeapsAsync();
        var resident = run.Silos.Resident();
        var total = resident.Sum();
        results.Measured(new("silos (server processes)", run.Silos.Count, null, null));
        results.Measured(new("resident memory after the load, MB", total / 1e6, null, null));
        for (var i = 0; i < resident.Count && resident.Count > 1; i++)
        {
            results.Measured(new($"resident memory of silo {i + 1} after the load, MB", resident[i] / 1e6, null, null));
        }

        // What is live in the managed heap versus what the (server) GC keeps committed: the gap is not data.
        if (heaps.All(h => h.Live >= 0))
        {
            results.Measured(new("managed heap live after a full blocking GC, MB", heaps.Sum(h => h.Live) / 1e6, null, null));
        }

        if (heaps.All(h => h.Committed >= 0))
        {
            results.Measured(new("managed heap committed, MB", heaps.Sum(h => h.Committed) / 1e6, null, null));
        }

        results.Measured(new($"resident memory per unit grain ({run.Catalog.UnitCount:N0} units), KB", total / 1e3 / run.Catalog.UnitCount, null, null));
    }
}
