using System.Collections.Immutable;
using Aggregation.Periods;
using Aggregation.Programmes;

namespace Aggregation.Rollup;

/// <summary>
/// A report checked against a unit's values, with the values it will write and, for the audit
/// trail, the value each replaces (<see cref="Previous"/>, parallel to <see cref="Values"/>).
/// </summary>
public sealed record PreparedReport(ReportCommand Report, IReadOnlyList<(DataElement Element, int BaseIndex, ValueSlot Slot)> Values, ApplyResult Result)
{
    public bool Accepted => Result.Accepted;

    public IReadOnlyList<ValueSlot?> Previous { get; init; } = [];
}

/// <summary>
/// One unit's figures for one programme: the values it reported itself, the latest contribution of
/// each child, and their element-wise total. A parent never adds deltas it is sent: it replaces a
/// child's whole contribution when the child's version is newer, so duplicates, retries and
/// reordering of flushes cannot double count. Not thread-safe: a grain owns it.
/// </summary>
public sealed class ProgrammeRollup
{
    private readonly Programme _programme;
    private readonly string _level;
    private readonly ValueSlot?[][] _slots;
    // A unit without children (most units are communes) has one array: its own values are its total.
    // The first child contribution gives the total an array of its own.
    private long[] _own;
    private long[] _total;
    private readonly Dictionary<string, Contribution> _children = new(StringComparer.Ordinal);

    public ProgrammeRollup(Programme programme, string level)
    {
        _programme = programme ?? throw new ArgumentNullException(nameof(programme));
        _level = level;
        _slots = new ValueSlot?[programme.Elements.Count][];
        _own = new long[programme.Layout.Length];
        _total = _own;
    }

    public Programme Programme => _programme;

    /// <summary>Increases with every change of <see cref="Total"/>.</summary>
    public long Version { get; private set; }

    /// <summary>Own values plus every child's latest contribution. Read-only for callers.</summary>
    public ReadOnlySpan<long> Total => _total;

    /// <summary>Children that have contributed anything.</summary>
    public IEnumerable<string> Children => _children.Keys;

    public ValueSlot? Slot(DataElement element, int baseIndex) => _slots[element.Index]?[baseIndex];

    /// <summary>
    /// Applies a report to the unit's own values. The whole report is rejected, and nothing changes,
    /// when a value rule (numerator ≤ denominator) would be broken by the values in force afterwards.
    /// </summary>
    public ApplyResult Apply(ReportCommand report)
    {
        var prepared = Prepare(report, overlay: null);
        return prepared.Accepted ? Commit(prepared) : prepared.Result;
    }

    /// <summary>
    /// Checks a report and works out which values it would set, without changing anything.
    /// <paramref name="overlay"/> holds values prepared earlier in the same batch (they count as held).
    /// </summary>
    public PreparedReport Prepare(ReportCommand report, Dictionary<(int Element, int Period), ValueSlot>? overlay)
    {
        ArgumentNullException.ThrowIfNull(report);
        var calendar = _programme.Calendar;
        var errors = new List<FieldError>();
        var pending = new List<(DataElement Element, int BaseIndex, ValueSlot Slot)>();
        var previous = new List<ValueSlot?>();
        var superseded = new List<string>();
        for (var i = 0; i < report.Values.Length; i++)
        {
            var v = report.Values[i];
            if (!_programme.ElementsById.TryGetValue(v.Element, out var element))
            {
                errors.Add(new FieldError($"values[{i}].data_element", $"unknown data element '{v.Element}'"));
                continue;
            }

            if (report.Period.Type != element.PeriodType || calendar.IndexOf(report.Period) is var baseIndex && baseIndex < 0)
            {
                errors.Add(new FieldError("period", $"'{report.Period}' is not a {element.PeriodType.Name()} period of the programme"));
                continue;
            }

            var existing = Held(element, baseIndex, overlay);
            if (existing is not null && existing.IsNewerThan(report.ReportedAt, report.IdempotencyKey))
            {
                superseded.Add(element.Id);
                continue;
            }

            var slot = SlotOf(v, report, existing);
            pending.Add((element, baseIndex, slot));
            previous.Add(existing);
        }

        if (errors.Count == 0)
        {
            CheckRules(report, pending, overlay, errors);
        }

        if (errors.Count > 0)
        {
            return new PreparedReport(report, [], ApplyResult.Rejected(errors));
        }

        if (overlay is not null)
        {
            foreach (var (element, baseIndex, slot) in pending)
            {
                overlay[(element.Index, baseIndex)] = slot;
            }
        }

        return new PreparedReport(report, pending, new ApplyResult(true, [], [.. superseded], 0)) { Previous = previous };
    }

    /// <summary>
    /// Writes a prepared report's values. Each value is written only if it is still newer than the
    /// one held, so committing in any order, or twice, gives the same state.
    /// </summary>
    public ApplyResult Commit(PreparedReport prepared)
    {
        ArgumentNullException.ThrowIfNull(prepared);
        Write(prepared.Values);
        return prepared.Result with { Version = Version };
    }

