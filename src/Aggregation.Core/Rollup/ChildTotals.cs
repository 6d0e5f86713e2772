namespace Aggregation.Rollup;

// A unit's cells: its own (derived from what it reported), each child's latest contribution, and the
// element-wise total a parent and readers see. Kept apart from the cell calculator because the total
// is kept by deltas from two sides (own cells changing, children replacing their contribution) and
// that bookkeeping, with its shared-array shortcut, is easiest to trust in one place.
internal sealed class ChildTotals
{
    private readonly Dictionary<string, HeldContribution> _children = new(StringComparer.Ordinal);

    // A unit without children (most units are communes) has one array: its own values are its total.
    // The first child contribution gives the total an array of its own.
    private readonly CellArray _own;
    private CellArray _total;

    public ChildTotals(int length)
    {
        _own = new CellArray(length);
        _total = _own;
    }

    public int Length => _total.Length;

    /// <summary>Children that have contributed anything.</summary>
    public IEnumerable<string> Children => _children.Keys;

    /// <summary>Sets one of the unit's own cells, moving the total by the difference. Returns true when it changed.</summary>
    public bool SetOwn(int cell, long value)
    {
        var delta = value - _own[cell];
        if (delta == 0)
        {
            return false;
        }

        _own.Set(cell, value);
        if (!ReferenceEquals(_total, _own))
        {
            _total.Add(cell, delta);
        }

        return true;
    }

    /// <summary>
    /// Replaces a child's contribution if it is newer than the one held (a parent never adds deltas it
    /// is sent, so duplicates and reordering cannot double count). Returns true when the total changed.
    /// </summary>
    public bool ApplyChild(string childKey, Contribution contribution)
    {
        _children.TryGetValue(childKey, out var previous);
        if (previous is not null && !previous.IsOlderThan(contribution))
        {
            return false;
        }

        if (ReferenceEquals(_total, _own))
        {
            _total = _own.Clone();
        }

        var cells = contribution.Cells;
        var changed = false;
        if (previous is null)
        {
            for (var i = 0; i < cells.Length; i++)
            {
                if (cells[i] != 0)
                {
                    _total.Add(i, cells[i]);
                    changed = true;
                }
            }
        }
        else
        {
            changed = previous.Cells.AddDifference(cells, _total);
        }

        _children[childKey] = new HeldContribution(contribution.Incarnation, contribution.Version, PackedCells.Pack(cells));
        return changed;
    }

    /// <summary>A copy of the total, safe to send while the cells keep changing.</summary>
    public long[] CopyOfTotal() => _total.ToArray();

    /// <summary>
    /// What a parent keeps of a child's latest contribution: its order, to refuse an older one, and its
    /// cells, to subtract them when the next one replaces it. Packed: the parent never reads them otherwise.
    /// </summary>
    private sealed class HeldContribution(long incarnation, long version, PackedCells cells)
    {
        public PackedCells Cells => cells;

        /// <summary>The same order as <see cref="Contribution.IsNewerThan"/>: incarnation first, then version.</summary>
        public bool IsOlderThan(Contribution next) =>
            next.Incarnation > incarnation || (next.Incarnation == incarnation && next.Version > version);
    }
}
