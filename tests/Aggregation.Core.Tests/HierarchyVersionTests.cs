using Aggregation.Hierarchy;

namespace Aggregation.Tests;

/// <summary>
/// The 1 July 2025 reorganisation as shipped: Thái Nguyên (19) and Bắc Kạn (06) from the 2021–2025
/// hierarchy to the 2025-07 one, mapped by Nghị quyết 1683/NQ-UBTVQH15, and mapping files with errors.
/// </summary>
public sealed class HierarchyVersionTests
{
    private static readonly UnitKey Province = new("thai-nguyen", "19");
    private static readonly DateOnly Before = new(2025, 6, 30);
    private static readonly DateOnly After = new(2025, 7, 1);

    [Fact]
    public void Thai_Nguyen_has_172_communes_in_9_districts_until_30_June_2025_and_92_communes_straight_under_the_province_from_1_July()
    {
        var catalog = TestCatalog.ThaiNguyen;
        Assert.Equal(["2021-11", "2021-2025", "2025-07"], catalog.Versions.Select(v => v.Id));
        Assert.Equal(172, catalog.UnitsAtLevel(Province, "commune", TestCatalog.ProgrammeId, Before, After));
        Assert.Equal(9, catalog.UnitsAtLevel(Province, "district", TestCatalog.ProgrammeId, Before, After));
        Assert.Equal(92, catalog.UnitsAtLevel(Province, "commune", TestCatalog.ProgrammeId, After, After.AddDays(1)));
        Assert.Equal(0, catalog.UnitsAtLevel(Province, "district", TestCatalog.ProgrammeId, After, After.AddDays(1)));
        Assert.All(catalog.ChildrenOf(Province).Where(c => c.InForceOn(After)), c => Assert.Equal("commune", c.Level));

        // The year 2025 counts each commune for the part of the year it existed.
        Assert.Equal(172 + 92, catalog.UnitsAtLevel(Province, "commune", TestCatalog.ProgrammeId, new DateOnly(2025, 1, 1), new DateOnly(2026, 1, 1)));
    }

    [Fact]
    public void Bac_Kan_is_merged_into_Thai_Nguyen_from_1_July_2025_and_its_history_stays_its_own()
    {
        var catalog = TestCatalog.ThaiNguyen;
        var merger = Assert.Single(catalog.Mergers);
        Assert.Equal(new TenantMerger("bac-kan", "thai-nguyen", After), merger);

        var bacKan = catalog.GetUnit(new UnitKey("bac-kan", "06"));
        Assert.Equal(After, bacKan.ValidTo);
        Assert.Equal(Province, catalog.SuccessorOf(bacKan.Key)!.Key);
        Assert.Equal(108, catalog.UnitsAtLevel(bacKan.Key, "commune", TestCatalog.ProgrammeId, Before, After));

        // Thái Nguyên's province carries on: the same unit before and after, not a new one.
        Assert.Null(catalog.GetUnit(Province).ValidTo);
        Assert.Equal([Province, bacKan.Key], catalog.RestatedSources(Province).Select(u => u.Key));

        // Thái Nguyên's callers resolve Bắc Kạn's old codes for dates before the merger, Bắc Kạn's callers Thái Nguyên's new codes after it.
        Assert.True(catalog.TryResolve("thai-nguyen", "01834", Before, out var old));
        Assert.Equal("bac-kan", old.Tenant);
        Assert.False(catalog.TryResolve("thai-nguyen", "01834", After, out _));
        Assert.True(catalog.TryResolve("bac-kan", "05443", After, out var merged));
        Assert.Equal("Phường Phan Đình Phùng", merged.Name);
    }

