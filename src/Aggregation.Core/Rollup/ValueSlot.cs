using System.Collections.Immutable;

namespace Aggregation.Rollup;

/// <summary>The value a unit holds for one element and reporting period, and which report set it.</summary>
[GenerateSerializer, Immutable, Alias("aggregation.ValueSlot")]
public sealed record ValueSlot(
    [property: Id(0)] long Number,
    [property: Id(1)] ImmutableArray<string> Entities,
    [property: Id(2)] bool Withdrawn,
    [property: Id(3)] DateTimeOffset ReportedAt,
    [property: Id(4)] string IdempotencyKey,
    [property: Id(5)] DateTimeOffset FirstReceivedAt = default)
{
    /// <summary>True when this slot was written by a later report than (<paramref name="at"/>, <paramref name="key"/>).</summary>
    public bool IsNewerThan(DateTimeOffset at, string key) =>
        ReportedAt > at || (ReportedAt == at && string.CompareOrdinal(IdempotencyKey, key) > 0);

    public bool HasValue => !Withdrawn;

    /// <summary>The value as an auditor reads it: a number, yes/no, or the entity ids; null when withdrawn.</summary>
    public string? Describe(Programmes.ElementType type) => Withdrawn
        ? null
        : type switch
        {
            Programmes.ElementType.Flag => Number != 0 ? "yes" : "no",
            Programmes.ElementType.Entities => $"{Entities.Length}: " + string.Join(",", Entities),
            _ => Number.ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
}
