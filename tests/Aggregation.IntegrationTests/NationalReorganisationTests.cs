using Aggregation.Protos.V1;
using Aggregation.Security;

namespace Aggregation.IntegrationTests;

/// <summary>
/// A national deployment (every province a tenant) across 1 July 2025 on a real server and PostgreSQL:
/// Hà Nam (35), Nam Định (36) and Ninh Bình (37) report June along the 2021–2025 hierarchy, the new
/// Ninh Bình (37, run by Ninh Bình's tenant) September along the 2025-07 one, and the ministry reads
/// the nation.
/// </summary>
public sealed class NationalReorganisationTests(NationalServerFixture server) : IClassFixture<NationalServerFixture>
{
    private const string Counted = "complaints_received";

    // New communes of Ninh Bình and the old communes merged into them (the statistics office's conversion table).
    private static readonly (string New, string OldTenant, string[] Old)[] Communes =
    [
        ("13285", "province-35", ["13285", "13294", "13309", "13315"]),        // Phường Phủ Lý; 13285 Quang Trung was split, "the rest" came here
        ("13366", "province-35", ["13303", "13354", "13357", "13363", "13366"]), // part of 13285 came here too, not its data
        ("13777", "province-36", ["13657", "13777"]),
        ("14362", "province-37", ["14362", "14369", "14377"]),
    ];

    [Fact]
    public async Task Three_provinces_merged_into_one_give_the_new_province_both_halves_of_2025_and_the_nation_the_same_total_in_both_views()
    {
        var generator = new ReportGenerator(seed: 37);
        var sent = new Dictionary<string, long>();
        Report Count(string unit, string period)
        {
            var value = generator.Random.Next(1, 9);
            sent[unit + "@" + period] = sent.GetValueOrDefault(unit + "@" + period) + value;
            return generator.New(unit, period, ReportGenerator.Number(Counted, value));
        }

        // June: each old province's tenant reports its old communes. September: the new Ninh Bình its new ones.
        foreach (var tenant in Communes.Select(c => c.OldTenant).Distinct())
        {
            using var channel = server.ChannelFor(new AccessGrant(tenant + "-system", tenant, [Roles.Submitter, Roles.Viewer]));
            var june = Communes.Where(c => c.OldTenant == tenant).SelectMany(c => c.Old).Select(u => Count(u, "2025-06")).ToList();
            Assert.Equal(june.Count, (await new Ingestion.IngestionClient(channel).SubmitReportsAsync(new SubmitReportsRequest { Reports = { june } })).Accepted);
        }

        using var ninhBinh = server.ChannelFor(new AccessGrant("ninh-binh-system", "province-37", [Roles.Submitter, Roles.Viewer]));
        var september = Communes.Select(c => Count(c.New, "2025-09")).ToList();
        Assert.Equal(september.Count, (await new Ingestion.IngestionClient(ninhBinh).SubmitReportsAsync(new SubmitReportsRequest { Reports = { september } })).Accepted);

        var rollups = new Rollups.RollupsClient(ninhBinh);
        async Task<UnitRollup> Read(string unit, string period, HistoryView view = HistoryView.AsHappened) =>
            (await rollups.GetRollupAsync(new GetRollupRequest { UnitCode = unit, ProgrammeId = ServerFixture.Programme, Period = period, View = view })).Rollup;
        async Task<long> Settled(long expected, string unit, string period, HistoryView view = HistoryView.AsHappened) =>
            Counts(await Eventually.WaitAsync(() => Read(unit, period, view), r => Counts(r) == expected, TimeSpan.FromSeconds(20), r => $"{unit} {period} {view}: {Counts(r)}, expected {expected}"));

        long June(string tenant) => Communes.Where(c => c.OldTenant == tenant).SelectMany(c => c.Old).Sum(u => sent[u + "@2025-06"]);
        var secondHalf = Communes.Sum(c => sent[c.New + "@2025-09"]);
        var allJune = June("province-35") + June("province-36") + June("province-37");

        // As it happened: Ninh Bình carried on, so its year is its own June and the new province's September.
        Assert.Equal(June("province-37"), await Settled(June("province-37"), "37", "2025S1"));
        Assert.Equal(secondHalf, await Settled(secondHalf, "37", "2025S2"));
        Assert.Equal(June("province-37") + secondHalf, await Settled(June("province-37") + secondHalf, "37", "2025"));

        // Restated: the new province's 2025 is both halves of all three.
        var restated = await Read("37", "2025", HistoryView.Restated);
        Assert.Equal(allJune + secondHalf, Counts(restated));
        Assert.Contains(restated.RestatedFrom, u => u.Code == "35" && u.TenantId == "province-35");
        Assert.Contains(restated.RestatedFrom, u => u.Code == "36" && u.TenantId == "province-36");

        // Each new commune restates the old communes merged into it; the split commune counts once, where its "rest" went.
        foreach (var (fresh, _, old) in Communes)
        {
            var expected = sent[fresh + "@2025-09"] + old.Sum(u => sent[u + "@2025-06"]);
            Assert.Equal(expected, Counts(await Read(fresh, "2025", HistoryView.Restated)));
            Assert.Equal(sent[fresh + "@2025-09"], Counts(await Read(fresh, "2025")));
        }

        // The nation: every report once, in both views; its year is the 63 provinces' first halves and the 34's second.
        var ministry = new Rollups.RollupsClient(server.MinistryChannel);
        async Task<GetRollupResponse> Nation(string period, HistoryView view = HistoryView.AsHappened) =>
            await ministry.GetRollupAsync(new GetRollupRequest { UnitCode = "VN", ProgrammeId = ServerFixture.Programme, Period = period, View = view, IncludeChildren = true });
        var nation = await Eventually.WaitAsync(() => Nation("2025"), r => Counts(r.Rollup) == allJune + secondHalf, TimeSpan.FromSeconds(20), r => $"VN 2025: {Counts(r.Rollup)}, expected {allJune + secondHalf}");
        Assert.Equal(allJune + secondHalf, Counts((await Nation("2025", HistoryView.Restated)).Rollup));
        var firstHalves = await Nation("2025S1");
        var secondHalves = await Nation("2025S2");
        Assert.Equal(63, firstHalves.Children.Count);
        Assert.Equal(34, secondHalves.Children.Count);
        Assert.Equal(Counts(nation.Rollup), firstHalves.Children.Sum(Counts) + secondHalves.Children.Sum(Counts));
    }

