using Aggregation.Hierarchy;
using Aggregation.Periods;
using Aggregation.Rollup;

namespace Aggregation.Tests;

public class NationReadTests
{
    /// <summary>
    /// The nation's unit counts are kept per catalog (RollupReader): a process that reads with two
    /// catalogs (a server and the tests, the whole country and Thái Nguyên alone) must see each
    /// catalog's own communes, however often and in whichever order they are read.
    /// </summary>
    [Fact]
    public void The_nation_expects_the_communes_of_its_own_catalog_when_two_catalogs_are_read_in_one_process()
    {
        var thaiNguyen = TestCatalog.ThaiNguyen;
        var country = Catalog.Load(TestCatalog.Directory, allProvinces: true);
        var march = Period.Parse("2025-03");
        foreach (var (catalog, communes) in new[] { (thaiNguyen, 172 + 108), (country, 10_035), (thaiNguyen, 172 + 108), (country, 10_035) })
        {
            var programme = catalog.Programmes[TestCatalog.ProgrammeId];
            var monthly = programme.DataSets.First(d => d.Level == "commune" && d.PeriodType == PeriodType.Monthly);
            var view = RollupReader.Read(catalog, programme, catalog.GetUnit(UnitKey.Nation), new long[programme.Layout.Length], 1, march, new DateOnly(2026, 1, 1));
            Assert.Equal(communes, view.Completeness.Single(c => c.DataSet == monthly).Expected);
        }
    }
}
