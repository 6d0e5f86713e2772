using Orleans.Runtime.Diagnostics;

namespace Aggregation.Grains.Tests;

/// <summary>
/// Tells a waiting test that some grain timer tick of the silo has run its course. Figures move
/// between units only inside timer ticks (a unit pushes its total to its parent from its flush
/// timer and awaits the parent; a parent asks missing children again from its retry timer), so a
/// figure a test waits for can only have changed after one: the test reads again then, not on a clock.
/// </summary>
public sealed class TimerTickSignal : IObserver<GrainTimerEvents.TimerEvent>, IDisposable
{
    private readonly Lock _lock = new();
    private readonly IDisposable _subscription;
    private TaskCompletionSource _next = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public TimerTickSignal() => _subscription = GrainTimerEvents.AllEvents.Subscribe(this);

    /// <summary>Completes when a tick finishes after this call; take it before reading, so no tick falls between.</summary>
    public Task Next()
    {
        lock (_lock)
        {
            return _next.Task;
        }
    }

    public void OnNext(GrainTimerEvents.TimerEvent value)
    {
        if (value is not GrainTimerEvents.TickStop)
        {
            return;
        }

        TaskCompletionSource finished;
        lock (_lock)
        {
            finished = _next;
            _next = new(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        finished.TrySetResult();
    }

    public void OnCompleted()
    {
    }

    public void OnError(Exception error)
    {
    }

    public void Dispose() => _subscription.Dispose();
}
