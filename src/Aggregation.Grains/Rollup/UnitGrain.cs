using System.Collections.Immutable;
using System.Diagnostics;
using Aggregation.Hierarchy;
using Aggregation.Storage;
using Aggregation.Telemetry;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Runtime;
using Orleans.Utilities;

namespace Aggregation.Rollup;

/// <summary>
/// A unit's figures for every programme it takes part in. A report is checked, committed to the
/// ledger, then applied; a child's contribution replaces the one held. The unit's totals reach its
/// parent on a one-shot timer armed by the first change after a flush: immediately after a quiet
/// interval, otherwise at the end of the interval, so a parent hears from a child at most once per
/// interval and no caller ever waits on the chain to the nation. Nothing here is the system of
/// record: on activation the unit replays its ledger entries and pulls its children's totals, then
/// pushes its own up, which is how acknowledged reports are recovered after a crash. A child that
/// cannot answer during the activation (its own activation failed or timed out) does not fail it:
/// the unit asks it again on a timer until it answers or pushes its total by itself.
/// The grain orchestrates; when to flush is <see cref="FlushScheduler"/>'s call, when to write a
/// checkpoint <see cref="CheckpointPolicy"/>'s, asking children <see cref="ChildPuller"/>'s, and the
/// audit records of a report are built by <see cref="ReportAudit"/>.
/// </summary>
[GrainType("unit")]
[CollectionAgeLimit(AlwaysActive = true)]
public sealed partial class UnitGrain : Grain, IUnitGrain
{
    private static readonly TimeSpan ObserverLifetime = TimeSpan.FromMinutes(2);
    private readonly ObserverManager<IUnitObserver> _observers;
    private readonly Catalog _catalog;
    private readonly ICheckpointStore _checkpointStore;
    private readonly UnitStartCache _starts;
    private readonly IReportLedger _ledger;
    private readonly RollupOptions _options;
    private readonly ILogger<UnitGrain> _logger;
    private readonly TimeProvider _time;
    private readonly Dictionary<string, ProgrammeRollup> _rollups = new(StringComparer.Ordinal);
    private AdminUnit _unit = null!;
    private IUnitGrain? _parent;
    private FlushScheduler _flush = null!;
    private CheckpointPolicy _checkpoints = null!;
    private ChildPuller _children = null!;
    private IGrainTimer? _childRetryTimer;
    private bool _reloading;
    private long _seq;
    private long _appliedSeq;
    private long _incarnation;

    // The unit's metric tags (tenant and level: few values), built once per activation.
    private TagList _tags;

    // The sequence of the last checkpoint stored (or restored), and the write under way if any.
    private long _checkpointedSeq;
    private Task _checkpointWrite = Task.CompletedTask;

    public UnitGrain(
        Catalog catalog,
        IReportLedger ledger,
        IOptions<RollupOptions> options,
        ILogger<UnitGrain> logger,
        [FromKeyedServices(TimeProviderNames.Grains)] TimeProvider time,
        ICheckpointStore checkpointStore,
        UnitStartCache starts)
    {
        _catalog = catalog;
        _checkpointStore = checkpointStore;
        _starts = starts;
        _ledger = ledger;
        _options = options.Value;
        _logger = logger;
        _time = time;

        // IUnitGrain.ObserveAsync's promise: a registration not renewed within two minutes is dropped at the next notice.
        _observers = new ObserverManager<IUnitObserver>(ObserverLifetime, logger) { GetDateTime = () => _time.GetUtcNow().UtcDateTime };
    }

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _unit = _catalog.GetUnit(UnitKey.FromGrainKey(this.GetPrimaryKeyString()));
        _parent = _unit.Parent is { } parent ? GrainFactory.GetGrain<IUnitGrain>(parent.GrainKey) : null;
        _incarnation = _time.GetUtcNow().UtcTicks;
        _tags = new TagList { { AggregationTelemetry.TenantTag, _unit.Tenant }, { AggregationTelemetry.LevelTag, _unit.Level } };

