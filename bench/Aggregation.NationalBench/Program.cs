using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Aggregation.Hierarchy;
using Catalog = Aggregation.Hierarchy.Catalog;
using Aggregation.Programmes;
using DataElement = Aggregation.Programmes.DataElement;
using DataSet = Aggregation.Programmes.DataSet;
using Programme = Aggregation.Programmes.Programme;
using Aggregation.Protos.V1;
using Aggregation.Security;
using Aggregation.Server.Hosting;
using Aggregation.Storage;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using NpgsqlTypes;

// The national benchmark: the whole country (63 provinces, each a tenant; 10,035 communes) and the
// whole plan (60 months), loaded through the product over gRPC into PostgreSQL, and measured side by
// side with three baselines on the same data in the same PostgreSQL: raw binary COPY (the ceiling
// for durable ingest), figures computed at read time with SQL, and a batch rebuild of a rollup table
// (what batch analytics does; its rebuild time is its freshness).
// Usage: dotnet run -c Release --project bench/Aggregation.NationalBench [-- --scale 1 --months 60 --json bench-national.json]
var scale = Arg("--scale", 1.0);
var months = (int)Arg("--months", 60);
var seed = (int)Arg("--seed", 1);
var seconds = Arg("--seconds", 10.0);
var quick = args.Contains("--quick");
var check = args.Contains("--check");
var jsonPath = args.SkipWhile(a => a != "--json").Skip(1).FirstOrDefault() ?? "bench-national.json";
const string ProgrammeId = "prostitution-prevention-2021-2025";
var results = new List<Figure>();
void Measured(Figure f)
{
    results.Add(f);
    Console.WriteLine($"  {f.Name}: {f.Product:G5}{(f.Baseline is { } b ? $" (baseline {b:G5}, {f.Ratio:F2}×)" : "")}");
}

var total = Stopwatch.StartNew();

// ---- The data: every commune (or every k-th with --scale), every month, every data set that applies.
var catalogDirectory = Path.Combine(AppContext.BaseDirectory, "catalog");
var catalog = Catalog.Load(catalogDirectory, allProvinces: true);
var programme = catalog.Programmes[ProgrammeId];
var step = Math.Max(1, (int)Math.Round(1 / scale));
var communes = catalog.UnitsOf(catalog.DefaultTenant).Concat(catalog.Tenants.Keys.Where(t => t != catalog.DefaultTenant).SelectMany(catalog.UnitsOf))
    .Where(u => u.Level == "commune").OrderBy(u => u.Key.Code, StringComparer.Ordinal).Where((_, i) => i % step == 0).ToList();
// Communes of every hierarchy version (the 2025-07 communes of Thái Nguyên report from July 2025);
// districts and provinces above them.
var districts = communes.SelectMany(c => catalog.AncestorsOf(c.Key)).Where(u => u.Level == "district").DistinctBy(u => u.Key).ToList();
var provinces = communes.SelectMany(c => catalog.AncestorsOf(c.Key)).Where(u => u.Level == "province").DistinctBy(u => u.Key).ToList();
var lastYear = 2021 + ((months - 1) / 12);
var data = new Dataset(catalog, programme, communes, districts, provinces, months, seed);
Console.WriteLine($"machine: {Environment.ProcessorCount} cores, {MemoryGb():F0} GB; commit {Commit()}; scale {scale} ({communes.Count:N0} communes, {districts.Count} districts, {provinces.Count} provinces), {months} months, seed {seed}");

// ---- A private PostgreSQL for the run, shared by the product and the baselines.
var pgDirectory = Path.Combine(Path.GetTempPath(), $"aggregation-national-{Environment.ProcessId}");
var postgres = await EmbeddedPostgres.StartAsync(pgDirectory, NullLogger.Instance);
await DatabaseMigrator.EnsureDatabaseAsync(postgres.ConnectionString(), "aggregation");
var connectionString = postgres.ConnectionString("aggregation");
var key = SigningKey.Generate();
var address = $"http://127.0.0.1:{FreePort()}";
string[] serverArgs =
[
    $"--Kestrel:Endpoints:Grpc:Url={address}", "--Kestrel:Endpoints:Grpc:Protocols=Http2",
    $"--Kestrel:Endpoints:Web:Url=http://127.0.0.1:{FreePort()}",
    $"--Orleans:SiloPort={FreePort()}", $"--Orleans:GatewayPort={FreePort()}",
    $"--Catalog:Directory={catalogDirectory}", "--Catalog:AllProvinces=true",
    "--Logging:LogLevel:Default=Warning",
    $"--Database:ConnectionString={connectionString}",
    $"--Security:Jwt:SigningKeys:0:Id={key.Id}", $"--Security:Jwt:SigningKeys:0:Secret={Convert.ToBase64String(key.Secret)}",
    "--Security:Limits:CallsPerSecond=1000000", "--Security:Limits:Burst=1000000", "--Security:Limits:ConcurrentCalls=100000",
];
var app = await AggregationApp.BuildAsync(serverArgs);
await app.StartAsync();
var channel = GrpcChannel.ForAddress(address);
var ingestion = new Ingestion.IngestionClient(channel);
var rollups = new Rollups.RollupsClient(channel);
var tokens = catalog.Tenants.Keys.ToDictionary(t => t, t => new Metadata { { "authorization", "Bearer " + TokenIssuer.Issue(new AccessGrant("bench", t, [Roles.Submitter, Roles.Viewer]), key, TimeSpan.FromHours(24)) } });
var ministry = new Metadata { { "authorization", "Bearer " + TokenIssuer.Issue(new AccessGrant("bench-ministry", AccessClaims.AllTenants, [Roles.Ministry]), key, TimeSpan.FromHours(24)) } };
Metadata MinistryIn(string tenant) => [.. ministry, new Metadata.Entry("x-tenant-id", tenant)];

