using System.Text;

namespace Aggregation.IntegrationTests;

/// <summary>What the official IHE ADX schema (adx_loose.xsd) accepts and refuses; no server needed.</summary>
public sealed class OfficialAdxSchemaTests
{
    [Fact]
    public void An_adx_document_without_any_group_is_invalid()
    {
        // What the product writes today when there is nothing to export: the official schema requires at least one group.
        var errors = OfficialAdxSchema.Validate(Utf8("""<adx xmlns="urn:ihe:qrph:adx:2015" exported="2025-07-15T00:00:00Z"/>"""));

        var error = Assert.Single(errors);
        Assert.StartsWith("line 1, position ", error, StringComparison.Ordinal);
        Assert.Contains("incomplete content", error, StringComparison.Ordinal);
        Assert.Contains("'group'", error, StringComparison.Ordinal);
    }

    [Fact]
    public void A_document_with_one_group_of_one_value_is_valid()
    {
        var errors = OfficialAdxSchema.Validate(Utf8(
            """
            <?xml version="1.0" encoding="utf-8"?>
            <adx xmlns="urn:ihe:qrph:adx:2015" exported="2025-07-15T00:00:00Z">
              <group orgUnit="19" period="2025-01-01/P1M" dataSet="commune-monthly">
                <dataValue dataElement="workers_reached" value="15" />
              </group>
            </adx>
            """));

        Assert.Empty(errors);
    }

    [Fact]
    public void A_group_without_a_period_and_a_value_that_is_not_a_number_are_each_reported_with_their_line()
    {
        var errors = OfficialAdxSchema.Validate(Utf8(
            """
            <adx xmlns="urn:ihe:qrph:adx:2015" exported="2025-07-15T00:00:00Z">
              <group orgUnit="19" dataSet="commune-monthly">
                <dataValue dataElement="workers_reached" value="many" />
              </group>
            </adx>
            """));

        Assert.Equal(2, errors.Count);
        Assert.Contains(errors, e => e.StartsWith("line 2, ", StringComparison.Ordinal) && e.Contains("'period'", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("line 3, ", StringComparison.Ordinal) && e.Contains("'value'", StringComparison.Ordinal));
    }

    [Fact]
    public void A_document_whose_root_is_not_adx_is_invalid()
    {
        var errors = OfficialAdxSchema.Validate(Utf8("""<Name xmlns="http://www.sdmx.org/resources/sdmxml/schemas/v2_1/common">ADX</Name>"""));

        Assert.Contains(errors, e => e.Contains("not 'adx' in namespace 'urn:ihe:qrph:adx:2015'", StringComparison.Ordinal));
    }

    [Fact]
    public void The_golden_adx_export_of_the_provinces_first_half_is_valid()
    {
        Assert.Empty(OfficialAdxSchema.Validate(File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "Golden", "export-19-2025S1.adx.xml"))));
    }

    private static byte[] Utf8(string xml) => Encoding.UTF8.GetBytes(xml);
}
