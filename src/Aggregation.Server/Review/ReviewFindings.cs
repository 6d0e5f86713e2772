using System.Collections.Immutable;
using Aggregation.Hierarchy;
using Aggregation.Periods;
using Aggregation.Programmes;
using Aggregation.Protos.V1;
using Aggregation.Rollup;
using Aggregation.Server.Errors;
using Aggregation.Server.Hosting;
using Aggregation.Server.Rollup;
using DataElement = Aggregation.Programmes.DataElement;
using DataSet = Aggregation.Programmes.DataSet;
using Indicator = Aggregation.Programmes.Indicator;
using Programme = Aggregation.Programmes.Programme;

namespace Aggregation.Server.Review;

/// <summary>
/// What a reviewer should look at before approving an area's figures for a period: values that break
/// the programme's rules once read over the period, values far from the unit's own history, reports
/// missing or late, and the units holding back each target that is not being met. Read from the
/// units' grains (their own values, with when each value first arrived, and their rolled-up figures);
/// nothing is stored, so the list is always that of the figures as they stand.
/// </summary>
public sealed class ReviewFindings(Hierarchy.Catalog catalog, IGrainFactory grains, RollupReads reads, ReportingClock clock)
{
    /// <summary>
    /// The most units one review reads (two grain calls each). A province is a few hundred units (the
    /// largest, with its 2025 reorganisation, under a thousand); the nation is ten thousand and more,
    /// which is no list a reviewer reads before approving.
    /// </summary>
    public const int MaxUnits = 1000;

    /// <summary>How many of a unit's reported periods before a value make its history.</summary>
    public const int HistoryLength = 12;

    /// <summary>
    /// The fewest earlier reported periods a value is judged against: with fewer, a median and MAD say
    /// little about what is usual for the unit (three months of a new commune are not its history).
    /// </summary>
    public const int MinimumHistory = 6;

    /// <summary>How many MADs from the median a value must be to be far from the unit's history.</summary>
    public const double MadFactor = 3;

    /// <summary>
    /// The smallest difference from the median that is ever worth a look, in the element's units. The
    /// median absolute deviation of small, steady counts is often 0 (a commune holding 2 activities a
    /// month, every month), and then any change at all would be "infinitely" far: 2 → 3 is not what a
    /// reviewer needs to see. So a value is an outlier only when it is both beyond median ± 3 × MAD and
    /// at least this far from the median, or half the median for larger figures
    /// (<see cref="RelativeFloor"/>): a stock of 1,000 workers moving to 1,004 is not news either.
    /// </summary>
    public const double AbsoluteFloor = 3;

    /// <summary>The smallest difference worth a look as a share of the median (see <see cref="AbsoluteFloor"/>).</summary>
    public const double RelativeFloor = 0.5;

    /// <summary>The words that say an area is too large in the refusal (the HTTP answer translates that refusal).</summary>
    public const string TooLargeMarker = "too many to review at once";

    private const int Parallelism = 16;

    /// <summary>
    /// What a request names, validated: the unit (in force during the period), the programme, the
    /// period and the data set (empty: all); an invalid request lists every field that is wrong.
    /// </summary>
    public (AdminUnit Unit, Programme Programme, Period Period, string? DataSet) Resolve(Tenant tenant, string programmeId, string unitCode, string period, string dataSet)
    {
        ArgumentNullException.ThrowIfNull(tenant);
        var errors = new List<FieldError>();
        (AdminUnit Unit, Programme Programme, List<Period> Periods)? resolved = null;
        try
        {
            resolved = reads.Resolve(tenant, unitCode, programmeId, [period], "period");
        }
        catch (InvalidRequestException invalid)
        {
            errors.AddRange(invalid.Violations);
        }

        var programme = resolved?.Programme ?? (catalog.Programmes.TryGetValue(programmeId ?? "", out var p) && tenant.ProgrammeIds.Contains(p.Id) ? p : null);
        if (!string.IsNullOrEmpty(dataSet) && programme is not null && programme.DataSets.All(d => d.Id != dataSet))
        {
            errors.Add(UnknownDataSet(programme, dataSet));
        }

        if (errors.Count > 0 || resolved is null)
        {
            throw new InvalidRequestException(errors);
        }

        return (resolved.Value.Unit, resolved.Value.Programme, resolved.Value.Periods[0], string.IsNullOrEmpty(dataSet) ? null : dataSet);
    }

