using System.Collections.Immutable;
using System.Diagnostics;
using Aggregation.Hierarchy;
using Aggregation.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Aggregation.Rollup;

/// <summary>
/// A unit's figures for every programme it takes part in. A report is checked, committed to the
/// ledger, then applied; a child's contribution replaces the one held. The unit's totals reach its
/// parent on a one-shot timer armed by the first change after a flush: immediately after a quiet
/// interval, otherwise at the end of the interval, so a parent hears from a child at most once per
/// interval and no caller ever waits on the chain to the nation. Nothing here is the system of
/// record: on activation the unit replays its ledger entries and pulls its children's totals, then
/// pushes its own up, which is how acknowledged reports are recovered after a crash.
/// </summary>
[GrainType("unit")]
[CollectionAgeLimit(AlwaysActive = true)]
public sealed class UnitGrain : Grain, IUnitGrain
{
    private readonly Catalog _catalog;
    private readonly IReportLedger _ledger;
    private readonly RollupOptions _options;
    private readonly ILogger<UnitGrain> _logger;
    private readonly Dictionary<string, ProgrammeRollup> _rollups = new(StringComparer.Ordinal);
    private readonly HashSet<string> _dirty = new(StringComparer.Ordinal);
    private AdminUnit _unit = null!;
    private IUnitGrain? _parent;
    private IGrainTimer? _flushTimer;
    private bool _flushing;
    private bool _reloading;
    private long _lastFlush = long.MinValue / 2;
    private long _seq;
    private long _incarnation;

