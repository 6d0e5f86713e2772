using System.Collections.Immutable;
using Aggregation.Hierarchy;
using Aggregation.Periods;
using Aggregation.Programmes;
using Aggregation.Rollup;
using Aggregation.Server.Hosting;
using Aggregation.Server.Rollup;
using HistoryView = Aggregation.Protos.V1.HistoryView;

namespace Aggregation.Server.Export;

/// <summary>A request the receiver profile cannot serve (an unknown level, a unit below it).</summary>
public sealed class ExportScopeException(string field, string message) : Exception(message)
{
    public string Field { get; } = field;
}

/// <summary>
/// Reads what an export sends from the units' grains, as the receiver holds it. At the
/// <see cref="ReceiverProfile.Lowest"/> level each data set's values go out at the units that
/// report it, as they reported them, and the receiver aggregates up its own hierarchy: no value is
/// sent at two levels of one branch. At a named level (<c>province</c>) each unit of that level
/// sends its aggregated figures, except yes/no answers of the levels below, whose aggregate is a
/// count of units rather than a yes or no. Either way each data set goes out in its send period
/// type (its collection period unless the profile says otherwise): a monthly data set sends months.
/// </summary>
public sealed class ExportBuilder(RollupReads reads, IGrainFactory grains, Hierarchy.Catalog catalog, ReportingClock clock)
{
    private const int Parallelism = 16;

    /// <param name="orgUnitLevel">The level the receiver holds: <see cref="ReceiverProfile.Lowest"/> or a level of the hierarchy.</param>
    public async Task<AggregateExport> BuildAsync(
        Tenant tenant,
        AdminUnit unit,
        Programme programme,
        Period period,
        bool subtree,
        ReceiverProfile profile,
        string orgUnitLevel,
        CancellationToken cancellationToken,
        HistoryView view = HistoryView.AsHappened)
    {
        ArgumentNullException.ThrowIfNull(unit);
        ArgumentNullException.ThrowIfNull(programme);
        ArgumentNullException.ThrowIfNull(profile);
        var lowest = orgUnitLevel == ReceiverProfile.Lowest;
        var levelIndex = IndexOfLevel(orgUnitLevel);
        if (!lowest && levelIndex < 0)
        {
            throw new ExportScopeException("org_unit_level", $"'{orgUnitLevel}' is not a level: write lowest or one of {string.Join(", ", catalog.Levels)}");
        }

        if (!lowest && IndexOfLevel(unit.Level) > levelIndex)
        {
            throw new ExportScopeException("org_unit_level", $"the receiver holds {orgUnitLevel} units and {unit.Code} ({unit.Name}) is a {unit.Level}, below them: export its {orgUnitLevel}");
        }

        if (!lowest && !subtree && unit.Level != orgUnitLevel)
        {
            throw new ExportScopeException("include_subtree", $"the receiver holds {orgUnitLevel} units: export {unit.Code} with its subtree to send each {orgUnitLevel} under it");
        }

        var units = new List<AdminUnit> { unit };
        if (subtree)
        {
            for (var i = 0; i < units.Count; i++)
            {
                units.AddRange(reads.ChildrenOf(units[i], programme, [period], view));
            }
        }

        // Which data sets each unit sends: at the lowest level those its level reports; at a named
        // level, every data set reported at or below that level, by the units of that level.
        var plans = new List<(AdminUnit Unit, IReadOnlyList<DataSet> DataSets)>();
        foreach (var u in units)
        {
            var dataSets = lowest
                ? programme.DataSets.Where(d => d.Level == u.Level).ToList()
                : u.Level == orgUnitLevel ? programme.DataSets.Where(d => IndexOfLevel(d.Level) >= levelIndex).ToList() : [];
            if (dataSets.Count > 0)
            {
                plans.Add((u, dataSets));
            }
        }

        var groups = new List<ExportGroup>[plans.Count];
        await Parallel.ForEachAsync(Enumerable.Range(0, plans.Count), new ParallelOptions { MaxDegreeOfParallelism = Parallelism, CancellationToken = cancellationToken }, async (i, _) =>
        {
            var (u, dataSets) = plans[i];
            var own = await grains.GetGrain<IUnitGrain>(u.Key.GrainKey).GetOwnValuesAsync(programme.Id);
            groups[i] = lowest
                ? OwnGroups(u, dataSets, programme, period, profile, own)
                : await AggregatedGroupsAsync(u, dataSets, programme, period, profile, own, view);
        });

        // A unit whose GSO code a later unit took may need a receiver code of its own.
        var taken = plans.Select(p => p.Unit).Where(u => u.ValidTo is { } to && catalog.UnitsWithCode(u.Tenant, u.Code).Any(o => o.Key != u.Key && o.ValidFrom >= to)).Select(u => u.Key).ToHashSet();
        return new AggregateExport(tenant, programme, period, orgUnitLevel, clock.Now, [.. groups.SelectMany(g => g).Select(g => taken.Contains(g.Unit.Key) ? g with { CodeTakenLater = true } : g)]);
    }

    /// <summary>The periods of a data set's send period type that make up <paramref name="period"/> (none when they do not fit in it).</summary>
    public static IReadOnlyList<Period> SendPeriods(ProgrammeCalendar calendar, DataSet dataSet, ReceiverProfile profile, Period period)
    {
        ArgumentNullException.ThrowIfNull(calendar);
        ArgumentNullException.ThrowIfNull(profile);
        // Never finer than the data set is collected: a six-monthly report has no months.
        var type = profile.PeriodTypeOf(dataSet);
        if (type.Months() < dataSet.PeriodType.Months())
        {
            type = dataSet.PeriodType;
        }

        var list = new List<Period>();
        for (var i = 0; i < calendar.Count(type); i++)
        {
            var p = calendar.At(type, i);
            if (p.Start >= period.Start && p.End <= period.End)
            {
                list.Add(p);
            }
        }

        return list;
    }

