using System.Text;
using Aggregation.Hierarchy;
using Aggregation.Programmes;

namespace Aggregation.Tests;

public class ProgrammeDefinitionTests
{
    private static readonly string[] Levels = [Catalog.NationLevel, "province", "district", "commune"];

    [Fact]
    public void The_shipped_plan_defines_every_target_of_section_II_2_with_its_value_and_level()
    {
        var p = TestCatalog.Programme;
        var expected = new Dictionary<string, double?>
        {
            ["T1.1"] = 0.70, ["T1.2"] = 1.0, ["T1.3a"] = 0.70, ["T1.3b"] = 0.60, ["T1.3c"] = 0.70,
            ["T2.1"] = 1.0, ["T2.2"] = 0.50, ["T3.1"] = 1.0, ["T3.2a"] = null, ["T3.2b"] = 0.20,
            ["T3.2c"] = 1.0, ["T4.1"] = 0.10, ["T4.2"] = 0.60, ["T5.1a"] = 0.70, ["T5.1b"] = 0.50,
        };
        Assert.Equal(expected.Keys.Order(), p.Indicators.Select(i => i.Id).Order());
        foreach (var i in p.Indicators)
        {
            Assert.Equal(expected[i.Id], i.Target?.Value);
        }

        Assert.Equal(TargetBasis.Deadline, p.Indicators.Single(i => i.Id == "T3.2c").Target!.Basis);
        Assert.Equal(new DateOnly(2025, 12, 31), p.Indicators.Single(i => i.Id == "T3.2c").Target!.Deadline);
        Assert.DoesNotContain("commune", p.Indicators.Single(i => i.Id == "T5.1a").AppliesTo);
        Assert.Contains("commune", p.Indicators.Single(i => i.Id == "T5.1b").AppliesTo);
        Assert.Equal(2021, p.Calendar.FirstYear);
        Assert.Equal(2025, p.Calendar.LastYear);
    }

    [Fact]
    public void The_default_catalog_is_Thai_Nguyen_with_its_nine_districts_and_172_communes_and_Bac_Kan_until_the_2025_merger()
    {
        var catalog = TestCatalog.ThaiNguyen;
        var province = new UnitKey("thai-nguyen", "19");
        var (from, to) = (new DateOnly(2025, 3, 1), new DateOnly(2025, 4, 1));
        Assert.Equal("Tỉnh Thái Nguyên", catalog.GetUnit(province).Name);
        Assert.Equal(9, catalog.UnitsAtLevel(province, "district", TestCatalog.ProgrammeId, from, to));
        Assert.Equal(172, catalog.UnitsAtLevel(province, "commune", TestCatalog.ProgrammeId, from, to));
        Assert.Equal(172 + 108, catalog.UnitsAtLevel(UnitKey.Nation, "commune", TestCatalog.ProgrammeId, from, to));
        Assert.Equal(92, catalog.UnitsAtLevel(UnitKey.Nation, "commune", TestCatalog.ProgrammeId, new DateOnly(2025, 9, 1), new DateOnly(2025, 10, 1)));
    }

    [Fact]
    public void The_whole_country_loads_as_one_tenant_per_province()
    {
        var catalog = Catalog.Load(TestCatalog.Directory, allProvinces: true);
        var (from, to) = (new DateOnly(2025, 3, 1), new DateOnly(2025, 4, 1));
        Assert.Equal(63, catalog.Tenants.Count);
        Assert.Equal(696, catalog.UnitsAtLevel(UnitKey.Nation, "district", TestCatalog.ProgrammeId, from, to));
        Assert.Equal(10_035, catalog.UnitsAtLevel(UnitKey.Nation, "commune", TestCatalog.ProgrammeId, from, to));
    }