    /// <summary>The findings for <paramref name="unit"/>'s area and <paramref name="period"/>, sorted by unit code then kind.</summary>
    /// <param name="dataSetId">Only findings about this data set (its elements, its reports, indicators built from its elements); null or empty: all.</param>
    public async Task<IReadOnlyList<Finding>> FindAsync(Tenant tenant, Programme programme, AdminUnit unit, Period period, string? dataSetId, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(tenant);
        ArgumentNullException.ThrowIfNull(programme);
        ArgumentNullException.ThrowIfNull(unit);
        DataSet? dataSet = null;
        if (!string.IsNullOrEmpty(dataSetId) && (dataSet = programme.DataSets.FirstOrDefault(d => d.Id == dataSetId)) is null)
        {
            throw new InvalidRequestException(UnknownDataSet(programme, dataSetId));
        }

        var area = Area(unit, programme, period);
        var own = new ImmutableArray<OwnValue>[area.Count];
        var rollups = new UnitRollup[area.Count];
        await Parallel.ForEachAsync(Enumerable.Range(0, area.Count), new ParallelOptions { MaxDegreeOfParallelism = Parallelism, CancellationToken = ct }, async (i, _) =>
        {
            own[i] = await grains.GetGrain<IUnitGrain>(area[i].Key.GrainKey).GetOwnValuesAsync(programme.Id);
            rollups[i] = (await reads.ReadAsync(area[i], programme, [period]))[0];
        });

        var units = area.Select((u, i) => new AreaUnit(u, Slots(own[i]), rollups[i])).ToList();
        var scope = new Scope(programme, period, dataSet);
        var findings = new List<Finding>();
        foreach (var u in units)
        {
            findings.AddRange(RuleViolations(scope, u));
            findings.AddRange(RatesAboveWhole(scope, u, units));
            findings.AddRange(Outliers(scope, u));
            findings.AddRange(MissingOrLate(scope, u));
        }

        findings.AddRange(HeldBack(scope, units));
        return [.. findings
            .OrderBy(f => f.UnitCode, StringComparer.Ordinal)
            .ThenBy(f => f.Kind)
            .ThenBy(f => f.DataSet, StringComparer.Ordinal)
            .ThenBy(f => f.IndicatorId, StringComparer.Ordinal)
            .ThenBy(f => f.DataElement, StringComparer.Ordinal)
            .ThenBy(f => f.Period, StringComparer.Ordinal)];
    }

    /// <summary>The unit and every unit below it in force on some day of the period; refused when too large to read at once.</summary>
    private List<AdminUnit> Area(AdminUnit unit, Programme programme, Period period)
    {
        if (unit.Key == UnitKey.Nation)
        {
            throw TooLarge(unit, "the nation");
        }

        var area = new List<AdminUnit> { unit };
        for (var i = 0; i < area.Count; i++)
        {
            area.AddRange(catalog.ChildrenOf(area[i].Key, programme.Id, period.Start, period.End));
            if (area.Count > MaxUnits)
            {
                throw TooLarge(unit, $"more than {MaxUnits} units");
            }
        }

        return area;
    }

    private static InvalidRequestException TooLarge(AdminUnit unit, string what) =>
        new(new FieldError("unit_code", $"{unit.Code} ({unit.Name}) covers {what}: {TooLargeMarker}; review a province or a unit below it"));

    private static FieldError UnknownDataSet(Programme programme, string dataSet) =>
        new("data_set", $"unknown data set '{RpcErrors.Clip(dataSet)}' in programme {programme.Id}; it has {string.Join(", ", programme.DataSets.Select(d => d.Id))}");

    /// <summary>The unit's own values with a value (not withdrawn), by element, in reporting-period order.</summary>
    private static Dictionary<string, List<OwnValue>> Slots(ImmutableArray<OwnValue> own) =>
        own.Where(v => v.Slot.HasValue).GroupBy(v => v.ElementId, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.OrderBy(v => v.BaseIndex).ToList(), StringComparer.Ordinal);