    [Fact]
    public void A_reused_code_names_a_different_unit_on_each_side_of_the_change()
    {
        var catalog = TestCatalog.ThaiNguyen;
        Assert.True(catalog.TryResolve("thai-nguyen", "05443", Before, out var trungVuong));
        Assert.True(catalog.TryResolve("thai-nguyen", "05443", After, out var phanDinhPhung));
        Assert.Equal("Phường Trưng Vương", trungVuong.Name);
        Assert.Equal("Phường Phan Đình Phùng", phanDinhPhung.Name);
        Assert.NotEqual(trungVuong.Key, phanDinhPhung.Key);
        Assert.NotEqual(trungVuong.Key.GrainKey, phanDinhPhung.Key.GrainKey);
        Assert.Equal(phanDinhPhung.Code, trungVuong.Code);

        // For a period, the unit in force on its last day, else the last one in force during it.
        Assert.True(catalog.TryResolve("thai-nguyen", "05443", new DateOnly(2025, 1, 1), new DateOnly(2026, 1, 1), out var year));
        Assert.Equal(phanDinhPhung.Key, year.Key);
        Assert.True(catalog.TryResolve("thai-nguyen", "05446", new DateOnly(2025, 1, 1), new DateOnly(2026, 1, 1), out var mergedAway));
        Assert.Equal("Phường Quang Trung", mergedAway.Name);
        Assert.False(catalog.TryResolve("thai-nguyen", "05446", After, new DateOnly(2025, 8, 1), out _));
    }

    [Fact]
    public void A_new_commune_re_expresses_the_old_communes_merged_into_it_and_a_split_commune_counts_once()
    {
        var catalog = TestCatalog.ThaiNguyen;
        Assert.True(catalog.TryResolve("thai-nguyen", "05443", After, out var phanDinhPhung));
        var sources = catalog.RestatedSources(phanDinhPhung.Key);
        Assert.Equal(
            ["Phường Phan Đình Phùng", "Phường Túc Duyên", "Phường Hoàng Văn Thụ", "Phường Trưng Vương", "Phường Quang Trung", "Phường Phan Đình Phùng", "Phường Tân Thịnh", "Phường Đồng Quang"],
            sources.Select(u => u.Name));

        // Xã Thượng Đình was split: part went to Xã Phú Bình, the rest (and its data) to Xã Điềm Thụy.
        Assert.True(catalog.TryResolve("thai-nguyen", "05932", Before, out var thuongDinh));
        Assert.Equal("Xã Điềm Thụy", catalog.SuccessorOf(thuongDinh.Key)!.Name);

        // Every old commune of both provinces lands in exactly one new commune.
        var oldCommunes = catalog.UnitsOf("thai-nguyen").Concat(catalog.UnitsOf("bac-kan")).Where(u => u.Level == "commune" && u.InForceOn(Before)).ToList();
        Assert.Equal(280, oldCommunes.Count);
        var newCommunes = catalog.UnitsOf("thai-nguyen").Where(u => u.Level == "commune" && u.InForceOn(After)).ToList();
        Assert.Equal(280, newCommunes.Sum(c => catalog.PredecessorsOf(c.Key).Count));
        Assert.All(oldCommunes, c => Assert.Contains(catalog.SuccessorOf(c.Key)!, newCommunes));
    }

    [Fact]
    public void A_mapping_with_an_unmapped_unit_a_unit_mapped_twice_and_a_cycle_is_refused_with_every_error()
    {
        var directory = CopyCatalog(lines =>
        {
            // Unmapped: Xã Sảng Mộc's row is gone. Mapped twice: Xã Tân Cương gets a second successor.
            lines.RemoveAll(l => l.StartsWith("commune,05719,", StringComparison.Ordinal));
            lines.Add("commune,05503,Xã Tân Cương,05443,Phường Phan Đình Phùng,merged,,test");

            // A cycle among mergers inside the 2021–2025 version.
            lines.RemoveAll(l => l.StartsWith("commune,05440,", StringComparison.Ordinal) || l.StartsWith("commune,05437,", StringComparison.Ordinal));
            lines.Add("commune,05437,Phường Túc Duyên,05440,Phường Hoàng Văn Thụ,merged,2024-01-01,test");
            lines.Add("commune,05440,Phường Hoàng Văn Thụ,05437,Phường Túc Duyên,merged,2024-01-01,test");
        });

        var error = Assert.Throws<CatalogException>(() => Catalog.Load(directory));
        Assert.Contains(error.Errors, e => e.Contains("05719 (Xã Sảng Mộc)", StringComparison.Ordinal) && e.Contains("is not mapped", StringComparison.Ordinal));
        Assert.Contains(error.Errors, e => e.Contains("05503 is mapped twice", StringComparison.Ordinal));
        Assert.Contains(error.Errors, e => e.Contains("cycle", StringComparison.Ordinal) && e.Contains("05437", StringComparison.Ordinal) && e.Contains("05440", StringComparison.Ordinal));
        Assert.True(error.Errors.Count >= 3);
    }

