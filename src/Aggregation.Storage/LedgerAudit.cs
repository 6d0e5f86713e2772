using System.Text;

namespace Aggregation.Storage;

/// <summary>
/// The audit detail a ledger row carries (column <c>audit_detail</c>, expanded by the view
/// <c>audit_records</c>): per record the action digit, element, old value, new value and reason,
/// fields separated by U+001F and records by U+001E, an empty field being NULL. The row itself holds
/// what the records share (tenant, key, unit, programme, period, source, submitter), so a 5-value
/// report's audit costs ~100 bytes instead of five audit_trail rows with their indexes.
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
    /// value): such records go to audit_trail instead, in the same transaction, as before.
    /// </summary>
    public static Carried? Carry(LedgerEntry entry)
    {
        if (entry.Audit is not { Count: > 0 } records || records.Count > MaxRecordsPerRow)
        {
            return null;
        }

        var who = records[0].Submitter;
        var period = entry.Report.Period.ToString();
        var detail = new StringBuilder(records.Count * 24);
        foreach (var r in records)
        {
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

            detail.Append((char)('0' + (int)r.Action)).Append(FieldSeparator)
                .Append(r.DataElement).Append(FieldSeparator)
                .Append(r.OldValue).Append(FieldSeparator)
                .Append(r.NewValue).Append(FieldSeparator)
                .Append(r.Reason);
        }

        return new Carried(who, detail.ToString());
    }

    // An empty field reads back as NULL, so an empty text (and a separator) is not carried.
    private static bool Fits(string? field) =>
        field is null || (field.Length > 0 && field.AsSpan().IndexOfAny(RecordSeparator, FieldSeparator) < 0);

    public sealed record Carried(Submitter Submitter, string Detail);
}