// ---- 1. Bulk load through SubmitReports (batches of 1,000 reports of one tenant, 4 clients).
var cpuBefore = (Product: ProcessCpuSeconds(Environment.ProcessId, children: false), Postgres: PostgresCpuSeconds());
var load = Stopwatch.StartNew();
var batches = data.Reports().GroupBy(r => r.Tenant).SelectMany(g => g.Select(r => r.Report).Chunk(1000).Select(c => (Tenant: g.Key, Reports: c)));
var queue = new System.Collections.Concurrent.BlockingCollection<(string Tenant, Report[] Reports)>(boundedCapacity: 16);
var producer = Task.Run(() =>
{
    foreach (var b in batches)
    {
        queue.Add(b);
    }

    queue.CompleteAdding();
});
long reportsLoaded = 0, valuesLoaded = 0;
await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
{
    foreach (var (tenant, reports) in queue.GetConsumingEnumerable())
    {
        var response = await ingestion.SubmitReportsAsync(new SubmitReportsRequest { Reports = { reports } }, tokens[tenant]);
        if (response.Rejected > 0)
        {
            throw new InvalidOperationException($"rejected: {response.Results.First(r => r.Outcome == ReportOutcome.Rejected)}");
        }

        Interlocked.Add(ref reportsLoaded, reports.Length);
        Interlocked.Add(ref valuesLoaded, reports.Sum(r => r.Values.Count));
    }
})));
await producer;
var loadSeconds = load.Elapsed.TotalSeconds;
var loadCpu = (Product: ProcessCpuSeconds(Environment.ProcessId, children: false) - cpuBefore.Product, Postgres: PostgresCpuSeconds() - cpuBefore.Postgres);
Console.WriteLine($"loaded {reportsLoaded:N0} reports, {valuesLoaded:N0} values in {loadSeconds:F1} s");

// ---- Baseline: binary COPY of the same values into a plain table.
await using (var connection = new NpgsqlConnection(connectionString))
{
    await connection.OpenAsync();
    await Execute(connection, """
        DROP TABLE IF EXISTS bench_values, bench_units, bench_rollup;
        CREATE TABLE bench_values (tenant text NOT NULL, unit text NOT NULL, period text NOT NULL, element text NOT NULL, value bigint NOT NULL);
        CREATE TABLE bench_units (code text PRIMARY KEY, level text NOT NULL, district text, province text);
        """);
}

var copy = Stopwatch.StartNew();
long rowsCopied = 0;
await using (var connection = new NpgsqlConnection(connectionString))
{
    await connection.OpenAsync();
    await using var writer = await connection.BeginBinaryImportAsync("COPY bench_values (tenant, unit, period, element, value) FROM STDIN (FORMAT BINARY)");
    foreach (var (tenant, report, unit) in data.Reports())
    {
        foreach (var v in report.Values)
        {
            await writer.StartRowAsync();
            await writer.WriteAsync(tenant, NpgsqlDbType.Text);
            await writer.WriteAsync(unit, NpgsqlDbType.Text);
            await writer.WriteAsync(report.Period, NpgsqlDbType.Text);
            await writer.WriteAsync(v.DataElement, NpgsqlDbType.Text);
            await writer.WriteAsync(v.ValueCase switch { DataValue.ValueOneofCase.Flag => v.Flag ? 1L : 0L, DataValue.ValueOneofCase.Entities => v.Entities.Ids.Count, _ => (long)v.Number }, NpgsqlDbType.Bigint);
            rowsCopied++;
        }
    }

    await writer.CompleteAsync();
}

