using Aggregation.Hierarchy;
using Aggregation.Programmes;
using Aggregation.Storage;

namespace Aggregation.Rollup;

/// <summary>What a report changes, value by value, for the audit trail (written with its ledger row).</summary>
public static class ReportAudit
{
    /// <summary>
    /// One record per value the report writes (accepted, corrected or withdrawn, with the value it
    /// replaces) and one per value it sent that a report with a later reported_at already holds.
    /// </summary>
    public static List<AuditRecord> RecordsOf(AdminUnit unit, Programme programme, PreparedReport prepared, Submitter? submitter)
    {
        ArgumentNullException.ThrowIfNull(unit);
        ArgumentNullException.ThrowIfNull(programme);
        ArgumentNullException.ThrowIfNull(prepared);
        var report = prepared.Report;
        var who = submitter ?? Submitter.None;
        var period = report.Period.ToString();
        AuditRecord Record(string element, AuditAction action, string? old, string? @new) =>
            new(unit.Tenant, who, report.Source, report.IdempotencyKey, unit.Key.Code, report.ProgrammeId, period, element, action, old, @new, null);

        var records = new List<AuditRecord>(prepared.Values.Count);
        for (var i = 0; i < prepared.Values.Count; i++)
        {
            var (element, _, slot) = prepared.Values[i];
            var old = i < prepared.Previous.Count ? prepared.Previous[i] : null;
            var action = slot.Withdrawn ? AuditAction.Withdrawn : old is { HasValue: true } ? AuditAction.Corrected : AuditAction.Accepted;
            records.Add(Record(element.Id, action, old?.Describe(element.Type), slot.Describe(element.Type)));
        }

        foreach (var id in prepared.Result.SupersededElements)
        {
            var element = programme.ElementsById[id];
            var value = report.Values.First(v => v.Element == id);
            var sent = value.Kind switch
            {
                ValueKind.Withdrawn => null,
                ValueKind.Entities => new ValueSlot(value.Entities.Length, value.Entities, false, report.ReportedAt, report.IdempotencyKey),
                _ => new ValueSlot(value.Number, [], false, report.ReportedAt, report.IdempotencyKey),
            };
            records.Add(Record(id, AuditAction.Superseded, null, sent?.Describe(element.Type)) with { Reason = "a report with a later reported_at holds this value" });
        }

        return records;
    }
}
