using System.Diagnostics;
using Catalog = Aggregation.Hierarchy.Catalog;

// The national benchmark: the whole country (63 provinces, each a tenant; 10,035 communes until June
// 2025, then the 34 provinces and 3,321 communes of the 2025-07 hierarchy) and the whole plan (60 months), loaded through the product over gRPC into PostgreSQL, and measured side by
// side with three baselines on the same data in the same PostgreSQL: raw binary COPY (the ceiling
// for durable ingest), figures computed at read time with SQL, and a batch rebuild of a rollup table
// (what batch analytics does; its rebuild time is its freshness).
// Usage: dotnet run -c Release --project bench/Aggregation.NationalBench [-- --scale 1 --months 60 --json bench-national.json]
// Each phase lives in its own file; this one runs them in order.
// With --startup [--runs 5]: only the start-up of a national server with and without the national mapping (StartupCost.cs).
if (args.Contains("--startup"))
{
    var at = Array.IndexOf(args, "--runs");
    await StartupCost.RunAsync(Path.Combine(AppContext.BaseDirectory, "catalog"), at >= 0 && at + 1 < args.Length ? int.Parse(args[at + 1], System.Globalization.CultureInfo.InvariantCulture) : 5);
    return 0;
}

var options = BenchOptions.Parse(args);
var results = new Results();
var total = Stopwatch.StartNew();

// ---- The data: every commune (or every k-th with --scale), every month, every data set that applies (Dataset.cs).
var catalogDirectory = Path.Combine(AppContext.BaseDirectory, "catalog");
var catalog = Catalog.Load(catalogDirectory, allProvinces: true);
var data = Dataset.Select(catalog, catalog.Programmes[NationalRun.ProgrammeId], options.Scale, options.Months, options.Seed);
Console.WriteLine($"machine: {Environment.ProcessorCount} cores, {Machine.MemoryGb():F0} GB; commit {Machine.Commit()}; scale {options.Scale} ({data.Communes.Count:N0} communes, {data.Districts.Count} districts, {data.Provinces.Count} provinces; {data.Communes.Count(c => c.Version == catalog.Versions[^1].Id):N0} communes and {data.Provinces.Count(p => p.InForceOn(catalog.Versions[^1].EffectiveFrom))} provinces of {catalog.Versions[^1].Id}), {options.Months} months, seed {options.Seed}");

// ---- A private PostgreSQL for the run, shared by the product and the baselines; the server in
// --silos processes of the built Aggregation.Server (NationalRun.cs, Silos.cs).
var run = await NationalRun.StartAsync(catalog, catalogDirectory, data, options);
try
{
    // ---- 1. Bulk load through SubmitReports against binary COPY of the same values (Ingest.cs).
    var wal = new WalWritten(run.ConnectionString);
    await wal.PrintSinceLastAsync("the load");
    var ingested = await Ingest.RunAsync(run, results);
    var loaded = Stopwatch.StartNew();
    await Disk.MeasureAsync(run, results, ingested.Reports);

    // When each phase starts, after the load: units write their checkpoints once idle (Rollup:CheckpointWhenIdle).
    // Each phase also says how much WAL PostgreSQL wrote since the previous one (WalWritten.cs).
    async Task Phase(string name)
    {
        Console.WriteLine($"[{DateTime.UtcNow:HH:mm:ss}] {name}, {loaded.Elapsed.TotalSeconds:F0} s after the load");
        await wal.PrintSinceLastAsync(name);
    }

    await Phase("the SQL baselines");
    // ---- The SQL-at-read-time and batch-rebuild designs on the same values (SqlBaseline.cs).
    var sql = await SqlBaseline.PrepareAsync(run);

    await Phase("the check and the reads");
    // ---- Correctness, then reads of a province and the nation against SQL at read time (Reads.cs).
    var mismatches = await Reads.CheckAsync(run, sql);
    await Reads.RunAsync(run, sql, results, options.Quick);

    await Phase("unary load");
    // ---- Unary submissions at fixed offered rates, with freshness probes (UnaryLoad.cs, Freshness.cs).
    await UnaryLoad.RunAsync(run, results, options, sql.RebuildSeconds);

    await Phase("memory");
    // ---- Memory after the full load (Memory.cs).
    await Memory.MeasureAsync(run, results);

    await Phase("cold start");
    // ---- Cold start: a new server on the same database until the nation is correct again (ColdStart.cs).
    await ColdStart.RunAsync(run, results, options);

    // ---- The table and the JSON (Results.cs).
    results.PrintTable(sql.RebuildSeconds, total.Elapsed);
    await results.WriteJsonAsync(options, data.Communes.Count, ingested, sql.RebuildSeconds, mismatches);

    await run.StopAsync();
    return options.Check && mismatches.Count > 0 ? 1 : 0;
}
catch
{
    // A failed phase leaves no silo and no database running (the database's folder and the silos' logs are kept to look into).
    run.Silos.Kill();
    await run.Postgres.StopAsync();
    throw;
}
