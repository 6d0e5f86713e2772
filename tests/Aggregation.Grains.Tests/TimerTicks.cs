using Orleans.Runtime;
using Orleans.Runtime.Diagnostics;

namespace Aggregation.Grains.Tests;

/// <summary>
/// Orleans' grain-timer diagnostics, narrowed to one grain: completes when a timer tick that
/// started after this was created has finished, so a test knows a timer callback has run its
/// course (whatever it did) before it moves on.
/// </summary>
public sealed class TimerTicks : IObserver<GrainTimerEvents.TimerEvent>, IDisposable
{
    private readonly GrainId _grain;
    private readonly Lock _lock = new();
    private readonly HashSet<object> _started = [];
    private readonly TaskCompletionSource<Exception?> _finished = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly IDisposable _subscription;

    public TimerTicks(IAddressable grain)
    {
        _grain = grain.GetGrainId();
        _subscription = GrainTimerEvents.AllEvents.Subscribe(this);
    }

    /// <summary>The first tick to finish; its result is the exception the callback threw, if any.</summary>
    public Task<Exception?> Finished => _finished.Task;

    public void OnNext(GrainTimerEvents.TimerEvent value)
    {
        if (value.GrainContext.GrainId != _grain)
        {
            return;
        }

        lock (_lock)
        {
            switch (value)
            {
                case GrainTimerEvents.TickStart:
                    _started.Add(value.Timer);
                    break;
                case GrainTimerEvents.TickStop stop when _started.Contains(value.Timer):
                    _finished.TrySetResult(stop.Exception);
                    break;
            }
        }
    }

    public void OnCompleted()
    {
    }

    public void OnError(Exception error)
    {
    }

    public void Dispose() => _subscription.Dispose();
}
