/// <summary>Memory after the full load (this process hosts the silo and the clients).</summary>
internal static class Memory
{
    public static void Measure(NationalRun run, Results results)
    {
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        var resident = Machine.Resident();
        var heap = GC.GetGCMemoryInfo();
        results.Measured(new("resident memory after the load, MB", resident / 1e6, null, null));
        // What is live in the managed heap versus what the (server) GC keeps committed: the gap is not data.
        results.Measured(new("managed heap live after a full compacting GC, MB", heap.HeapSizeBytes / 1e6, null, null));
        results.Measured(new("managed heap committed, MB", heap.TotalCommittedBytes / 1e6, null, null));
        results.Measured(new($"resident memory per unit grain ({run.Catalog.UnitCount:N0} units), KB", resident / 1e3 / run.Catalog.UnitCount, null, null));
    }
}
