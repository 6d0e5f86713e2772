using Aggregation.Protos.V1;
using Grpc.Core;

namespace Aggregation.IntegrationTests;

/// <summary>
/// Thái Nguyên reports for two years from every commune, district and provincial agency, pushed
/// over gRPC in batches and streams; every district, the province and the nation must equal an
/// independent recomputation from the acknowledged reports.
/// </summary>
public sealed class ProvinceRollupTests(ServerFixture server) : IClassFixture<ServerFixture>
{
    private static readonly string[] ReadPeriods = ["2024", "2025", "2025S1", "2025Q3", "2024-11", "2021-2025"];

    [Fact]
    public async Task Every_district_the_province_and_the_nation_equal_a_recomputation_from_the_submitted_reports()
    {
        var programme = (await server.Catalog.ListProgrammesAsync(new ListProgrammesRequest())).Programmes.Single();
        var oracle = new Oracle(programme, ServerFixture.ProvinceCode);
        var generator = new ReportGenerator(seed: 19);
        var reports = new List<Report>();
        foreach (var year in new[] { 2024, 2025 })
        {
            // Communes and districts of the 2021–2025 hierarchy exist until 2025-06-30; the province carries on.
            var lastMonth = year == 2025 ? 6 : 12;
            foreach (var commune in oracle.UnitsOfLevel("commune"))
            {
                for (var month = 1; month <= lastMonth; month++)
                {
                    var period = $"{year}-{month:D2}";
                    if (generator.Random.Next(0, 10) < 7)
                    {
                        reports.Add(generator.CommuneMonthly(commune, period));
                    }

                    if (generator.Random.Next(0, 10) < 6)
                    {
                        reports.Add(generator.CommunePolice(commune, period));
                    }
                }

                reports.Add(generator.CommuneStaff(commune, $"{year}S1"));
                if (year < 2025)
                {
                    reports.Add(generator.CommuneStaff(commune, $"{year}S2"));
                }
            }

            foreach (var district in oracle.UnitsOfLevel("district"))
            {
                reports.Add(generator.District(district, $"{year}S1"));
                if (year < 2025)
                {
                    reports.Add(generator.District(district, $"{year}S2"));
                }
            }

            reports.AddRange(generator.Province(ServerFixture.ProvinceCode, year));
        }

        // Half through unary batches, half through one bidirectional stream, as district systems would.
        var half = reports.Count / 2;
        foreach (var batch in reports.Take(half).Chunk(500))
        {
            var response = await server.Ingestion.SubmitReportsAsync(new SubmitReportsRequest { Reports = { batch } });
            Assert.Equal(batch.Length, response.Accepted);
        }

        using (var stream = server.Ingestion.StreamReports())
        {
            var accepted = 0;
            var reader = Task.Run(async () =>
            {
                await foreach (var response in stream.ResponseStream.ReadAllAsync())
                {
                    accepted += response.Accepted;
                }
            });
            foreach (var batch in reports.Skip(half).Chunk(250))
            {
                await stream.RequestStream.WriteAsync(new SubmitReportsRequest { Reports = { batch } });
            }

            await stream.RequestStream.CompleteAsync();
            await reader;
            Assert.Equal(reports.Count - half, accepted);
        }

        foreach (var report in reports)
        {
            oracle.Record(report);
        }

        var today = DateOnly.FromDateTime(DateTime.UtcNow);
        await Eventually.WaitAsync(
            () => server.ReadAsync("VN", "2021-2025"),
            r => !oracle.Differences(r, today).Any(),
            TimeSpan.FromSeconds(30),
            r => string.Join("; ", oracle.Differences(r, today)));

        foreach (var period in ReadPeriods)
        {
            var province = await server.Rollups.GetRollupAsync(new GetRollupRequest { UnitCode = ServerFixture.ProvinceCode, ProgrammeId = ServerFixture.Programme, Period = period, IncludeChildren = true });
            oracle.AssertMatches(province.Rollup, today);

            // As it happened: the 9 districts for the months before 2025-07-01, the 92 communes of the 2025-07 hierarchy after.
            var read = Periods.Period.Parse(period);
            var reorganised = new DateOnly(2025, 7, 1);
            Assert.Equal((read.Start < reorganised ? 9 : 0) + (read.End > reorganised ? 92 : 0), province.Children.Count);
            foreach (var district in province.Children)
            {
                oracle.AssertMatches(district, today);
            }

            oracle.AssertMatches(await server.ReadAsync("VN", period), today);
        }

        // A few communes, with the commune-level indicators.
        foreach (var commune in oracle.UnitsOfLevel("commune").Order().Take(5))
        {
            oracle.AssertMatches(await server.ReadAsync(commune, "2025S1"), today);
            oracle.AssertMatches(await server.ReadAsync(commune, "2024"), today);
        }
    }
}