    public UnitGrain(Catalog catalog, IReportLedger ledger, IOptions<RollupOptions> options, ILogger<UnitGrain> logger)
    {
        _catalog = catalog;
        _ledger = ledger;
        _options = options.Value;
        _logger = logger;
    }

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _unit = _catalog.GetUnit(UnitKey.FromGrainKey(this.GetPrimaryKeyString()));
        _parent = _unit.Parent is { } parent ? GrainFactory.GetGrain<IUnitGrain>(parent.GrainKey) : null;
        _incarnation = DateTime.UtcNow.Ticks;
        await LoadAsync();
    }

    public async Task<ImmutableArray<UnitOutcome>> ApplyBatchAsync(ImmutableArray<UnitSubmission> submissions)
    {
        ThrowIfReloading();
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
                outcomes[i] = new UnitOutcome(UnitOutcomeKind.Rejected, p.Result.Errors, [], rollup.Version);
            }
        }

        if (prepared.Count > 0)
        {
            var entries = prepared.Select(p => new LedgerEntry(_unit.Tenant, _unit.Code, ++_seq, submissions[p.Index].PayloadHash, p.Report.Report)).ToList();
            LedgerOutcome[] written;
            try
            {
                written = await _ledger.AppendAsync(entries);
            }
            catch (Exception ex)
            {
                // Whether the rows committed is unknown: reload from the ledger before serving again.
                Reload(ex);
                throw ex as LedgerUnavailableException ?? new LedgerUnavailableException("The ledger could not be written.", ex);
            }

            for (var j = 0; j < prepared.Count; j++)
            {
                var (index, report, rollup) = prepared[j];
                outcomes[index] = written[j] switch
                {
                    LedgerOutcome.Inserted => Committed(report, rollup),
                    LedgerOutcome.Duplicate => new UnitOutcome(UnitOutcomeKind.Duplicate, [], [], rollup.Version),
                    _ => new UnitOutcome(UnitOutcomeKind.KeyConflict, [], [], rollup.Version),
                };
            }
        }

        return [.. outcomes];
    }

    public Task ApplyChildAsync(string childKey, ImmutableArray<Contribution> contributions)
    {
        foreach (var contribution in contributions)
        {
            if (RollupFor(contribution.ProgrammeId).ApplyChild(childKey, contribution))
            {
                MarkDirty(contribution.ProgrammeId);
            }
        }

        return Task.CompletedTask;
    }

    public Task<ImmutableArray<Contribution>> GetContributionsAsync() =>
        Task.FromResult(_rollups.Values.Where(r => r.Version > 0).Select(r => r.ToContribution(_incarnation)).ToImmutableArray());

    public Task<RollupSnapshot> GetSnapshotAsync(string programmeId)
    {
        var rollup = RollupFor(programmeId);
        return Task.FromResult(new RollupSnapshot(programmeId, rollup.Version, rollup.Total.ToArray(), [.. rollup.Children]));
    }

    public async Task<long> RebuildAsync()
    {
        _rollups.Clear();
        _incarnation = Math.Max(_incarnation + 1, DateTime.UtcNow.Ticks);
        var replayed = await LoadAsync();
        return replayed;
    }

    public Task TouchAsync() => Task.CompletedTask;

    private UnitOutcome Committed(PreparedReport report, ProgrammeRollup rollup)
    {
        var before = rollup.Version;
        var result = rollup.Commit(report);
        if (rollup.Version != before)
        {
            MarkDirty(rollup.Programme.Id);
        }

        return new UnitOutcome(UnitOutcomeKind.Accepted, [], result.SupersededElements, result.Version);
    }

    /// <summary>Replays the unit's own ledger entries and pulls every child's contributions; then pushes up.</summary>
    private async Task<long> LoadAsync()
    {
        var replayed = 0L;
        _seq = 0;
        await foreach (var entry in _ledger.ReadUnitAsync(_unit.Tenant, _unit.Code, 0))
        {
            RollupFor(entry.Report.ProgrammeId).Replay(entry.Report);
            _seq = entry.UnitSeq;
            replayed++;
        }

        var children = _catalog.ChildrenOf(_unit.Key);
        var pulled = await Task.WhenAll(children.Select(c => GrainFactory.GetGrain<IUnitGrain>(c.Key.GrainKey).GetContributionsAsync()));
        for (var i = 0; i < children.Count; i++)
        {
            foreach (var contribution in pulled[i])
            {
                RollupFor(contribution.ProgrammeId).ApplyChild(children[i].Key.GrainKey, contribution);
            }
        }

        foreach (var programme in _rollups.Keys)
        {
            MarkDirty(programme);
        }

        return replayed;
    }

    private void Reload(Exception cause)
    {
        _logger.LogWarning(cause, "Ledger write for {Unit} failed; the unit reloads from the ledger", _unit.Key);
        _reloading = true;
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

    private void MarkDirty(string programmeId)
    {
        if (_parent is null)
        {
            return;
        }

        _dirty.Add(programmeId);
        ArmFlush();
    }

    private void ArmFlush()
    {
        if (_flushTimer is not null || _flushing || _reloading)
        {
            return;
        }

        // Leading edge: a change after a quiet interval goes up at once; changes that follow within
        // the interval wait for the next slot, so a parent hears from a child at most once per interval.
        var sinceLast = Stopwatch.GetElapsedTime(_lastFlush);
        var due = sinceLast >= _options.FlushInterval ? TimeSpan.Zero : _options.FlushInterval - sinceLast;

        // Interleaved so that reports keep being applied while a flush waits on the parent.
        _flushTimer = this.RegisterGrainTimer(
            FlushAsync,
            new GrainTimerCreationOptions(due, Timeout.InfiniteTimeSpan) { Interleave = true });
    }

    private async Task FlushAsync(CancellationToken cancellationToken)
    {
        _flushTimer?.Dispose();
        _flushTimer = null;
        if (_dirty.Count == 0 || _parent is null || _reloading)
        {
            return;
        }

        _flushing = true;
        _lastFlush = Stopwatch.GetTimestamp();
        var programmes = _dirty.ToArray();
        _dirty.Clear();
        var batch = programmes.Select(p => _rollups[p].ToContribution(_incarnation)).ToImmutableArray();
        try
        {
            await _parent.ApplyChildAsync(_unit.Key.GrainKey, batch);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // The parent keeps the last contribution it accepted; the next flush sends the whole total again.
            _logger.LogWarning(ex, "Flush of {Unit} to its parent failed; retrying", _unit.Key);
            _dirty.UnionWith(programmes);
        }
        finally
        {
            _flushing = false;
        }

        if (_dirty.Count > 0)
        {
            ArmFlush();
        }
    }
}
