using Aggregation.Hierarchy;

namespace Aggregation.Tests;

/// <summary>
/// The shipped catalog as a national deployment loads it (<c>Catalog:AllProvinces=true</c>): every one
/// of the 63 provinces moves to the 34 of 2025-07 on 1 July 2025, by the statistics office's conversion
/// table, and a mapping with errors in any province is refused in every deployment.
/// </summary>
public sealed class NationalHierarchyTests
{
    private static readonly Lazy<Catalog> Shipped = new(() => Catalog.Load(TestCatalog.Directory, allProvinces: true));
    private static readonly DateOnly Before = new(2025, 6, 30);
    private static readonly DateOnly After = new(2025, 7, 1);
    private static readonly string MappingFile = Path.Combine("reorganisations", "2025-07-01.csv");

    // As tenants.json names it, which is how errors name the file.
    private const string Source = "reorganisations/2025-07-01.csv";

    private static Catalog National => Shipped.Value;

    [Fact]
    public void The_nation_has_63_provinces_696_districts_and_10035_communes_until_30_June_2025_and_34_provinces_and_3321_communes_from_1_July()
    {
        long Count(string level, DateOnly on) => National.UnitsAtLevel(UnitKey.Nation, level, TestCatalog.ProgrammeId, on, on.AddDays(1));

        Assert.Equal(63, Count("province", Before));
        Assert.Equal(696, Count("district", Before));
        Assert.Equal(10_035, Count("commune", Before));
        Assert.Equal(34, Count("province", After));
        Assert.Equal(0, Count("district", After));
        Assert.Equal(3_321, Count("commune", After));
        Assert.Equal(63, National.Tenants.Count);
    }

    [Fact]
    public void Ha_Nam_and_Nam_Dinh_are_merged_into_Ninh_Binh_whose_tenant_runs_the_new_province_with_their_history()
    {
        var ninhBinh = new UnitKey("province-37", "37");
        Assert.Contains(new TenantMerger("province-35", "province-37", After), National.Mergers);
        Assert.Contains(new TenantMerger("province-36", "province-37", After), National.Mergers);
        // 63 tenants run 34 provinces: the other 29 were merged into the tenant whose province code the new one keeps.
        Assert.Equal(29, National.Mergers.Count);

        Assert.Equal(125, National.UnitsAtLevel(ninhBinh, "commune", TestCatalog.ProgrammeId, Before, After));
        Assert.Equal(129, National.UnitsAtLevel(ninhBinh, "commune", TestCatalog.ProgrammeId, After, After.AddDays(1)));
        Assert.Equal(98, National.UnitsAtLevel(new UnitKey("province-35", "35"), "commune", TestCatalog.ProgrammeId, Before, After));
        Assert.Equal(175, National.UnitsAtLevel(new UnitKey("province-36", "36"), "commune", TestCatalog.ProgrammeId, Before, After));
        Assert.Equal(["37", "35", "36"], National.RestatedSources(ninhBinh).Select(u => u.Key.Code));

        // Hà Nam's callers mean Ninh Bình's units from 1 July; Ninh Bình's callers read Hà Nam's history.
        Assert.True(National.TryResolve("province-35", "13285", After, out var quangTrungNew));
        Assert.Equal(new UnitKey("province-37", "13285@2025-07"), quangTrungNew.Key);
        Assert.True(National.TryResolve("province-37", "13285", Before, out var quangTrungOld));
        Assert.Equal(new UnitKey("province-35", "13285"), quangTrungOld.Key);
    }

    [Fact]
    public void A_split_commune_s_data_follow_its_merged_row_and_count_once()
    {
        // Phường Quang Trung (Hà Nam) went to the new Phường Phủ Lý ("the rest", 13285) and in part to 13366.
        var quangTrung = new UnitKey("province-35", "13285");
        Assert.Equal(new UnitKey("province-37", "13285@2025-07"), National.SuccessorOf(quangTrung)!.Key);
        Assert.Contains(National.GetUnit(quangTrung), National.RestatedSources(new UnitKey("province-37", "13285@2025-07")));
        Assert.DoesNotContain(National.GetUnit(quangTrung), National.RestatedSources(new UnitKey("province-37", "13366@2025-07")));

        // Every old commune of the country restates into exactly one new commune. Units of 2021-2025
        // have plain keys; the new commune itself is keyed code@2025-07 and Thái Nguyên's and Bắc Kạn's
        // 2021 units behind them code@2021-11.
        var newCommunes = National.ChildrenOf(UnitKey.Nation).Where(p => p.InForceOn(After))
            .SelectMany(p => National.ChildrenOf(p.Key)).Where(c => c.Level == "commune" && c.InForceOn(After)).ToList();
        Assert.Equal(3_321, newCommunes.Count);
        var restated = newCommunes.SelectMany(c => National.RestatedSources(c.Key)).Where(s => s.Level == "commune" && !s.Key.Code.Contains('@', StringComparison.Ordinal)).ToList();
        Assert.Equal(10_035, restated.Count);
        Assert.Equal(10_035, restated.Distinct().Count());
    }

