using Aggregation.Protos.V1;
using Aggregation.Security;
using Grpc.Core;

namespace Aggregation.IntegrationTests;

/// <summary>
/// The 1 July 2025 reorganisation on a real server and PostgreSQL: Thái Nguyên and Bắc Kạn report
/// for January–June along the 2021–2025 hierarchy, the merged Thái Nguyên for July–December along
/// the 2025-07 one, and the year is read both as it happened and re-expressed in the new structure.
/// </summary>
public sealed class ReorganisationTests(ServerFixture server) : IClassFixture<ServerFixture>
{
    private const string Element = "awareness_activities";

    // Only the first test reports this element, so its sums are exact whatever order the tests run in.
    private const string Counted = "complaints_received";

    // New communes and the old communes of both provinces merged into them (1683/NQ-UBTVQH15 Điều 1).
    private static readonly (string New, string[] OldThaiNguyen, string[] OldBacKan)[] Communes =
    [
        ("05443", ["05437", "05440", "05443", "05446", "05449", "05452", "05458"], []), // Phường Phan Đình Phùng, khoản 76
        ("01840", [], ["01834", "01840", "01846"]),                                       // Phường Đức Xuân, khoản 89
        ("05941", ["05932", "05941", "05956", "05968"], []),                              // Xã Điềm Thụy, khoản 39 (with the rest of split Xã Thượng Đình)
    ];

    [Fact]
    public async Task The_year_2025_totals_both_halves_as_it_happened_and_each_new_commune_restates_the_old_communes_merged_into_it()
    {
        using var bacKan = server.ChannelFor(new AccessGrant("bac-kan-system", "bac-kan", [Roles.Submitter, Roles.Viewer]));
        var generator = new ReportGenerator(seed: 2025);
        var sent = new Dictionary<(string Unit, string Half), long>();
        var thaiNguyenReports = new List<Report>();
        var bacKanReports = new List<Report>();
        foreach (var (fresh, oldThaiNguyen, oldBacKan) in Communes)
        {
            foreach (var month in Enumerable.Range(1, 6))
            {
                foreach (var old in oldThaiNguyen)
                {
                    thaiNguyenReports.Add(Count(generator, old, $"2025-{month:D2}", sent, "S1"));
                }

                foreach (var old in oldBacKan)
                {
                    bacKanReports.Add(Count(generator, old, $"2025-{month:D2}", sent, "S1"));
                }

                thaiNguyenReports.Add(Count(generator, fresh, $"2025-{month + 6:D2}", sent, "S2"));
            }
        }

        Assert.Equal(thaiNguyenReports.Count, (await server.Ingestion.SubmitReportsAsync(new SubmitReportsRequest { Reports = { thaiNguyenReports } })).Accepted);
        Assert.Equal(bacKanReports.Count, (await new Ingestion.IngestionClient(bacKan).SubmitReportsAsync(new SubmitReportsRequest { Reports = { bacKanReports } })).Accepted);

        var thaiNguyenFirstHalf = Communes.SelectMany(c => c.OldThaiNguyen).Sum(u => sent[(u, "S1")]);
        var bacKanFirstHalf = Communes.SelectMany(c => c.OldBacKan).Sum(u => sent[(u, "S1")]);
        var secondHalf = Communes.Sum(c => sent[(c.New, "S2")]);

        // As it happened: Thái Nguyên's province carried on, so its year is its old half plus the merged province's new half.
        Assert.Equal(thaiNguyenFirstHalf, await SettledCountAsync(thaiNguyenFirstHalf, "19", "2025S1"));
        Assert.Equal(secondHalf, await SettledCountAsync(secondHalf, "19", "2025S2"));
        var year = await SettledCountAsync(thaiNguyenFirstHalf + secondHalf, "19", "2025");
        Assert.Equal(Counts(await Read("19", "2025S1")) + Counts(await Read("19", "2025S2")), year);
        await SettledCountAsync(bacKanFirstHalf, "06", "2025S1");

        // Re-expressed: Bắc Kạn's first half belongs to the new Thái Nguyên too, and the method says so.
        var restated = await Read("19", "2025", HistoryView.Restated);
        Assert.Equal(thaiNguyenFirstHalf + bacKanFirstHalf + secondHalf, Counts(restated));
        Assert.Contains(restated.RestatedFrom, u => u.Code == "06" && u.TenantId == "bac-kan");
        Assert.Contains("Re-expressed", restated.Method, StringComparison.Ordinal);

        // Each new commune: its own second half plus the first halves of the old communes merged into it.
        foreach (var (fresh, oldThaiNguyen, oldBacKan) in Communes)
        {
            var restatedCommune = await Read(fresh, "2025", HistoryView.Restated);
            var oldOnes = oldThaiNguyen.Concat(oldBacKan).ToList();
            var expected = sent[(fresh, "S2")] + oldOnes.Sum(u => sent[(u, "S1")]);
            Assert.Equal(expected, Counts(restatedCommune));
            var halves = 0L;
            foreach (var old in oldOnes)
            {
                halves += Counts(await Read(old, "2025S1"));
            }

            Assert.Equal(expected, halves + Counts(await Read(fresh, "2025S2")));
            Assert.Equal(sent[(fresh, "S2")], Counts(await Read(fresh, "2025")));
        }

        // The nation counts nothing twice: the same total whichever view is asked.
        var ministry = new Rollups.RollupsClient(server.MinistryChannel);
        var nation = (await ministry.GetRollupAsync(new GetRollupRequest { UnitCode = "VN", ProgrammeId = ServerFixture.Programme, Period = "2025" })).Rollup;
        var nationRestated = (await ministry.GetRollupAsync(new GetRollupRequest { UnitCode = "VN", ProgrammeId = ServerFixture.Programme, Period = "2025", View = HistoryView.Restated })).Rollup;
        Assert.Equal(Counts(nation), Counts(nationRestated));
        Assert.True(Counts(nation) >= thaiNguyenFirstHalf + bacKanFirstHalf + secondHalf);
    }

