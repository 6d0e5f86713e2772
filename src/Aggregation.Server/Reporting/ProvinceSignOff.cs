using Aggregation.Hierarchy;
using Aggregation.Periods;
using Aggregation.Programmes;
using Aggregation.Server.Rollup;
using Aggregation.Server.Approvals;

namespace Aggregation.Server.Reporting;

/// <summary>
/// Whether a province's figures for a half or a year are signed off for the ministry: every unit
/// directly below the province (the districts; the communes after 2025-07-01) whose area reported a
/// data set in a reporting period of that half or year, and the province unit itself for the data
/// sets it reports (its provincial agencies), hold a PROVINCE approval in force covering that data
/// set and reporting period (on the unit or the province). Units and periods without data need no
/// approval: a district with nothing to report does not hold the province's report back, and an
/// approval cannot be given for a period with no data.
/// </summary>
public sealed class ProvinceSignOff(ApprovalRegistry approvals, RollupReads reads)
{
    /// <summary>Whether the approvals were read from the store: until then nothing can be judged approved or not.</summary>
    public bool IsKnown => approvals.IsLoaded;

    /// <summary>What still lacks a province approval, one phrase each ("164 Thành phố Thái Nguyên: commune-monthly 2025-03"); empty when all is approved.</summary>
    public async Task<IReadOnlyList<string>> UnapprovedAsync(Tenant tenant, AdminUnit province, Programme programme, Period period)
    {
        ArgumentNullException.ThrowIfNull(tenant);
        ArgumentNullException.ThrowIfNull(province);
        ArgumentNullException.ThrowIfNull(programme);
        var unapproved = new List<string>();
        var below = reads.ChildrenOf(province, programme, [period]);
        foreach (var unit in below.Prepend(province))
        {
            // The province's own row answers only for the data sets reported at its level; each unit
            // below answers for everything reported in its area.
            var dataSets = unit.Key == province.Key
                ? programme.DataSets.Where(d => d.Level == province.Level).ToList()
                : programme.DataSets.Where(d => d.Level != province.Level).ToList();
            var checks = dataSets
                .SelectMany(d => ReportingPeriods(programme.Calendar, d, period).Where(p => unit.InForceDuring(p.Start, p.End)).Select(p => (DataSet: d, Period: p)))
                .Where(c => approvals.Covering(tenant.Id, unit, c.Period, c.DataSet.Id, ApprovalLevel.Province) is null)
                .ToList();
            if (checks.Count == 0)
            {
                continue;
            }

            var periods = checks.Select(c => c.Period).Distinct().ToList();
            var rollups = await reads.ReadAsync(unit, programme, periods);
            var byPeriod = periods.Select((p, i) => (p, rollups[i])).ToDictionary(x => x.p, x => x.Item2);
            foreach (var (dataSet, reporting) in checks)
            {
                if (byPeriod[reporting].Completeness.Any(c => c.DataSet == dataSet.Id && c.Reported > 0))
                {
                    unapproved.Add($"{unit.Code} {unit.Name}: {dataSet.Id} {reporting}");
                }
            }
        }

        return unapproved;
    }

    /// <summary>The periods a data set is reported for that make up <paramref name="period"/>.</summary>
    private static IEnumerable<Period> ReportingPeriods(ProgrammeCalendar calendar, DataSet dataSet, Period period)
    {
        for (var i = 0; i < calendar.Count(dataSet.PeriodType); i++)
        {
            var p = calendar.At(dataSet.PeriodType, i);
            if (p.Start >= period.Start && p.End <= period.End)
            {
                yield return p;
            }
        }
    }
}
