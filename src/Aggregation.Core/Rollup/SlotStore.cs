using Aggregation.Programmes;

namespace Aggregation.Rollup;

// The values a unit reported itself: one slot per (element, reporting period), in arrays indexed by
// the element's index and the period's index in the programme calendar. Kept apart from the cells
// because slots are the source of truth (what a checkpoint keeps and the audit trail shows), while
// cells are derived from them; the arrays stay flat because this is read on every report.
internal sealed class SlotStore
{
    private readonly Programme _programme;

    // Null until the element's first value: most units report a few elements of a programme.
    private readonly ValueSlot?[][] _slots;

    public SlotStore(Programme programme)
    {
        _programme = programme;
        _slots = new ValueSlot?[programme.Elements.Count][];
    }

    /// <summary>The element's slots by reporting period, or null when it has none yet.</summary>
    public ValueSlot?[]? Of(DataElement element) => _slots[element.Index];

    public ValueSlot? Get(DataElement element, int baseIndex) => _slots[element.Index]?[baseIndex];

    /// <summary>The slot held, counting values staged earlier in the same batch (<paramref name="overlay"/>) as held.</summary>
    public ValueSlot? Held(DataElement element, int baseIndex, Dictionary<(int Element, int Period), ValueSlot>? overlay) =>
        overlay is not null && overlay.TryGetValue((element.Index, baseIndex), out var staged) ? staged : _slots[element.Index]?[baseIndex];

    /// <summary>Writes the slot unless the one held is newer. Returns true when it was written.</summary>
    public bool TryWrite(DataElement element, int baseIndex, ValueSlot slot)
    {
        var slots = _slots[element.Index] ??= new ValueSlot?[_programme.Calendar.Count(element.PeriodType)];
        if (slots[baseIndex] is { } held && held.IsNewerThan(slot.ReportedAt, slot.IdempotencyKey))
        {
            return false;
        }

        slots[baseIndex] = slot;
        return true;
    }

    /// <summary>Every slot held, element by element (what a checkpoint keeps).</summary>
    public IEnumerable<(DataElement Element, int BaseIndex, ValueSlot Slot)> All()
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
}