    [Fact]
    public async Task Communes_are_counted_for_the_part_of_2025_they_existed_and_the_answer_says_so()
    {
        var rollup = await Read("19", "2025");
        var t11 = rollup.Indicators.Single(i => i.IndicatorId == "T1.1");
        Assert.Equal(172 + 92, t11.Denominator);
        Assert.Contains("communes 172 (to 2025-06-30) + 92 (from 2025-07-01)", rollup.Method, StringComparison.Ordinal);
        Assert.Contains("districts 9 (to 2025-06-30)", rollup.Method, StringComparison.Ordinal);

        Assert.Equal(172, (await Read("19", "2025S1")).Indicators.Single(i => i.IndicatorId == "T1.1").Denominator);
        Assert.Equal(92, (await Read("19", "2025-09")).Indicators.Single(i => i.IndicatorId == "T1.1").Denominator);

        // Districts ended on 2025-06-30: the second half's district indicators have no data, and the answer says why.
        var secondHalf = await Read("19", "2025S2");
        Assert.Equal(IndicatorStatus.NoData, secondHalf.Indicators.Single(i => i.IndicatorId == "T2.1").Status);
        Assert.Contains("No district exists in 2025S2 (the last ended on 2025-06-30)", secondHalf.Method, StringComparison.Ordinal);
        var restated = await Read("19", "2025", HistoryView.Restated);
        Assert.Equal(172 + 108 + 92, restated.Indicators.Single(i => i.IndicatorId == "T1.1").Denominator);
    }

