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
    public void A_payload_of_another_format_is_not_read()
    {
        Assert.Null(UnitCheckpoint.Decode(1, "{\"AppliedSeq\":1}"u8.ToArray()));
        Assert.Null(UnitCheckpoint.Decode(1, []));
    }

    private static string Describe(CheckpointValue v) =>
        $"{v.Programme}|{v.Element}|{v.PeriodIndex}|{v.Slot.Number}|{string.Join(",", v.Slot.Entities)}|{v.Slot.Withdrawn}|{v.Slot.ReportedAt:O}|{v.Slot.IdempotencyKey}|{v.Slot.FirstReceivedAt:O}";
}
