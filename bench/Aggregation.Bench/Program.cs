using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Aggregation.Protos.V1;
using Aggregation.Server.Hosting;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Grpc.Net.Client;

// Measures the rollup core on this machine: bulk ingest through SubmitReports, unary acknowledgement
// latency, and freshness (acknowledgement → figure readable at the province and the nation).
// Usage: dotnet run -c Release --project bench/Aggregation.Bench [-- --months 60 --samples 300]
const string Programme = "prostitution-prevention-2021-2025";
var months = ArgInt("--months", 60);
var rounds = ArgInt("--rounds", 4);
var samples = ArgInt("--samples", 300);

// A fresh private PostgreSQL per run (keys are deterministic, so a reused ledger would make every report a duplicate).
var pgDirectory = Path.Combine(Path.GetTempPath(), $"aggregation-bench-{Environment.ProcessId}");
var signingKey = Aggregation.Security.SigningKey.Generate();
var port = FreePort();
var address = $"http://127.0.0.1:{port}";
var app = await AggregationApp.BuildAsync(
[
    $"--Kestrel:Endpoints:Grpc:Url={address}", "--Kestrel:Endpoints:Grpc:Protocols=Http2",
    $"--Kestrel:Endpoints:Web:Url=http://127.0.0.1:{FreePort()}",
    $"--Orleans:SiloPort={FreePort()}", $"--Orleans:GatewayPort={FreePort()}",
    $"--Catalog:Directory={Path.Combine(AppContext.BaseDirectory, "catalog")}",
    "--Logging:LogLevel:Default=Warning",
    $"--Database:DataDirectory={pgDirectory}",
    $"--Security:Jwt:SigningKeys:0:Id={signingKey.Id}", $"--Security:Jwt:SigningKeys:0:Secret={Convert.ToBase64String(signingKey.Secret)}",
    .. args.Where(a => a.StartsWith("--Rollup:", StringComparison.Ordinal) || a.StartsWith("--Database:", StringComparison.Ordinal)),
]);
await app.StartAsync();
// Calls as the district systems and dashboards would: the province's operator writes and reads the
// province, the ministry reads the nation.
using var channel = Authenticated(new Aggregation.Security.AccessGrant("bench-operator", "thai-nguyen", [Aggregation.Security.Roles.Submitter, Aggregation.Security.Roles.Viewer]));
using var ministry = Authenticated(new Aggregation.Security.AccessGrant("bench-ministry", Aggregation.Security.AccessClaims.AllTenants, [Aggregation.Security.Roles.Ministry]));
var ingestion = new Ingestion.IngestionClient(channel);
var rollups = new Rollups.RollupsClient(ministry);
var catalog = new Catalog.CatalogClient(channel);

var communes = new List<string>();
for (var token = ""; ;)
{
    var page = await catalog.ListUnitsAsync(new ListUnitsRequest { Level = "commune", PageSize = 1000, PageToken = token });
    communes.AddRange(page.Units.Select(u => u.Code));
    if ((token = page.NextPageToken).Length == 0)
    {
        break;
    }
}

Console.WriteLine($"machine: {Environment.ProcessorCount} cores; {communes.Count} communes; {months} months; {string.Join(" ", args)}");

// 1. Bulk ingest: two monthly reports per commune and month (9 values), batches of 500, 4 concurrent clients.
var random = new Random(1);
var sequence = 0;
List<Report> Round()
{
    var list = new List<Report>();
    for (var m = 0; m < months; m++)
    {
        var period = $"{2021 + m / 12}-{m % 12 + 1:D2}";
        foreach (var c in communes)
        {
            list.Add(NewReport(c, period, ("awareness_activities", random.Next(4)), ("workers_reached", random.Next(40)), ("complaints_received", 5), ("complaints_handled_on_time", random.Next(6)), ("support_wishing_eligible", 3), ("support_accessed", random.Next(4))));
            list.Add(NewReport(c, period, ("establishments_at_risk", 10 + random.Next(10)), ("workers_at_establishments", 50 + random.Next(50))));
        }
    }

    return list;
}

async Task<double> IngestAsync(List<Report> reports)
{
    var stopwatch = Stopwatch.StartNew();
    var chunks = reports.Chunk(500).ToList();
    var next = -1;
    await Task.WhenAll(Enumerable.Range(0, 4).Select(async _ =>
    {
        for (var i = Interlocked.Increment(ref next); i < chunks.Count; i = Interlocked.Increment(ref next))
        {
            var response = await ingestion.SubmitReportsAsync(new SubmitReportsRequest { Reports = { chunks[i] } });
            if (response.Rejected > 0)
            {
                throw new InvalidOperationException(response.Results.First(r => r.Violations.Count > 0).ToString());
            }
        }
    }));
    return stopwatch.Elapsed.TotalSeconds;
}

