namespace Aggregation.Storage;

/// <summary>What became of one value (or, for a rejection, a whole report; or an approval of a data set).</summary>
public enum AuditAction
{
    Accepted = 1,
    Corrected = 2,
    Withdrawn = 3,
    Superseded = 4,
    Rejected = 5,

    /// <summary>A data set's figures approved (DataElement holds the data set, Reason the comment).</summary>
    Approved = 6,

    /// <summary>An approval withdrawn (DataElement holds the data set, Reason why).</summary>
    ApprovalWithdrawn = 7,
}

/// <summary>Who sent a submission and from where, as authenticated at the edge.</summary>
[GenerateSerializer, Immutable, Alias("aggregation.Submitter")]
public sealed record Submitter(
    [property: Id(0)] string Subject,
    [property: Id(1)] string AuthenticatedBy,
    [property: Id(2)] string Peer)
{
    /// <summary>Replays and rebuilds: the ledger row already has its audit records.</summary>
    public static readonly Submitter None = new("", "", "");
}

/// <summary>One audit record. <see cref="Id"/> and <see cref="RecordedAt"/> are set by the store.</summary>
public sealed record AuditRecord(
    string Tenant,
    Submitter Submitter,
    string SourceSystem,
    string IdempotencyKey,
    string UnitCode,
    string ProgrammeId,
    string Period,
    string? DataElement,
    AuditAction Action,
    string? OldValue,
    string? NewValue,
    string? Reason,
    long Id = 0,
    DateTimeOffset RecordedAt = default);

/// <summary>Filters of an audit query within one tenant; records after <see cref="AfterId"/>, oldest first.</summary>
public sealed record AuditQuery(
    string Tenant,
    string? UnitCode = null,
    string? Period = null,
    string? DataElement = null,
    string? Subject = null,
    AuditAction? Action = null,
    long AfterId = 0,
    int Limit = 100);

/// <summary>
/// The append-only audit trail. Records of accepted reports are written by the ledger in the same
/// transaction as the report itself; rejections, which never reach the ledger, are written here.
/// </summary>
public interface IAuditTrail
{
    Task RecordAsync(IReadOnlyList<AuditRecord> records, CancellationToken cancellationToken = default);

    Task<IReadOnlyList<AuditRecord>> QueryAsync(AuditQuery query, CancellationToken cancellationToken = default);
}
