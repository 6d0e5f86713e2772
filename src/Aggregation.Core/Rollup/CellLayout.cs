using Aggregation.Periods;
using Aggregation.Programmes;

namespace Aggregation.Rollup;

public enum MetricKind
{
    /// <summary>An element's value aggregated over a period (sum, latest or distinct count).</summary>
    Element,

    /// <summary>Distinct entities from the plan's start to the end of each reporting period.</summary>
    CumulativeDistinct,

    /// <summary>1 when a unit's own value in the period meets a threshold; summed, it counts distinct units.</summary>
    UnitCondition,

    /// <summary>Number of a unit's reporting periods within the period whose value meets a threshold.</summary>
    PeriodCondition,

    /// <summary>1 when a unit reported anything of a data set in the period; summed, it counts reporting units.</summary>
    Reported,

    /// <summary>1 when a unit's first report of a data set for a reporting period arrived by the data set's deadline; summed, it counts units on time.</summary>
    OnTime,
}

/// <summary>
/// One aggregated figure of a programme, held for every period it can be read at. A unit's figures
/// are one flat <c>long[]</c> (its "cells"): parents add their children's cells element-wise, so every
/// metric is designed to be additive across units (sums, per-unit latest values, per-unit distinct
/// counts of unit-scoped entities, 0/1 flags).
/// </summary>
public sealed class Metric
{
    private readonly int[] _typeOffsets;

    internal Metric(int index, MetricKind kind, PeriodType baseType, int offset, ProgrammeCalendar calendar)
    {
        Index = index;
        Kind = kind;
        BaseType = baseType;
        Offset = offset;
        _typeOffsets = [-1, -1, -1, -1, -1];
        if (kind == MetricKind.CumulativeDistinct)
        {
            Length = calendar.Count(baseType);
            return;
        }

        var length = 0;
        for (var t = baseType; t <= PeriodType.Plan; t++)
        {
            _typeOffsets[(int)t] = length;
            length += calendar.Count(t);
        }

        Length = length;
    }

    public int Index { get; }

    public MetricKind Kind { get; }

    public PeriodType BaseType { get; }

    public int Offset { get; }

    public int Length { get; }

    public DataElement? Element { get; init; }

    public DataSet? DataSet { get; init; }

    public string? Level { get; init; }

    public long AtLeast { get; init; }

    /// <summary>Cell of the period at (type, index), or -1 when the metric cannot be read at that granularity.</summary>
    public int CellOf(PeriodType type, int index) =>
        _typeOffsets[(int)type] < 0 ? -1 : Offset + _typeOffsets[(int)type] + index;

    /// <summary>Cell holding the value from the plan's start through base period <paramref name="baseIndex"/>.</summary>
    public int CumulativeCell(int baseIndex) => Offset + baseIndex;
}

/// <summary>The metrics of a programme and where their cells are.</summary>
public sealed class CellLayout
{
    private readonly Dictionary<string, Metric> _byKey = new(StringComparer.Ordinal);
    private readonly List<Metric> _metrics = [];
    private readonly Dictionary<int, List<Metric>> _byElement = [];
    private readonly Dictionary<string, DateTimeOffset?[]> _deadlines = new(StringComparer.Ordinal);

    public CellLayout(Programme programme)
    {
        ArgumentNullException.ThrowIfNull(programme);
        var calendar = programme.Calendar;
        foreach (var e in programme.Elements)
        {
            Add($"e:{e.Id}", MetricKind.Element, e.PeriodType, calendar, e, null, null, 0);
            if (e.Type == ElementType.Entities)
            {
                Add($"c:{e.Id}", MetricKind.CumulativeDistinct, e.PeriodType, calendar, e, null, null, 0);
            }
        }

        foreach (var ds in programme.DataSets)
        {
            _deadlines[ds.Id] = Enumerable.Range(0, calendar.Count(ds.PeriodType)).Select(i => ds.Deadline(calendar.At(ds.PeriodType, i))).ToArray();
            Add($"r:{ds.Id}", MetricKind.Reported, ds.PeriodType, calendar, null, ds, ds.Level, 0);
            Add($"t:{ds.Id}", MetricKind.OnTime, ds.PeriodType, calendar, null, ds, ds.Level, 0);
        }

        foreach (var indicator in programme.Indicators)
        {
            foreach (var q in new[] { indicator.Numerator, indicator.Denominator })
            {
                switch (q)
                {
                    case UnitsWhere u:
                        Add(ConditionKey("u", u.Level, u.Element, u.AtLeast), MetricKind.UnitCondition, u.Element.PeriodType, calendar, u.Element, null, u.Level, u.AtLeast);
                        break;
                    case PeriodsWhere p:
                        Add(ConditionKey("p", p.Level, p.Element, p.AtLeast), MetricKind.PeriodCondition, p.Element.PeriodType, calendar, p.Element, null, p.Level, p.AtLeast);
                        break;
                }
            }
        }

        Length = _metrics.Sum(m => m.Length);
    }

    public IReadOnlyList<Metric> Metrics => _metrics;

    /// <summary>Total number of cells per unit and programme.</summary>
    public int Length { get; }

    public Metric ElementMetric(DataElement element) => _byKey[$"e:{element.Id}"];

    public Metric CumulativeMetric(DataElement element) => _byKey[$"c:{element.Id}"];

    public Metric ReportedMetric(DataSet dataSet) => _byKey[$"r:{dataSet.Id}"];

    public Metric OnTimeMetric(DataSet dataSet) => _byKey[$"t:{dataSet.Id}"];

    /// <summary>The data set's deadline for each of its reporting periods (null: none), computed once per programme.</summary>
    public IReadOnlyList<DateTimeOffset?> Deadlines(DataSet dataSet) => _deadlines[dataSet.Id];

    public Metric UnitConditionMetric(UnitsWhere q) => _byKey[ConditionKey("u", q.Level, q.Element, q.AtLeast)];

    public Metric PeriodConditionMetric(PeriodsWhere q) => _byKey[ConditionKey("p", q.Level, q.Element, q.AtLeast)];

    /// <summary>Metrics whose cells change when the element's value changes.</summary>
    public IReadOnlyList<Metric> DependentsOf(DataElement element) =>
        _byElement.TryGetValue(element.Index, out var list) ? list : [];

    private static string ConditionKey(string prefix, string level, DataElement element, long atLeast) =>
        $"{prefix}:{level}:{element.Id}:{atLeast}";

    private void Add(string key, MetricKind kind, PeriodType baseType, ProgrammeCalendar calendar, DataElement? element, DataSet? dataSet, string? level, long atLeast)
    {
        if (_byKey.ContainsKey(key))
        {
            return;
        }

        var offset = _metrics.Count == 0 ? 0 : _metrics[^1].Offset + _metrics[^1].Length;
        var metric = new Metric(_metrics.Count, kind, baseType, offset, calendar)
        {
            Element = element,
            DataSet = dataSet,
            Level = level,
            AtLeast = atLeast,
        };
        _metrics.Add(metric);
        _byKey[key] = metric;
        var dependsOn = element is not null ? [element] : dataSet!.Elements;
        foreach (var e in dependsOn)
        {
            if (!_byElement.TryGetValue(e.Index, out var list))
            {
                _byElement[e.Index] = list = [];
            }

            list.Add(metric);
        }
    }
}
