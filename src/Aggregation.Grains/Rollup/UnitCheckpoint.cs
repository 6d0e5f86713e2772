namespace Aggregation.Rollup;

/// <summary>
/// A unit's own values as of ledger sequence <see cref="AppliedSeq"/>, kept in grain storage so that
/// activation replays only the ledger entries after it. Children's contributions are not kept:
/// they are asked for again on activation. Stored as plain JSON under the never-renamed state name
/// <see cref="UnitGrain.CheckpointStateName"/>.
/// </summary>
[GenerateSerializer, Alias("aggregation.UnitCheckpoint")]
public sealed class UnitCheckpoint
{
    /// <summary>Every ledger entry of the unit up to this sequence is reflected in <see cref="Values"/>.</summary>
    [Id(0)]
    public long AppliedSeq { get; set; }

    [Id(1)]
    public List<CheckpointValue> Values { get; set; } = [];
}

[GenerateSerializer, Alias("aggregation.CheckpointValue")]
public sealed record CheckpointValue(
    [property: Id(0)] string Programme,
    [property: Id(1)] string Element,
    [property: Id(2)] int PeriodIndex,
    [property: Id(3)] ValueSlot Slot);
