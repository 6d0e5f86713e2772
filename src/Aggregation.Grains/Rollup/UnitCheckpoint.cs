using System.Collections.Immutable;
using System.IO.Compression;
using Aggregation.Hierarchy;

namespace Aggregation.Rollup;

/// <summary>
/// A unit's own values as of ledger sequence <see cref="AppliedSeq"/>, kept in the checkpoint store
/// so that activation replays only the ledger entries after it. Children's contributions are not
/// kept: they are asked for again on activation. This is the one place that maps a unit's rollups
/// to and from the stored form, so a change of the in-memory representation is adapted here.
/// </summary>
public sealed class UnitCheckpoint
{
    /// <summary>The encoding's version, the payload's first byte; a payload of another version is not read (the unit replays its ledger).</summary>
    private const byte FormatVersion = 1;

    /// <summary>
    /// The first byte of a compressed payload: the length of the <see cref="FormatVersion"/> form
    /// (7-bit encoded), then that form compressed with Brotli. Checkpoints are written in waves (every
    /// unit once idle after a load), and each byte of a wave is a byte of PostgreSQL's WAL; report keys
    /// and times repeat their unit's code and periods, so they compress about 3.7 times.
    /// </summary>
    private const byte CompressedFormatVersion = 2;

    /// <summary>
    /// Brotli's quality for checkpoints: 5 compressed a national load's checkpoints 3.75 times at
    /// ~60 MB/s on this project's benchmark machine (quality 1: 2.9 times; above 5 no smaller).
    /// </summary>
    private const int CompressionQuality = 5;

    /// <summary>Every ledger entry of the unit up to this sequence is reflected in <see cref="Values"/>.</summary>
    public long AppliedSeq { get; init; }

    public IReadOnlyList<CheckpointValue> Values { get; init; } = [];

    /// <summary>The unit's own values, as they stand after ledger sequence <paramref name="appliedSeq"/>.</summary>
    public static UnitCheckpoint Of(IEnumerable<ProgrammeRollup> rollups, long appliedSeq) => new()
    {
        AppliedSeq = appliedSeq,
        Values = rollups.SelectMany(r => r.OwnValues().Select(v => new CheckpointValue(r.Programme.Id, v.Element.Id, v.BaseIndex, v.Slot))).ToList(),
    };

