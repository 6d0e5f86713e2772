using Aggregation.Periods;
using Aggregation.Programmes;

namespace Aggregation.Rollup;

// Works out a unit's own cells from its slots: when one (element, reporting period) changes, every
// metric that depends on it is recomputed for every period containing it (month, quarter, half, year,
// plan). Kept apart from the slot store and the totals because this is the arithmetic of the layout
// (how each metric kind aggregates), the part a reader of a wrong figure needs to check. It runs on
// every accepted value: loops over the slot arrays, no allocation except for distinct entities.
internal sealed class CellCalculator
{
    private readonly Programme _programme;
    private readonly string _level;
    private readonly SlotStore _slots;
    private readonly ChildTotals _cells;

    public CellCalculator(Programme programme, string level, SlotStore slots, ChildTotals cells)
    {
        _programme = programme;
        _level = level;
        _slots = slots;
        _cells = cells;
    }

    /// <summary>Recomputes every own cell that depends on (element, base period). Returns true when one changed.</summary>
    public bool Recompute(DataElement element, int baseIndex)
    {
        var changed = false;
        var calendar = _programme.Calendar;
        var baseType = element.PeriodType;
        foreach (var metric in _programme.Layout.DependentsOf(element))
        {
            if (metric.Kind is MetricKind.UnitCondition or MetricKind.PeriodCondition or MetricKind.Reported or MetricKind.OnTime && metric.Level != _level)
            {
                continue;
            }

            if (metric.Kind == MetricKind.CumulativeDistinct)
            {
                changed |= RecomputeCumulative(metric, element, baseIndex);
                continue;
            }

            for (var type = metric.BaseType; type <= PeriodType.Plan; type++)
            {
                var index = ProgrammeCalendar.Containing(baseType, baseIndex, type);
                var (first, last) = calendar.BaseRange(baseType, type, index);
                var value = metric.Kind switch
                {
                    MetricKind.Element => Aggregate(element, first, last),
                    MetricKind.UnitCondition => HasAny(element, first, last) && Aggregate(element, first, last) >= metric.AtLeast ? 1 : 0,
                    MetricKind.PeriodCondition => CountPeriodsAtLeast(element, first, last, metric.AtLeast),
                    MetricKind.OnTime => OnTime(metric.DataSet!, first, last) ? 1 : 0,
                    _ => AnyReported(metric.DataSet!, first, last) ? 1 : 0,
                };
                changed |= _cells.SetOwn(metric.CellOf(type, index), value);
            }
        }

        return changed;
    }

    /// <summary>Distinct entities from the plan's start through each reporting period from <paramref name="fromIndex"/> on.</summary>
    private bool RecomputeCumulative(Metric metric, DataElement element, int fromIndex)
    {
        var slots = _slots.Of(element);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var changed = false;
        for (var q = 0; q < metric.Length; q++)
        {
            if (slots.HasValue(q))
            {
                foreach (var id in slots.Entities(q))
                {
                    seen.Add(id);
                }
            }

            if (q >= fromIndex)
            {
                changed |= _cells.SetOwn(metric.CumulativeCell(q), seen.Count);
            }
        }

        return changed;
    }

    /// <summary>Whether, in base periods first..last, some element of the data set was first received by that period's deadline.</summary>
    private bool OnTime(DataSet dataSet, int first, int last)
    {
        var deadlines = _programme.Layout.Deadlines(dataSet);
        for (var i = first; i <= last; i++)
        {
            var deadline = deadlines[i];
            foreach (var element in dataSet.Elements)
            {
                var slots = _slots.Of(element);
                if (slots.HasValue(i) && (deadline is null || slots.FirstReceivedAt(i) <= deadline))
                {
                    return true;
                }
            }
        }

        return false;
    }

    /// <summary>Whether, in base periods first..last, the unit reported some element of the data set.</summary>
    private bool AnyReported(DataSet dataSet, int first, int last)
    {
        foreach (var element in dataSet.Elements)
        {
            if (HasAny(element, first, last))
            {
                return true;
            }
        }

        return false;
    }

    private bool HasAny(DataElement element, int first, int last)
    {
        var slots = _slots.Of(element);
        if (slots.IsEmpty)
        {
            return false;
        }

        for (var i = first; i <= last; i++)
        {
            if (slots.HasValue(i))
            {
                return true;
            }
        }

        return false;
    }

    private long CountPeriodsAtLeast(DataElement element, int first, int last, long atLeast)
    {
        var slots = _slots.Of(element);
        var count = 0L;
        for (var i = first; !slots.IsEmpty && i <= last; i++)
        {
            if (slots.HasValue(i) && slots.Number(i) >= atLeast)
            {
                count++;
            }
        }

        return count;
    }

    /// <summary>The unit's own value of an element over base periods first..last, by the element's rule.</summary>
    private long Aggregate(DataElement element, int first, int last)
    {
        var slots = _slots.Of(element);
        if (slots.IsEmpty)
        {
            return 0;
        }

        switch (element.Type)
        {
            case ElementType.Count:
                var sum = 0L;
                for (var i = first; i <= last; i++)
                {
                    if (slots.HasValue(i))
                    {
                        sum += slots.Number(i);
                    }
                }

                return sum;
            case ElementType.Entities:
                HashSet<string>? distinct = null;
                for (var i = first; i <= last; i++)
                {
                    if (slots.HasValue(i))
                    {
                        distinct ??= new HashSet<string>(StringComparer.Ordinal);
                        distinct.UnionWith(slots.Entities(i));
                    }
                }

                return distinct?.Count ?? 0;
            default:
                for (var i = last; i >= first; i--)
                {
                    if (slots.HasValue(i))
                    {
                        return slots.Number(i);
                    }
                }

                return 0;
        }
    }
}
