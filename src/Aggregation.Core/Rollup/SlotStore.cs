using System.Collections.Immutable;
using Aggregation.Programmes;

namespace Aggregation.Rollup;

// The values a unit reported itself: one slot per (element, reporting period), in arrays indexed by
// the element's index and the period's index in the programme calendar. Kept apart from the cells
// because slots are the source of truth (what a checkpoint keeps and the audit trail shows), while
// cells are derived from them; the arrays stay flat because this is read on every report.
//
// Compact because a national server holds millions of them: a slot is a 24-byte struct in its
// element's array, not an object, and what identifies the report that set it (key and reported_at) is
// one object shared by every value of that report. Entity ids live in a second array that only
// entity elements have. Callers still see whole ValueSlot records, built when asked for.
internal sealed class SlotStore
{
    private readonly Programme _programme;

    // Null until the element's first value: most units report a few elements of a programme.
    private readonly Entry[]?[] _slots;
    private readonly ImmutableArray<string>[]?[] _entities;

    // The origin written last, reused while the values written next come from the same report.
    private ReportOrigin? _lastOrigin;

    public SlotStore(Programme programme)
    {
        _programme = programme;
        _slots = new Entry[]?[programme.Elements.Count];
        _entities = new ImmutableArray<string>[]?[programme.Elements.Count];
    }

    /// <summary>The element's slots by reporting period (empty when it has none yet).</summary>
    public SlotColumn Of(DataElement element) => new(_slots[element.Index], _entities[element.Index]);

    public ValueSlot? Get(DataElement element, int baseIndex) => Of(element).Slot(baseIndex);

    /// <summary>The slot held, counting values staged earlier in the same batch (<paramref name="overlay"/>) as held.</summary>
    public ValueSlot? Held(DataElement element, int baseIndex, Dictionary<(int Element, int Period), ValueSlot>? overlay) =>
        overlay is not null && overlay.TryGetValue((element.Index, baseIndex), out var staged) ? staged : Get(element, baseIndex);

    /// <summary>Writes the slot unless the one held is newer. Returns true when it was written.</summary>
    public bool TryWrite(DataElement element, int baseIndex, ValueSlot slot)
    {
        var slots = _slots[element.Index] ??= new Entry[_programme.Calendar.Count(element.PeriodType)];
        if (slots[baseIndex].Origin is { } held && held.IsNewerThan(slot.ReportedAt, slot.IdempotencyKey))
        {
            return false;
        }

        if (_lastOrigin is null || _lastOrigin.ReportedAt != slot.ReportedAt || !string.Equals(_lastOrigin.IdempotencyKey, slot.IdempotencyKey, StringComparison.Ordinal))
        {
            _lastOrigin = new ReportOrigin(slot.IdempotencyKey, slot.ReportedAt);
        }

        slots[baseIndex] = new Entry(slot.Number, _lastOrigin, slot.Withdrawn, slot.FirstReceivedAt);
        if (element.Type == ElementType.Entities)
        {
            var entities = _entities[element.Index] ??= new ImmutableArray<string>[slots.Length];
            entities[baseIndex] = slot.Entities;
        }

        return true;
    }

    /// <summary>Every slot held, element by element (what a checkpoint keeps).</summary>
    public IEnumerable<(DataElement Element, int BaseIndex, ValueSlot Slot)> All()
    {
        foreach (var element in _programme.Elements)
        {
            var column = Of(element);
            for (var i = 0; i < column.Length; i++)
            {
                if (column.Slot(i) is { } slot)
                {
                    yield return (element, i, slot);
                }
            }
        }
    }

    /// <summary>Which report set a slot: shared by all the values of that report.</summary>
    internal sealed class ReportOrigin(string idempotencyKey, DateTimeOffset reportedAt)
    {
        public string IdempotencyKey => idempotencyKey;

        public DateTimeOffset ReportedAt => reportedAt;

        /// <summary>The same order as <see cref="ValueSlot.IsNewerThan"/>.</summary>
        public bool IsNewerThan(DateTimeOffset at, string key) =>
            reportedAt > at || (reportedAt == at && string.CompareOrdinal(idempotencyKey, key) > 0);
    }

    /// <summary>One slot. No origin: nothing was reported for the period.</summary>
    internal readonly struct Entry
    {
        // The first receipt as UTC ticks, complemented (negative) when the value is withdrawn: ticks
        // never reach the sign bit, and a flag of its own would make every slot 8 bytes larger.
        private readonly long _firstReceived;

        public Entry(long number, ReportOrigin origin, bool withdrawn, DateTimeOffset firstReceivedAt)
        {
            Number = number;
            Origin = origin;
            _firstReceived = withdrawn ? ~firstReceivedAt.UtcTicks : firstReceivedAt.UtcTicks;
        }

        public long Number { get; }

        public ReportOrigin? Origin { get; }

        /// <summary>Reported and not withdrawn.</summary>
        public bool HasValue => Origin is not null && _firstReceived >= 0;

        public bool Withdrawn => _firstReceived < 0;

        public DateTimeOffset FirstReceivedAt => new(Withdrawn ? ~_firstReceived : _firstReceived, TimeSpan.Zero);
    }

    /// <summary>An element's slots by reporting period, read in place (what the cell arithmetic loops over).</summary>
    public readonly struct SlotColumn
    {
        private readonly Entry[]? _entries;
        private readonly ImmutableArray<string>[]? _entities;

        internal SlotColumn(Entry[]? entries, ImmutableArray<string>[]? entities)
        {
            _entries = entries;
            _entities = entities;
        }

        /// <summary>Nothing reported for the element yet.</summary>
        public bool IsEmpty => _entries is null;

        public int Length => _entries?.Length ?? 0;

        /// <summary>A value is in force for the period (reported, not withdrawn).</summary>
        public bool HasValue(int i) => _entries is not null && _entries[i].HasValue;

        public long Number(int i) => _entries![i].Number;

        public ImmutableArray<string> Entities(int i) => _entities?[i] is { IsDefault: false } ids ? ids : [];

        public DateTimeOffset FirstReceivedAt(int i) => _entries![i].FirstReceivedAt;

        /// <summary>The slot as a record, or null when nothing was reported for the period.</summary>
        public ValueSlot? Slot(int i)
        {
            if (_entries is null || _entries[i].Origin is not { } origin)
            {
                return null;
            }

            var entry = _entries[i];
            return new ValueSlot(entry.Number, Entities(i), entry.Withdrawn, origin.ReportedAt, origin.IdempotencyKey, entry.FirstReceivedAt);
        }
    }
}