var copySeconds = copy.Elapsed.TotalSeconds;
var copyCpu = PostgresCpuSeconds() - cpuBefore.Postgres - loadCpu.Postgres;
Measured(new("bulk durable ingest, values/s", valuesLoaded / loadSeconds, rowsCopied / copySeconds, "binary COPY of the same values into a plain table", Higher: true));
Measured(new("bulk durable ingest, reports/s", reportsLoaded / loadSeconds, null, null, Higher: true));
// Where the two cores went during the load: this process (silo, gRPC, load generator) and PostgreSQL.
Measured(new("bulk load: CPU of this process, % of both cores", 100 * loadCpu.Product / (2 * loadSeconds), null, null));
Measured(new("bulk load: CPU of PostgreSQL, % of both cores", 100 * loadCpu.Postgres / (2 * loadSeconds), null, null));
Measured(new("PostgreSQL CPU per value, µs", 1e6 * loadCpu.Postgres / valuesLoaded, 1e6 * copyCpu / rowsCopied, "PostgreSQL CPU per row of the COPY"));

// ---- The SQL-at-read-time design: the hierarchy as a table, sensible indexes.
await using (var connection = new NpgsqlConnection(connectionString))
{
    await connection.OpenAsync();
    await using (var writer = await connection.BeginBinaryImportAsync("COPY bench_units (code, level, district, province) FROM STDIN (FORMAT BINARY)"))
    {
        foreach (var tenant in catalog.Tenants.Keys)
        {
            foreach (var u in catalog.UnitsOf(tenant))
            {
                // Keyed by the unit's identity, not its GSO code: codes were reused by the 2025-07 version.
                var ancestors = catalog.AncestorsOf(u.Key).ToList();
                await writer.WriteRowAsync(default, u.Key.Code, u.Level, u.Level == "district" ? u.Key.Code : ancestors.FirstOrDefault(a => a.Level == "district")?.Key.Code, u.Level == "province" ? u.Key.Code : ancestors.FirstOrDefault(a => a.Level == "province")?.Key.Code);
            }
        }

        await writer.CompleteAsync();
    }

    await Execute(connection, "CREATE INDEX ON bench_values (unit, period); CREATE INDEX ON bench_units (province); ANALYZE bench_values; ANALYZE bench_units;");
}

// ---- The batch-analytics design: rebuild the country's rollup table; its freshness is this time.
double rebuildSeconds;
await using (var connection = new NpgsqlConnection(connectionString))
{
    await connection.OpenAsync();
    var rebuild = Stopwatch.StartNew();
    await Execute(connection, """
        CREATE TABLE bench_rollup AS
        SELECT u.province, u.district, left(v.period, 4) AS year, v.element, sum(v.value) AS total
        FROM bench_values v JOIN bench_units u ON u.code = v.unit
        GROUP BY GROUPING SETS ((u.province, u.district, left(v.period, 4), v.element), (u.province, left(v.period, 4), v.element), (left(v.period, 4), v.element))
        """);
    rebuildSeconds = rebuild.Elapsed.TotalSeconds;
}

// ---- Correctness: the product's province and nation figures against SQL, for every count element.
var probeProvince = provinces.FirstOrDefault(p => p.Key.Tenant == catalog.DefaultTenant) ?? provinces[0];
var mismatches = new List<string>();
foreach (var (unit, tenant) in new[] { (probeProvince.Key.Code, probeProvince.Key.Tenant), ("VN", probeProvince.Key.Tenant) })
{
    var live = await WaitSettledAsync(unit, tenant);
    var sql = await SqlFiguresAsync(unit == "VN" ? null : unit, lastYear);
    foreach (var element in programme.Elements.Where(e => e.Type == ElementType.Count))
    {
        var product = live.Values.Single(v => v.DataElement == element.Id).Value;
        var expected = sql.GetValueOrDefault(element.Id);
        if (product != expected)
        {
            mismatches.Add($"{unit} {lastYear} {element.Id}: product {product}, SQL {expected}");
        }
    }
}

Console.WriteLine(mismatches.Count == 0 ? $"check: province {probeProvince.Key.Code} and the nation equal the SQL baseline for every count element of {lastYear}" : "check FAILED:\n  " + string.Join("\n  ", mismatches));