// Round 1 loads the plan and warms the JIT; later rounds are corrections of every value (new keys, later reported_at).
await IngestAsync(Round());
var rates = new List<double>();
var valueRates = new List<double>();
for (var r = 1; r < rounds; r++)
{
    var reports = Round();
    var seconds = await IngestAsync(reports);
    rates.Add(reports.Count / seconds);
    valueRates.Add(reports.Sum(x => x.Values.Count) / seconds);
}

Console.WriteLine($"bulk ingest (SubmitReports, 500/batch, 4 clients), median of {rates.Count} rounds of {2 * months * communes.Count:N0} reports: {P(rates, 50):N0} reports/s, {P(valueRates, 50):N0} values/s");

// 2. Unary acknowledgement latency and freshness, one report at a time.
var ack = new List<double>();
var provinceFresh = new List<double>();
var nationFresh = new List<double>();
for (var i = 0; i < samples; i++)
{
    var commune = communes[i % communes.Count];
    var report = NewReport(commune, "2025-12", ("press_publications", 0));
    report.Values.Clear();
    report.Values.Add(new DataValue { DataElement = "complaints_received", Number = 1000 + i });
    report.Values.Add(new DataValue { DataElement = "complaints_handled_on_time", Number = 0 });
    var before = await ReadComplaints("VN");
    var t0 = Stopwatch.GetTimestamp();
    await ingestion.SubmitReportAsync(new SubmitReportRequest { Report = report });
    var acked = Stopwatch.GetTimestamp();
    ack.Add(Stopwatch.GetElapsedTime(t0, acked).TotalMilliseconds);
    double? province = null;
    while (true)
    {
        var p = province is null ? await ReadComplaints("19") : before;
        if (province is null && p != before)
        {
            province = Stopwatch.GetElapsedTime(acked).TotalMilliseconds;
        }

        if (await ReadComplaints("VN") != before)
        {
            nationFresh.Add(Stopwatch.GetElapsedTime(acked).TotalMilliseconds);
            provinceFresh.Add(province ?? nationFresh[^1]);
            break;
        }
    }
}

Console.WriteLine($"unary ack latency ms: p50 {P(ack, 50):F2}  p95 {P(ack, 95):F2}  p99 {P(ack, 99):F2}");
Console.WriteLine($"freshness to province ms (polled): p50 {P(provinceFresh, 50):F1}  p95 {P(provinceFresh, 95):F1}  p99 {P(provinceFresh, 99):F1}");
Console.WriteLine($"freshness to nation ms (polled):   p50 {P(nationFresh, 50):F1}  p95 {P(nationFresh, 95):F1}  p99 {P(nationFresh, 99):F1}");

var reads = new List<double>();
for (var i = 0; i < 500; i++)
{
    var t = Stopwatch.GetTimestamp();
    await rollups.GetRollupAsync(new GetRollupRequest { UnitCode = i % 2 == 0 ? "19" : "VN", ProgrammeId = Programme, Period = "2025" });
    reads.Add(Stopwatch.GetElapsedTime(t).TotalMilliseconds);
}

Console.WriteLine($"rollup read (province/nation, year) ms: p50 {P(reads, 50):F2}  p99 {P(reads, 99):F2}");
Console.WriteLine($"process working set after load: {Environment.WorkingSet / 1024 / 1024:N0} MB");