    /// <summary>Rules broken by the unit's own figures read over the whole period (each report alone was checked on arrival).</summary>
    private static IEnumerable<Finding> RuleViolations(Scope scope, AreaUnit u)
    {
        foreach (var rule in scope.Programme.Rules)
        {
            if (!scope.Concerns(rule.Lesser) && !scope.Concerns(rule.Greater))
            {
                continue;
            }

            if (u.Figure(scope, rule.Lesser) is not { } lesser || u.Figure(scope, rule.Greater) is not { } greater || lesser <= greater)
            {
                continue;
            }

            var finding = Scope.New(FindingKind.RuleViolation, u.Unit, scope.Period,
                $"{u.Unit.Name}: {rule.Lesser.Name.Vi} tính trong kỳ {scope.Period} là {ReviewText.NumberVi(lesser)}, lớn hơn {rule.Greater.Name.Vi} ({ReviewText.NumberVi(greater)}) (quy tắc {rule.Id}).",
                $"{u.Unit.Name}: {rule.Lesser.Name.En} over {scope.Period} is {ReviewText.NumberEn(lesser)}, more than {rule.Greater.Name.En} ({ReviewText.NumberEn(greater)}) (rule {rule.Id}).");
            finding.DataElement = rule.Lesser.Id;
            finding.DataSet = scope.DataSetOf(rule.Lesser, u.Unit);
            finding.Value = lesser;
            yield return finding;
        }
    }

    /// <summary>
    /// Rates above 100 % (status DATA_TO_CHECK), at the lowest units that show them: a district above
    /// 100 % because one of its communes is says nothing the commune's own finding does not.
    /// </summary>
    private static IEnumerable<Finding> RatesAboveWhole(Scope scope, AreaUnit u, List<AreaUnit> units)
    {
        foreach (var indicator in u.Rollup.Indicators.Where(i => i.Status == Protos.V1.IndicatorStatus.DataToCheck))
        {
            var definition = scope.Programme.Indicators.First(i => i.Id == indicator.IndicatorId);
            if (!scope.Concerns(definition))
            {
                continue;
            }

            var childShowsIt = units.Any(c => c.Unit.Parent == u.Unit.Key && c.Rollup.Indicators.Any(i => i.IndicatorId == indicator.IndicatorId && i.Status == Protos.V1.IndicatorStatus.DataToCheck));
            if (childShowsIt)
            {
                continue;
            }

            var finding = Scope.New(FindingKind.RuleViolation, u.Unit, scope.Period,
                $"{u.Unit.Name}: chỉ tiêu {indicator.IndicatorId} ({indicator.NameVi}) kỳ {scope.Period} là {ReviewText.PercentVi(indicator.Value)}, trên 100 %: tử số {ReviewText.NumberVi(indicator.Numerator)} lớn hơn mẫu số {ReviewText.NumberVi(indicator.Denominator)}; cần kiểm tra số liệu.",
                $"{u.Unit.Name}: {indicator.IndicatorId} ({indicator.NameEn}) for {scope.Period} is {ReviewText.PercentEn(indicator.Value)}, above 100 %: the numerator {ReviewText.NumberEn(indicator.Numerator)} exceeds the denominator {ReviewText.NumberEn(indicator.Denominator)}; the figures need checking.");
            finding.IndicatorId = indicator.IndicatorId;
            finding.Value = indicator.Value;
            yield return finding;
        }
    }

    /// <summary>Each value the unit reported in the period, against its own last reported periods of the same element before it.</summary>
    private static IEnumerable<Finding> Outliers(Scope scope, AreaUnit u)
    {
        foreach (var element in scope.Programme.Elements)
        {
            // A yes/no answer has no distance from its history worth measuring.
            if (element.Type == ElementType.Flag || !scope.Concerns(element) || !u.Slots.TryGetValue(element.Id, out var slots))
            {
                continue;
            }

            var (first, last) = scope.BaseRange(element);
            for (var i = 0; i < slots.Count; i++)
            {
                if (slots[i].BaseIndex < first || slots[i].BaseIndex > last || i < MinimumHistory)
                {
                    continue;
                }

                var history = slots.Skip(Math.Max(0, i - HistoryLength)).Take(Math.Min(i, HistoryLength)).ToList();
                var value = ValueOf(element, slots[i]);
                if (!IsFarFromHistory(history.Select(h => ValueOf(element, h)).ToList(), value, out var median, out var mad))
                {
                    continue;
                }

                var reporting = scope.Programme.Calendar.At(element.PeriodType, slots[i].BaseIndex);
                var finding = Scope.New(FindingKind.Outlier, u.Unit, reporting,
                    $"{u.Unit.Name}: {element.Name.Vi} kỳ {reporting} là {ReviewText.NumberVi(value)}, khác xa lịch sử của đơn vị (trung vị {ReviewText.NumberVi(median)}, độ lệch tuyệt đối trung vị MAD {ReviewText.NumberVi(mad)} của {history.Count} kỳ báo cáo trước).",
                    $"{u.Unit.Name}: {element.Name.En} for {reporting} is {ReviewText.NumberEn(value)}, far from the unit's history (median {ReviewText.NumberEn(median)}, median absolute deviation {ReviewText.NumberEn(mad)} over its {history.Count} previous reported periods).");
                finding.DataElement = element.Id;
                finding.DataSet = scope.DataSetOf(element, u.Unit);
                finding.Value = value;
                finding.Median = median;
                finding.Mad = mad;
                finding.History.AddRange(history.Select(h => new HistoryPoint { Period = scope.Programme.Calendar.At(element.PeriodType, h.BaseIndex).ToString(), Value = ValueOf(element, h) }));
                yield return finding;
            }
        }
    }

