using System.Collections.Immutable;
using System.Diagnostics;
using Aggregation.Hierarchy;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Aggregation.Rollup;

/// <summary>
/// A unit's figures for every programme it takes part in. Reports and children's contributions
/// change the unit at once; the unit's totals reach its parent on a one-shot timer armed by the
/// first change after a flush: immediately after a quiet interval, otherwise at the end of the
/// interval. A parent receives at most one message per child per interval, and no caller ever
/// waits on the chain to the nation.
/// </summary>
[GrainType("unit")]
[CollectionAgeLimit(AlwaysActive = true)]
public sealed class UnitGrain : Grain, IUnitGrain
{
    private readonly Catalog _catalog;
    private readonly RollupOptions _options;
    private readonly ILogger<UnitGrain> _logger;
    private readonly Dictionary<string, ProgrammeRollup> _rollups = new(StringComparer.Ordinal);
    private readonly HashSet<string> _dirty = new(StringComparer.Ordinal);
    private AdminUnit _unit = null!;
    private IUnitGrain? _parent;
    private IGrainTimer? _flushTimer;
    private bool _flushing;
    private long _lastFlush = long.MinValue / 2;

    public UnitGrain(Catalog catalog, IOptions<RollupOptions> options, ILogger<UnitGrain> logger)
    {
        _catalog = catalog;
        _options = options.Value;
        _logger = logger;
    }

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        var key = UnitKey.FromGrainKey(this.GetPrimaryKeyString());
        _unit = _catalog.GetUnit(key);
        _parent = _unit.Parent is { } parent ? GrainFactory.GetGrain<IUnitGrain>(parent.GrainKey) : null;
        return Task.CompletedTask;
    }

    public Task<ApplyResult> ApplyAsync(ReportCommand report)
    {
        var rollup = RollupFor(report.ProgrammeId);
        var before = rollup.Version;
        var result = rollup.Apply(report);
        if (rollup.Version != before)
        {
            MarkDirty(report.ProgrammeId);
        }

        return Task.FromResult(result);
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

    public Task<RollupSnapshot> GetSnapshotAsync(string programmeId)
    {
        var rollup = RollupFor(programmeId);
        return Task.FromResult(new RollupSnapshot(programmeId, rollup.Version, rollup.Total.ToArray(), [.. rollup.Children]));
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
        if (_flushTimer is not null || _flushing)
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
        if (_dirty.Count == 0 || _parent is null)
        {
            return;
        }

        _flushing = true;
        _lastFlush = Stopwatch.GetTimestamp();
        var programmes = _dirty.ToArray();
        _dirty.Clear();
        var batch = programmes.Select(p => _rollups[p].ToContribution()).ToImmutableArray();
        try
        {
            await _parent.ApplyChildAsync(_unit.Key.GrainKey, batch);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // The parent keeps the last version it accepted; the next flush sends the whole total again.
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
