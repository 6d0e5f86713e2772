namespace Aggregation.Rollup;

/// <summary>
/// When a unit's changes go to its parent and its observers. Leading edge: a change after a quiet
/// interval goes at once; changes that follow within the interval wait for the next slot, so a
/// parent hears from a child at most once per interval and never later than one interval after a
/// change. One flush at a time: changes made while one is under way go in the next. The timer is
/// armed through <paramref name="arm"/> (a one-shot grain timer in the grain), so the decisions can
/// be checked with a fake clock and no silo.
/// </summary>
/// <param name="time">The grains' clock.</param>
/// <param name="interval">The flush interval (<see cref="RollupOptions.FlushInterval"/>).</param>
/// <param name="arm">Starts a one-shot timer due after the given time that calls the grain's flush; disposing it cancels it.</param>
public sealed class FlushScheduler(TimeProvider time, TimeSpan interval, Func<TimeSpan, IDisposable> arm)
{
    private readonly HashSet<string> _forParent = new(StringComparer.Ordinal);
    private readonly HashSet<string> _forObservers = new(StringComparer.Ordinal);
    private IDisposable? _timer;
    private bool _flushing;
    private bool _stopped;
    private long _lastFlush = long.MinValue / 2;

    // When the oldest change the parent has not taken yet was made (the start of the flush lag).
    private long? _parentPendingSince;
    private long? _flushingSince;

    /// <summary>Whether a timer is armed for the next flush.</summary>
    public bool IsArmed => _timer is not null;

    /// <summary>Records that a programme's figures changed, for the parent, the observers or both, and arms the next flush.</summary>
    public void Changed(string programmeId, bool forParent, bool forObservers)
    {
        if (forParent)
        {
            _forParent.Add(programmeId);
            _parentPendingSince ??= time.GetTimestamp();
        }

        if (forObservers)
        {
            _forObservers.Add(programmeId);
        }

        Arm();
    }

    /// <summary>How long the next flush waits if armed now.</summary>
    public TimeSpan NextDueTime()
    {
        var sinceLast = time.GetElapsedTime(_lastFlush);
        return sinceLast >= interval ? TimeSpan.Zero : interval - sinceLast;
    }

    /// <summary>
    /// Called when the timer fires: takes what is pending (empty once stopped). Until <see cref="End"/>
    /// no timer is armed, so flushes never overlap.
    /// </summary>
    public FlushBatch Begin()
    {
        _timer?.Dispose();
        _timer = null;
        if (_stopped)
        {
            return FlushBatch.Empty;
        }

        _flushing = true;
        _lastFlush = time.GetTimestamp();
        var batch = new FlushBatch([.. _forParent], [.. _forObservers]) { ParentPendingSince = _parentPendingSince };
        _flushingSince = _parentPendingSince;
        _parentPendingSince = null;
        _forParent.Clear();
        _forObservers.Clear();
        return batch;
    }

    /// <summary>Ends a flush; programmes the parent did not take go again in the next one (the whole total is sent each time).</summary>
    public void End(IEnumerable<string> notTakenByParent)
    {
        _flushing = false;
        var retried = false;
        foreach (var programme in notTakenByParent)
        {
            _forParent.Add(programme);
            retried = true;
        }

        if (retried && _flushingSince is { } since)
        {
            // What goes again has waited since the failed flush's oldest change, not since now.
            _parentPendingSince = _parentPendingSince is { } later && later < since ? later : since;
        }

        _flushingSince = null;
        Arm();
    }

    /// <summary>Forgets pending changes (a rebuild replaces the figures they name and marks everything changed again).</summary>
    public void Clear()
    {
        _forParent.Clear();
        _forObservers.Clear();
        _parentPendingSince = null;
    }

    /// <summary>Never flushes again (the unit is reloading: what it holds may not be what the ledger holds).</summary>
    public void Stop()
    {
        _stopped = true;
        _timer?.Dispose();
        _timer = null;
    }

    private void Arm()
    {
        if (_timer is not null || _flushing || _stopped || (_forParent.Count == 0 && _forObservers.Count == 0))
        {
            return;
        }

        _timer = arm(NextDueTime());
    }
}

/// <summary>What one flush sends: contributions of <see cref="ForParent"/>, notices of <see cref="ForObservers"/>.</summary>
public sealed record FlushBatch(IReadOnlyList<string> ForParent, IReadOnlyList<string> ForObservers)
{
    /// <summary>The timestamp (of the scheduler's clock) of the oldest change in <see cref="ForParent"/>, if any.</summary>
    public long? ParentPendingSince { get; init; }

    public static readonly FlushBatch Empty = new([], []);
}
