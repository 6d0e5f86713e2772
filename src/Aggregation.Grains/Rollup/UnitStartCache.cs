using System.Collections.Concurrent;
using System.Diagnostics;
using Aggregation.Hierarchy;
using Aggregation.Storage;
using Microsoft.Extensions.Logging;

namespace Aggregation.Rollup;

/// <summary>
/// What a unit needs to start, read for every unit at once when the silo starts: its checkpoint and
/// the ledger entries after it. Two bulk reads replace ten thousand activations each reading its
/// checkpoint and its ledger tail, which is what made a national cold start take a minute. A unit
/// takes its start once (<see cref="TakeAsync"/>); a unit that finds none reads for itself. The
/// cache is dropped after the start-up sweep (<see cref="Drop"/>): only then is an entry surely
/// still the unit's latest state, since until the sweep has run every unit of the silo is either
/// not yet active or was started from it.
/// </summary>
/// <remarks>
/// Every silo of a cluster reads every unit: placement decides which silo hosts a unit only when
/// it activates, and reading all is one query whatever the silo count. What the silo does not host
/// is never taken and goes with the cache.
/// </remarks>
public sealed partial class UnitStartCache(ICheckpointStore checkpoints, IReportLedger ledger, ILogger<UnitStartCache> logger)
{
    /// <summary>
    /// Ledger entries held at most. After a shutdown tails are short; on the first start after an
    /// upgrade (no checkpoints yet) the whole ledger is the tail, and past this the units left read
    /// theirs themselves rather than the silo holding the whole ledger in memory at once.
    /// </summary>
    public const int MaxTailEntries = 250_000;

    private readonly ConcurrentDictionary<(string Tenant, string Code), UnitStart> _starts = new();
    private readonly TaskCompletionSource _loaded = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile bool _dropped;

    // Set before the load's first await, so an activation that races it waits; without a load (memory mode, tests) none waits.
    private volatile bool _loading;

    /// <summary>What the load read, for the start-up log and the benchmark.</summary>
    public StartLoad? Load { get; private set; }

    /// <summary>
    /// Reads the checkpoints and ledger tails of <paramref name="units"/>. Activations that ask
    /// meanwhile wait for it; if it fails, they read for themselves.
    /// </summary>
    public async Task LoadAsync(IReadOnlyList<UnitKey> units, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(units);
        _loading = true;
        try
        {
            var clock = Stopwatch.StartNew();
            var held = new Dictionary<(string, string), StoredCheckpoint>();
            long checkpointBytes = 0;
            await foreach (var checkpoint in checkpoints.ReadAllAsync(cancellationToken))
            {
                held[(checkpoint.Tenant, checkpoint.UnitCode)] = checkpoint;
                checkpointBytes += checkpoint.Payload.Length;
            }

            var checkpointsRead = clock.Elapsed;
            var from = units.Select(u => (u.Tenant, u.Code, held.TryGetValue((u.Tenant, u.Code), out var c) ? c.AppliedSeq : 0L)).ToList();
            var tails = new Dictionary<(string, string), List<LedgerEntry>>();
            var entries = 0;
            (string, string)? partial = null;
            await foreach (var entry in ledger.ReadUnitsAsync(from, cancellationToken))
            {
                var key = (entry.Tenant, entry.UnitCode);
                if (entries == MaxTailEntries)
                {
                    // Tails come unit after unit, in order: the unit being read holds a prefix of its tail.
                    partial = key;
                    break;
                }

                if (!tails.TryGetValue(key, out var tail))
                {
                    tails[key] = tail = [];
                }

                tail.Add(entry);
                entries++;
            }

            // Without a cut every unit's tail is whole; with one, only those read before the cut.
            var complete = partial is null ? null : new HashSet<(string, string)>(tails.Keys.Where(k => k != partial));
            foreach (var (tenant, code, appliedSeq) in from)
            {
                var key = (tenant, code);
                held.TryGetValue(key, out var checkpoint);
                var tail = tails.GetValueOrDefault(key) ?? [];
                _starts[key] = new UnitStart(checkpoint, tail, TailComplete: complete is null || complete.Contains(key));
            }

            Load = new StartLoad(held.Count, checkpointBytes, checkpointsRead, entries, partial is null, clock.Elapsed);
            LogLoaded(logger, units.Count, held.Count, checkpointBytes / 1024, entries, checkpointsRead.TotalMilliseconds, clock.Elapsed.TotalMilliseconds);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // Only slower: each unit reads its own checkpoint and tail, as it would without the cache.
            _starts.Clear();
            LogLoadFailed(logger, ex);
        }
        finally
        {
            _loaded.TrySetResult();
        }
    }

    /// <summary>
    /// The unit's start, once: null when there is none (not loaded, already taken, the cache
    /// dropped). Waits for a load under way, since reading alone meanwhile would be slower.
    /// </summary>
    public async ValueTask<UnitStart?> TakeAsync(UnitKey unit)
    {
        if (_dropped)
        {
            return null;
        }

        if (_loading)
        {
            await _loaded.Task;
        }

        return _starts.TryRemove((unit.Tenant, unit.Code), out var start) ? start : null;
    }

    /// <summary>Frees what no unit took; later activations read for themselves.</summary>
    public void Drop()
    {
        _dropped = true;
        var left = _starts.Count;
        _starts.Clear();
        if (left > 0)
        {
            LogDropped(logger, left);
        }
    }

    [LoggerMessage(EventId = 5020, Level = LogLevel.Information, Message = "Start-up read of {Units} units: {Checkpoints} checkpoints ({KiB} KiB) in {CheckpointMs:0} ms, {Entries} ledger entries after them, {Ms:0} ms in all")]
    private static partial void LogLoaded(ILogger logger, int units, int checkpoints, long kib, int entries, double checkpointMs, double ms);

    [LoggerMessage(EventId = 5021, Level = LogLevel.Warning, Message = "Start-up read of checkpoints failed; each unit reads its own")]
    private static partial void LogLoadFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 5022, Level = LogLevel.Information, Message = "Start-up cache dropped with {Units} units not taken (hosted by other silos or not activated)")]
    private static partial void LogDropped(ILogger logger, int units);
}

/// <summary>A unit's start: its checkpoint (if any) and the ledger entries after it, all of them when <see cref="TailComplete"/>.</summary>
public sealed record UnitStart(StoredCheckpoint? Checkpoint, IReadOnlyList<LedgerEntry> Tail, bool TailComplete);

/// <summary>What the start-up read found: checkpoints and their bytes, ledger entries after them, and its times.</summary>
public sealed record StartLoad(int Checkpoints, long CheckpointBytes, TimeSpan CheckpointsRead, int TailEntries, bool TailsComplete, TimeSpan Elapsed);
