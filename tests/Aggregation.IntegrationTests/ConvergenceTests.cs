using Aggregation.Protos.V1;
using Grpc.Core;

namespace Aggregation.IntegrationTests;

/// <summary>
/// Corrections, withdrawals, duplicates and out-of-order arrival from several concurrent clients,
/// through every ingestion RPC: the figures must converge to the recomputation in which the latest
/// report (by reported_at) of each unit, period and element wins.
/// </summary>
public sealed class ConvergenceTests(ServerFixture server) : IClassFixture<ServerFixture>
{
    private const string District = "165"; // Thành phố Sông Công, 10 communes.

    [Fact]
    public async Task Shuffled_corrections_withdrawals_and_duplicates_from_concurrent_clients_converge_to_the_latest_reports()
    {
        const int seed = 2025;
        var programme = (await server.Catalog.ListProgrammesAsync(new ListProgrammesRequest())).Programmes.Single();
        var oracle = new Oracle(programme, ServerFixture.ProvinceCode);
        var generator = new ReportGenerator(seed);
        var communes = (await server.Catalog.GetUnitAsync(new GetUnitRequest { Code = District })).Children.Select(c => c.Code).ToArray();
        var months = Enumerable.Range(1, 6).Select(m => $"2025-{m:D2}").ToArray();

        // Several versions of the same few cells, so that corrections and withdrawals really collide.
        var reports = new List<Report>();
        for (var i = 0; i < 500; i++)
        {
            var commune = communes[generator.Random.Next(communes.Length)];
            var month = months[generator.Random.Next(months.Length)];
            var report = generator.Random.Next(3) switch
            {
                0 => generator.CommunePolice(commune, month),
                1 => generator.CommuneStaff(commune, "2025S1"),
                _ => generator.CommuneMonthly(commune, month),
            };
            reports.Add(generator.Random.Next(8) == 0 ? generator.Withdrawal(report) : report);
        }

        reports.Add(generator.District(District, "2025S1"));
        reports.Add(generator.Withdrawal(reports[^1]));
        reports.Add(generator.District(District, "2025S1"));

        // Duplicates (the same report resent with its key), then arrival in random order.
        var arrivals = reports.Concat(reports.Where(_ => generator.Random.Next(5) == 0)).OrderBy(_ => generator.Random.Next()).ToList();
        var clients = Enumerable.Range(0, 4).Select(c => arrivals.Where((_, i) => i % 4 == c).ToList()).ToArray();
        var outcomes = await Task.WhenAll(clients.Select((mine, c) => SendAsync(mine, c, seed)));
        var all = outcomes.SelectMany(o => o).ToList();

        Assert.Empty(all.Where(r => r.Outcome == ReportOutcome.Rejected).Select(r => $"{r.IdempotencyKey}: {string.Join("; ", r.Violations)}"));
        Assert.Equal(reports.Count, all.Count(r => r.Outcome == ReportOutcome.Accepted));
        Assert.Equal(arrivals.Count - reports.Count, all.Count(r => r.Outcome == ReportOutcome.Duplicate));

        foreach (var report in reports)
        {
            oracle.Record(report);
        }

        var today = DateOnly.FromDateTime(DateTime.UtcNow);
        await Eventually.WaitAsync(
            () => server.ReadAsync("VN", "2025S1"),
            r => !oracle.Differences(r, today).Any(),
            TimeSpan.FromSeconds(30),
            r => string.Join("; ", oracle.Differences(r, today)));
        foreach (var period in new[] { "2025", "2025S1", "2025Q1", "2025Q2", "2025-03" })
        {
            var district = await server.Rollups.GetRollupAsync(new GetRollupRequest { UnitCode = District, ProgrammeId = ServerFixture.Programme, Period = period, IncludeChildren = true });
            oracle.AssertMatches(district.Rollup, today);
            foreach (var commune in district.Children)
            {
                oracle.AssertMatches(commune, today);
            }

            oracle.AssertMatches(await server.ReadAsync(ServerFixture.ProvinceCode, period), today);
            oracle.AssertMatches(await server.ReadAsync("VN", period), today);
        }
    }

    /// <summary>One client: unary calls, batches and a stream, chosen per chunk.</summary>
    private async Task<List<ReportResult>> SendAsync(List<Report> reports, int client, int seed)
    {
        var random = new Random(seed * 31 + client);
        var results = new List<ReportResult>();
        var i = 0;
        while (i < reports.Count)
        {
            var size = Math.Min(reports.Count - i, random.Next(1, 40));
            var chunk = reports.GetRange(i, size);
            i += size;
            switch (random.Next(3))
            {
                case 0:
                    foreach (var r in chunk)
                    {
                        results.Add((await server.Ingestion.SubmitReportAsync(new SubmitReportRequest { Report = r })).Result);
                    }

                    break;
                case 1:
                    results.AddRange((await server.Ingestion.SubmitReportsAsync(new SubmitReportsRequest { Reports = { chunk } })).Results);
                    break;
                default:
                    using (var stream = server.Ingestion.StreamReports())
                    {
                        foreach (var part in chunk.Chunk(7))
                        {
                            await stream.RequestStream.WriteAsync(new SubmitReportsRequest { Reports = { part } });
                            Assert.True(await stream.ResponseStream.MoveNext());
                            results.AddRange(stream.ResponseStream.Current.Results);
                        }

                        await stream.RequestStream.CompleteAsync();
                    }

                    break;
            }
        }

        return results;
    }
}