    /// <summary>
    /// Reporting periods inside the period, of each data set the unit's level reports, that the unit
    /// did not report once their deadline passed (missing), or first reported after it (late). Late is
    /// what the rollup's completeness counts as not on time: no element of the data set first received
    /// by the deadline. A period whose deadline has not come (by the reporting clock) is not missing yet.
    /// </summary>
    private IEnumerable<Finding> MissingOrLate(Scope scope, AreaUnit u)
    {
        foreach (var dataSet in scope.Programme.DataSets.Where(d => d.Level == u.Unit.Level && (scope.DataSet is null || scope.DataSet == d)))
        {
            if (scope.Period.Type < dataSet.PeriodType)
            {
                continue;
            }

            var calendar = scope.Programme.Calendar;
            var (first, last) = calendar.BaseRange(dataSet.PeriodType, scope.Period.Type, calendar.IndexOf(scope.Period));
            for (var index = first; index <= last; index++)
            {
                var reporting = calendar.At(dataSet.PeriodType, index);
                if (!u.Unit.InForceDuring(reporting.Start, reporting.End))
                {
                    continue;
                }

                DateTimeOffset? received = null;
                foreach (var element in dataSet.Elements)
                {
                    if (u.Slots.TryGetValue(element.Id, out var slots) && slots.FirstOrDefault(s => s.BaseIndex == index) is { } slot)
                    {
                        var at = slot.Slot.FirstReceivedAt == default ? slot.Slot.ReportedAt : slot.Slot.FirstReceivedAt;
                        received = received is { } r && r < at ? r : at;
                    }
                }

                var deadline = dataSet.Deadline(reporting);
                if (received is null)
                {
                    // Without a deadline a report is due once its period is over (Vietnam time).
                    var due = deadline is { } d ? clock.Now > d : clock.Today >= reporting.End;
                    if (!due)
                    {
                        continue;
                    }

                    var missing = Scope.New(FindingKind.MissingReport, u.Unit, reporting,
                        deadline is { } by
                            ? $"{u.Unit.Name} chưa gửi {dataSet.Name.Vi} kỳ {reporting}; hạn gửi là {ReviewText.TimeVi(by)}."
                            : $"{u.Unit.Name} chưa gửi {dataSet.Name.Vi} kỳ {reporting}, dù kỳ báo cáo đã kết thúc.",
                        deadline is { } due2
                            ? $"{u.Unit.Name} has not sent the {dataSet.Name.En} for {reporting}; it was due by {ReviewText.TimeEn(due2)}."
                            : $"{u.Unit.Name} has not sent the {dataSet.Name.En} for {reporting}, though the period is over.");
                    missing.DataSet = dataSet.Id;
                    yield return missing;
                }
                else if (deadline is { } limit && received > limit)
                {
                    var days = Math.Ceiling((received.Value - limit).TotalDays);
                    var late = Scope.New(FindingKind.LateReport, u.Unit, reporting,
                        $"{u.Unit.Name} gửi {dataSet.Name.Vi} kỳ {reporting} muộn {ReviewText.NumberVi(days)} ngày: nhận lúc {ReviewText.TimeVi(received.Value)}, hạn gửi là {ReviewText.TimeVi(limit)}.",
                        $"{u.Unit.Name} sent the {dataSet.Name.En} for {reporting} {ReviewText.NumberEn(days)} {(days == 1 ? "day" : "days")} late: received {ReviewText.TimeEn(received.Value)}, due by {ReviewText.TimeEn(limit)}.");
                    late.DataSet = dataSet.Id;
                    late.Value = days;
                    yield return late;
                }
            }
        }
    }

