using System.Collections.Immutable;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Aggregation.Rollup;

namespace Aggregation.Storage;

/// <summary>
/// A report's values as the ledger stores them (column <c>report_values</c>, text). Since schema 009
/// in a terse form: values separated by U+001E, and per value its element, then U+001F and its
/// token: the number in invariant decimal for a number, <c>f</c> and the number for a flag, <c>w</c>
/// for a withdrawn value, <c>e</c> for entities followed by each id in a field of its own. A number's
/// token is also what the audit trail shows as its new value, which is what lets an audit record
/// point at the value instead of repeating it (<see cref="LedgerAudit"/>). Values the terse form
/// cannot hold (an element that is empty or contains a separator, an id with a separator) are stored
/// as JSON, the form of rows written before: <c>[{"e": element, "k": kind, "n": number, "ids": [...]}]</c>.
/// A stored text starting with <c>[</c> is JSON; either form reads back to the same values.
/// </summary>
internal static class LedgerValues
{
    public const char ValueSeparator = '\u001e';
    public const char FieldSeparator = '\u001f';

    /// <summary>The stored text of <paramref name="values"/>, and whether it is the terse form (audit records may point into it only then).</summary>
    public static (string Text, bool Terse) ToStored(ImmutableArray<ValueCommand> values)
    {
        if (!CanBeTerse(values))
        {
            return (ToJson(values), false);
        }

        var text = new StringBuilder(values.Length * 24);
        foreach (var v in values)
        {
            if (text.Length > 0)
            {
                text.Append(ValueSeparator);
            }

            text.Append(v.Element).Append(FieldSeparator);
            switch (v.Kind)
            {
                case ValueKind.Number:
                    text.Append(NumberToken(v.Number));
                    break;
                case ValueKind.Flag:
                    text.Append('f').Append(NumberToken(v.Number));
                    break;
                case ValueKind.Withdrawn:
                    text.Append('w');
                    break;
                default:
                    text.Append('e');
                    foreach (var id in v.Entities)
                    {
                        text.Append(FieldSeparator).Append(id);
                    }

                    break;
            }
        }

        return (text.ToString(), true);
    }

    /// <summary>The values of a stored text in either form.</summary>
    public static ImmutableArray<ValueCommand> FromStored(string stored)
    {
        ArgumentNullException.ThrowIfNull(stored);
        if (stored.StartsWith('['))
        {
            return FromJson(stored);
        }

        if (stored.Length == 0)
        {
            return [];
        }

        var values = ImmutableArray.CreateBuilder<ValueCommand>();
        foreach (var value in stored.Split(ValueSeparator))
        {
            var fields = value.Split(FieldSeparator);
            var (element, token) = (fields[0], fields[1]);
            values.Add(token[0] switch
            {
                'f' => new ValueCommand(element, ValueKind.Flag, long.Parse(token.AsSpan(1), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture), []),
                'w' => new ValueCommand(element, ValueKind.Withdrawn, 0, []),
                // As the JSON form reads back: an entities value's number is its count of ids.
                'e' => new ValueCommand(element, ValueKind.Entities, fields.Length - 2, [.. fields.AsSpan(2)]),
                _ => new ValueCommand(element, ValueKind.Number, long.Parse(token, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture), []),
            });
        }

        return values.ToImmutable();
    }

    /// <summary>
    /// A value as the audit trail describes it (as <see cref="ValueSlot.Describe"/> does for its
    /// element's type): the number's token, yes or no, the count and ids of entities, null when
    /// withdrawn. The SQL function ledger_audit_records (schema 009) computes the same text from the
    /// terse form, which is what lets an audit record point at its value: a record does so only when
    /// this text is its new value.
    /// </summary>
    public static string? Describe(ValueCommand value) => value.Kind switch
    {
        ValueKind.Number => NumberToken(value.Number),
        ValueKind.Flag => value.Number != 0 ? "yes" : "no",
        ValueKind.Entities => $"{value.Entities.Length}: " + string.Join(",", value.Entities),
        _ => null,
    };

    private static string NumberToken(long number) => number.ToString(CultureInfo.InvariantCulture);

    private static bool CanBeTerse(ImmutableArray<ValueCommand> values)
    {
        foreach (var v in values)
        {
            if (v.Element.Length == 0 || HasSeparator(v.Element)
                || (v.Kind == ValueKind.Entities && v.Entities.Any(HasSeparator))
                || v.Kind is not (ValueKind.Number or ValueKind.Flag or ValueKind.Withdrawn or ValueKind.Entities))
            {
                return false;
            }
        }

        // Whatever starts with '[' reads as JSON.
        return values.IsEmpty || !values[0].Element.StartsWith('[');
    }

    private static bool HasSeparator(string text) => text.AsSpan().IndexOfAny(ValueSeparator, FieldSeparator) >= 0;

    private static string ToJson(ImmutableArray<ValueCommand> values) =>
        JsonSerializer.Serialize(values.Select(v => new Row(v.Element, (int)v.Kind, v.Kind is ValueKind.Number or ValueKind.Flag ? v.Number : null, v.Kind == ValueKind.Entities ? [.. v.Entities] : null)), LedgerJsonContext.Default.IEnumerableRow);

    private static ImmutableArray<ValueCommand> FromJson(string json) =>
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