// ---- Reads: a province and the nation for a year, all indicators; the same figures by SQL at read time.
var provinceReads = await TimeAsync(quick ? 50 : 300, () => rollups.GetRollupAsync(new GetRollupRequest { UnitCode = probeProvince.Key.Code, ProgrammeId = ProgrammeId, Period = $"{lastYear}" }, MinistryIn(probeProvince.Key.Tenant)).ResponseAsync);
var nationReads = await TimeAsync(quick ? 50 : 300, () => rollups.GetRollupAsync(new GetRollupRequest { UnitCode = "VN", ProgrammeId = ProgrammeId, Period = $"{lastYear}" }, ministry).ResponseAsync);
var sqlProvince = await TimeAsync(quick ? 5 : 30, () => SqlFiguresAsync(probeProvince.Key.Code, lastYear));
var sqlNation = await TimeAsync(quick ? 5 : 30, () => SqlFiguresAsync(null, lastYear));
Measured(new("province read (year, all indicators) p50 ms", P(provinceReads, 50), P(sqlProvince, 50), "SQL over the values and the hierarchy at read time"));
Measured(new("province read p99 ms", P(provinceReads, 99), P(sqlProvince, 99), "SQL at read time"));
Measured(new("nation read p50 ms", P(nationReads, 50), P(sqlNation, 50), "SQL at read time"));
Measured(new("nation read p99 ms", P(nationReads, 99), P(sqlNation, 99), "SQL at read time"));

// ---- Unary submissions at fixed offered rates, with freshness probes (polled and pushed) at 1,000/s.
var probeCommune = communes.First(c => c.Key.Tenant == probeProvince.Key.Tenant && c.InForceOn(new DateOnly(lastYear, 12, 1)));
var probeSequence = 0;
foreach (var rate in quick ? new[] { 100 } : [100, 1000])
{
    var (ack, achieved, fresh) = await OfferedLoadAsync(rate, TimeSpan.FromSeconds(quick ? 2 : seconds), probe: rate == 1000 || quick);
    Measured(new($"unary ack at {rate}/s offered ({achieved:F0}/s achieved) p50 ms", P(ack, 50), null, null));
    Measured(new($"unary ack at {rate}/s p95 ms", P(ack, 95), null, null));
    Measured(new($"unary ack at {rate}/s p99 ms", P(ack, 99), null, null));
    if (fresh is { } f)
    {
        foreach (var (name, samples) in f)
        {
            Measured(new($"freshness at {rate}/s, {name} p50 ms", P(samples, 50), null, null));
            Measured(new($"freshness at {rate}/s, {name} p99 ms", P(samples, 99), rebuildSeconds * 1000, "batch rebuild of the rollup table (its freshness)"));
        }
    }
}

if (!quick)
{
    var (maxAck, maxRate) = await ClosedLoopAsync(64, TimeSpan.FromSeconds(seconds));
    Measured(new("unary, maximum sustained (64 concurrent callers), submissions/s", maxRate, null, null, Higher: true));
    Measured(new("unary at maximum p50 ms", P(maxAck, 50), null, null));
    Measured(new("unary at maximum p99 ms", P(maxAck, 99), null, null));
}

// ---- Memory after the full load (this process hosts the silo and the clients).
GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
var resident = Resident();
var heap = GC.GetGCMemoryInfo();
Measured(new("resident memory after the load, MB", resident / 1e6, null, null));
// What is live in the managed heap versus what the (server) GC keeps committed: the gap is not data.
Measured(new("managed heap live after a full compacting GC, MB", heap.HeapSizeBytes / 1e6, null, null));
Measured(new("managed heap committed, MB", heap.TotalCommittedBytes / 1e6, null, null));
Measured(new($"resident memory per unit grain ({catalog.UnitCount:N0} units), KB", resident / 1e3 / catalog.UnitCount, null, null));

// ---- Cold start: a new server on the same database until the province and the nation are correct again.
var before = (await WaitSettledAsync("VN", probeProvince.Key.Tenant)).Values.Select(v => v.Value).ToList();
channel.Dispose();
await app.StopAsync();
await app.DisposeAsync();
var cold = Stopwatch.StartNew();
app = await AggregationApp.BuildAsync(serverArgs);
await app.StartAsync();
channel = GrpcChannel.ForAddress(address);
rollups = new Rollups.RollupsClient(channel);
while (!await NationEqualsAsync(before))
{
    if (cold.Elapsed > TimeSpan.FromMinutes(Arg("--cold-minutes", 5)))
    {
        Console.WriteLine($"cold start: the nation's figures were not back within {Arg("--cold-minutes", 5)} minutes");
        break;
    }

    await Task.Delay(100);
}

var converged = await NationEqualsAsync(before);
if (!converged)
{
    // Which figures differ, to tell a slow start from a wrong one.
    var after = (await rollups.GetRollupAsync(new GetRollupRequest { UnitCode = "VN", ProgrammeId = ProgrammeId, Period = $"{lastYear}" }, ministry)).Rollup.Values.ToList();
    foreach (var (value, i) in after.Select((v, i) => (v, i)).Where(x => x.v.Value != before[x.i]))
    {
        Console.WriteLine($"  after restart {value.DataElement}: {value.Value}, before {before[i]}");
    }
}

Measured(new(converged ? "cold start to correct national rollups, s" : "cold start: national rollups NOT correct after, s", cold.Elapsed.TotalSeconds, null, null));

