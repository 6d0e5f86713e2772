using System.Collections.Immutable;
using System.Text.Json;
using System.Text.Json.Serialization;
using Aggregation.Rollup;

namespace Aggregation.Storage;

/// <summary>The JSON form of a report's values in the ledger (a text column since schema 007): short names, readable with psql.</summary>
internal static class LedgerValues
{
    public static string ToJson(ImmutableArray<ValueCommand> values) =>
        JsonSerializer.Serialize(values.Select(v => new Row(v.Element, (int)v.Kind, v.Kind is ValueKind.Number or ValueKind.Flag ? v.Number : null, v.Kind == ValueKind.Entities ? [.. v.Entities] : null)), LedgerJsonContext.Default.IEnumerableRow);

    public static ImmutableArray<ValueCommand> FromJson(string json) =>
        [.. (JsonSerializer.Deserialize(json, LedgerJsonContext.Default.ListRow) ?? [])
            .Select(r => new ValueCommand(r.E, (ValueKind)r.K, r.N ?? (r.Ids?.Length ?? 0), r.Ids is null ? [] : [.. r.Ids]))];

    internal sealed record Row(
        [property: JsonPropertyName("e")] string E,
        [property: JsonPropertyName("k")] int K,
        [property: JsonPropertyName("n"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] long? N,
        [property: JsonPropertyName("ids"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string[]? Ids);
}

[JsonSerializable(typeof(IEnumerable<LedgerValues.Row>))]
[JsonSerializable(typeof(List<LedgerValues.Row>))]
internal sealed partial class LedgerJsonContext : JsonSerializerContext;