    [Fact]
    public async Task A_reused_code_never_mixes_the_data_of_the_two_units_it_named()
    {
        // 05455 was Phường Thịnh Đán until 2025-06-30 and is Phường Quyết Thắng from 2025-07-01.
        var generator = new ReportGenerator(seed: 4);
        var reports = new[]
        {
            generator.New("05455", "2025-03", ReportGenerator.Number(Element, 5)),
            generator.New("05455", "2025-10", ReportGenerator.Number(Element, 41)),
        };
        Assert.Equal(2, (await server.Ingestion.SubmitReportsAsync(new SubmitReportsRequest { Reports = { reports } })).Accepted);

        Assert.Equal(41, await SettledAsync(41, "05455", "2025-10"));
        var october = await Read("05455", "2025-10");
        Assert.Equal("Phường Quyết Thắng", october.Unit.Name);
        Assert.Equal("2025-07", october.Unit.HierarchyVersion);

        var march = await Read("05455", "2025-03");
        Assert.Equal("Phường Thịnh Đán", march.Unit.Name);
        Assert.Equal(5, Value(march));

        // The year: the unit in force at its end holds only its own months; as of a day in June, the old unit's.
        Assert.Equal(41, Value(await Read("05455", "2025")));
        var oldYear = await Read("05455", "2025", asOf: "2025-06-30");
        Assert.Equal("Phường Thịnh Đán", oldYear.Unit.Name);
        Assert.Equal(5, Value(oldYear));

        // Restated, Quyết Thắng's year holds Thịnh Đán's March: that is the mapping, not the code.
        Assert.Equal(46, Value(await Read("05455", "2025", HistoryView.Restated)));
    }