    [Fact]
    public async Task The_ministry_lists_63_provinces_on_30_June_2025_and_34_from_1_August()
    {
        var catalog = new Catalog.CatalogClient(server.MinistryChannel);
        var june = await catalog.GetUnitAsync(new GetUnitRequest { Code = "VN", AsOf = "2025-06-30" });
        var august = await catalog.GetUnitAsync(new GetUnitRequest { Code = "VN", AsOf = "2025-08-01" });
        Assert.Equal(63, june.Children.Count);
        Assert.Equal(34, august.Children.Count);
        Assert.Contains(june.Children, p => p.Code == "35" && p.ValidTo == "2025-07-01" && p.SuccessorCode == "37");
        Assert.Contains(august.Children, p => p.Code == "37" && p.Name == "Tỉnh Ninh Bình" && p.TenantId == "province-37");

        // Without naming the nation, the ministry's view stays the tenant's it reads (the default one).
        var tenantView = await catalog.GetUnitAsync(new GetUnitRequest { AsOf = "2025-06-30" });
        Assert.Equal(["06", "19"], tenantView.Children.Select(p => p.Code).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task The_command_line_lists_the_nation_s_provinces_for_a_ministry_token_as_of_a_date()
    {
        async Task<string[]> Provinces(string asOf)
        {
            var run = await CliProcess.RunAsync(["units", "--parent", "VN", "--as-of", asOf, "--output", "csv"], new Dictionary<string, string?>
            {
                ["AGGREGATION_SERVER"] = server.Address,
                ["XDG_DATA_HOME"] = Directory.CreateTempSubdirectory("cli-data-").FullName,
                ["AGGREGATION_TOKEN"] = TestCredentials.Token(TestCredentials.Ministry),
            });
            Assert.True(run.Exit == 0, run.Err);
            return run.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Skip(1).ToArray();
        }

        var june = await Provinces("2025-06-30");
        var august = await Provinces("2025-08-01");
        Assert.Equal(63, june.Length);
        Assert.Equal(34, august.Length);
        Assert.Contains(june, row => row.StartsWith("35,Tỉnh Hà Nam,", StringComparison.Ordinal));
        Assert.DoesNotContain(august, row => row.StartsWith("35,", StringComparison.Ordinal));
    }

    private static long Counts(UnitRollup rollup) => rollup.Values.Where(v => v.DataElement == Counted).Sum(v => (long)v.Value);
}

/// <summary>A national deployment: every province of the shipped catalog is a tenant (<c>Catalog:AllProvinces=true</c>).</summary>
public sealed class NationalServerFixture : ServerFixture
{
    protected override IEnumerable<string> ExtraArguments => ["--Catalog:AllProvinces=true"];
}
