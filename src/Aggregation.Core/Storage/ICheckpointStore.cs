namespace Aggregation.Storage;

/// <summary>
/// A unit's checkpoint as stored: every ledger entry of the unit up to <see cref="AppliedSeq"/> is
/// reflected in <see cref="Payload"/>, an encoding the unit grain owns (the store never reads it).
/// </summary>
public sealed record StoredCheckpoint(string Tenant, string UnitCode, long AppliedSeq, byte[] Payload);

/// <summary>
/// Where units keep their checkpoints, so that an activation replays only the ledger entries after
/// one. Nothing here is the system of record: a checkpoint lost, stale or never written costs a
/// longer replay of the ledger, never a figure, so a write may fail without anyone acknowledged
/// depending on it. A stored checkpoint is never replaced by one of a lower sequence.
/// </summary>
public interface ICheckpointStore
{
    /// <summary>Stores the checkpoint; completes once it is committed (written together with others' in one round).</summary>
    Task WriteAsync(StoredCheckpoint checkpoint, CancellationToken cancellationToken = default);

    /// <summary>The unit's checkpoint, or null when it has none.</summary>
    Task<StoredCheckpoint?> ReadAsync(string tenant, string unitCode, CancellationToken cancellationToken = default);

    /// <summary>Every unit's checkpoint, in no particular order: what a starting silo reads in one go.</summary>
    IAsyncEnumerable<StoredCheckpoint> ReadAllAsync(CancellationToken cancellationToken = default);
}