// ---- The table and the JSON.
Console.WriteLine();
Console.WriteLine($"{"figure",-72} {"product",12} {"baseline",12} {"ratio",9}  baseline");
foreach (var f in results)
{
    Console.WriteLine($"{f.Name,-72} {f.Product,12:G5} {(f.Baseline is { } b ? b.ToString("G5", CultureInfo.InvariantCulture) : ""),12} {(f.Ratio is { } r ? r.ToString("F2", CultureInfo.InvariantCulture) + "×" : ""),9}  {f.BaselineName}");
}

Console.WriteLine($"batch rebuild of the country's rollup table: {rebuildSeconds:F1} s; total run {total.Elapsed.TotalMinutes:F1} min");
await File.WriteAllTextAsync(jsonPath, JsonSerializer.Serialize(new
{
    machine = new { cores = Environment.ProcessorCount, memoryGb = MemoryGb(), commit = Commit() },
    run = new { scale, months, seed, communes = communes.Count, reports = reportsLoaded, values = valuesLoaded, batchRebuildSeconds = rebuildSeconds, check = mismatches.Count == 0 ? "equal" : string.Join("; ", mismatches) },
    figures = results.Select(f => new { f.Name, f.Product, f.Baseline, f.Ratio, baseline = f.BaselineName }),
}, new JsonSerializerOptions { WriteIndented = true }));
Console.WriteLine($"written {jsonPath}");

channel.Dispose();
await app.StopAsync();
await app.DisposeAsync();
await postgres.StopAsync();
Directory.Delete(pgDirectory, recursive: true);
return check && mismatches.Count > 0 ? 1 : 0;

// ---- Helpers.
async Task<bool> NationEqualsAsync(List<long> expected)
{
    try
    {
        return (await rollups.GetRollupAsync(new GetRollupRequest { UnitCode = "VN", ProgrammeId = ProgrammeId, Period = $"{lastYear}" }, ministry)).Rollup.Values.Select(v => v.Value).SequenceEqual(expected);
    }
    catch (RpcException ex) when (ex.StatusCode is StatusCode.Unavailable or StatusCode.Internal or StatusCode.DeadlineExceeded)
    {
        // Still warming up.
        return false;
    }
}

async Task<UnitRollup> WaitSettledAsync(string unit, string tenant)
{
    // Rollups settle within the flush bound per level after the last acknowledgement; read until two reads a second apart agree.
    var previous = (await rollups.GetRollupAsync(new GetRollupRequest { UnitCode = unit, ProgrammeId = ProgrammeId, Period = $"{lastYear}" }, MinistryIn(tenant))).Rollup;
    while (true)
    {
        await Task.Delay(1000);
        var current = (await rollups.GetRollupAsync(new GetRollupRequest { UnitCode = unit, ProgrammeId = ProgrammeId, Period = $"{lastYear}" }, MinistryIn(tenant))).Rollup;
        if (current.Version == previous.Version)
        {
            return current;
        }

        previous = current;
    }
}

async Task<Dictionary<string, long>> SqlFiguresAsync(string? province, int year)
{
    await using var connection = new NpgsqlConnection(connectionString);
    await connection.OpenAsync();
    await using var command = new NpgsqlCommand(
        province is null
            ? "SELECT v.element, sum(v.value) FROM bench_values v WHERE v.period LIKE @y GROUP BY v.element"
            : "SELECT v.element, sum(v.value) FROM bench_values v JOIN bench_units u ON u.code = v.unit WHERE u.province = @p AND v.period LIKE @y GROUP BY v.element",
        connection);
    command.Parameters.AddWithValue("y", $"{year}%");
    if (province is not null)
    {
        command.Parameters.AddWithValue("p", province);
    }

    var figures = new Dictionary<string, long>();
    await using var reader = await command.ExecuteReaderAsync();
    while (await reader.ReadAsync())
    {
        figures[reader.GetString(0)] = (long)reader.GetDecimal(1);
    }

    return figures;
}

