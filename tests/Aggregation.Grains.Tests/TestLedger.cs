using System.Runtime.CompilerServices;
using Aggregation.Storage;

namespace Aggregation.Grains.Tests;

/// <summary>
/// The in-memory ledger, with the failures and pauses a real database shows: reads of a unit that
/// wait until the test lets them go (to catch a grain mid-load), reads that fail (a unit that cannot
/// activate), and a write that commits but whose answer is lost (a connection dropped after COMMIT).
/// </summary>
public sealed class TestLedger : IReportLedger
{
    private readonly InMemoryReportLedger _inner = new(new InMemoryAuditTrail());
    private readonly Lock _lock = new();
    private readonly Dictionary<string, ReadHold> _holds = new(StringComparer.Ordinal);
    private readonly HashSet<string> _failingReads = new(StringComparer.Ordinal);
    private readonly HashSet<string> _lostAnswers = new(StringComparer.Ordinal);

    /// <summary>The next read of the unit waits until the returned hold is released.</summary>
    public ReadHold HoldNextRead(string unitCode)
    {
        var hold = new ReadHold();
        lock (_lock)
        {
            _holds[unitCode] = hold;
        }

        return hold;
    }

    /// <summary>Reads of the unit fail until <see cref="RestoreReads"/>: the unit cannot activate.</summary>
    public void FailReads(string unitCode)
    {
        lock (_lock)
        {
            _failingReads.Add(unitCode);
        }
    }

    public void RestoreReads(string unitCode)
    {
        lock (_lock)
        {
            _failingReads.Remove(unitCode);
        }
    }

    /// <summary>The unit's next write commits, then fails as if the connection dropped before the answer came back.</summary>
    public void LoseNextAnswer(string unitCode)
    {
        lock (_lock)
        {
            _lostAnswers.Add(unitCode);
        }
    }

    /// <summary>Writes straight to the ledger, as another activation of the unit (or another silo) would.</summary>
    public Task<LedgerOutcome[]> AppendDirectlyAsync(params LedgerEntry[] entries) => _inner.AppendAsync(entries);

    public async Task<LedgerOutcome[]> AppendAsync(IReadOnlyList<LedgerEntry> entries, CancellationToken cancellationToken = default)
    {
        var outcomes = await _inner.AppendAsync(entries, cancellationToken);
        lock (_lock)
        {
            if (entries.Any(e => _lostAnswers.Remove(e.UnitCode)))
            {
                throw new LedgerUnavailableException("The connection dropped after the commit.");
            }
        }

        return outcomes;
    }

    public async IAsyncEnumerable<LedgerEntry> ReadUnitAsync(string tenant, string unitCode, long afterSeq, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ReadHold? hold;
        lock (_lock)
        {
            if (_failingReads.Contains(unitCode))
            {
                throw new LedgerUnavailableException($"Reads of {unitCode} fail in this test.");
            }

            _holds.Remove(unitCode, out hold);
        }

        if (hold is not null)
        {
            await hold.WaitAsync();
        }

        await foreach (var entry in _inner.ReadUnitAsync(tenant, unitCode, afterSeq, cancellationToken))
        {
            yield return entry;
        }
    }

    public IAsyncEnumerable<LedgerEntry> ReadTenantAsync(string tenant, CancellationToken cancellationToken = default) =>
        _inner.ReadTenantAsync(tenant, cancellationToken);

    public Task<IReadOnlyDictionary<string, string>> RecordedHashesAsync(string tenant, IReadOnlyCollection<string> keys, CancellationToken cancellationToken = default) =>
        _inner.RecordedHashesAsync(tenant, keys, cancellationToken);

    public Task<long> LastSeqAsync(string tenant, string unitCode, CancellationToken cancellationToken = default) =>
        _inner.LastSeqAsync(tenant, unitCode, cancellationToken);

    /// <summary>A read held until released; <see cref="Reached"/> completes once the grain is waiting on it.</summary>
    public sealed class ReadHold
    {
        private readonly TaskCompletionSource _reached = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource _released = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task Reached => _reached.Task;

        public void Release() => _released.TrySetResult();

        internal Task WaitAsync()
        {
            _reached.TrySetResult();
            return _released.Task;
        }
    }
}