    [Fact]
    public void A_mapping_row_naming_a_unit_that_does_not_exist_or_with_the_wrong_name_is_refused_with_its_line()
    {
        var directory = CopyCatalog(lines =>
        {
            lines.Add("commune,99999,Xã Không Có,05443,Phường Phan Đình Phùng,merged,,test");
            var i = lines.FindIndex(l => l.StartsWith("commune,05719,", StringComparison.Ordinal));
            lines[i] = lines[i].Replace("05719,Xã Sảng Mộc,05719", "05719,Xã Sảng Mộc,99998", StringComparison.Ordinal);
            var j = lines.FindIndex(l => l.StartsWith("commune,05722,", StringComparison.Ordinal));
            lines[j] = lines[j].Replace("commune,05722,", "commune,05722,Xã Sai Tên", StringComparison.Ordinal);
        });

        var error = Assert.Throws<CatalogException>(() => Catalog.Load(directory));
        Assert.Contains(error.Errors, e => e.Contains("old commune '99999' is not a commune of version 2021-2025", StringComparison.Ordinal));
        Assert.Contains(error.Errors, e => e.Contains("new code '99998' is not a unit of version 2025-07", StringComparison.Ordinal));
        Assert.Contains(error.Errors, e => e.Contains("old_name 'Xã Sai Tên", StringComparison.Ordinal));
        Assert.All(error.Errors, e => Assert.StartsWith("reorganisations/2025-07-01.csv", e, StringComparison.Ordinal));
    }

    [Fact]
    public void Two_units_continuing_as_the_same_new_unit_are_refused_with_both_lines()
    {
        var directory = CopyCatalog(lines =>
        {
            var i = lines.FindIndex(l => l.StartsWith("province,06,", StringComparison.Ordinal));
            lines[i] = lines[i].Replace(",merged,", ",continues,", StringComparison.Ordinal);
        });

        var error = Assert.Throws<CatalogException>(() => Catalog.Load(directory));
        Assert.Contains("reorganisations/2025-07-01.csv: 2 units continue as 19 (lines 14, 22): only one unit can be the same unit as a new one", error.Errors);
    }

    [Fact]
    public void A_code_listed_twice_in_a_new_hierarchy_file_is_refused_with_the_code()
    {
        var directory = TestCatalog.CopyWith("units-2025-07.csv", csv =>
        {
            var again = csv.Split('\n').First(l => l.StartsWith("05443,", StringComparison.Ordinal));
            return csv + again + "\n";
        });

        var error = Assert.Throws<CatalogException>(() => Catalog.Load(directory));
        Assert.Contains(error.Errors, e => e.StartsWith("units-2025-07.csv:", StringComparison.Ordinal) && e.Contains("code 05443 is already on line 618", StringComparison.Ordinal));
    }

    private static string CopyCatalog(Action<List<string>> change) =>
        TestCatalog.CopyWith(Path.Combine("reorganisations", "2025-07-01.csv"), text =>
        {
            var lines = text.TrimEnd('\n').Split('\n').ToList();
            change(lines);
            return string.Join('\n', lines) + "\n";
        });
}
