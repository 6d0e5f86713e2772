using System.Collections.Concurrent;
using System.Runtime.CompilerServices;

namespace Aggregation.Storage;

/// <summary>Checkpoints that live only in this process (Database:Mode=memory, tests), with the store's rule that a sequence never goes back.</summary>
public sealed class InMemoryCheckpointStore : ICheckpointStore
{
    private readonly ConcurrentDictionary<(string Tenant, string Unit), StoredCheckpoint> _checkpoints = new();

    public Task WriteAsync(StoredCheckpoint checkpoint, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        _checkpoints.AddOrUpdate(
            (checkpoint.Tenant, checkpoint.UnitCode),
            checkpoint,
            (_, held) => held.AppliedSeq <= checkpoint.AppliedSeq ? checkpoint : held);
        return Task.CompletedTask;
    }

    public Task<StoredCheckpoint?> ReadAsync(string tenant, string unitCode, CancellationToken cancellationToken = default) =>
        Task.FromResult(_checkpoints.GetValueOrDefault((tenant, unitCode)));

    public async IAsyncEnumerable<StoredCheckpoint> ReadAllAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        foreach (var checkpoint in _checkpoints.Values)
        {
            yield return checkpoint;
        }

        await Task.CompletedTask;
    }
}
