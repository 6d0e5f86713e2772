using System.Diagnostics;
using Aggregation.Hierarchy;
using Aggregation.Protos.V1;
using Grpc.Core;

/// <summary>
/// Freshness while unary load runs: a probe every 100 ms raises the probe commune's
/// complaints_received of December by one; the province and the nation are fresh when their total
/// shows it (polled), and when a subscriber of the province receives it (pushed).
/// </summary>
internal sealed class Freshness(NationalRun run)
{
    private readonly AdminUnit _probeCommune = ProbeCommune(run);
    private int _probeSequence;

    /// <summary>Milliseconds from acknowledgement to fresh, per way of seeing it, over <paramref name="duration"/>.</summary>
    public async Task<List<(string, List<double>)>?> ProbeAsync(TimeSpan duration)
    {
        var polledProvince = new List<double>();
        var polledNation = new List<double>();
        var pushed = new List<double>();
        var lastYear = run.LastYear;
        var probeProvince = run.ProbeProvince;
        var period = $"{lastYear}-12";
        var province = probeProvince.Key.Code;
        using var subscription = new Subscriptions.SubscriptionsClient(run.Channel).Subscribe(new SubscribeRequest { UnitCode = province, ProgrammeId = NationalRun.ProgrammeId, Periods = { $"{lastYear}" } }, run.MinistryIn(probeProvince.Key.Tenant));
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
            var provinceBefore = Complaints(await run.Read(province, probeProvince.Key.Tenant));
            var nationBefore = Complaints(await run.Read("VN", probeProvince.Key.Tenant));
            var current = run.Data.Value(_probeCommune.Key.Code, period, "complaints_received") + (++_probeSequence);
            var report = NationalRun.Unary(_probeCommune, period, "complaints_received", current);
            report.Values.Add(new DataValue { DataElement = "complaints_handled_on_time", Number = 0 });
            await run.IngestionApi.SubmitReportAsync(new SubmitReportRequest { Report = report }, run.Tokens[_probeCommune.Key.Tenant]);
            var acked = Stopwatch.GetTimestamp();
            double? provinceAt = null;
            while (true)
            {
                if (provinceAt is null && Complaints(await run.Read(province, probeProvince.Key.Tenant)) > provinceBefore)
                {
                    provinceAt = Stopwatch.GetElapsedTime(acked).TotalMilliseconds;
                }

                if (Complaints(await run.Read("VN", probeProvince.Key.Tenant)) > nationBefore)
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

    private static long Complaints(UnitRollup r) => r.Values.Single(v => v.DataElement == "complaints_received").Value;

    /// <summary>
    /// A commune of the probe province in force in December of the last year: one of the data's, else
    /// any of the catalog's (at a small scale the data may hold none that existed then: Thái Nguyên's
    /// 2021 communes are not all those of 2021-2025).
    /// </summary>
    private static AdminUnit ProbeCommune(NationalRun run)
    {
        var december = new DateOnly(run.LastYear, 12, 1);
        bool Fits(AdminUnit c) => c.Level == "commune" && c.Key.Tenant == run.ProbeProvince.Key.Tenant && c.InForceOn(december);
        return run.Data.Communes.FirstOrDefault(Fits) ?? Descendants(run.Catalog, run.ProbeProvince.Key).First(Fits);
    }

    private static IEnumerable<AdminUnit> Descendants(Aggregation.Hierarchy.Catalog catalog, UnitKey key) =>
        catalog.ChildrenOf(key).SelectMany(c => Descendants(catalog, c.Key).Prepend(c));
}