    /// <summary>
    /// For each indicator of the area's own unit that is off track (or has no data), the units below
    /// that hold it back: for a share of units (T1.1: communes holding at least one awareness
    /// activity), the units of that level whose own figure does not reach the threshold; for a rate,
    /// the units whose own rate is off track. Indicators of other shapes (months with a press item) are the area unit's own and
    /// have no units below to name.
    /// </summary>
    private static IEnumerable<Finding> HeldBack(Scope scope, List<AreaUnit> units)
    {
        var root = units[0];
        foreach (var indicator in root.Rollup.Indicators.Where(i => i.Status is Protos.V1.IndicatorStatus.OffTrack or Protos.V1.IndicatorStatus.NoData))
        {
            var definition = scope.Programme.Indicators.First(i => i.Id == indicator.IndicatorId);
            if (!scope.Concerns(definition))
            {
                continue;
            }

            var standingVi = indicator.HasValue ? $"{ReviewText.PercentVi(indicator.Value)}, mục tiêu {(indicator.HasTarget ? ReviewText.PercentVi(indicator.Target) : "không có")}" : "chưa có số liệu";
            var standingEn = indicator.HasValue ? $"{ReviewText.PercentEn(indicator.Value)} against a target of {(indicator.HasTarget ? ReviewText.PercentEn(indicator.Target) : "none")}" : "no data yet";
            if (definition.Numerator is UnitsWhere where)
            {
                if (scope.Period.Type < where.Element.PeriodType)
                {
                    continue;
                }

                foreach (var u in units.Skip(1).Where(x => x.Unit.Level == where.Level))
                {
                    var figure = u.Figure(scope, where.Element) ?? 0;
                    if (figure >= where.AtLeast)
                    {
                        continue;
                    }

                    var finding = Scope.New(FindingKind.TargetHeldBack, u.Unit, scope.Period,
                        $"{u.Unit.Name}: {where.Element.Name.Vi} trong kỳ {scope.Period} là {ReviewText.NumberVi(figure)} (cần ít nhất {ReviewText.NumberVi(where.AtLeast)}), nên đơn vị chưa được tính vào chỉ tiêu {indicator.IndicatorId} ({indicator.NameVi}) của {root.Unit.Name}: {standingVi}.",
                        $"{u.Unit.Name}: {where.Element.Name.En} in {scope.Period} is {ReviewText.NumberEn(figure)} (at least {ReviewText.NumberEn(where.AtLeast)} needed), so the unit does not count towards {indicator.IndicatorId} ({indicator.NameEn}) of {root.Unit.Name}: {standingEn}.");
                    finding.IndicatorId = indicator.IndicatorId;
                    finding.DataElement = where.Element.Id;
                    finding.DataSet = scope.DataSetOf(where.Element, u.Unit);
                    finding.Value = figure;
                    yield return finding;
                }
            }
            else if (definition.Numerator is SumOf && definition.Denominator is SumOf)
            {
                foreach (var u in units.Skip(1))
                {
                    // A unit with no data does not pull a rate down (it is not in it); its missing
                    // reports are findings of their own.
                    var own = u.Rollup.Indicators.FirstOrDefault(i => i.IndicatorId == indicator.IndicatorId);
                    if (own is not { Status: Protos.V1.IndicatorStatus.OffTrack, HasValue: true })
                    {
                        continue;
                    }

                    var finding = Scope.New(FindingKind.TargetHeldBack, u.Unit, scope.Period,
                        $"{u.Unit.Name}: chỉ tiêu {indicator.IndicatorId} ({indicator.NameVi}) của đơn vị trong kỳ {scope.Period} là {ReviewText.PercentVi(own.Value)} ({ReviewText.NumberVi(own.Numerator)}/{ReviewText.NumberVi(own.Denominator)}), dưới mục tiêu {ReviewText.PercentVi(own.Target)}; chỉ tiêu của {root.Unit.Name}: {standingVi}.",
                        $"{u.Unit.Name}: its own {indicator.IndicatorId} ({indicator.NameEn}) for {scope.Period} is {ReviewText.PercentEn(own.Value)} ({ReviewText.NumberEn(own.Numerator)}/{ReviewText.NumberEn(own.Denominator)}), below the target of {ReviewText.PercentEn(own.Target)}; {root.Unit.Name}: {standingEn}.");
                    finding.IndicatorId = indicator.IndicatorId;
                    finding.Value = own.Value;
                    yield return finding;
                }
            }
        }
    }