async Task<(List<double> Ack, double Achieved, List<(string, List<double>)>? Fresh)> OfferedLoadAsync(int rate, TimeSpan duration, bool probe)
{
    var ack = new List<double>();
    var count = (int)(rate * duration.TotalSeconds);
    var started = Stopwatch.GetTimestamp();
    var inflight = new List<Task>(count);
    var random = new Random(seed + rate);
    var probing = probe ? Task.Run(ProbeFreshnessAsync) : Task.FromResult<List<(string, List<double>)>?>(null);
    for (var i = 0; i < count; i++)
    {
        var due = started + (long)(i * (double)Stopwatch.Frequency / rate);
        var wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), due);
        if (wait > TimeSpan.FromMilliseconds(1))
        {
            await Task.Delay(wait);
        }

        var commune = communes[random.Next(communes.Count)];
        var report = Unary(commune, MonthOf(commune, random), "awareness_activities", random.Next(100));
        inflight.Add(Task.Run(async () =>
        {
            var t = Stopwatch.GetTimestamp();
            await ingestion.SubmitReportAsync(new SubmitReportRequest { Report = report }, tokens[commune.Key.Tenant]);
            lock (ack)
            {
                ack.Add(Stopwatch.GetElapsedTime(t).TotalMilliseconds);
            }
        }));
    }

    await Task.WhenAll(inflight);
    var achieved = count / Stopwatch.GetElapsedTime(started).TotalSeconds;
    return (ack, achieved, await probing);

    // Meanwhile: a probe every 100 ms raises the probe commune's complaints_received of December by one;
    // the province and the nation are fresh when their total shows it (polled), and when a subscriber of the province receives it (pushed).
    async Task<List<(string, List<double>)>?> ProbeFreshnessAsync()
    {
        var polledProvince = new List<double>();
        var polledNation = new List<double>();
        var pushed = new List<double>();
        var period = $"{lastYear}-12";
        var province = probeProvince.Key.Code;
        using var subscription = new Subscriptions.SubscriptionsClient(channel).Subscribe(new SubscribeRequest { UnitCode = province, ProgrammeId = ProgrammeId, Periods = { $"{lastYear}" } }, MinistryIn(probeProvince.Key.Tenant));
        var seen = new System.Collections.Concurrent.ConcurrentQueue<(long Total, long At)>();
        var listening = Task.Run(async () =>
        {
            try
            {
                while (await subscription.ResponseStream.MoveNext())
                {
                    var m = subscription.ResponseStream.Current;
                    var r = m.Snapshot?.Rollups.FirstOrDefault() ?? m.Update?.Rollups.FirstOrDefault(x => x.Unit.Code == province);
                    if (r is not null)
                    {
                        seen.Enqueue((r.Values.Single(v => v.DataElement == "complaints_received").Value, Stopwatch.GetTimestamp()));
                    }
                }
            }
            catch (RpcException) when (subscription.GetStatus().StatusCode == StatusCode.Cancelled)
            {
            }
        });

        var end = Stopwatch.GetTimestamp() + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        while (Stopwatch.GetTimestamp() < end)
        {
            var provinceBefore = Complaints(await Read(province, probeProvince.Key.Tenant));
            var nationBefore = Complaints(await Read("VN", probeProvince.Key.Tenant));
            var current = data.Value(probeCommune.Key.Code, period, "complaints_received") + (++probeSequence);
            var report = Unary(probeCommune, period, "complaints_received", current);
            report.Values.Add(new DataValue { DataElement = "complaints_handled_on_time", Number = 0 });
            await ingestion.SubmitReportAsync(new SubmitReportRequest { Report = report }, tokens[probeCommune.Key.Tenant]);
            var acked = Stopwatch.GetTimestamp();
            double? provinceAt = null;
            while (true)
            {
                if (provinceAt is null && Complaints(await Read(province, probeProvince.Key.Tenant)) > provinceBefore)
                {
                    provinceAt = Stopwatch.GetElapsedTime(acked).TotalMilliseconds;
                }

                if (Complaints(await Read("VN", probeProvince.Key.Tenant)) > nationBefore)
                {
                    polledNation.Add(Stopwatch.GetElapsedTime(acked).TotalMilliseconds);
                    polledProvince.Add(provinceAt ?? polledNation[^1]);
                    break;
                }
            }

            var pushDeadline = Stopwatch.GetTimestamp() + Stopwatch.Frequency;
            while (Stopwatch.GetTimestamp() < pushDeadline)
            {
                var hit = seen.FirstOrDefault(s => s.Total > provinceBefore && s.At >= acked - Stopwatch.Frequency);
                if (hit != default)
                {
                    pushed.Add(Math.Max(0, Stopwatch.GetElapsedTime(acked, hit.At).TotalMilliseconds));
                    break;
                }

                await Task.Delay(2);
            }

            await Task.Delay(100);
        }

        subscription.Dispose();
        await listening.ContinueWith(_ => { }, TaskScheduler.Default);
        return [("province, polled", polledProvince), ("nation, polled", polledNation), ("province subscriber, pushed", pushed)];
    }
}

async Task<(List<double> Ack, double Rate)> ClosedLoopAsync(int callers, TimeSpan duration)
{
    var ack = new List<double>();
    var end = Stopwatch.GetTimestamp() + (long)(duration.TotalSeconds * Stopwatch.Frequency);
    var started = Stopwatch.GetTimestamp();
    await Task.WhenAll(Enumerable.Range(0, callers).Select(c => Task.Run(async () =>
    {
        var random = new Random(seed * 1000 + c);
        while (Stopwatch.GetTimestamp() < end)
        {
            var commune = communes[random.Next(communes.Count)];
            var t = Stopwatch.GetTimestamp();
            await ingestion.SubmitReportAsync(new SubmitReportRequest { Report = Unary(commune, MonthOf(commune, random), "awareness_activities", random.Next(100)) }, tokens[commune.Key.Tenant]);
            lock (ack)
            {
                ack.Add(Stopwatch.GetElapsedTime(t).TotalMilliseconds);
            }
        }
    })));
    return (ack, ack.Count / Stopwatch.GetElapsedTime(started).TotalSeconds);
}

