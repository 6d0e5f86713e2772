using System.Collections.Immutable;
using System.Globalization;
using System.Text;
using Aggregation.Rollup;

namespace Aggregation.Storage;

/// <summary>
/// The audit detail a ledger row carries (column <c>audit_detail</c>, expanded by the SQL function
/// <c>ledger_audit_records</c> behind the view <c>audit_records</c>): one record per value, records
/// separated by U+001E and fields by U+001F, an empty field being NULL. The row itself holds what the
/// records share (tenant, key, unit, programme, period, source, submitter). A record has one of two shapes:
/// <list type="bullet">
/// <item>five fields: action digit, element, old value, new value, reason (every record of rows
/// written by schema 007, and since 009 a record whose element and new value are not a number value
/// of its row);</item>
/// <item>since schema 009, one to three fields: the action digit followed by the 1-based position of
/// the row's value it records (nothing when that is the record's own position), then the old value
/// and the reason, trailing empty fields left out. Its element is that value's element and its new
/// value that value as the audit trail describes it (<see cref="LedgerValues.Describe"/>, which
/// ledger_audit_records computes the same way from the stored token), so an accepted 5-value
/// report's records cost ~10 bytes instead of repeating every element and number the row holds.</item>
/// </list>
/// </summary>
internal static class LedgerAudit
{
    public const char RecordSeparator = '\u001e';
    public const char FieldSeparator = '\u001f';

    /// <summary>Records per row: ids are (ledger_id &lt;&lt; 10) + k, k from 1.</summary>
    public const int MaxRecordsPerRow = 1023;

    /// <summary>
    /// The compact form of the entry's records, or null when there are none or when they cannot be
    /// carried by the row (a record of another report or submitter, an empty text, a separator in a
    /// value): such records go to audit_trail instead, in the same transaction, as before. Records
    /// point at the row's values only when those are stored in the terse form (<paramref name="valuesTerse"/>).
    /// </summary>
    public static Carried? Carry(LedgerEntry entry, bool valuesTerse)
    {
        if (entry.Audit is not { Count: > 0 } records || records.Count > MaxRecordsPerRow)
        {
            return null;
        }

        var who = records[0].Submitter;
        var period = entry.Report.Period.ToString();
        var values = entry.Report.Values;
        var detail = new StringBuilder(records.Count * 4);
        for (var k = 1; k <= records.Count; k++)
        {
            var r = records[k - 1];
            if (r.Tenant != entry.Tenant || r.IdempotencyKey != entry.Report.IdempotencyKey || r.UnitCode != entry.UnitCode
                || r.ProgrammeId != entry.Report.ProgrammeId || r.Period != period || r.SourceSystem != entry.Report.Source
                || r.Submitter != who || (int)r.Action is < 1 or > 9
                || !Fits(r.DataElement) || !Fits(r.OldValue) || !Fits(r.NewValue) || !Fits(r.Reason))
            {
                return null;
            }

            if (detail.Length > 0)
            {
                detail.Append(RecordSeparator);
            }

            detail.Append((char)('0' + (int)r.Action));
            var value = valuesTerse ? ValueRecorded(values, r, k) : 0;
            if (value == 0)
            {
                detail.Append(FieldSeparator).Append(r.DataElement)
                    .Append(FieldSeparator).Append(r.OldValue)
                    .Append(FieldSeparator).Append(r.NewValue)
                    .Append(FieldSeparator).Append(r.Reason);
                continue;
            }

            if (value != k)
            {
                detail.Append(value.ToString(CultureInfo.InvariantCulture));
            }

            if (r.Reason is not null)
            {
                detail.Append(FieldSeparator).Append(r.OldValue).Append(FieldSeparator).Append(r.Reason);
            }
            else if (r.OldValue is not null)
            {
                detail.Append(FieldSeparator).Append(r.OldValue);
            }
        }

        return new Carried(who, detail.ToString());
    }

    /// <summary>
    /// The 1-based position of the value whose element is the record's element and which the audit
    /// trail describes as the record's new value (the record's own position first), or 0 when there
    /// is none: then the record keeps them itself.
    /// </summary>
    private static int ValueRecorded(ImmutableArray<ValueCommand> values, AuditRecord record, int k)
    {
        if (record.DataElement is null)
        {
            return 0;
        }

        bool Records(ValueCommand v) => v.Element == record.DataElement && LedgerValues.Describe(v) == record.NewValue;
        if (k <= values.Length && Records(values[k - 1]))
        {
            return k;
        }

        for (var i = 0; i < values.Length; i++)
        {
            if (Records(values[i]))
            {
                return i + 1;
            }
        }

        return 0;
    }

    // An empty field reads back as NULL, so an empty text (and a separator) is not carried.
    private static bool Fits(string? field) =>
        field is null || (field.Length > 0 && field.AsSpan().IndexOfAny(RecordSeparator, FieldSeparator) < 0);

    public sealed record Carried(Submitter Submitter, string Detail);
}