    /// <summary>The unit's own values (what a checkpoint keeps).</summary>
    public IEnumerable<(DataElement Element, int BaseIndex, ValueSlot Slot)> OwnValues()
    {
        foreach (var element in _programme.Elements)
        {
            var slots = _slots[element.Index];
            for (var i = 0; slots is not null && i < slots.Length; i++)
            {
                if (slots[i] is { } slot)
                {
                    yield return (element, i, slot);
                }
            }
        }
    }

    /// <summary>Restores own values from a checkpoint (newer values already held win, as always).</summary>
    public void Restore(IReadOnlyList<(DataElement Element, int BaseIndex, ValueSlot Slot)> values) => Write(values);

    private void Write(IReadOnlyList<(DataElement Element, int BaseIndex, ValueSlot Slot)> values)
    {
        var changed = false;
        foreach (var (element, baseIndex, slot) in values)
        {
            var slots = _slots[element.Index] ??= new ValueSlot?[_programme.Calendar.Count(element.PeriodType)];
            if (slots[baseIndex] is { } held && held.IsNewerThan(slot.ReportedAt, slot.IdempotencyKey))
            {
                continue;
            }

            slots[baseIndex] = slot;
            changed |= Recompute(element, baseIndex);
        }

        if (changed)
        {
            Version++;
        }
    }

    /// <summary>Applies a report recorded in the ledger: no rule is checked again (it was when accepted).</summary>
    public void Replay(ReportCommand report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var index = _programme.Calendar.IndexOf(report.Period);
        var values = new List<(DataElement, int, ValueSlot)>();
        foreach (var v in report.Values)
        {
            if (index >= 0 && _programme.ElementsById.TryGetValue(v.Element, out var element) && element.PeriodType == report.Period.Type)
            {
                values.Add((element, index, SlotOf(v, report, _slots[element.Index]?[index])));
            }
        }

        Commit(new PreparedReport(report, values, new ApplyResult(true, [], [], 0)));
    }

    /// <summary>The slot a report's value writes; it keeps the first receipt of the value it replaces.</summary>
    private static ValueSlot SlotOf(ValueCommand v, ReportCommand report, ValueSlot? held)
    {
        var first = FirstReceipt(held, report.ReceivedAt);
        return v.Kind switch
        {
            ValueKind.Withdrawn => new ValueSlot(0, [], true, report.ReportedAt, report.IdempotencyKey, first),
            ValueKind.Entities => new ValueSlot(v.Entities.Length, v.Entities, false, report.ReportedAt, report.IdempotencyKey, first),
            _ => new ValueSlot(v.Number, [], false, report.ReportedAt, report.IdempotencyKey, first),
        };
    }

    /// <summary>When the unit first sent a value for this element and period: a correction keeps the first receipt (it decides timeliness).</summary>
    private static DateTimeOffset FirstReceipt(ValueSlot? held, DateTimeOffset received) =>
        held is not null && held.FirstReceivedAt < received ? held.FirstReceivedAt : received;

    private ValueSlot? Held(DataElement element, int baseIndex, Dictionary<(int Element, int Period), ValueSlot>? overlay) =>
        overlay is not null && overlay.TryGetValue((element.Index, baseIndex), out var staged) ? staged : _slots[element.Index]?[baseIndex];

    /// <summary>Replaces a child's contribution if it is newer than the one held. Returns true when the total changed.</summary>
    public bool ApplyChild(string childKey, Contribution contribution)
    {
        ArgumentNullException.ThrowIfNull(contribution);
        if (contribution.Cells.Length != _total.Length)
        {
            throw new ArgumentException($"Contribution of {childKey} has {contribution.Cells.Length} cells; programme {_programme.Id} has {_total.Length}.", nameof(contribution));
        }

        _children.TryGetValue(childKey, out var previous);
        if (previous is not null && !contribution.IsNewerThan(previous))
        {
            return false;
        }

        if (ReferenceEquals(_total, _own))
        {
            _total = (long[])_own.Clone();
        }

        var cells = contribution.Cells;
        var changed = false;
        if (previous is null)
        {
            for (var i = 0; i < cells.Length; i++)
            {
                if (cells[i] != 0)
                {
                    _total[i] += cells[i];
                    changed = true;
                }
            }
        }
        else
        {
            var old = previous.Cells;
            for (var i = 0; i < cells.Length; i++)
            {
                var delta = cells[i] - old[i];
                if (delta != 0)
                {
                    _total[i] += delta;
                    changed = true;
                }
            }
        }

        _children[childKey] = contribution;
        if (changed)
        {
            Version++;
        }

        return changed;
    }

    /// <summary>A copy of the total, safe to send while this object keeps changing.</summary>
    public Contribution ToContribution(long incarnation = 0) => new(_programme.Id, Version, _total.ToArray(), incarnation);