    private int IndexOfLevel(string level)
    {
        for (var i = 0; i < catalog.Levels.Count; i++)
        {
            if (catalog.Levels[i] == level)
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>The unit's own values of each data set it reports, per send period, and when each report was complete.</summary>
    private static List<ExportGroup> OwnGroups(AdminUnit unit, IReadOnlyList<DataSet> dataSets, Programme programme, Period period, ReceiverProfile profile, ImmutableArray<OwnValue> own)
    {
        var groups = new List<ExportGroup>();
        var byElement = own.Where(v => v.Slot.HasValue).ToLookup(v => v.ElementId, StringComparer.Ordinal);
        foreach (var dataSet in dataSets)
        {
            foreach (var send in SendPeriods(programme.Calendar, dataSet, profile, period))
            {
                var sent = new HashSet<string>(StringComparer.Ordinal);
                var values = new List<ExportValue>();
                DateTimeOffset? received = null;
                foreach (var element in dataSet.Elements)
                {
                    var slots = InPeriod(byElement[element.Id], element, programme.Calendar, send);
                    if (slots.Count == 0)
                    {
                        continue;
                    }

                    var last = slots.Max(s => s.Slot.FirstReceivedAt == default ? s.Slot.ReportedAt : s.Slot.FirstReceivedAt);
                    received = received is { } r && r > last ? r : last;
                    if (sent.Add(element.Id))
                    {
                        values.Add(new ExportValue(element, OwnFigure(element, slots)));
                    }
                }

                if (received is { } at)
                {
                    groups.Add(new ExportGroup(unit, dataSet, send, values, ReportingClock.VietnamDate(at)));
                }
            }
        }

        return Deduplicate(groups);
    }

    /// <summary>The unit's aggregated figures (non-zero) at each send period; yes/no answers only of its own level's data sets.</summary>
    private async Task<List<ExportGroup>> AggregatedGroupsAsync(AdminUnit unit, IReadOnlyList<DataSet> dataSets, Programme programme, Period period, ReceiverProfile profile, ImmutableArray<OwnValue> own, HistoryView view)
    {
        var sendPeriods = dataSets.SelectMany(d => SendPeriods(programme.Calendar, d, profile, period)).Distinct().OrderBy(p => p.Start).ThenBy(p => p.Type).ToList();
        if (sendPeriods.Count == 0)
        {
            return [];
        }

        var rollups = await reads.ReadAsync(unit, programme, sendPeriods, view);
        var figures = sendPeriods.Select((p, i) => (p, rollups[i])).ToDictionary(x => x.p, x => x.Item2.Values.Where(v => v.HasValue).ToDictionary(v => v.DataElement, v => v.Value, StringComparer.Ordinal));
        var ownGroups = OwnGroups(unit, dataSets.Where(d => d.Level == unit.Level).ToList(), programme, period, profile, own)
            .ToDictionary(g => (g.DataSet.Id, g.Period));
        var groups = new List<ExportGroup>();
        foreach (var dataSet in dataSets)
        {
            foreach (var send in SendPeriods(programme.Calendar, dataSet, profile, period))
            {
                ownGroups.TryGetValue((dataSet.Id, send), out var ownGroup);
                var values = new List<ExportValue>();
                foreach (var element in dataSet.Elements)
                {
                    if (element.Type == ElementType.Flag)
                    {
                        // Below this level a yes/no aggregates to a count of units: not a yes or no.
                        if (ownGroup?.Values.FirstOrDefault(v => v.Element == element) is { } answer)
                        {
                            values.Add(answer);
                        }
                    }
                    else if (figures[send].TryGetValue(element.Id, out var value) && value != 0)
                    {
                        values.Add(new ExportValue(element, value));
                    }
                }

                if (values.Count > 0 || ownGroup?.CompleteDate is not null)
                {
                    groups.Add(new ExportGroup(unit, dataSet, send, values, ownGroup?.CompleteDate));
                }
            }
        }

        return Deduplicate(groups);
    }

    /// <summary>An element carried by two data sets of one unit and period is sent once, under the first.</summary>
    private static List<ExportGroup> Deduplicate(List<ExportGroup> groups)
    {
        var seen = new HashSet<(string, Period)>();
        return groups.Select(g => g with { Values = g.Values.Where(v => seen.Add((v.Element.Id, g.Period))).ToList() })
            .Where(g => g.Values.Count > 0 || g.CompleteDate is not null)
            .ToList();
    }

    private static List<OwnValue> InPeriod(IEnumerable<OwnValue> values, DataElement element, ProgrammeCalendar calendar, Period send)
    {
        var index = calendar.IndexOf(send);
        return values.Where(v => send.Type == element.PeriodType ? v.BaseIndex == index : ProgrammeCalendar.Containing(element.PeriodType, v.BaseIndex, send.Type) == index).ToList();
    }

    /// <summary>An element's own figure over the reporting periods of a send period, by its rule.</summary>
    private static long OwnFigure(DataElement element, List<OwnValue> slots) => element.Type switch
    {
        ElementType.Count => slots.Sum(s => s.Slot.Number),
        ElementType.Entities => slots.SelectMany(s => s.Slot.Entities).Distinct(StringComparer.Ordinal).LongCount(),

        // Stocks and yes/no: the latest reporting period's value.
        _ => slots.MaxBy(s => s.BaseIndex)!.Slot.Number,
    };
}
