using System.Diagnostics;
using Aggregation.Protos.V1;
using Npgsql;
using NpgsqlTypes;

/// <summary>What the bulk load put through the product.</summary>
internal sealed record Ingested(long Reports, long Values);

/// <summary>
/// Durable ingest: the whole dataset through SubmitReports (batches of 1,000 reports of one tenant,
/// 4 clients), against its ceiling, a binary COPY of the same values into a plain table.
/// </summary>
internal static class Ingest
{
    private static int _retried;

    /// <summary>
    /// One batch, retried with the same idempotency keys while the server answers UNAVAILABLE (what
    /// it asks a caller to do when a round could not be recorded): on a busy machine a stalled
    /// round should slow the load, not end the run.
    /// </summary>
    private static async Task<SubmitReportsResponse> SubmitAsync(NationalRun run, string tenant, Report[] reports)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await run.IngestionApi.SubmitReportsAsync(new SubmitReportsRequest { Reports = { reports } }, run.Tokens[tenant]);
            }
            catch (Grpc.Core.RpcException ex) when (ex.StatusCode == Grpc.Core.StatusCode.Unavailable && attempt < 10)
            {
                Interlocked.Increment(ref _retried);
                await Task.Delay(TimeSpan.FromSeconds(attempt));
            }
        }
    }

    public static async Task<Ingested> RunAsync(NationalRun run, Results results)
    {
        var data = run.Data;
        var cpuBefore = run.Cpu();
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
                var response = await SubmitAsync(run, tenant, reports);
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
        var loadCpu = run.Cpu() - cpuBefore;
        Console.WriteLine($"loaded {reportsLoaded:N0} reports, {valuesLoaded:N0} values in {loadSeconds:F1} s{(_retried > 0 ? $" ({_retried} batches retried after UNAVAILABLE)" : "")}");

        // ---- Baseline: binary COPY of the same values into a plain table.
        await using (var connection = new NpgsqlConnection(run.ConnectionString))
        {
            await connection.OpenAsync();
            await SqlBaseline.Execute(connection, """
                DROP TABLE IF EXISTS bench_values, bench_units, bench_rollup;
                CREATE TABLE bench_values (tenant text NOT NULL, unit text NOT NULL, period text NOT NULL, element text NOT NULL, value bigint NOT NULL);
                CREATE TABLE bench_units (code text PRIMARY KEY, level text NOT NULL, district text, province text);
                """);
        }

        var copy = Stopwatch.StartNew();
        long rowsCopied = 0;
        await using (var connection = new NpgsqlConnection(run.ConnectionString))
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
        var copyCpu = Machine.PostgresCpuSeconds(run.Postgres) - cpuBefore.Postgres - loadCpu.Postgres;
        results.Measured(new("bulk durable ingest, values/s", valuesLoaded / loadSeconds, rowsCopied / copySeconds, "binary COPY of the same values into a plain table", Higher: true));
        results.Measured(new("bulk durable ingest, reports/s", reportsLoaded / loadSeconds, null, null, Higher: true));
        // Where the two cores went during the load: the server's processes, the load generator (this process) and PostgreSQL.
        loadCpu.Report(results, "bulk load", loadSeconds);
        results.Measured(new("PostgreSQL CPU per value, µs", 1e6 * loadCpu.Postgres / valuesLoaded, 1e6 * copyCpu / rowsCopied, "PostgreSQL CPU per row of the COPY"));
        return new Ingested(reportsLoaded, valuesLoaded);
    }
}