    /// <summary>
    /// Puts the values back into the unit's rollups (made by <paramref name="rollupFor"/>). Values
    /// of programmes or elements the catalog no longer has are left out, as a replay would.
    /// </summary>
    public void RestoreInto(Catalog catalog, Func<string, ProgrammeRollup> rollupFor)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(rollupFor);
        foreach (var group in Values.GroupBy(v => v.Programme))
        {
            if (!catalog.Programmes.TryGetValue(group.Key, out var programme))
            {
                continue;
            }

            var values = group.Where(v => programme.ElementsById.ContainsKey(v.Element))
                .Select(v => (programme.ElementsById[v.Element], v.PeriodIndex, v.Slot))
                .ToList();
            rollupFor(group.Key).Restore(values);
        }
    }

    /// <summary>
    /// The compact binary form: one table of the strings used (programme, element, entity ids and
    /// report keys, each once), one table of the reports that set the values (key, reported and
    /// first received times), then each value by reference. A commune's ~650 values share ~130 reports,
    /// so a value costs a handful of bytes instead of a JSON object with its key spelled out.
    /// </summary>
    public byte[] Encode()
    {
        var plain = EncodePlain();
        var body = new byte[BrotliEncoder.GetMaxCompressedLength(plain.Length)];
        if (!BrotliEncoder.TryCompress(plain, body, out var written, CompressionQuality, window: 22))
        {
            return plain;
        }

        using var compressed = new MemoryStream(written + 6);
        using (var w = new BinaryWriter(compressed, System.Text.Encoding.UTF8, leaveOpen: true))
        {
            w.Write(CompressedFormatVersion);
            w.Write7BitEncodedInt(plain.Length);
            w.Write(body, 0, written);
        }

        return compressed.Length < plain.Length ? compressed.ToArray() : plain;
    }

    private byte[] EncodePlain()
    {
        var strings = new Dictionary<string, int>(StringComparer.Ordinal);
        var reports = new Dictionary<(string Key, DateTimeOffset At, DateTimeOffset First), int>();
        int Str(string s)
        {
            if (!strings.TryGetValue(s, out var i))
            {
                strings[s] = i = strings.Count;
            }

            return i;
        }

        var encoded = new List<(int Programme, int Element, int Period, int Report, ValueSlot Slot, int[] Entities)>(Values.Count);
        foreach (var v in Values)
        {
            var slot = v.Slot;
            var report = (slot.IdempotencyKey, slot.ReportedAt, slot.FirstReceivedAt);
            if (!reports.TryGetValue(report, out var r))
            {
                Str(slot.IdempotencyKey);
                reports[report] = r = reports.Count;
            }

            encoded.Add((Str(v.Programme), Str(v.Element), v.PeriodIndex, r, slot, slot.Entities.IsDefaultOrEmpty ? [] : slot.Entities.Select(Str).ToArray()));
        }

        using var buffer = new MemoryStream();
        using (var w = new BinaryWriter(buffer, System.Text.Encoding.UTF8, leaveOpen: true))
        {
            w.Write(FormatVersion);
            w.Write7BitEncodedInt(strings.Count);
            foreach (var s in strings.Keys)
            {
                w.Write(s);
            }

            w.Write7BitEncodedInt(reports.Count);
            foreach (var (key, at, first) in reports.Keys)
            {
                w.Write7BitEncodedInt(strings[key]);
                WriteTime(w, at);
                WriteTime(w, first);
            }

            w.Write7BitEncodedInt(encoded.Count);
            foreach (var (programme, element, period, report, slot, entities) in encoded)
            {
                w.Write7BitEncodedInt(programme);
                w.Write7BitEncodedInt(element);
                w.Write7BitEncodedInt(period);
                w.Write7BitEncodedInt(report);
                w.Write(slot.Withdrawn);
                w.Write7BitEncodedInt64(ZigZag(slot.Number));
                w.Write7BitEncodedInt(entities.Length);
                foreach (var e in entities)
                {
                    w.Write7BitEncodedInt(e);
                }
            }
        }

        return buffer.ToArray();
    }

    /// <summary>Reads what <see cref="Encode"/> wrote, or null when the payload is of another format version.</summary>
    public static UnitCheckpoint? Decode(long appliedSeq, byte[] payload)
    {
        ArgumentNullException.ThrowIfNull(payload);
        if (payload.Length > 0 && payload[0] == CompressedFormatVersion)
        {
            payload = Decompress(payload) ?? [];
        }

        if (payload.Length == 0 || payload[0] != FormatVersion)
        {
            return null;
        }

        using var r = new BinaryReader(new MemoryStream(payload, 1, payload.Length - 1, writable: false), System.Text.Encoding.UTF8);
        var strings = new string[r.Read7BitEncodedInt()];
        for (var i = 0; i < strings.Length; i++)
        {
            strings[i] = r.ReadString();
        }

        var reports = new (string Key, DateTimeOffset At, DateTimeOffset First)[r.Read7BitEncodedInt()];
        for (var i = 0; i < reports.Length; i++)
        {
            reports[i] = (strings[r.Read7BitEncodedInt()], ReadTime(r), ReadTime(r));
        }

        var values = new CheckpointValue[r.Read7BitEncodedInt()];
        for (var i = 0; i < values.Length; i++)
        {
            var programme = strings[r.Read7BitEncodedInt()];
            var element = strings[r.Read7BitEncodedInt()];
            var period = r.Read7BitEncodedInt();
            var (key, at, first) = reports[r.Read7BitEncodedInt()];
            var withdrawn = r.ReadBoolean();
            var number = UnZigZag(r.Read7BitEncodedInt64());
            var entities = new string[r.Read7BitEncodedInt()];
            for (var e = 0; e < entities.Length; e++)
            {
                entities[e] = strings[r.Read7BitEncodedInt()];
            }

            values[i] = new CheckpointValue(programme, element, period, new ValueSlot(number, [.. entities], withdrawn, at, key, first));
        }

        return new UnitCheckpoint { AppliedSeq = appliedSeq, Values = values };
    }

    /// <summary>The plain form inside a compressed payload, or null when it does not decompress to its stated length (the unit then replays its ledger).</summary>
    private static byte[]? Decompress(byte[] payload)
    {
        int length, header;
        using (var r = new BinaryReader(new MemoryStream(payload, 1, payload.Length - 1, writable: false)))
        {
            try
            {
                length = r.Read7BitEncodedInt();
            }
            catch (Exception e) when (e is FormatException or EndOfStreamException)
            {
                return null;
            }

            header = (int)r.BaseStream.Position + 1;
        }

        if (length <= 0 || length > 64 * 1024 * 1024)
        {
            return null;
        }

        var plain = new byte[length];
        return BrotliDecoder.TryDecompress(payload.AsSpan(header), plain, out var written) && written == length ? plain : null;
    }

    private static void WriteTime(BinaryWriter w, DateTimeOffset time)
    {
        w.Write7BitEncodedInt64(time.UtcTicks);
        w.Write7BitEncodedInt(ZigZag32((int)time.Offset.TotalMinutes));
    }

    private static DateTimeOffset ReadTime(BinaryReader r)
    {
        var utcTicks = r.Read7BitEncodedInt64();
        var offset = TimeSpan.FromMinutes(UnZigZag32(r.Read7BitEncodedInt()));
        return new DateTimeOffset(utcTicks + offset.Ticks, offset);
    }

    private static long ZigZag(long n) => (n << 1) ^ (n >> 63);

    private static long UnZigZag(long z) => (long)((ulong)z >> 1) ^ -(z & 1);

    private static int ZigZag32(int n) => (n << 1) ^ (n >> 31);

    private static int UnZigZag32(int z) => (int)((uint)z >> 1) ^ -(z & 1);
}

/// <summary>One value a unit holds: programme, element, period (the programme's base index) and the slot with the report that set it.</summary>
public sealed record CheckpointValue(string Programme, string Element, int PeriodIndex, ValueSlot Slot);