    [Fact]
    public void A_broken_programme_file_is_refused_with_every_problem_and_its_path()
    {
        const string json = """
        {
          "id": "broken", "version": "1", "name": { "vi": "Hỏng" }, "firstYear": 2021, "lastYear": 2025,
          "dataElements": [
            { "id": "a", "type": "count", "name": { "vi": "A" } },
            { "id": "a", "type": "count", "name": { "vi": "A again" } },
            { "id": "b", "type": "percent", "name": { "vi": "B" } }
          ],
          "dataSets": [ { "id": "ds", "level": "village", "periodType": "weekly", "reporter": "x", "elements": [ "a", "zzz" ] } ],
          "indicators": [ { "id": "I1", "name": { "vi": "I" }, "numerator": { "sum": [ "nope" ] }, "appliesTo": [ "province" ] } ]
        }
        """;
        var ex = Assert.Throws<CatalogException>(() => ProgrammeLoader.Load(new MemoryStream(Encoding.UTF8.GetBytes(json)), "broken.json", Levels));
        Assert.Contains(ex.Errors, e => e.Contains("dataElements[1].id", StringComparison.Ordinal) && e.Contains("twice", StringComparison.Ordinal));
        Assert.Contains(ex.Errors, e => e.Contains("dataElements[2].type", StringComparison.Ordinal));
        Assert.Contains(ex.Errors, e => e.Contains("dataSets[0].level", StringComparison.Ordinal));
        Assert.Contains(ex.Errors, e => e.Contains("dataSets[0].periodType", StringComparison.Ordinal));
        Assert.Contains(ex.Errors, e => e.Contains("dataSets[0].elements[1]", StringComparison.Ordinal));
        Assert.Contains(ex.Errors, e => e.Contains("indicators[0].numerator.sum", StringComparison.Ordinal));
    }

    [Fact]
    public void An_unknown_field_in_a_programme_file_is_refused_rather_than_ignored()
    {
        const string json = """{ "id": "x", "version": "1", "name": { "vi": "X" }, "firstYear": 2021, "lastYear": 2025, "targetz": [] }""";
        var ex = Assert.Throws<CatalogException>(() => ProgrammeLoader.Load(new MemoryStream(Encoding.UTF8.GetBytes(json)), "x.json", Levels));
        Assert.Contains("targetz", ex.Message, StringComparison.Ordinal);
    }

    // A valid programme with a marker at the end of every list; each case puts a null there.
    private const string EveryList = """
    {
      "id": "p", "version": "1", "name": { "vi": "P" }, "firstYear": 2021, "lastYear": 2025,
      "dataElements": [
        { "id": "a", "type": "count", "name": { "vi": "A" } },
        { "id": "b", "type": "count", "name": { "vi": "B" } } /*dataElements*/
      ],
      "dataSets": [ { "id": "ds", "level": "commune", "periodType": "monthly", "reporter": "x", "elements": [ "a", "b" /*elements*/ ] } /*dataSets*/ ],
      "rules": [ { "id": "r", "lessOrEqual": [ "a", "b" /*lessOrEqual*/ ] } /*rules*/ ],
      "indicators": [
        {
          "id": "I", "name": { "vi": "I" }, "numerator": { "sum": [ "a" /*numerator*/ ] }, "denominator": { "sum": [ "b" /*denominator*/ ] },
          "appliesTo": [ "commune" /*appliesTo*/ ]
        } /*indicators*/
      ]
    }
    """;

    [Fact]
    public void The_programme_used_for_null_entries_is_valid_without_them()
    {
        var programme = ProgrammeLoader.Load(new MemoryStream(Encoding.UTF8.GetBytes(EveryList)), "p.json", Levels);
        Assert.Single(programme.Rules);
        Assert.Single(programme.Indicators);
    }

    [Theory]
    [InlineData("dataElements", "dataElements[2]")]
    [InlineData("dataSets", "dataSets[1]")]
    [InlineData("elements", "dataSets[0].elements[2]")]
    [InlineData("rules", "rules[1]")]
    [InlineData("lessOrEqual", "rules[0].lessOrEqual[2]")]
    [InlineData("indicators", "indicators[1]")]
    [InlineData("numerator", "indicators[0].numerator.sum[1]")]
    [InlineData("denominator", "indicators[0].denominator.sum[1]")]
    [InlineData("appliesTo", "indicators[0].appliesTo[1]")]
    public void A_null_entry_in_a_programme_list_is_refused_with_the_file_the_list_and_the_position(string list, string path)
    {
        var json = EveryList.Replace($"/*{list}*/", ", null", StringComparison.Ordinal);
        var ex = Assert.Throws<CatalogException>(() => ProgrammeLoader.Load(new MemoryStream(Encoding.UTF8.GetBytes(json)), "p.json", Levels));
        Assert.Contains(ex.Errors, e => e.StartsWith($"p.json: {path}: is null", StringComparison.Ordinal));
    }

    [Fact]
    public void A_null_programme_file_is_refused_as_empty()
    {
        var ex = Assert.Throws<CatalogException>(() => ProgrammeLoader.Load(new MemoryStream("null"u8.ToArray()), "p.json", Levels));
        Assert.Equal("p.json: the file is empty.", ex.Message);
    }
}
