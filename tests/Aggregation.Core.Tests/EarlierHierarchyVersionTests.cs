using Aggregation.Hierarchy;

namespace Aggregation.Tests;

/// <summary>
/// Thái Nguyên (19) and Bắc Kạn (06) from 01/11/2021: the 2021-11 hierarchy before the first version
/// (01/03/2025), mapped by reorganisations/2021-11-01.csv (469, 722 and 1240/NQ-UBTVQH15), and mapping
/// files with errors.
/// </summary>
public sealed class EarlierHierarchyVersionTests
{
    private const string Mapping = "reorganisations/2021-11-01.csv";
    private static readonly UnitKey ThaiNguyen = new("thai-nguyen", "19");
    private static readonly UnitKey BacKan = new("bac-kan", "06");

    [Theory]
    [InlineData("2021-01-01", 178, 108)]
    [InlineData("2022-04-09", 178, 108)] // Phổ Yên's xã become phường: same count
    [InlineData("2022-04-10", 178, 108)]
    [InlineData("2023-04-09", 178, 108)]
    [InlineData("2023-04-10", 177, 108)] // Xã Quân Chu goes into Thị trấn Quân Chu; Vân Tùng becomes a thị trấn
    [InlineData("2024-11-30", 177, 108)]
    [InlineData("2024-12-01", 172, 108)] // 1240/NQ-UBTVQH15
    [InlineData("2025-06-30", 172, 108)]
    public void Communes_are_counted_on_each_side_of_every_change(string day, int thaiNguyen, int bacKan)
    {
        var catalog = TestCatalog.ThaiNguyen;
        var on = DateOnly.Parse(day, System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(thaiNguyen, catalog.UnitsAtLevel(ThaiNguyen, "commune", TestCatalog.ProgrammeId, on, on.AddDays(1)));
        Assert.Equal(bacKan, catalog.UnitsAtLevel(BacKan, "commune", TestCatalog.ProgrammeId, on, on.AddDays(1)));
        Assert.Equal(9, catalog.UnitsAtLevel(ThaiNguyen, "district", TestCatalog.ProgrammeId, on, on.AddDays(1)));
        Assert.Equal(thaiNguyen, CommunesInForce(catalog, "thai-nguyen", on).Count);
    }

    [Fact]
    public void Thai_Nguyen_has_92_communes_with_Bac_Kan_from_1_July_2025_and_the_versions_are_listed_oldest_first()
    {
        var catalog = TestCatalog.ThaiNguyen;
        var july = new DateOnly(2025, 7, 1);
        Assert.Equal(92, catalog.UnitsAtLevel(ThaiNguyen, "commune", TestCatalog.ProgrammeId, july, july.AddDays(1)));
        Assert.Equal(["2021-11", "2021-2025", "2025-07"], catalog.Versions.Select(v => v.Id));

        // 2021 as a whole: 178 communes, 32 of them phường, and Phổ Yên's nine xã under district 172.
        var year2021 = CommunesInForce(catalog, "thai-nguyen", new DateOnly(2021, 12, 31));
        Assert.Equal(32, year2021.Count(u => u.Type == "Phường"));
        Assert.Equal(41, CommunesInForce(catalog, "thai-nguyen", new DateOnly(2025, 3, 1)).Count(u => u.Type == "Phường"));
        Assert.Equal(178, catalog.UnitsAtLevel(ThaiNguyen, "commune", TestCatalog.ProgrammeId, new DateOnly(2021, 1, 1), new DateOnly(2022, 1, 1)));
    }

    [Fact]
    public void A_commune_merged_away_in_2024_is_the_unit_a_2021_code_names_and_its_history_restates_into_its_successor()
    {
        var catalog = TestCatalog.ThaiNguyen;
        var march2021 = new DateOnly(2021, 3, 1);

        // Xã Vạn Thọ and Xã Ký Phú formed Xã Vạn Phú (05845, Ký Phú's code) on 01/12/2024.
        Assert.True(catalog.TryResolve("thai-nguyen", "05839", march2021, out var vanTho));
        Assert.Equal("Xã Vạn Thọ", vanTho.Name);
        Assert.Equal("05839@2021-11", vanTho.Key.Code);
        Assert.Equal("05839", vanTho.Code);
        Assert.Equal("2021-11", vanTho.Version);
        Assert.Equal(new DateOnly(2024, 12, 1), vanTho.ValidTo);
        Assert.False(catalog.TryResolve("thai-nguyen", "05839", new DateOnly(2025, 1, 1), out _));

        Assert.True(catalog.TryResolve("thai-nguyen", "05845", march2021, out var kyPhu));
        Assert.True(catalog.TryResolve("thai-nguyen", "05845", new DateOnly(2025, 1, 1), out var vanPhu));
        Assert.Equal("Xã Ký Phú", kyPhu.Name);
        Assert.Equal("Xã Vạn Phú", vanPhu.Name);
        Assert.Equal(new UnitKey("thai-nguyen", "05845"), vanPhu.Key); // the first version's key is unchanged
        Assert.Equal(new DateOnly(2024, 12, 1), vanPhu.ValidFrom);
        Assert.Equal(vanPhu.Key, catalog.SuccessorOf(vanTho.Key)!.Key);
        Assert.Equal(["Xã Vạn Phú", "Xã Vạn Thọ", "Xã Ký Phú"], catalog.RestatedSources(vanPhu.Key).Select(u => u.Name));

        // The 2025-07 commune that took Vạn Phú restates its 2021 predecessors too.
        var july = catalog.SuccessorOf(vanPhu.Key)!;
        Assert.Contains(catalog.RestatedSources(july.Key), u => u.Key == vanTho.Key);

        // A 2021 report is attributed to the unit in force then, through its 2021 district.
        Assert.True(catalog.TryResolve("thai-nguyen", "05839", new DateOnly(2021, 1, 1), new DateOnly(2022, 1, 1), out var attributed));
        Assert.Equal(vanTho.Key, attributed.Key);
        Assert.Equal(["Huyện Đại Từ", "Tỉnh Thái Nguyên", "Việt Nam"], catalog.AncestorsOf(attributed.Key).Select(u => u.Name));
    }

    [Fact]
    public void A_unit_that_changed_type_is_a_new_unit_from_its_day_and_a_district_that_became_a_city_is_the_same_unit()
    {
        var catalog = TestCatalog.ThaiNguyen;
        Assert.True(catalog.TryResolve("thai-nguyen", "05869", new DateOnly(2022, 4, 9), out var xa));
        Assert.True(catalog.TryResolve("thai-nguyen", "05869", new DateOnly(2022, 4, 10), out var phuong));
        Assert.Equal("Xã Hồng Tiến", xa.Name);
        Assert.Equal("Phường Hồng Tiến", phuong.Name);
        Assert.Equal(phuong.Key, catalog.SuccessorOf(xa.Key)!.Key);

        // Phổ Yên (172) carried on as one unit: the same district above the xã and the phường.
        Assert.Equal(xa.Parent, phuong.Parent);
        Assert.Equal(18, catalog.ChildrenOf(new UnitKey("thai-nguyen", "172")).Count(c => c.InForceOn(new DateOnly(2021, 6, 1))));

        // Bắc Kạn's Xã Vân Tùng became Thị trấn Vân Tùng (722/NQ-UBTVQH15).
        Assert.True(catalog.TryResolve("bac-kan", "01954", new DateOnly(2022, 6, 1), out var vanTung));
        Assert.Equal("Xã Vân Tùng", vanTung.Name);
        Assert.Equal("Thị trấn Vân Tùng", catalog.SuccessorOf(vanTung.Key)!.Name);

        // Xã Tân Lợi's successor was not found: it ends with no successor and its history stays its own.
        Assert.True(catalog.TryResolve("thai-nguyen", "05704", new DateOnly(2021, 6, 1), out var tanLoi));
        Assert.Equal(new DateOnly(2024, 12, 1), tanLoi.ValidTo);
        Assert.Null(catalog.SuccessorOf(tanLoi.Key));
    }

    [Fact]
    public void A_mapping_with_a_unit_unmapped_mapped_twice_misnamed_or_undated_is_refused_with_every_error_and_its_line()
    {
        var lines = new List<string>();
        var directory = TestCatalog.CopyWith(Mapping, text =>
        {
            lines = text.TrimEnd('\n').Split('\n').ToList();
            lines.RemoveAll(l => l.StartsWith("commune,05569,", StringComparison.Ordinal));
            lines.Add("commune,05839,Xã Vạn Thọ,05797,Xã Phú Xuyên,merged,2024-12-01,test");
            var i = lines.FindIndex(l => l.StartsWith("commune,05875,", StringComparison.Ordinal));
            lines[i] = lines[i].Replace("Xã Đắc Sơn", "Xã Sai Tên", StringComparison.Ordinal);
            var j = lines.FindIndex(l => l.StartsWith("commune,01954,", StringComparison.Ordinal));
            lines[j] = lines[j].Replace("2023-04-10", "", StringComparison.Ordinal);
            return string.Join('\n', lines) + "\n";
        });
        int Line(string start) => lines.FindIndex(l => l.StartsWith(start, StringComparison.Ordinal)) + 1;

        var error = Assert.Throws<CatalogException>(() => Catalog.Load(directory));
        Assert.Contains($"{Mapping}: commune 05569 (Xã Bảo Cường) of province 19 is not mapped: give it a successor or close it", error.Errors);
        Assert.Contains($"{Mapping}:{lines.Count}: commune 05839 is mapped twice (also on line {Line("commune,05839,")}): a unit has one successor for its data; name the others 'part'", error.Errors);
        Assert.Contains($"{Mapping}:{Line("commune,05875,")}: old_name 'Xã Sai Tên' is not the name of 05875 in version 2021-11 ('Xã Đắc Sơn')", error.Errors);
        Assert.Contains($"{Mapping}:{Line("commune,01954,")}: effective is required: the day commune 01954 of version 2021-11 ended", error.Errors);
        Assert.Contains($"{Mapping}: commune 01954 (Xã Vân Tùng) of province 06 is not mapped: give it a successor or close it", error.Errors);
        Assert.All(error.Errors, e => Assert.StartsWith(Mapping, e, StringComparison.Ordinal));
    }

    [Fact]
    public void A_unit_of_the_first_version_with_no_predecessor_and_a_merger_after_the_next_version_are_refused()
    {
        var directory = TestCatalog.CopyWith(Mapping, text =>
        {
            var lines = text.TrimEnd('\n').Split('\n').ToList();
            lines.RemoveAll(l => l.StartsWith("commune,05536,", StringComparison.Ordinal) || l.StartsWith("commune,05569,", StringComparison.Ordinal));
            lines.Add("commune,05536,Thị trấn Chợ Chu,,,closed,2024-12-01,test");
            lines.Add("commune,05569,Xã Bảo Cường,,,closed,2025-07-01,test");
            return string.Join('\n', lines) + "\n";
        });

        var error = Assert.Throws<CatalogException>(() => Catalog.Load(directory));
        Assert.Contains($"{Mapping}: commune 05569 (Thị trấn Chợ Chu) of version 2021-2025 has no predecessor in the mapping", error.Errors);
        Assert.Contains(error.Errors, e => e.EndsWith("effective 2025-07-01 is not before version 2025-07 (2025-07-01)", StringComparison.Ordinal));
    }

    private static List<AdminUnit> CommunesInForce(Catalog catalog, string tenant, DateOnly on) =>
        catalog.UnitsOf(tenant).Where(u => u.Level == "commune" && u.InForceOn(on)).ToList();
}
