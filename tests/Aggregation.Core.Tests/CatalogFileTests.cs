using Aggregation.Hierarchy;

namespace Aggregation.Tests;

/// <summary>tenants.json as an operator edits it: mistakes are refused with the file, the list and the position.</summary>
public sealed class CatalogFileTests
{
    [Theory]
    [InlineData("""{ "id": "2025-07", "effective": "2025-07-01", "hierarchy": "units-2025-07.csv", "mapping": "reorganisations/2025-07-01.csv" }""", ", null", "reorganisations[1]")]
    [InlineData("""[ "programmes/prostitution-prevention-2021-2025.json" """, ", null", "programmes[1]")]
    [InlineData("""[ "19" """, ", null", "tenants[0].provinces[1]")]
    [InlineData("""[ "06" """, ", null", "tenants[1].provinces[1]")]
    [InlineData("""[ "prostitution-prevention-2021-2025" """, ", null", "tenants[0].programmes[1]")]
    [InlineData("\"tenants\": [", " null,", "tenants[0]")]
    public void A_null_entry_in_a_list_of_tenants_json_is_refused_with_the_list_and_its_position(string after, string insert, string path)
    {
        var directory = TestCatalog.CopyWith("tenants.json", json =>
        {
            Assert.Contains(after, json, StringComparison.Ordinal);
            var at = json.IndexOf(after, StringComparison.Ordinal) + after.Length;
            return json[..at] + insert + json[at..];
        });

        var error = Assert.Throws<CatalogException>(() => Catalog.Load(directory));
        Assert.Contains(error.Errors, e => e.StartsWith($"{Path.Combine(directory, "tenants.json")}: {path}: is null", StringComparison.Ordinal));
    }

    [Fact]
    public void Two_programme_files_defining_the_same_programme_are_refused_with_both_files()
    {
        var directory = TestCatalog.CopyWith("tenants.json", json => json.Replace(
            "\"programmes\": [ \"programmes/prostitution-prevention-2021-2025.json\" ]",
            "\"programmes\": [ \"programmes/prostitution-prevention-2021-2025.json\", \"programmes/prostitution-prevention-2021-2025.json\" ]",
            StringComparison.Ordinal));

        var error = Assert.Throws<CatalogException>(() => Catalog.Load(directory));
        Assert.Equal("programmes/prostitution-prevention-2021-2025.json: id 'prostitution-prevention-2021-2025' is also the id of programmes/prostitution-prevention-2021-2025.json", Assert.Single(error.Errors));
    }

    [Fact]
    public void A_tenant_id_defined_twice_is_refused_with_the_id()
    {
        var directory = TestCatalog.CopyWith("tenants.json", json => json.Replace("\"id\": \"bac-kan\"", "\"id\": \"thai-nguyen\"", StringComparison.Ordinal));

        var error = Assert.Throws<CatalogException>(() => Catalog.Load(directory));
        Assert.Contains(error.Errors, e => e.Contains("tenants[1].id", StringComparison.Ordinal) && e.Contains("'thai-nguyen' is defined twice", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("\"mapping\": \"reorganisations/2025-07-01.csv\"", "\"mapping\": \"reorganisations\"", "reorganisations")]
    [InlineData("\"hierarchy\": \"units-2025-07.csv\"", "\"hierarchy\": \"reorganisations\"", "reorganisations")]
    [InlineData("\"programmes/prostitution-prevention-2021-2025.json\" ]", "\"programmes\" ]", "programmes")]
    [InlineData("\"hierarchy\": \"units-2021-2025.csv\"", "\"hierarchy\": \"programmes\"", "programmes")]
    public void A_file_of_the_catalog_that_names_a_folder_is_refused_naming_it(string written, string mistaken, string named)
    {
        var directory = TestCatalog.CopyWith("tenants.json", json =>
        {
            Assert.Contains(written, json, StringComparison.Ordinal);
            var at = json.IndexOf(written, StringComparison.Ordinal);
            return json[..at] + mistaken + json[(at + written.Length)..];
        });

        var error = Assert.Throws<CatalogException>(() => Catalog.Load(directory));
        Assert.Contains($"{named}: is a folder; name a file", error.Errors);
    }
    [Fact]
    public void A_tenant_sends_only_approved_figures_to_the_ministry_unless_its_entry_says_provisional()
    {
        var directory = TestCatalog.CopyWith("tenants.json", json => json.Replace("\"id\": \"bac-kan\",", "\"id\": \"bac-kan\", \"ministryReports\": \"provisional\",", StringComparison.Ordinal));

        var catalog = Catalog.Load(directory);

        Assert.Equal(MinistryFigures.Approved, catalog.Tenants["thai-nguyen"].MinistryFigures);
        Assert.Equal(MinistryFigures.Provisional, catalog.Tenants["bac-kan"].MinistryFigures);
    }

    [Fact]
    public void An_unknown_ministry_reports_setting_is_refused_with_the_tenant_and_the_two_choices()
    {
        var directory = TestCatalog.CopyWith("tenants.json", json => json.Replace("\"id\": \"bac-kan\",", "\"id\": \"bac-kan\", \"ministryReports\": \"draft\",", StringComparison.Ordinal));

        var error = Assert.Throws<CatalogException>(() => Catalog.Load(directory));
        Assert.Contains(error.Errors, e => e.Contains("tenants[1].ministryReports: 'draft' must be \"approved\"", StringComparison.Ordinal) && e.Contains("\"provisional\"", StringComparison.Ordinal));
    }
}
