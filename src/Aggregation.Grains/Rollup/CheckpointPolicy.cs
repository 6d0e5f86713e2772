namespace Aggregation.Rollup;

/// <summary>
/// When a unit writes its checkpoint: after <see cref="WriteEvery"/> reports, and once it has been
/// quiet for <see cref="RollupOptions.CheckpointWhenIdle"/> with reports not yet in a checkpoint, so
/// that a restart replays little of the ledger and a shutdown has little to write. The idle timer
/// is armed through <paramref name="arm"/> (a one-shot grain timer in the grain).
/// </summary>
/// <param name="time">The grains' clock.</param>
/// <param name="whenIdle">The quiet time before a checkpoint (<see cref="RollupOptions.CheckpointWhenIdle"/>).</param>
/// <param name="unitKey">The unit's grain key, which spreads units' idle checkpoints over time.</param>
/// <param name="arm">Starts a one-shot timer due after the given time that calls the grain's idle check; disposing it cancels it.</param>
public sealed class CheckpointPolicy(TimeProvider time, TimeSpan whenIdle, string unitKey, Func<TimeSpan, IDisposable> arm)
{
    /// <summary>Reports after which a checkpoint is written at once, however busy the unit.</summary>
    public const int WriteEvery = 1000;

    private IDisposable? _timer;
    private long _lastCommit;
    private bool _stopped;

    /// <summary>Ledger entries applied since the last checkpoint written (or, after a load, replayed).</summary>
    public int SinceCheckpoint { get; private set; }

    /// <summary>Whether enough reports have gone by that a checkpoint is written now.</summary>
    public bool IsDue => SinceCheckpoint >= WriteEvery;

    /// <summary>A report was committed and applied.</summary>
    public void Committed()
    {
        SinceCheckpoint++;
        _lastCommit = time.GetTimestamp();
        Arm();
    }

    /// <summary>The unit replayed <paramref name="replayed"/> ledger entries after its checkpoint.</summary>
    public void Loaded(long replayed)
    {
        SinceCheckpoint = (int)Math.Min(replayed, int.MaxValue);
        if (SinceCheckpoint > 0)
        {
            _lastCommit = time.GetTimestamp();
            Arm();
        }
    }

    /// <summary>A checkpoint was taken (or there was nothing to write); it is written in the store's next round.</summary>
    public void Written() => SinceCheckpoint = 0;

    /// <summary>
    /// The checkpoint that covered <paramref name="covered"/> reports could not be written: they
    /// count towards the next one again, which the idle timer writes if no report comes first.
    /// </summary>
    public void NotWritten(int covered)
    {
        SinceCheckpoint += covered;
        if (SinceCheckpoint > 0)
        {
            Arm();
        }
    }

    /// <summary>Called when the idle timer fires: whether to write now. A unit that got reports meanwhile waits again.</summary>
    public bool IdleTimerFired()
    {
        _timer?.Dispose();
        _timer = null;
        if (SinceCheckpoint == 0 || _stopped)
        {
            return false;
        }

        if (time.GetElapsedTime(_lastCommit) < whenIdle)
        {
            Arm();
            return false;
        }

        return true;
    }

    /// <summary>Writes no more checkpoints (the unit is reloading: what it holds may not be what the ledger holds).</summary>
    public void Stop()
    {
        _stopped = true;
        _timer?.Dispose();
        _timer = null;
    }

    /// <summary>How long the idle timer waits if armed now.</summary>
    public TimeSpan NextDueTime()
    {
        // Spread over a second interval by the unit's key, so that units activated or loaded together
        // (a cold start, a bulk load) do not all write at once: a cold-start profile showed ten
        // thousand checkpoint writes 30 s in, competing with the activations still under way.
        var quiet = time.GetElapsedTime(_lastCommit);
        var spread = whenIdle * ((uint)StringComparer.Ordinal.GetHashCode(unitKey) % 1000 / 1000.0);
        return quiet >= whenIdle ? spread : whenIdle - quiet + spread;
    }

    private void Arm()
    {
        if (_timer is not null || _stopped)
        {
            return;
        }

        _timer = arm(NextDueTime());
    }
}