// 3. Subscription freshness at a sustained offered rate: acknowledgement → the province subscriber's update.
// The bulk rounds left complaints_received = 5 in every (commune, month); each report here sets 6 on a
// fresh (commune, month) of the year, so the province's total grows by one per report it includes; report k (in acknowledgement order) is fresh at the
// first update whose total reaches k. Open loop: requests start on schedule whatever the latency.
foreach (var rate in months >= 24 ? new[] { 100, 1000 } : [])
{
    var year = rate == 100 ? 2021 : 2022;
    var cells = communes.SelectMany(c => Enumerable.Range(1, 12).Select(m => (Commune: c, Month: m))).ToList();
    var count = Math.Min(cells.Count, rate * ArgInt("--seconds", 8));
    var baseline = await ProvinceTotal(year);
    using var call = new Subscriptions.SubscriptionsClient(channel).Subscribe(new SubscribeRequest { UnitCode = "19", ProgrammeId = Programme, Periods = { $"{year}" } });
    var updates = new List<(long Total, long At)>();
    var listening = Task.Run(async () =>
    {
        while (await call.ResponseStream.MoveNext())
        {
            var m = call.ResponseStream.Current;
            var rollup = m.Snapshot?.Rollups.FirstOrDefault() ?? m.Update?.Rollups.FirstOrDefault(r => r.Unit.Code == "19");
            if (rollup is not null)
            {
                var total = rollup.Values.Single(v => v.DataElement == "complaints_received").Value - baseline;
                lock (updates)
                {
                    updates.Add((total, Stopwatch.GetTimestamp()));
                }

                if (total >= count)
                {
                    return;
                }
            }
        }
    });

    var acks = new long[count];
    var next2 = -1;
    var started = Stopwatch.GetTimestamp();
    var inflight = new List<Task>();
    for (var i = 0; i < count; i++)
    {
        var due = started + (long)(i * (double)Stopwatch.Frequency / rate);
        var wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), due);
        if (wait > TimeSpan.FromMilliseconds(1))
        {
            // Sleep, never spin: the server shares these two cores.
            await Task.Delay(wait);
        }

        var (commune, month) = cells[i];
        var report = NewReport(commune, $"{year}-{month:D2}", ("complaints_received", 6));
        inflight.Add(Task.Run(async () =>
        {
            await ingestion.SubmitReportAsync(new SubmitReportRequest { Report = report });
            acks[Interlocked.Increment(ref next2)] = Stopwatch.GetTimestamp();
        }));
    }

    await Task.WhenAll(inflight);
    var achieved = count / Stopwatch.GetElapsedTime(started).TotalSeconds;
    await listening.WaitAsync(TimeSpan.FromSeconds(30));
    var fresh = new List<double>();
    lock (updates)
    {
        for (var k = 0; k < count; k++)
        {
            var seen = updates.First(u => u.Total >= k + 1).At;
            fresh.Add(Math.Max(0, Stopwatch.GetElapsedTime(acks[k], seen).TotalMilliseconds));
        }
    }

    Console.WriteLine($"freshness to a province subscriber at {rate}/s offered ({achieved:N0}/s achieved, {count:N0} reports, {updates.Count:N0} updates) ms: p50 {P(fresh, 50):F1}  p95 {P(fresh, 95):F1}  p99 {P(fresh, 99):F1}");
}
await app.StopAsync();
if (Directory.Exists(pgDirectory))
{
    Directory.Delete(pgDirectory, recursive: true);
}

return;

async Task<long> ProvinceTotal(int year)
{
    var r = await rollups.GetRollupAsync(new GetRollupRequest { UnitCode = "19", ProgrammeId = Programme, Period = $"{year}" });
    return r.Rollup.Values.Single(v => v.DataElement == "complaints_received").Value;
}

async Task<long> ReadComplaints(string unit)
{
    var r = await rollups.GetRollupAsync(new GetRollupRequest { UnitCode = unit, ProgrammeId = Programme, Period = "2025-12" });
    return r.Rollup.Values.Single(v => v.DataElement == "complaints_received").Value;
}

Report NewReport(string unit, string period, params (string Element, int Value)[] data)
{
    var r = new Report
    {
        IdempotencyKey = $"bench-{++sequence}",
        UnitCode = unit,
        ProgrammeId = Programme,
        Period = period,
        ReportedAt = Timestamp.FromDateTimeOffset(DateTimeOffset.UtcNow.AddMinutes(-1)),
    };
    r.Values.AddRange(data.Select(d => new DataValue { DataElement = d.Element, Number = d.Value }));
    return r;
}

static double P(List<double> xs, int percentile)
{
    var sorted = xs.Order().ToList();
    return sorted[Math.Clamp((int)Math.Ceiling(percentile / 100.0 * sorted.Count) - 1, 0, sorted.Count - 1)];
}

int ArgInt(string name, int fallback)
{
    var i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], System.Globalization.CultureInfo.InvariantCulture) : fallback;
}

static int FreePort()
{
    using var l = new TcpListener(IPAddress.Loopback, 0);
    l.Start();
    return ((IPEndPoint)l.LocalEndpoint).Port;
}

GrpcChannel Authenticated(Aggregation.Security.AccessGrant grant)
{
    var token = Aggregation.Security.TokenIssuer.Issue(grant, signingKey, TimeSpan.FromHours(12));
    var credentials = CallCredentials.FromInterceptor((_, metadata) =>
    {
        metadata.Add("authorization", "Bearer " + token);
        return Task.CompletedTask;
    });
    return GrpcChannel.ForAddress(address, new GrpcChannelOptions { Credentials = ChannelCredentials.Create(ChannelCredentials.Insecure, credentials), UnsafeUseInsecureChannelCallCredentials = true });
}