        // Flushes interleave so that reports keep being applied while a flush waits on the parent;
        // checkpoints do not, so a checkpoint is a consistent picture of the unit.
        _flush = new FlushScheduler(_time, _options.FlushInterval, due =>
            this.RegisterGrainTimer(FlushAsync, new GrainTimerCreationOptions(due, Timeout.InfiniteTimeSpan) { Interleave = true }));
        _checkpoints = new CheckpointPolicy(_time, _options.CheckpointWhenIdle, _unit.Key.GrainKey, due =>
            this.RegisterGrainTimer(CheckpointWhenIdleAsync, new GrainTimerCreationOptions(due, Timeout.InfiniteTimeSpan) { Interleave = false }));
        _children = new ChildPuller(_unit.Key, GrainFactory, ApplyContributions, _logger);
        await LoadAsync(useCheckpoint: true);
    }

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        StopWaitingOnChildren();
        if (!_reloading && _checkpoints is { SinceCheckpoint: > 0 })
        {
            SaveCheckpoint();
        }

        // Bounded by the runtime's deactivation timeout: a shutdown that cannot wait for the round
        // leaves the previous checkpoint, which only lengthens the next start's replay.
        await _checkpointWrite;
    }

    public async Task<ImmutableArray<UnitOutcome>> ApplyBatchAsync(ImmutableArray<UnitSubmission> submissions)
    {
        ThrowIfReloading();
        using var activity = AggregationTelemetry.ActivitySource.StartActivity("aggregation.unit.apply");
        activity?.SetTag(AggregationTelemetry.TenantTag, _unit.Tenant);
        activity?.SetTag(AggregationTelemetry.UnitAttribute, _unit.Key.Code);
        var outcomes = new UnitOutcome[submissions.Length];
        var prepared = new List<(int Index, PreparedReport Report, ProgrammeRollup Rollup)>();
        var overlays = new Dictionary<string, Dictionary<(int, int), ValueSlot>>(StringComparer.Ordinal);
        for (var i = 0; i < submissions.Length; i++)
        {
            var report = submissions[i].Report;
            var rollup = RollupFor(report.ProgrammeId);
            if (!overlays.TryGetValue(report.ProgrammeId, out var overlay))
            {
                overlays[report.ProgrammeId] = overlay = [];
            }

            var p = rollup.Prepare(report, overlay);
            if (p.Accepted)
            {
                prepared.Add((i, p, rollup));
            }
            else
            {
                outcomes[i] = new UnitOutcome(UnitOutcomeKind.Rejected, p.Result.Errors, [], PublicVersion(rollup));
            }
        }

        if (prepared.Count > 0)
        {
            var entries = prepared.Select(p => new LedgerEntry(_unit.Tenant, _unit.Key.Code, ++_seq, submissions[p.Index].PayloadHash, p.Report.Report, ReportAudit.RecordsOf(_unit, p.Rollup.Programme, p.Report, submissions[p.Index].Submitter), submissions[p.Index].WireHash)).ToList();
            LedgerOutcome[] written;
            using var commit = AggregationTelemetry.ActivitySource.StartActivity("aggregation.ledger.commit");
            commit?.SetTag(AggregationTelemetry.TenantTag, _unit.Tenant);
            commit?.SetTag(AggregationTelemetry.UnitAttribute, _unit.Key.Code);
            commit?.SetTag("aggregation.ledger.rows", entries.Count);
            try
            {
                written = await _ledger.AppendAsync(entries);
            }
            catch (Exception ex)
            {
                commit?.SetStatus(ActivityStatusCode.Error, ex.GetType().Name);
                // Whether the rows committed is unknown: reload from the ledger before serving again.
                Reload(ex);
                throw ex as LedgerUnavailableException ?? new LedgerUnavailableException("The ledger could not be written.", ex);
            }

            if (written.Contains(LedgerOutcome.SequenceTaken))
            {
                // Another activation of this unit wrote first: this one's figures and sequence are
                // stale. Rows of the batch that were inserted are in the ledger and come back with
                // the reload; the caller's retry finds them duplicates and records the rest.
                var stale = new LedgerUnavailableException($"Unit {_unit.Key} was written by another activation; it reloads from the ledger; retry.");
                Reload(stale);
                throw stale;
            }

            for (var j = 0; j < prepared.Count; j++)
            {
                var (index, report, rollup) = prepared[j];
                outcomes[index] = written[j] switch
                {
                    LedgerOutcome.Inserted => Committed(report, rollup),
                    LedgerOutcome.Duplicate => new UnitOutcome(UnitOutcomeKind.Duplicate, [], [], PublicVersion(rollup)),
                    LedgerOutcome.Conflict => new UnitOutcome(UnitOutcomeKind.KeyConflict, [], [], PublicVersion(rollup)),
                    var other => throw new InvalidOperationException($"Unknown ledger outcome {other}."),
                };
            }

            // Everything up to _seq is now committed and applied (or was a duplicate, not this unit's row).
            _appliedSeq = _seq;
            if (_checkpoints.IsDue)
            {
                SaveCheckpoint();
            }
        }

        return [.. outcomes];
    }

    public Task<ImmutableArray<UnitOutcome>> CheckBatchAsync(ImmutableArray<UnitSubmission> submissions)
    {
        ThrowIfReloading();
        var overlays = new Dictionary<string, Dictionary<(int, int), ValueSlot>>(StringComparer.Ordinal);
        var outcomes = submissions.Select(submission =>
        {
            var report = submission.Report;
            var rollup = RollupFor(report.ProgrammeId);
            if (!overlays.TryGetValue(report.ProgrammeId, out var overlay))
            {
                overlays[report.ProgrammeId] = overlay = [];
            }

            var prepared = rollup.Prepare(report, overlay);
            return prepared.Accepted
                ? new UnitOutcome(UnitOutcomeKind.Valid, [], prepared.Result.SupersededElements, PublicVersion(rollup))
                : new UnitOutcome(UnitOutcomeKind.Rejected, prepared.Result.Errors, [], PublicVersion(rollup));
        });
        return Task.FromResult(outcomes.ToImmutableArray());
    }

    public Task ApplyChildAsync(string childKey, ImmutableArray<Contribution> contributions)
    {
        _children.Answered(childKey);
        ApplyContributions(childKey, contributions);
        return Task.CompletedTask;
    }

    public Task<ImmutableArray<Contribution>> GetContributionsAsync() =>
        Task.FromResult(_rollups.Values.Where(r => r.Version > 0).Select(r => r.ToContribution(_incarnation)).ToImmutableArray());

    public Task<RollupSnapshot> GetSnapshotAsync(string programmeId)
    {
        var rollup = RollupFor(programmeId);
        return Task.FromResult(new RollupSnapshot(programmeId, PublicVersion(rollup), rollup.CopyOfTotal(), [.. rollup.Children]));
    }

    public Task<ImmutableArray<OwnValue>> GetOwnValuesAsync(string programmeId) =>
        Task.FromResult(RollupFor(programmeId).OwnValues().Select(v => new OwnValue(v.Element.Id, v.BaseIndex, v.Slot)).ToImmutableArray());

    public Task ObserveAsync(IUnitObserver observer)
    {
        _observers.Subscribe(observer, observer);
        return Task.CompletedTask;
    }

    public Task UnobserveAsync(IUnitObserver observer)
    {
        _observers.Unsubscribe(observer);
        return Task.CompletedTask;
    }

    public async Task<long> RebuildAsync()
    {
        // Pending changes name figures that are about to be replaced: the load marks everything it
        // rebuilds as changed, and a flush that runs while it loads has nothing to send.
        _rollups.Clear();
        _flush.Clear();
        _incarnation = Math.Max(_incarnation + 1, _time.GetUtcNow().UtcTicks);
        var replayed = await LoadAsync(useCheckpoint: false);
        _checkpointedSeq = -1;
        SaveCheckpoint();
        await _checkpointWrite;
        return replayed;
    }

    public Task TouchAsync() => Task.CompletedTask;

    /// <summary>
    /// The version readers see: increasing across activations too (seconds of the activation's
    /// start, then the in-memory version), so a subscriber's last version tells whether it missed anything.
    /// </summary>
    private long PublicVersion(ProgrammeRollup rollup) =>
        ((_incarnation - DateTime.UnixEpoch.Ticks) / TimeSpan.TicksPerSecond * 1_000_000_000) + rollup.Version;

    private UnitOutcome Committed(PreparedReport report, ProgrammeRollup rollup)
    {
        var before = rollup.Version;
        var result = rollup.Commit(report);
        _checkpoints.Committed();
        if (rollup.Version != before)
        {
            MarkDirty(rollup.Programme.Id);
        }

        return new UnitOutcome(UnitOutcomeKind.Accepted, [], result.SupersededElements, PublicVersion(rollup));
    }

    /// <summary>
    /// Restores the checkpoint, replays the unit's ledger entries after it, pulls every child's
    /// contributions, then pushes up.
    /// </summary>
    private async Task<long> LoadAsync(bool useCheckpoint)
    {
        var from = 0L;
        _checkpointedSeq = 0;

        // At a silo's start the checkpoint and the ledger entries after it were read for every unit
        // at once (UnitStartCache); a unit activated later, or when that read failed, reads its own.
        var start = useCheckpoint ? await _starts.TakeAsync(_unit.Key) : null;
        var stored = !useCheckpoint ? null : start is not null ? start.Checkpoint : await _checkpointStore.ReadAsync(_unit.Tenant, _unit.Key.Code);
        if (stored is not null)
        {
            var checkpoint = UnitCheckpoint.Decode(stored.AppliedSeq, stored.Payload);
            if (checkpoint is null)
            {
                // The cached tail starts after this checkpoint's sequence: the whole ledger is read instead.
                LogCheckpointUnreadable(_logger, _unit.Key);
                start = null;
            }
            else
            {
                checkpoint.RestoreInto(_catalog, RollupFor);
                from = _checkpointedSeq = checkpoint.AppliedSeq;
            }
        }

        var replayed = 0L;
        _seq = from;
        foreach (var entry in start?.Tail ?? [])
        {
            if (entry.UnitSeq > _seq)
            {
                RollupFor(entry.Report.ProgrammeId).Replay(entry.Report);
                _seq = entry.UnitSeq;
                replayed++;
            }
        }

        if (start is not { TailComplete: true })
        {
            await foreach (var entry in _ledger.ReadUnitAsync(_unit.Tenant, _unit.Key.Code, _seq))
            {
                RollupFor(entry.Report.ProgrammeId).Replay(entry.Report);
                _seq = entry.UnitSeq;
                replayed++;
            }
        }

        _appliedSeq = _seq;

        // Asking the children must not start inside the activation's first synchronous run: a
        // unit started from memory reaches this without any await, and a request sent from there
        // is delivered while the runtime still holds this activation's message lock. A child
        // flushing to this unit at the same moment holds its own lock and waits for this one: the
        // two wait for each other (a cold start from the start-up cache deadlocked this way). After
        // the yield the unit asks from a continuation, as it did when every start read the database.
        await Task.Yield();
        await _children.PullAllAsync(_catalog.ChildrenOf(_unit.Key).Select(c => c.Key.GrainKey));
        if (_children.Unanswered > 0)
        {
            LogChildrenMissing(_logger, _unit.Key, _children.Unanswered, _options.ChildRetryInterval);
            if (_childRetryTimer is null)
            {
                AggregationTelemetry.UnitsWaitingOnChildren.Add(1, _tags);
            }

            _childRetryTimer ??= this.RegisterGrainTimer(RetryChildrenAsync, new GrainTimerCreationOptions(_options.ChildRetryInterval, _options.ChildRetryInterval) { Interleave = true });
        }

        _checkpoints.Loaded(replayed);

        foreach (var programme in _rollups.Keys)
        {
            MarkDirty(programme);
        }

        return replayed;
    }

    /// <summary>Folds a child's contributions in; those newer than what the unit holds are changes to send up.</summary>
    private void ApplyContributions(string childKey, ImmutableArray<Contribution> contributions)
    {
        foreach (var contribution in contributions)
        {
            if (RollupFor(contribution.ProgrammeId).ApplyChild(childKey, contribution))
            {
                MarkDirty(contribution.ProgrammeId);
            }
        }
    }

    private async Task RetryChildrenAsync(CancellationToken cancellationToken)
    {
        // Asks downwards, like the activation's pull: from a continuation, not the timer's first run (see LoadAsync).
        await Task.Yield();
        await _children.RetryAsync();
        if (_children.Unanswered == 0)
        {
            StopWaitingOnChildren();
        }
    }

    private void StopWaitingOnChildren()
    {
        if (_childRetryTimer is not null)
        {
            _childRetryTimer.Dispose();
            _childRetryTimer = null;
            AggregationTelemetry.UnitsWaitingOnChildren.Add(-1, _tags);
        }
    }

    private Task CheckpointWhenIdleAsync(CancellationToken cancellationToken)
    {
        if (_checkpoints.IdleTimerFired() && !_reloading)
        {
            SaveCheckpoint();
        }

        return Task.CompletedTask;
    }

    /// <summary>
    /// Takes the checkpoint now (the grain's turn makes it a consistent picture) and hands it to the
    /// store's next round without waiting for the commit, so the unit keeps serving meanwhile. Best
    /// effort: a checkpoint that fails to be written only means a longer replay, and the reports it
    /// covered count again towards the next one.
    /// </summary>
    private void SaveCheckpoint()
    {
        var covered = _checkpoints.SinceCheckpoint;
        _checkpoints.Written();
        if (_appliedSeq == _checkpointedSeq)
        {
            // Nothing applied since the last checkpoint (a unit without reports of its own has none at all).
            return;
        }

        var checkpoint = UnitCheckpoint.Of(_rollups.Values, _appliedSeq);
        var stored = new StoredCheckpoint(_unit.Tenant, _unit.Key.Code, checkpoint.AppliedSeq, checkpoint.Encode());
        _checkpointedSeq = checkpoint.AppliedSeq;
        _checkpointWrite = WriteCheckpointAsync(stored, covered, _checkpointWrite);
    }

    private async Task WriteCheckpointAsync(StoredCheckpoint stored, int covered, Task previous)
    {
        await previous;
        try
        {
            await _checkpointStore.WriteAsync(stored);
        }
        catch (Exception ex)
        {
            LogCheckpointFailed(_logger, ex, _unit.Key);
            if (_checkpointedSeq == stored.AppliedSeq)
            {
                _checkpointedSeq = -1;
            }

            _checkpoints.NotWritten(covered);
        }
    }

    private void Reload(Exception cause)
    {
        LogLedgerFailed(_logger, cause, _unit.Key);
        _reloading = true;
        _flush.Stop();
        _checkpoints.Stop();
        DeactivateOnIdle();
    }

    private void ThrowIfReloading()
    {
        if (_reloading)
        {
            throw new LedgerUnavailableException($"Unit {_unit.Key} is reloading from the ledger; retry.");
        }
    }

    private ProgrammeRollup RollupFor(string programmeId)
    {
        if (!_rollups.TryGetValue(programmeId, out var rollup))
        {
            if (!_catalog.Programmes.TryGetValue(programmeId, out var programme))
            {
                throw new ArgumentException($"Unknown programme '{programmeId}'.", nameof(programmeId));
            }

            _rollups[programmeId] = rollup = new ProgrammeRollup(programme, _unit.Level);
        }

        return rollup;
    }

    /// <summary>Schedules the change for the parent and for observers, on the same leading-edge timer.</summary>
    private void MarkDirty(string programmeId) =>
        _flush.Changed(programmeId, forParent: _parent is not null, forObservers: _observers.Count > 0);

    private async Task FlushAsync(CancellationToken cancellationToken)
    {
        var batch = _flush.Begin();
        IReadOnlyList<string> notTaken = [];
        try
        {
            // A rebuild may have dropped a programme since it was marked: what no longer exists is not sent.
            foreach (var programme in batch.ForObservers.Where(_rollups.ContainsKey))
            {
                var version = PublicVersion(_rollups[programme]);

                // One-way: a slow or vanished subscriber costs the unit nothing.
                _observers.Notify(observer => observer.RollupChanged(_unit.Key.GrainKey, programme, version));
            }

            var programmes = batch.ForParent.Where(_rollups.ContainsKey).ToArray();
            if (programmes.Length > 0 && _parent is not null)
            {
                var contributions = programmes.Select(p => _rollups[p].ToContribution(_incarnation)).ToImmutableArray();
                try
                {
                    await _parent.ApplyChildAsync(_unit.Key.GrainKey, contributions);
                    if (batch.ParentPendingSince is { } since)
                    {
                        AggregationTelemetry.FlushLag.Record(_time.GetElapsedTime(since).TotalSeconds, _tags);
                    }
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    // The parent keeps the last contribution it accepted; the next flush sends the whole total again.
                    AggregationTelemetry.FlushFailures.Add(1, _tags);
                    LogFlushFailed(_logger, ex, _unit.Key);
                    notTaken = programmes;
                }
            }
        }
        finally
        {
            // Whatever happened, the flush is over: a flush left open would stop every later one.
            _flush.End(notTaken);
        }
    }

    [LoggerMessage(EventId = 5010, Level = LogLevel.Warning, Message = "{Unit} activated without the totals of {Count} children; asking them again every {Interval}")]
    private static partial void LogChildrenMissing(ILogger logger, UnitKey unit, int count, TimeSpan interval);

    [LoggerMessage(EventId = 5011, Level = LogLevel.Warning, Message = "Checkpoint of {Unit} could not be written; activation will replay more of the ledger")]
    private static partial void LogCheckpointFailed(ILogger logger, Exception exception, UnitKey unit);

    [LoggerMessage(EventId = 5014, Level = LogLevel.Warning, Message = "Checkpoint of {Unit} is in a format this version does not read; the unit replays its whole ledger")]
    private static partial void LogCheckpointUnreadable(ILogger logger, UnitKey unit);

    [LoggerMessage(EventId = 5012, Level = LogLevel.Warning, Message = "Ledger write for {Unit} failed; the unit reloads from the ledger")]
    private static partial void LogLedgerFailed(ILogger logger, Exception exception, UnitKey unit);

    [LoggerMessage(EventId = 5013, Level = LogLevel.Warning, Message = "Flush of {Unit} to its parent failed; retrying")]
    private static partial void LogFlushFailed(ILogger logger, Exception exception, UnitKey unit);
}