async Task<UnitRollup> Read(string unit, string tenant) =>
    (await rollups.GetRollupAsync(new GetRollupRequest { UnitCode = unit, ProgrammeId = ProgrammeId, Period = $"{lastYear}" }, MinistryIn(tenant))).Rollup;

static long Complaints(UnitRollup r) => r.Values.Single(v => v.DataElement == "complaints_received").Value;

// A month of the last year in which the commune is in force (one merged on 1 July reports January–June).
string MonthOf(AdminUnit commune, Random random)
{
    var months = Enumerable.Range(1, 12).Where(m => commune.InForceOn(new DateOnly(lastYear, m, 1))).ToList();
    return $"{lastYear}-{months[random.Next(months.Count)]:D2}";
}

Report Unary(AdminUnit commune, string period, string element, long value) => new()
{
    IdempotencyKey = Guid.NewGuid().ToString("N"),
    UnitCode = commune.Code,
    ProgrammeId = ProgrammeId,
    Period = period,
    ReportedAt = Timestamp.FromDateTime(DateTime.UtcNow),
    SourceSystem = "bench",
    Values = { new DataValue { DataElement = element, Number = value } },
};

static async Task<List<double>> TimeAsync(int n, Func<Task> action)
{
    await action();
    var samples = new List<double>(n);
    for (var i = 0; i < n; i++)
    {
        var t = Stopwatch.GetTimestamp();
        await action();
        samples.Add(Stopwatch.GetElapsedTime(t).TotalMilliseconds);
    }

    return samples;
}

static async Task Execute(NpgsqlConnection connection, string sql)
{
    await using var command = new NpgsqlCommand(sql, connection) { CommandTimeout = 0 };
    await command.ExecuteNonQueryAsync();
}

static double P(List<double> xs, int percentile)
{
    if (xs.Count == 0)
    {
        return double.NaN;
    }

    var sorted = xs.Order().ToList();
    return sorted[Math.Clamp((int)Math.Ceiling(percentile / 100.0 * sorted.Count) - 1, 0, sorted.Count - 1)];
}

double Arg(string name, double fallback)
{
    var i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? double.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
}

// CPU seconds (user + system) of a process from /proc; with children, also those of its exited children.
static double ProcessCpuSeconds(int pid, bool children)
{
    try
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        var ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
        if (children)
        {
            ticks += long.Parse(fields[13], CultureInfo.InvariantCulture) + long.Parse(fields[14], CultureInfo.InvariantCulture);
        }

        return ticks / 100.0;
    }
    catch (IOException)
    {
        return 0;
    }
}

// The private PostgreSQL's postmaster, its exited backends and its live ones.
double PostgresCpuSeconds()
{
    var postmaster = int.Parse(File.ReadLines(Path.Combine(postgres.DataDirectory, "postmaster.pid")).First(), CultureInfo.InvariantCulture);
    var total = ProcessCpuSeconds(postmaster, children: true);
    foreach (var dir in Directory.EnumerateDirectories("/proc").Select(Path.GetFileName).Where(d => d!.All(char.IsAsciiDigit)))
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{dir}/stat");
            if (stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[1] == postmaster.ToString(CultureInfo.InvariantCulture))
            {
                total += ProcessCpuSeconds(int.Parse(dir!, CultureInfo.InvariantCulture), children: false);
            }
        }
        catch (IOException)
        {
        }
    }

    return total;
}

