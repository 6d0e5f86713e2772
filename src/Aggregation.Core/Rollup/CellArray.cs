namespace Aggregation.Rollup;

/// <summary>
/// A unit's cells in the narrowest signed integers that hold them all: 16 bits until a cell needs more,
/// then 32, then 64 (a widening copies the whole array once, and it never narrows again). A commune's
/// cells are counts of at most a few thousand, so it keeps a quarter of a <c>long[]</c>; any value a
/// <c>long</c> holds is still exact.
/// </summary>
internal sealed class CellArray
{
    private short[]? _short;
    private int[]? _int;
    private long[]? _long;

    public CellArray(int length) => _short = new short[length];

    private CellArray(short[]? narrow, int[]? middle, long[]? wide)
    {
        _short = narrow;
        _int = middle;
        _long = wide;
    }

    public int Length => _short?.Length ?? _int?.Length ?? _long!.Length;

    public long this[int cell] => _short is { } s ? s[cell] : _int is { } i ? i[cell] : _long![cell];

    public void Set(int cell, long value)
    {
        if (_short is { } s)
        {
            if (value is >= short.MinValue and <= short.MaxValue)
            {
                s[cell] = (short)value;
                return;
            }

            _int = Array.ConvertAll(s, x => (int)x);
            _short = null;
        }

        if (_int is { } i)
        {
            if (value is >= int.MinValue and <= int.MaxValue)
            {
                i[cell] = (int)value;
                return;
            }

            _long = Array.ConvertAll(i, x => (long)x);
            _int = null;
        }

        _long![cell] = value;
    }

    public void Add(int cell, long delta) => Set(cell, this[cell] + delta);

    public CellArray Clone() => new((short[]?)_short?.Clone(), (int[]?)_int?.Clone(), (long[]?)_long?.Clone());

    public long[] ToArray()
    {
        var cells = new long[Length];
        for (var c = 0; c < cells.Length; c++)
        {
            cells[c] = this[c];
        }

        return cells;
    }
}
