using System.Collections.Immutable;
using Aggregation.Periods;

namespace Aggregation.Rollup;

public enum ValueKind
{
    Number = 0,
    Flag = 1,
    Entities = 2,
    Withdrawn = 3,
}

/// <summary>One value of a report, already validated at the edge (ids known, numbers integral and non-negative).</summary>
[GenerateSerializer, Immutable, Alias("aggregation.ValueCommand")]
public sealed record ValueCommand(
    [property: Id(0)] string Element,
    [property: Id(1)] ValueKind Kind,
    [property: Id(2)] long Number,
    [property: Id(3)] ImmutableArray<string> Entities);

/// <summary>
/// A report for one unit, programme and period. Values replace earlier values of the same unit,
/// period and element when <see cref="ReportedAt"/> (then the idempotency key) is later: arrival
/// order does not matter.
/// </summary>
[GenerateSerializer, Immutable, Alias("aggregation.ReportCommand")]
public sealed record ReportCommand(
    [property: Id(0)] string IdempotencyKey,
    [property: Id(1)] string ProgrammeId,
    [property: Id(2)] Period Period,
    [property: Id(3)] DateTimeOffset ReportedAt,
    [property: Id(4)] ImmutableArray<ValueCommand> Values,
    [property: Id(5)] string Source,
    [property: Id(6)] DateTimeOffset ReceivedAt = default);

/// <summary>
/// A field of a request that was rejected, named as in the gRPC request (<c>values[2].number</c>).
/// <see cref="Vi"/> says the same to the officer of the browser's data entry form, where one was
/// written; gRPC answers carry <see cref="Description"/> only, as they always have.
/// </summary>
[GenerateSerializer, Immutable, Alias("aggregation.FieldError")]
public sealed record FieldError([property: Id(0)] string Field, [property: Id(1)] string Description, [property: Id(2)] string? Vi = null);

/// <summary>What happened to a report in its unit.</summary>
[GenerateSerializer, Immutable, Alias("aggregation.ApplyResult")]
public sealed record ApplyResult(
    [property: Id(0)] bool Accepted,
    [property: Id(1)] ImmutableArray<FieldError> Errors,
    [property: Id(2)] ImmutableArray<string> SupersededElements,
    [property: Id(3)] long Version)
{
    public static ApplyResult Rejected(IEnumerable<FieldError> errors) => new(false, [.. errors], [], 0);
}

/// <summary>A value a unit reported itself: the element, the index of its reporting period in the programme's calendar, and the slot.</summary>
[GenerateSerializer, Immutable, Alias("aggregation.OwnValue")]
public sealed record OwnValue(
    [property: Id(0)] string ElementId,
    [property: Id(1)] int BaseIndex,
    [property: Id(2)] ValueSlot Slot);

/// <summary>
/// A child's whole aggregated contribution to one programme. (Incarnation, Version) orders a
/// child's contributions: the incarnation is the start time of the child's activation, so a child
/// reloaded from the ledger after a crash supersedes whatever its previous activation sent.
/// </summary>
[GenerateSerializer, Immutable, Alias("aggregation.Contribution")]
public sealed record Contribution(
    [property: Id(0)] string ProgrammeId,
    [property: Id(1)] long Version,
    [property: Id(2)] long[] Cells,
    [property: Id(3)] long Incarnation = 0)
{
    public bool IsNewerThan(Contribution other) =>
        Incarnation > other.Incarnation || (Incarnation == other.Incarnation && Version > other.Version);
}

/// <summary>What became of one report in its unit.</summary>
public enum UnitOutcomeKind
{
    Accepted,
    Duplicate,
    KeyConflict,
    Rejected,

    /// <summary>Checked only (<see cref="IUnitGrain.CheckBatchAsync"/>): would be accepted.</summary>
    Valid,
}

/// <summary>
/// A validated report and the hash of what it means (what makes a retry a duplicate however it is
/// re-serialised). <see cref="WireHash"/> is the hash of its wire bytes, the key of reports
/// recorded before the ledger kept the meaning's hash, so that their retries stay duplicates.
/// </summary>
[GenerateSerializer, Immutable, Alias("aggregation.UnitSubmission")]
public sealed record UnitSubmission(
    [property: Id(0)] ReportCommand Report,
    [property: Id(1)] string PayloadHash,
    [property: Id(2)] Storage.Submitter? Submitter = null,
    [property: Id(3)] string? WireHash = null);

[GenerateSerializer, Immutable, Alias("aggregation.UnitOutcome")]
public sealed record UnitOutcome(
    [property: Id(0)] UnitOutcomeKind Kind,
    [property: Id(1)] ImmutableArray<FieldError> Errors,
    [property: Id(2)] ImmutableArray<string> SupersededElements,
    [property: Id(3)] long Version);

/// <summary>The aggregated cells of a unit for one programme (own values plus its children's latest contributions).</summary>
[GenerateSerializer, Immutable, Alias("aggregation.RollupSnapshot")]
public sealed record RollupSnapshot(
    [property: Id(0)] string ProgrammeId,
    [property: Id(1)] long Version,
    [property: Id(2)] long[] Cells,
    [property: Id(3)] ImmutableArray<string> ReportedChildren);