    [Fact]
    public async Task A_report_for_an_old_code_after_1_July_2025_is_refused_naming_the_unit_that_took_it_over()
    {
        var report = new ReportGenerator(seed: 5).New("05446", "2025-09", ReportGenerator.Number(Element, 3));
        var error = await Assert.ThrowsAsync<RpcException>(() => server.Ingestion.SubmitReportAsync(new SubmitReportRequest { Report = report }).ResponseAsync);
        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        var violation = Assert.Single(RpcErrors(error));
        Assert.Equal("unit_code", violation.Field);
        Assert.Contains("ended on 2025-07-01", violation.Description, StringComparison.Ordinal);
        Assert.Contains("05443 (Phường Phan Đình Phùng)", violation.Description, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_Bac_Kan_credential_follows_its_communes_into_the_merged_province_and_no_further()
    {
        using var bacKan = server.ChannelFor(new AccessGrant("bac-kan-system-2", "bac-kan", [Roles.Submitter, Roles.Viewer]));
        var generator = new ReportGenerator(seed: 6);
        var ingestion = new Ingestion.IngestionClient(bacKan);

        // Phường Đức Xuân (2025-07) is made only of Bắc Kạn wards: Bắc Kạn's credential reports for it.
        var own = generator.New("01840", "2025-08", ReportGenerator.Number(Element, 2));
        Assert.Equal(1, (await ingestion.SubmitReportsAsync(new SubmitReportsRequest { Reports = { own } })).Accepted);

        // Phường Phan Đình Phùng was Thái Nguyên's, and the province as a whole is not Bắc Kạn's to read.
        var other = generator.New("05443", "2025-08", ReportGenerator.Number(Element, 2));
        var refused = await Assert.ThrowsAsync<RpcException>(() => ingestion.SubmitReportsAsync(new SubmitReportsRequest { Reports = { other } }).ResponseAsync);
        Assert.Equal(StatusCode.PermissionDenied, refused.StatusCode);
        var province = await Assert.ThrowsAsync<RpcException>(() => new Rollups.RollupsClient(bacKan).GetRollupAsync(new GetRollupRequest { UnitCode = "19", ProgrammeId = ServerFixture.Programme, Period = "2025-08" }).ResponseAsync);
        Assert.Equal(StatusCode.PermissionDenied, province.StatusCode);

        // Thái Nguyên sees Bắc Kạn's history.
        var history = await Read("01834", "2025S1");
        Assert.Equal("bac-kan", history.Unit.TenantId);
        Assert.Equal("2025-07-01", history.Unit.ValidTo);
        Assert.Equal("01840", (await server.Catalog.GetUnitAsync(new GetUnitRequest { Code = "01834", AsOf = "2025-03-01" })).Unit.SuccessorCode);
    }

    [Fact]
    public async Task An_ADX_export_names_org_units_as_they_were_coded_in_the_reported_period()
    {
        var generator = new ReportGenerator(seed: 7);
        var reports = new[]
        {
            generator.New("05431", "2025-05", ReportGenerator.Number(Element, 3)),  // Phường Quán Triều, district 164, until 2025-06-30
            generator.New("05482", "2025-09", ReportGenerator.Number(Element, 4)),  // Phường Quan Triều of 2025-07 (05482 was Phường Tân Long), straight under 19
        };
        Assert.Equal(2, (await server.Ingestion.SubmitReportsAsync(new SubmitReportsRequest { Reports = { reports } })).Accepted);
        await SettledAsync(4, "05482", "2025-09");

        var exports = new Exports.ExportsClient(server.Channel);
        string Adx(ExportResponse r) => System.Text.Encoding.UTF8.GetString(r.Content.Span);
        var may = Adx(await exports.ExportAsync(new ExportRequest { UnitCode = "19", ProgrammeId = ServerFixture.Programme, Period = "2025-05", IncludeSubtree = true, Format = ExportFormat.Adx }));
        var september = Adx(await exports.ExportAsync(new ExportRequest { UnitCode = "19", ProgrammeId = ServerFixture.Programme, Period = "2025-09", IncludeSubtree = true, Format = ExportFormat.Adx }));

        // The commune reports; the receiver aggregates, so no district or province figure goes out.
        Assert.Contains("orgUnit=\"05431\"", may, StringComparison.Ordinal);
        Assert.DoesNotContain("orgUnit=\"164\"", may, StringComparison.Ordinal);
        Assert.DoesNotContain("orgUnit=\"05482", may, StringComparison.Ordinal);

        // The commune in force keeps its official code; none of the reform's own keys leaks out.
        Assert.Contains("orgUnit=\"05482\"", september, StringComparison.Ordinal);
        Assert.DoesNotContain("orgUnit=\"164\"", september, StringComparison.Ordinal);
        Assert.DoesNotContain("@", september, StringComparison.Ordinal);

    }

    private static Report Count(ReportGenerator generator, string unit, string period, Dictionary<(string, string), long> sent, string half)
    {
        var value = generator.Random.Next(1, 9);
        sent[(unit, half)] = sent.GetValueOrDefault((unit, half)) + value;
        return generator.New(unit, period, ReportGenerator.Number(Counted, value));
    }

    private async Task<long> SettledAsync(long expected, string unit, string period, HistoryView view = HistoryView.AsHappened) =>
        Value(await Eventually.WaitAsync(() => Read(unit, period, view), r => Value(r) == expected, TimeSpan.FromSeconds(10), r => $"{unit} {period}: {Value(r)}, expected {expected}"));

    private async Task<long> SettledCountAsync(long expected, string unit, string period, HistoryView view = HistoryView.AsHappened) =>
        Counts(await Eventually.WaitAsync(() => Read(unit, period, view), r => Counts(r) == expected, TimeSpan.FromSeconds(10), r => $"{unit} {period}: {Counts(r)}, expected {expected}"));

    private static long Counts(UnitRollup rollup) => (long)rollup.Values.Single(v => v.DataElement == Counted).Value;

    private static long Value(UnitRollup rollup) => (long)rollup.Values.Single(v => v.DataElement == Element).Value;

    private async Task<UnitRollup> Read(string unit, string period, HistoryView view = HistoryView.AsHappened, string asOf = "") =>
        (await server.Rollups.GetRollupAsync(new GetRollupRequest { UnitCode = unit, ProgrammeId = ServerFixture.Programme, Period = period, View = view, AsOf = asOf })).Rollup;

    private static IReadOnlyList<Google.Rpc.BadRequest.Types.FieldViolation> RpcErrors(RpcException error) =>
        error.GetRpcStatus()?.GetDetail<Google.Rpc.BadRequest>()?.FieldViolations.ToList() ?? [];
}
