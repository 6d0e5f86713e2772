namespace Aggregation.Rollup;

/// <summary>
/// A child's cells as its parent keeps them between two contributions: each cell a zigzag
/// variable-length integer (LEB128), read only front to back. A commune's 2,500 cells are small counts
/// and zeros, a byte or two each, so the parent keeps about a tenth of a <c>long[]</c> per child and
/// the values stay exact whatever their size (a <c>long</c> takes at most ten bytes).
/// </summary>
internal readonly struct PackedCells
{
    private readonly byte[] _bytes;

    private PackedCells(byte[] bytes) => _bytes = bytes;

    public int ByteCount => _bytes.Length;

    public static PackedCells Pack(ReadOnlySpan<long> cells)
    {
        // Counted first, so that the packed array is allocated once at its final size.
        var size = 0;
        foreach (var cell in cells)
        {
            size += SizeOf(ZigZag(cell));
        }

        var bytes = new byte[size];
        var at = 0;
        foreach (var cell in cells)
        {
            var rest = ZigZag(cell);
            while (rest >= 0x80)
            {
                bytes[at++] = (byte)(rest | 0x80);
                rest >>= 7;
            }

            bytes[at++] = (byte)rest;
        }

        return new PackedCells(bytes);
    }

    /// <summary>
    /// Adds <paramref name="next"/> minus these cells to <paramref name="total"/>, cell by cell (what
    /// replacing this contribution by the next does to a parent's total). Returns true when a cell moved.
    /// </summary>
    public bool AddDifference(ReadOnlySpan<long> next, CellArray total)
    {
        var changed = false;
        var at = 0;
        for (var i = 0; i < next.Length; i++)
        {
            ulong raw = 0;
            var shift = 0;
            byte b;
            do
            {
                b = _bytes[at++];
                raw |= (ulong)(b & 0x7F) << shift;
                shift += 7;
            }
            while (b >= 0x80);

            var delta = next[i] - UnZigZag(raw);
            if (delta != 0)
            {
                total.Add(i, delta);
                changed = true;
            }
        }

        if (at != _bytes.Length)
        {
            throw new InvalidOperationException($"A contribution of {next.Length} cells replaced one packed from a different number of cells.");
        }

        return changed;
    }

    /// <summary>Small magnitudes of either sign get small codes: 0, -1, 1, -2 … become 0, 1, 2, 3 ….</summary>
    private static ulong ZigZag(long value) => (ulong)((value << 1) ^ (value >> 63));

    private static long UnZigZag(ulong raw) => (long)(raw >> 1) ^ -(long)(raw & 1);

    private static int SizeOf(ulong raw)
    {
        var size = 1;
        while (raw >= 0x80)
        {
            raw >>= 7;
            size++;
        }

        return size;
    }
}
