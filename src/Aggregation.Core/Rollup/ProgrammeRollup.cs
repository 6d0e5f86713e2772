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
/// <remarks>
/// The façade over four parts: <see cref="SlotStore"/> (the values reported), <see cref="ValueRuleChecker"/>
/// (whether a report may be written), <see cref="CellCalculator"/> (own cells from the values) and
/// <see cref="ChildTotals"/> (own cells plus children's contributions). It decides what a report
/// does and counts versions.
/// </remarks>
public sealed class ProgrammeRollup
{
    private readonly Programme _programme;
    private readonly SlotStore _slots;
    private readonly ChildTotals _cells;
    private readonly CellCalculator _calculator;

    public ProgrammeRollup(Programme programme, string level)
    {
        _programme = programme ?? throw new ArgumentNullException(nameof(programme));
        _slots = new SlotStore(programme);
        _cells = new ChildTotals(programme.Layout.Length);
        _calculator = new CellCalculator(programme, level, _slots, _cells);
    }

    public Programme Programme => _programme;

    /// <summary>Increases with every change of <see cref="Total"/>.</summary>
    public long Version { get; private set; }

    /// <summary>Own values plus every child's latest contribution: a copy (the cells are kept narrower than a long).</summary>
    public ReadOnlySpan<long> Total => _cells.CopyOfTotal();

    /// <summary>A copy of <see cref="Total"/>, safe to keep or send while this object keeps changing.</summary>
    public long[] CopyOfTotal() => _cells.CopyOfTotal();

    /// <summary>Children that have contributed anything.</summary>
    public IEnumerable<string> Children => _cells.Children;

    public ValueSlot? Slot(DataElement element, int baseIndex) => _slots.Get(element, baseIndex);

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

            var existing = _slots.Held(element, baseIndex, overlay);
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
            ValueRuleChecker.Check(_programme, _slots, report, pending, overlay, errors);
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
    public IEnumerable<(DataElement Element, int BaseIndex, ValueSlot Slot)> OwnValues() => _slots.All();

    /// <summary>Restores own values from a checkpoint (newer values already held win, as always).</summary>
    /// <remarks>
    /// Written report by report (the order does not change the result: each slot is written once and
    /// cells are recomputed from the slots), so that the values of one report share what identifies it.
    /// </remarks>
    public void Restore(IReadOnlyList<(DataElement Element, int BaseIndex, ValueSlot Slot)> values) =>
        Write([.. values.OrderBy(v => v.Slot.IdempotencyKey, StringComparer.Ordinal).ThenBy(v => v.Slot.ReportedAt)]);

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
                values.Add((element, index, SlotOf(v, report, _slots.Get(element, index))));
            }
        }

        Commit(new PreparedReport(report, values, new ApplyResult(true, [], [], 0)));
    }

    /// <summary>Replaces a child's contribution if it is newer than the one held. Returns true when the total changed.</summary>
    public bool ApplyChild(string childKey, Contribution contribution)
    {
        ArgumentNullException.ThrowIfNull(contribution);
        if (contribution.Cells.Length != _cells.Length)
        {
            throw new ArgumentException($"Contribution of {childKey} has {contribution.Cells.Length} cells; programme {_programme.Id} has {_cells.Length}.", nameof(contribution));
        }

        var changed = _cells.ApplyChild(childKey, contribution);
        if (changed)
        {
            Version++;
        }

        return changed;
    }

    /// <summary>A copy of the total, safe to send while this object keeps changing.</summary>
    public Contribution ToContribution(long incarnation = 0) => new(_programme.Id, Version, _cells.CopyOfTotal(), incarnation);

    private void Write(IReadOnlyList<(DataElement Element, int BaseIndex, ValueSlot Slot)> values)
    {
        var changed = false;
        foreach (var (element, baseIndex, slot) in values)
        {
            if (_slots.TryWrite(element, baseIndex, slot))
            {
                changed |= _calculator.Recompute(element, baseIndex);
            }
        }

        if (changed)
        {
            Version++;
        }
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
}
