using Aggregation.Protos.V1;

namespace Aggregation.IntegrationTests;

/// <summary>
/// Thái Nguyên from 2021 on a real server and PostgreSQL: the units in force from 01/11/2021, the
/// communes merged away until 2025 (reorganisations/2021-11-01.csv), and a catalog whose mapping has
/// an error.
/// </summary>
public sealed class EarlierHierarchyTests(ServerFixture server) : IClassFixture<ServerFixture>
{
    private const string Element = "awareness_activities";

    [Fact]
    public async Task A_2021_report_from_a_commune_merged_away_in_2024_is_accepted_attributed_to_its_2021_unit_and_restated_into_its_successor()
    {
        // Xã Vạn Thọ (05839) and Xã Ký Phú (05845) formed Xã Vạn Phú, coded 05845, on 01/12/2024 (1240/NQ-UBTVQH15).
        var generator = new ReportGenerator(seed: 2021);
        var reports = new[]
        {
            generator.New("05839", "2021-03", ReportGenerator.Number(Element, 7)),
            generator.New("05845", "2021-03", ReportGenerator.Number(Element, 5)),
            generator.New("05845", "2025-02", ReportGenerator.Number(Element, 11)),
        };
        Assert.Equal(3, (await server.Ingestion.SubmitReportsAsync(new SubmitReportsRequest { Reports = { reports } })).Accepted);

        // As it happened: each report stays with the unit in force in its month, under its 2021 district.
        Assert.Equal(12, await SettledAsync(12, "171", "2021-03"));
        var vanTho = await Read("05839", "2021-03");
        Assert.Equal(("Xã Vạn Thọ", "2021-11", "2024-12-01"), (vanTho.Unit.Name, vanTho.Unit.HierarchyVersion, vanTho.Unit.ValidTo));
        Assert.Equal(7, Value(vanTho));
        var kyPhu = await Read("05845", "2021-03");
        Assert.Equal("Xã Ký Phú", kyPhu.Unit.Name);
        Assert.Equal(5, Value(kyPhu));
        var catalogEntry = await server.Catalog.GetUnitAsync(new GetUnitRequest { Code = "05839", AsOf = "2021-03-01" });
        Assert.Equal(["171", "19", "VN"], catalogEntry.Ancestors.Select(a => a.Code));
        Assert.Equal("05845", catalogEntry.Unit.SuccessorCode);

        // Restated into Xã Vạn Phú: its 2021 holds both communes merged into it, and the answer names them.
        Assert.Equal(11, await SettledAsync(11, "05845", "2025-02"));
        var restated = await Read("05845", "2021", HistoryView.Restated, asOf: "2025-03-01");
        Assert.Equal("Xã Vạn Phú", restated.Unit.Name);
        Assert.Equal(12, Value(restated));
        Assert.Equal(["05839", "05845"], restated.RestatedFrom.Select(u => u.Code).Order());
    }

    [Fact]
    public async Task The_province_lists_178_communes_in_2021_177_in_2024_and_172_in_2025()
    {
        Assert.Equal(178, await CommunesAsync("2021-06-30"));
        Assert.Equal(178, await CommunesAsync("2023-04-09"));
        Assert.Equal(177, await CommunesAsync("2023-04-10"));
        Assert.Equal(177, await CommunesAsync("2024-11-30"));
        Assert.Equal(172, await CommunesAsync("2024-12-01"));
        Assert.Equal(92, await CommunesAsync("2025-07-01"));

        var phoYen = await server.Catalog.GetUnitAsync(new GetUnitRequest { Code = "172", AsOf = "2021-06-30" });
        Assert.Contains(phoYen.Children, c => c.Code == "05869" && c.Name == "Xã Hồng Tiến");
        var later = await server.Catalog.GetUnitAsync(new GetUnitRequest { Code = "172", AsOf = "2022-04-10" });
        Assert.Contains(later.Children, c => c.Code == "05869" && c.Name == "Phường Hồng Tiến");
    }

    [Fact]
    public async Task A_server_whose_2021_mapping_has_an_error_exits_naming_the_file_and_line()
    {
        var catalog = CatalogCopy.Create(target =>
        {
            var path = Path.Combine(target, "reorganisations", "2021-11-01.csv");
            File.WriteAllText(path, File.ReadAllText(path).Replace("commune,05839,Xã Vạn Thọ,", "commune,05839,Xã Vạn Thơ,", StringComparison.Ordinal));
        });
        var line = File.ReadAllLines(Path.Combine(catalog, "reorganisations", "2021-11-01.csv")).ToList().FindIndex(l => l.StartsWith("commune,05839,", StringComparison.Ordinal)) + 1;
        var arguments = SiloProcess.CommandLine(out _, await TestPostgres.CreateDatabaseAsync(), "bad-2021-mapping", $"--Catalog:Directory={catalog}");

        var (exit, errors, output) = await SiloProcess.RunToExitAsync(arguments);

        Assert.True(exit == 1, $"exit {exit}:{Environment.NewLine}{errors}{output}");
        Assert.Contains("The catalog could not be loaded", errors, StringComparison.Ordinal);
        Assert.Contains($"reorganisations/2021-11-01.csv:{line}: old_name 'Xã Vạn Thơ' is not the name of 05839 in version 2021-11 ('Xã Vạn Thọ')", errors, StringComparison.Ordinal);
        Assert.DoesNotContain("Unhandled exception", errors, StringComparison.Ordinal);
    }

    private async Task<int> CommunesAsync(string asOf) =>
        (await server.Catalog.ListUnitsAsync(new ListUnitsRequest { Level = "commune", AncestorCode = ServerFixture.ProvinceCode, AsOf = asOf, PageSize = 1 })).Total;

    private async Task<long> SettledAsync(long expected, string unit, string period) =>
        Value(await Eventually.WaitAsync(() => Read(unit, period), r => r.Values.Any(v => v.DataElement == Element) && Value(r) == expected, TimeSpan.FromSeconds(10), r => $"{unit} {period}: {string.Join(", ", r.Values.Select(v => v.Value))}, expected {expected}"));

    private static long Value(UnitRollup rollup) => (long)rollup.Values.Single(v => v.DataElement == Element).Value;

    private async Task<UnitRollup> Read(string unit, string period, HistoryView view = HistoryView.AsHappened, string asOf = "") =>
        (await server.Rollups.GetRollupAsync(new GetRollupRequest { UnitCode = unit, ProgrammeId = ServerFixture.Programme, Period = period, View = view, AsOf = asOf })).Rollup;
}