    /// <summary>
    /// Whether <paramref name="value"/> is beyond median ± 3 × MAD of <paramref name="history"/> and at
    /// least the floor (<see cref="AbsoluteFloor"/>, or <see cref="RelativeFloor"/> of the median) away
    /// from the median. The MAD is the raw median absolute deviation, as the reviewer reads it beside
    /// the history (not scaled to a normal standard deviation).
    /// </summary>
    public static bool IsFarFromHistory(IReadOnlyList<double> history, double value, out double median, out double mad)
    {
        ArgumentNullException.ThrowIfNull(history);
        if (history.Count == 0)
        {
            (median, mad) = (0, 0);
            return false;
        }

        var m = Median([.. history]);
        median = m;
        mad = Median([.. history.Select(v => Math.Abs(v - m))]);
        var distance = Math.Abs(value - median);
        return distance > MadFactor * mad && distance >= Math.Max(AbsoluteFloor, RelativeFloor * Math.Abs(median));
    }

    private static double ValueOf(DataElement element, OwnValue value) =>
        element.Type == ElementType.Entities ? value.Slot.Entities.Length : value.Slot.Number;

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        var middle = sorted.Count / 2;
        return sorted.Count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
    }

    /// <summary>What one review reads: the programme, the period and the data set it is limited to.</summary>
    private sealed record Scope(Programme Programme, Period Period, DataSet? DataSet)
    {
        public bool Concerns(DataElement element) => DataSet is null || DataSet.Elements.Contains(element);

        /// <summary>Whether the indicator is built from an element of the data set reviewed.</summary>
        public bool Concerns(Indicator indicator) => DataSet is null || ElementsOf(indicator.Numerator).Concat(indicator.Denominator is null ? [] : ElementsOf(indicator.Denominator)).Any(Concerns);

        /// <summary>The data set reviewed, else the one the unit's level reports the element in.</summary>
        public string DataSetOf(DataElement element, AdminUnit unit) =>
            DataSet?.Id ?? (element.DataSets.FirstOrDefault(d => d.Level == unit.Level) ?? (element.DataSets.Count > 0 ? element.DataSets[0] : null))?.Id ?? "";

        /// <summary>The reporting periods of the element inside the period (an empty range when the element is reported less often than that).</summary>
        public (int First, int Last) BaseRange(DataElement element) =>
            Period.Type < element.PeriodType ? (0, -1) : Programme.Calendar.BaseRange(element.PeriodType, Period.Type, Programme.Calendar.IndexOf(Period));

        public static Finding New(FindingKind kind, AdminUnit unit, Period period, string vietnamese, string english) => new()
        {
            Kind = kind,
            UnitCode = unit.Code,
            UnitName = unit.Name,
            Period = period.ToString(),
            MessageVi = vietnamese,
            MessageEn = english,
        };

        private static IEnumerable<DataElement> ElementsOf(Quantity quantity) => quantity switch
        {
            SumOf s => s.Elements,
            UnitsWhere w => [w.Element],
            PeriodsWhere p => [p.Element],
            _ => [],
        };
    }

    /// <summary>A unit of the area with its own values (by element) and its rolled-up figures for the period.</summary>
    private sealed record AreaUnit(AdminUnit Unit, Dictionary<string, List<OwnValue>> Slots, UnitRollup Rollup)
    {
        /// <summary>
        /// The unit's own figure of an element over the period, as the rollup reads it: counts summed,
        /// distinct entities, the latest stock or yes/no; null when it reported none.
        /// </summary>
        public long? Figure(Scope scope, DataElement element)
        {
            if (!Slots.TryGetValue(element.Id, out var slots))
            {
                return null;
            }

            var (first, last) = scope.BaseRange(element);
            var inPeriod = slots.Where(s => s.BaseIndex >= first && s.BaseIndex <= last).ToList();
            return inPeriod.Count == 0 ? null : element.Type switch
            {
                ElementType.Count => inPeriod.Sum(s => s.Slot.Number),
                ElementType.Entities => inPeriod.SelectMany(s => s.Slot.Entities).Distinct(StringComparer.Ordinal).LongCount(),
                _ => inPeriod[^1].Slot.Number,
            };
        }
    }
}