static long Resident() => File.ReadLines("/proc/self/status").Where(l => l.StartsWith("VmRSS:", StringComparison.Ordinal)).Select(l => long.Parse(l.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024).FirstOrDefault();

static double MemoryGb() => File.ReadLines("/proc/meminfo").Where(l => l.StartsWith("MemTotal:", StringComparison.Ordinal)).Select(l => long.Parse(l.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / 1024.0 / 1024.0).FirstOrDefault();

static string Commit()
{
    try
    {
        using var git = Process.Start(new ProcessStartInfo("git", "rev-parse --short HEAD") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = AppContext.BaseDirectory })!;
        var text = git.StandardOutput.ReadToEnd().Trim();
        git.WaitForExit();
        return git.ExitCode == 0 ? text : "unknown";
    }
    catch (System.ComponentModel.Win32Exception)
    {
        return "unknown";
    }
}

static int FreePort()
{
    using var l = new TcpListener(IPAddress.Loopback, 0);
    l.Start();
    return ((IPEndPoint)l.LocalEndpoint).Port;
}

/// <summary>One measured figure, with the baseline's where there is one. Ratio: how many times better the product is.</summary>
internal sealed record Figure(string Name, double Product, double? Baseline, string? BaselineName, bool Higher = false)
{
    public double? Ratio => Baseline is { } b && Product > 0 && b > 0 ? (Higher ? Product / b : b / Product) : null;
}

/// <summary>
/// The dataset, deterministic from the seed: every data set that applies to each unit, every period
/// of the plan's first <c>months</c> months, values drawn per (unit, period, data set) and fixed so
/// that value rules (numerator ≤ denominator) hold.
/// </summary>
internal sealed class Dataset(Catalog catalog, Programme programme, List<AdminUnit> communes, List<AdminUnit> districts, List<AdminUnit> provinces, int months, int seed)
{
    private static readonly Timestamp ReportedAt = Timestamp.FromDateTime(new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc));

    /// <summary>
    /// Every report of every unit for every period its data sets have while it is in force, with the
    /// unit's identity (its key code: GSO codes were reused by the 2025-07 version). A period whose
    /// code the server would attribute to another unit (a year that ends after a merger) is skipped.
    /// </summary>
    public IEnumerable<(string Tenant, Report Report, string Unit)> Reports()
    {
        foreach (var unit in provinces.Concat(districts).Concat(communes))
        {
            foreach (var dataSet in programme.DataSets.Where(d => d.Level == unit.Level))
            {
                foreach (var period in Periods(dataSet.PeriodType))
                {
                    var p = Aggregation.Periods.Period.Parse(period);
                    if (catalog.TryResolve(unit.Tenant, unit.Code, p.Start, p.End, out var attributed) && attributed.Key == unit.Key)
                    {
                        yield return (unit.Key.Tenant, Make(unit, period, dataSet), unit.Key.Code);
                    }
                }
            }
        }
    }

    /// <summary>The value the dataset gives an element (what a correction starts from).</summary>
    public long Value(string unit, string period, string element)
    {
        return Number(unit, period, programme.ElementsById[element]);
    }

    private IEnumerable<string> Periods(Aggregation.Periods.PeriodType type)
    {
        for (var m = 0; m < months; m++)
        {
            var year = 2021 + (m / 12);
            var month = (m % 12) + 1;
            switch (type)
            {
                case Aggregation.Periods.PeriodType.Monthly:
                    yield return $"{year}-{month:D2}";
                    break;
                case Aggregation.Periods.PeriodType.SixMonthly when month is 6 or 12:
                    yield return $"{year}S{month / 6}";
                    break;
                case Aggregation.Periods.PeriodType.Yearly when month == 12:
                    yield return $"{year}";
                    break;
            }
        }
    }

    private Report Make(AdminUnit target, string period, DataSet dataSet)
    {
        var unit = target.Key.Code;
        var report = new Report { IdempotencyKey = $"n-{unit}-{period}-{dataSet.Id}", UnitCode = target.Code, ProgrammeId = programme.Id, Period = period, ReportedAt = ReportedAt, SourceSystem = "bench" };
        foreach (var e in dataSet.Elements)
        {
            var random = new Random(HashCode(seed, unit, period, e.Id));
            report.Values.Add(e.Type switch
            {
                ElementType.Flag => new DataValue { DataElement = e.Id, Flag = random.Next(2) == 1 },
                ElementType.Entities => new DataValue { DataElement = e.Id, Entities = new EntityIds { Ids = { Enumerable.Range(0, random.Next(3)).Select(_ => $"{unit}-{random.Next(20)}").Distinct() } } },
                _ => new DataValue { DataElement = e.Id, Number = Number(unit, period, e) },
            });
        }

        return report;
    }

    /// <summary>A number drawn per (unit, period, element), then lowered to every value it may not exceed (rules can span data sets).</summary>
    private long Number(string unit, string period, DataElement element)
    {
        var random = new Random(HashCode(seed, unit, period, element.Id));
        long value = element.Type == ElementType.Stock ? 5 + random.Next(60) : random.Next(21);
        foreach (var rule in programme.Rules.Where(r => r.Lesser == element))
        {
            value = Math.Min(value, Number(unit, period, rule.Greater));
        }

        return value;
    }

    private static int HashCode(int seed, string unit, string period, string dataSet)
    {
        // FNV-1a: stable across processes (string.GetHashCode is not).
        var hash = 2166136261u ^ (uint)seed;
        foreach (var c in $"{unit}|{period}|{dataSet}")
        {
            hash = (hash ^ c) * 16777619u;
        }

        return (int)hash;
    }
}