    private void CheckRules(ReportCommand report, List<(DataElement Element, int BaseIndex, ValueSlot Slot)> pending, Dictionary<(int Element, int Period), ValueSlot>? overlay, List<FieldError> errors)
    {
        if (_programme.Rules.Count == 0 || pending.Count == 0)
        {
            return;
        }

        var baseIndex = pending[0].BaseIndex;
        ValueSlot? After(DataElement e)
        {
            foreach (var p in pending)
            {
                if (p.Element == e)
                {
                    return p.Slot;
                }
            }

            return Held(e, baseIndex, overlay);
        }

        foreach (var rule in _programme.Rules)
        {
            if (!pending.Any(p => p.Element == rule.Lesser || p.Element == rule.Greater))
            {
                continue;
            }

            var lesser = After(rule.Lesser);
            var greater = After(rule.Greater);
            if (lesser is { HasValue: true } && greater is { HasValue: true } && lesser.Number > greater.Number)
            {
                var blamed = pending.Any(p => p.Element == rule.Lesser) ? rule.Lesser : rule.Greater;
                var index = report.Values.ToList().FindIndex(v => v.Element == blamed.Id);
                var field = blamed.Type == ElementType.Entities ? $"values[{index}].entities" : $"values[{index}].number";
                errors.Add(new FieldError(
                    field,
                    $"{rule.Lesser.Id} ({lesser.Number}) may not exceed {rule.Greater.Id} ({greater.Number}) for the same unit and period (rule {rule.Id})"));
            }
        }
    }

    /// <summary>Recomputes every own cell that depends on (element, base period). Returns true when one changed.</summary>
    private bool Recompute(DataElement element, int baseIndex)
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
                    MetricKind.OnTime => OnTime(metric.DataSet!, baseType, first, last) ? 1 : 0,
                    _ => metric.DataSet!.Elements.Any(e => HasAny(e, first, last)) ? 1 : 0,
                };
                changed |= SetOwn(metric.CellOf(type, index), value);
            }
        }

        return changed;
    }

    private bool RecomputeCumulative(Metric metric, DataElement element, int fromIndex)
    {
        var slots = _slots[element.Index];
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var changed = false;
        for (var q = 0; q < metric.Length; q++)
        {
            if (slots?[q] is { HasValue: true } slot)
            {
                foreach (var id in slot.Entities)
                {
                    seen.Add(id);
                }
            }

            if (q >= fromIndex)
            {
                changed |= SetOwn(metric.CumulativeCell(q), seen.Count);
            }
        }

        return changed;
    }

    private bool SetOwn(int cell, long value)
    {
        var delta = value - _own[cell];
        if (delta == 0)
        {
            return false;
        }

        _own[cell] = value;
        if (!ReferenceEquals(_total, _own))
        {
            _total[cell] += delta;
        }

        return true;
    }

    /// <summary>Whether, in base periods first..last, some element of the data set was first received by that period's deadline.</summary>
    private bool OnTime(DataSet dataSet, PeriodType baseType, int first, int last)
    {
        var deadlines = _programme.Layout.Deadlines(dataSet);
        for (var i = first; i <= last; i++)
        {
            var deadline = deadlines[i];
            foreach (var element in dataSet.Elements)
            {
                if (_slots[element.Index]?[i] is { HasValue: true } slot && (deadline is null || slot.FirstReceivedAt <= deadline))
                {
                    return true;
                }
            }
        }

        return false;
    }

    private bool HasAny(DataElement element, int first, int last)
    {
        var slots = _slots[element.Index];
        if (slots is null)
        {
            return false;
        }

        for (var i = first; i <= last; i++)
        {
            if (slots[i] is { HasValue: true })
            {
                return true;
            }
        }

        return false;
    }

    private long CountPeriodsAtLeast(DataElement element, int first, int last, long atLeast)
    {
        var slots = _slots[element.Index];
        var count = 0L;
        for (var i = first; slots is not null && i <= last; i++)
        {
            if (slots[i] is { HasValue: true } s && s.Number >= atLeast)
            {
                count++;
            }
        }

        return count;
    }

    /// <summary>The unit's own value of an element over base periods first..last, by the element's rule.</summary>
    private long Aggregate(DataElement element, int first, int last)
    {
        var slots = _slots[element.Index];
        if (slots is null)
        {
            return 0;
        }

        switch (element.Type)
        {
            case ElementType.Count:
                var sum = 0L;
                for (var i = first; i <= last; i++)
                {
                    if (slots[i] is { HasValue: true } s)
                    {
                        sum += s.Number;
                    }
                }

                return sum;
            case ElementType.Entities:
                HashSet<string>? distinct = null;
                for (var i = first; i <= last; i++)
                {
                    if (slots[i] is { HasValue: true } s)
                    {
                        distinct ??= new HashSet<string>(StringComparer.Ordinal);
                        distinct.UnionWith(s.Entities);
                    }
                }

                return distinct?.Count ?? 0;
            default:
                for (var i = last; i >= first; i--)
                {
                    if (slots[i] is { HasValue: true } s)
                    {
                        return s.Number;
                    }
                }

                return 0;
        }
    }
}
