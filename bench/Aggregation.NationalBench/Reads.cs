using Aggregation.Programmes;
using Aggregation.Protos.V1;

/// <summary>
/// Reads: the product's province and nation figures checked against SQL for every count element,
/// then a province and the nation read for a year (all indicators) against the same figures by SQL at read time.
/// </summary>
internal static class Reads
{
    /// <summary>The figures where the product and SQL disagree (empty: they are equal), printed.</summary>
    public static async Task<List<string>> CheckAsync(NationalRun run, SqlBaseline sql)
    {
        var probeProvince = run.ProbeProvince;
        var lastYear = run.LastYear;
        var mismatches = new List<string>();
        foreach (var (unit, tenant) in new[] { (probeProvince.Key.Code, probeProvince.Key.Tenant), ("VN", probeProvince.Key.Tenant) })
        {
            var live = await run.WaitSettledAsync(unit, tenant);
            var expectedFigures = await sql.SqlFiguresAsync(unit == "VN" ? null : unit, lastYear);
            foreach (var element in run.Data.Programme.Elements.Where(e => e.Type == ElementType.Count))
            {
                var product = live.Values.Single(v => v.DataElement == element.Id).Value;
                var expected = expectedFigures.GetValueOrDefault(element.Id);
                if (product != expected)
                {
                    mismatches.Add($"{unit} {lastYear} {element.Id}: product {product}, SQL {expected}");
                }
            }
        }

        Console.WriteLine(mismatches.Count == 0 ? $"check: province {probeProvince.Key.Code} and the nation equal the SQL baseline for every count element of {lastYear}" : "check FAILED:\n  " + string.Join("\n  ", mismatches));
        return mismatches;
    }

    public static async Task RunAsync(NationalRun run, SqlBaseline sql, Results results, bool quick)
    {
        var probeProvince = run.ProbeProvince;
        var lastYear = run.LastYear;
        var provinceReads = await Samples.TimeAsync(quick ? 50 : 300, () => run.RollupsApi.GetRollupAsync(new GetRollupRequest { UnitCode = probeProvince.Key.Code, ProgrammeId = NationalRun.ProgrammeId, Period = $"{lastYear}" }, run.MinistryIn(probeProvince.Key.Tenant)).ResponseAsync);
        var nationReads = await Samples.TimeAsync(quick ? 50 : 300, () => run.RollupsApi.GetRollupAsync(new GetRollupRequest { UnitCode = "VN", ProgrammeId = NationalRun.ProgrammeId, Period = $"{lastYear}" }, run.Ministry).ResponseAsync);
        var sqlProvince = await Samples.TimeAsync(quick ? 5 : 30, () => sql.SqlFiguresAsync(probeProvince.Key.Code, lastYear));
        var sqlNation = await Samples.TimeAsync(quick ? 5 : 30, () => sql.SqlFiguresAsync(null, lastYear));
        results.Measured(new("province read (year, all indicators) p50 ms", Samples.P(provinceReads, 50), Samples.P(sqlProvince, 50), "SQL over the values and the hierarchy at read time"));
        results.Measured(new("province read p99 ms", Samples.P(provinceReads, 99), Samples.P(sqlProvince, 99), "SQL at read time"));
        results.Measured(new("nation read p50 ms", Samples.P(nationReads, 50), Samples.P(sqlNation, 50), "SQL at read time"));
        results.Measured(new("nation read p99 ms", Samples.P(nationReads, 99), Samples.P(sqlNation, 99), "SQL at read time"));
    }
}
