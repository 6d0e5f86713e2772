using Aggregation.Rollup;

namespace Aggregation.Grains.Tests;

/// <summary>The stored form of a unit's checkpoint gives back exactly the values it was made from.</summary>
public sealed class UnitCheckpointTests
{
    private static readonly DateTimeOffset March = new(2025, 3, 31, 17, 0, 0, TimeSpan.Zero);

    [Fact]
    public void A_decoded_checkpoint_holds_every_value_number_flag_entities_and_withdrawal_with_the_report_that_set_it()
    {
        var checkpoint = new UnitCheckpoint
        {
            AppliedSeq = 42,
            Values =
            [
                new("programme-a", "awareness_activities", 2, new ValueSlot(3, [], false, March, "key-1", March.AddMinutes(5))),
                new("programme-a", "complaints_received", 2, new ValueSlot(-7_000_000_000, [], false, March, "key-1", March.AddMinutes(5))),
                new("programme-a", "district_plan_adopted", 0, new ValueSlot(1, [], false, March.AddDays(1), "key-2")),
                new("programme-b", "venues_inspected", 61, new ValueSlot(2, ["venue-9", "venue-3"], false, new DateTimeOffset(2025, 4, 1, 8, 0, 0, TimeSpan.FromHours(7)), "key-3")),
                new("programme-b", "awareness_activities", 7, new ValueSlot(0, [], true, March, "key-4", March)),
            ],
        };

        var decoded = UnitCheckpoint.Decode(42, checkpoint.Encode());

        Assert.NotNull(decoded);
        Assert.Equal(42, decoded.AppliedSeq);
        Assert.Equal(checkpoint.Values.Select(Describe), decoded.Values.Select(Describe));
    }

    [Fact]
    public void The_stored_form_is_a_fifth_of_the_JSON_because_reports_and_names_are_stored_once()
    {
        // A commune's month: 130 reports of 5 values each, keys as long as the product's.
        var values = Enumerable.Range(0, 130).SelectMany(r => Enumerable.Range(0, 5).Select(e =>
            new CheckpointValue("prostitution-prevention-2021-2025", $"element_{e}", r, new ValueSlot(r * 10 + e, [], false, March.AddHours(r), $"commune-05443-2025-{r:D3}-monthly-0123456789abcdef")))).ToList();

        var bytes = new UnitCheckpoint { AppliedSeq = 130, Values = values }.Encode().Length;

        // The JSON the checkpoints were stored as before spelled every key and time out per value.
        var json = System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(values).Length;
        Assert.True(bytes * 5 < json, $"{bytes} bytes encoded, {json} as JSON");
    }

    [Fact]
    public void A_communes_checkpoint_is_stored_compressed_in_a_quarter_of_its_plain_form_and_reads_back_the_same()
    {
        // Five years of a commune's monthly reports, keys as a district system makes them: they repeat
        // the unit's code and the period, which is what compression takes out.
        var values = Enumerable.Range(0, 60).SelectMany(month => Enumerable.Range(0, 5).Select(e =>
            new CheckpointValue("prostitution-prevention-2021-2025", $"element_{e}", month,
                new ValueSlot(month * 3 + e, [], false, March.AddDays(month * 30), $"district-164-05443-{2021 + month / 12}-{month % 12 + 1:D2}-monthly", March.AddDays(month * 30).AddMinutes(2))))).ToList();
        var checkpoint = new UnitCheckpoint { AppliedSeq = 60, Values = values };

        var stored = checkpoint.Encode();
        var plain = UncompressedLength(stored);

        Assert.True(stored.Length * 3 < plain, $"{stored.Length} bytes stored for {plain} plain");
        Assert.Equal(values.Select(Describe), UnitCheckpoint.Decode(60, stored)!.Values.Select(Describe));
    }

    [Fact]
    public void A_checkpoint_written_before_compression_is_still_read()
    {
        // The plain form (format 1) of one value, as checkpoints were stored before: read as it is,
        // so units do not replay their whole ledger after an upgrade.
        var value = new CheckpointValue("programme-a", "awareness_activities", 2, new ValueSlot(3, [], false, March, "key-1", March.AddMinutes(5)));
        byte[] formatOne =
        [
            1, 3, .. Str("programme-a"), .. Str("awareness_activities"), .. Str("key-1"),
            1, 2, .. Time(March), .. Time(March.AddMinutes(5)),
            1, 0, 1, 2, 0, 0, 6, 0,
        ];

        var decoded = UnitCheckpoint.Decode(7, formatOne);

        Assert.NotNull(decoded);
        Assert.Equal([Describe(value)], decoded.Values.Select(Describe));
    }

    [Fact]
    public void A_compressed_checkpoint_that_is_damaged_is_not_read_and_the_unit_replays_its_ledger()
    {
        var values = Enumerable.Range(0, 100).Select(i => new CheckpointValue("programme-a", "awareness_activities", i, new ValueSlot(i, [], false, March, $"key-{i}"))).ToList();
        var stored = new UnitCheckpoint { AppliedSeq = 1, Values = values }.Encode();
        Assert.Equal(2, stored[0]);

        Assert.Null(UnitCheckpoint.Decode(1, stored[..^8]));
        Assert.Null(UnitCheckpoint.Decode(1, [2, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F]));
    }

    [Fact]
    public void A_payload_of_another_format_is_not_read()
    {
        Assert.Null(UnitCheckpoint.Decode(1, "{\"AppliedSeq\":1}"u8.ToArray()));
        Assert.Null(UnitCheckpoint.Decode(1, []));
    }

    private static int UncompressedLength(byte[] stored)
    {
        Assert.Equal(2, stored[0]);
        using var r = new BinaryReader(new MemoryStream(stored, 1, stored.Length - 1));
        return r.Read7BitEncodedInt();
    }

    private static byte[] Str(string s) => [(byte)s.Length, .. System.Text.Encoding.UTF8.GetBytes(s)];

    private static byte[] Time(DateTimeOffset t)
    {
        using var buffer = new MemoryStream();
        using (var w = new BinaryWriter(buffer))
        {
            w.Write7BitEncodedInt64(t.UtcTicks);
            w.Write7BitEncodedInt(0);
        }

        return buffer.ToArray();
    }

    private static string Describe(CheckpointValue v) =>
        $"{v.Programme}|{v.Element}|{v.PeriodIndex}|{v.Slot.Number}|{string.Join(",", v.Slot.Entities)}|{v.Slot.Withdrawn}|{v.Slot.ReportedAt:O}|{v.Slot.IdempotencyKey}|{v.Slot.FirstReceivedAt:O}";
}
