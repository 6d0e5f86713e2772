using System.Diagnostics;
using Aggregation.Protos.V1;

/// <summary>
/// Unary submissions: at fixed offered rates (open loop), with freshness probes at 1,000/s (or at the
/// only rate of a quick run); then, unless quick, the maximum 64 concurrent callers sustain (closed loop).
/// </summary>
internal static class UnaryLoad
{
    public static async Task RunAsync(NationalRun run, Results results, BenchOptions options, double rebuildSeconds)
    {
        var quick = options.Quick;
        var freshness = new Freshness(run);
        foreach (var rate in quick ? new[] { 100 } : [100, 1000])
        {
            var cpuBefore = run.Cpu();
            var phase = System.Diagnostics.Stopwatch.StartNew();
            var (ack, achieved, fresh) = await OfferedLoadAsync(run, freshness, options.Seed, rate, TimeSpan.FromSeconds(quick ? 2 : options.Seconds), probe: rate == 1000 || quick);
            (run.Cpu() - cpuBefore).Report(results, $"unary at {rate}/s", phase.Elapsed.TotalSeconds);
            results.Measured(new($"unary ack at {rate}/s offered ({achieved:F0}/s achieved) p50 ms", Samples.P(ack, 50), null, null));
            results.Measured(new($"unary ack at {rate}/s p95 ms", Samples.P(ack, 95), null, null));
            results.Measured(new($"unary ack at {rate}/s p99 ms", Samples.P(ack, 99), null, null));
            if (fresh is { } f)
            {
                foreach (var (name, samples) in f)
                {
                    results.Measured(new($"freshness at {rate}/s, {name} p50 ms", Samples.P(samples, 50), null, null));
                    results.Measured(new($"freshness at {rate}/s, {name} p99 ms", Samples.P(samples, 99), rebuildSeconds * 1000, "batch rebuild of the rollup table (its freshness)"));
                }
            }
        }

        if (!quick)
        {
            var (maxAck, maxRate) = await ClosedLoopAsync(run, options.Seed, 64, TimeSpan.FromSeconds(options.Seconds));
            results.Measured(new("unary, maximum sustained (64 concurrent callers), submissions/s", maxRate, null, null, Higher: true));
            results.Measured(new("unary at maximum p50 ms", Samples.P(maxAck, 50), null, null));
            results.Measured(new("unary at maximum p99 ms", Samples.P(maxAck, 99), null, null));
        }
    }

    private static async Task<(List<double> Ack, double Achieved, List<(string, List<double>)>? Fresh)> OfferedLoadAsync(NationalRun run, Freshness freshness, int seed, int rate, TimeSpan duration, bool probe)
    {
        var communes = run.ReportingCommunes;
        var ack = new List<double>();
        var count = (int)(rate * duration.TotalSeconds);
        var started = Stopwatch.GetTimestamp();
        var inflight = new List<Task>(count);
        var random = new Random(seed + rate);
        var failed = 0;
        var probing = probe ? Task.Run(() => freshness.ProbeAsync(duration)) : Task.FromResult<List<(string, List<double>)>?>(null);
        for (var i = 0; i < count; i++)
        {
            var due = started + (long)(i * (double)Stopwatch.Frequency / rate);
            var wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), due);
            if (wait > TimeSpan.FromMilliseconds(1))
            {
                await Task.Delay(wait);
            }

            var commune = communes[random.Next(communes.Count)];
            var report = NationalRun.Unary(commune, run.MonthOf(commune, random), "awareness_activities", random.Next(100));
            inflight.Add(Task.Run(async () =>
            {
                var t = Stopwatch.GetTimestamp();
                try
                {
                    await run.IngestionApi.SubmitReportAsync(new SubmitReportRequest { Report = report }, run.Tokens[commune.Key.Tenant]);
                }
                catch (Grpc.Core.RpcException ex) when (ex.StatusCode == Grpc.Core.StatusCode.Unavailable)
                {
                    // Not acknowledged: counted apart (a stalled round on a busy machine), not a latency.
                    Interlocked.Increment(ref failed);
                    return;
                }

                lock (ack)
                {
                    ack.Add(Stopwatch.GetElapsedTime(t).TotalMilliseconds);
                }
            }));
        }

        await Task.WhenAll(inflight);
        if (failed > 0)
        {
            Console.WriteLine($"unary at {rate}/s: {failed} of {count} submissions answered UNAVAILABLE");
        }

        var achieved = count / Stopwatch.GetElapsedTime(started).TotalSeconds;
        return (ack, achieved, await probing);
    }

    private static async Task<(List<double> Ack, double Rate)> ClosedLoopAsync(NationalRun run, int seed, int callers, TimeSpan duration)
    {
        var communes = run.ReportingCommunes;
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
                await run.IngestionApi.SubmitReportAsync(new SubmitReportRequest { Report = NationalRun.Unary(commune, run.MonthOf(commune, random), "awareness_activities", random.Next(100)) }, run.Tokens[commune.Key.Tenant]);
                lock (ack)
                {
                    ack.Add(Stopwatch.GetElapsedTime(t).TotalMilliseconds);
                }
            }
        })));
        return (ack, ack.Count / Stopwatch.GetElapsedTime(started).TotalSeconds);
    }
}
