using Aggregation.Rollup;

namespace Aggregation.Storage;

/// <summary>
/// One accepted report as recorded in the ledger, numbered per unit by the unit's grain. <see cref="Audit"/>
/// is written with it, in the same transaction, when the report is inserted (not when it is a duplicate).
/// <see cref="PayloadHash"/> is recorded; a recorded hash equal to it or to <see cref="WireHash"/>
/// (how reports recorded before were keyed) makes the entry a duplicate.
/// </summary>
public sealed record LedgerEntry(string Tenant, string UnitCode, long UnitSeq, string PayloadHash, ReportCommand Report, IReadOnlyList<AuditRecord>? Audit = null, string? WireHash = null)
{
    /// <summary>Whether a report recorded under the same key with <paramref name="recorded"/> is this one.</summary>
    public bool IsSameReport(string recorded) => recorded == PayloadHash || (WireHash is not null && recorded == WireHash);
}

public enum LedgerOutcome
{
    /// <summary>Committed: the report is now part of the system of record.</summary>
    Inserted,

    /// <summary>The same key with the same payload was committed before.</summary>
    Duplicate,

    /// <summary>The key was committed before with another payload.</summary>
    Conflict,

    /// <summary>
    /// Nothing was written: the unit's sequence number is already taken, so another activation of
    /// the unit wrote first and this one's view of the unit is stale. The report itself was not
    /// judged; it can be sent again once the unit has reloaded.
    /// </summary>
    SequenceTaken,
}

/// <summary>
/// The append-only record of every accepted report: the system of record from which every rollup
/// can be rebuilt. <see cref="AppendAsync"/> returns only after the rows are durably committed.
/// </summary>
public interface IReportLedger
{
    Task<LedgerOutcome[]> AppendAsync(IReadOnlyList<LedgerEntry> entries, CancellationToken cancellationToken = default);

    /// <summary>A unit's entries with a sequence above <paramref name="afterSeq"/>, in sequence order.</summary>
    IAsyncEnumerable<LedgerEntry> ReadUnitAsync(string tenant, string unitCode, long afterSeq, CancellationToken cancellationToken = default);

    /// <summary>
    /// The entries of many units at once, each unit's with a sequence above its <c>AfterSeq</c>,
    /// unit after unit in the order given and each unit's in sequence order: how a starting silo
    /// reads the ledger tails after the checkpoints in one go instead of one query per unit.
    /// </summary>
    async IAsyncEnumerable<LedgerEntry> ReadUnitsAsync(IReadOnlyList<(string Tenant, string UnitCode, long AfterSeq)> units, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(units);
        foreach (var (tenant, unitCode, afterSeq) in units)
        {
            await foreach (var entry in ReadUnitAsync(tenant, unitCode, afterSeq, cancellationToken))
            {
                yield return entry;
            }
        }
    }

    /// <summary>Every entry of a tenant (rebuilds and audits).</summary>
    IAsyncEnumerable<LedgerEntry> ReadTenantAsync(string tenant, CancellationToken cancellationToken = default);

    /// <summary>
    /// The payload hash recorded under each of <paramref name="keys"/> that the tenant has used
    /// (keys never recorded are absent): how a retry is recognised without applying anything.
    /// </summary>
    Task<IReadOnlyDictionary<string, string>> RecordedHashesAsync(string tenant, IReadOnlyCollection<string> keys, CancellationToken cancellationToken = default);

    /// <summary>The highest sequence the unit has used, or 0.</summary>
    Task<long> LastSeqAsync(string tenant, string unitCode, CancellationToken cancellationToken = default);
}

/// <summary>The ledger could not be written or read (database down, connection lost): the report was not acknowledged; retry.</summary>
[GenerateSerializer, Alias("aggregation.LedgerUnavailableException")]
public sealed class LedgerUnavailableException : Exception
{
    public LedgerUnavailableException()
    {
    }

    public LedgerUnavailableException(string message)
        : base(message)
    {
    }

    public LedgerUnavailableException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