    [Fact]
    public void An_island_special_zone_starts_with_no_history_and_a_commune_that_was_not_reorganised_carries_its_history_under_its_new_province()
    {
        Assert.True(National.TryResolve("province-31", "11948", After, out var bachLongVi));
        Assert.Equal("Đặc khu Bạch Long Vĩ", bachLongVi.Name);
        Assert.Equal(new UnitKey("province-31", "31"), bachLongVi.Parent);
        Assert.Empty(National.PredecessorsOf(bachLongVi.Key));
        Assert.False(National.TryResolve("province-31", "11948", Before, out _));

        // Xã Ngọc Long (Hà Giang) continues as Xã Ngọc Long of Tuyên Quang: a grain has one parent, so
        // from 1 July it is Tuyên Quang's unit, and its whole history restates into it.
        var oldNgocLong = National.GetUnit(new UnitKey("province-02", "00859"));
        Assert.Equal(After, oldNgocLong.ValidTo);
        Assert.True(National.TryResolve("province-08", "00859", After, out var ngocLong));
        Assert.Equal(new UnitKey("province-08", "08"), ngocLong.Parent);
        Assert.Equal([ngocLong, oldNgocLong], National.RestatedSources(ngocLong.Key));
    }

    [Fact]
    public void A_deployment_of_two_provinces_keeps_the_others_out_and_moves_Thai_Nguyen_and_Bac_Kan_as_before()
    {
        var catalog = TestCatalog.ThaiNguyen;
        Assert.Equal(["bac-kan", "thai-nguyen"], catalog.Tenants.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(2, catalog.ChildrenOf(UnitKey.Nation).Count);
        Assert.False(catalog.TryResolve("thai-nguyen", "00004", After, out _));

        // The two communes that were not reorganised continue into province 19 with their history.
        Assert.True(catalog.TryResolve("thai-nguyen", "01957", After, out var thuongQuan));
        Assert.Equal([thuongQuan.Key, new UnitKey("bac-kan", "01957")], catalog.RestatedSources(thuongQuan.Key).Select(u => u.Key));
        Assert.True(catalog.TryResolve("thai-nguyen", "05719", After, out var sangMoc));
        Assert.Equal(new UnitKey("thai-nguyen", "19"), sangMoc.Parent);
    }

    [Fact]
    public void A_national_mapping_with_a_row_removed_one_duplicated_and_one_wrong_name_is_refused_in_every_deployment_with_every_error()
    {
        var lines = new List<string>();
        var directory = TestCatalog.CopyWith(MappingFile, text =>
        {
            lines = text.TrimEnd('\n').Split('\n').ToList();
            // Removed: Phường Phúc Xá (Hà Nội). Duplicated: Phường Quang Trung's merged row and
            // Phường Cống Vị's part row. Wrong name: Xã Gia Tân (Ninh Bình).
            lines.RemoveAll(l => l.StartsWith("commune,00001,", StringComparison.Ordinal));
            lines.Add(lines.First(l => l.StartsWith("commune,13285,", StringComparison.Ordinal)));
            lines.Add(lines.First(l => l.StartsWith("commune,00007,", StringComparison.Ordinal) && l.Contains(",part,", StringComparison.Ordinal)));
            var i = lines.FindIndex(l => l.StartsWith("commune,14503,Xã Gia Tân,", StringComparison.Ordinal));
            lines[i] = lines[i].Replace("Xã Gia Tân", "Xã Gia Tần", StringComparison.Ordinal);
            return string.Join('\n', lines) + "\n";
        });
        int LineOf(string start) => lines.FindIndex(l => l.StartsWith(start, StringComparison.Ordinal)) + 1;

        foreach (var allProvinces in new[] { false, true })
        {
            var error = Assert.Throws<CatalogException>(() => Catalog.Load(directory, allProvinces));
            Assert.Contains($"{Source}: commune 00001 (Phường Phúc Xá) of province 01 is not mapped: give it a successor or close it", error.Errors);
            Assert.Contains($"{Source}:{lines.Count - 1}: commune 13285 is mapped twice (also on line {LineOf("commune,13285,")}): a unit has one successor for its data; name the others 'part'", error.Errors);
            Assert.Contains(error.Errors, e => e.StartsWith($"{Source}:{lines.Count}: commune 00007 is mapped as part of ", StringComparison.Ordinal) && e.Contains(" twice (also on line ", StringComparison.Ordinal));
            Assert.Contains($"{Source}:{LineOf("commune,14503,")}: old_name 'Xã Gia Tần' is not the name of 14503 in version 2021-2025 ('Xã Gia Tân')", error.Errors);
            Assert.Equal(4, error.Errors.Count);
        }
    }
}
