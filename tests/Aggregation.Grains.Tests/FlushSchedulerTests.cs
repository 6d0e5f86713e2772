using Aggregation.Rollup;
using Microsoft.Extensions.Time.Testing;

namespace Aggregation.Grains.Tests;

/// <summary>When a unit's changes go up, decided against a fake clock, no silo: the timers it would arm are recorded.</summary>
public sealed class FlushSchedulerTests
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);
    private readonly FakeTimeProvider _clock = new();
    private readonly List<TimeSpan> _armed = [];
    private readonly FlushScheduler _scheduler;

    public FlushSchedulerTests() => _scheduler = new FlushScheduler(_clock, Interval, due =>
    {
        _armed.Add(due);
        return new NoTimer();
    });

    [Fact]
    public void A_change_after_a_quiet_interval_goes_at_once_and_the_next_waits_out_the_interval()
    {
        _scheduler.Changed("p", forParent: true, forObservers: false);
        Assert.Equal([TimeSpan.Zero], _armed);

        Assert.Equal(["p"], _scheduler.Begin().ForParent);
        _scheduler.End([]);
        _clock.Advance(TimeSpan.FromMilliseconds(300));
        _scheduler.Changed("p", forParent: true, forObservers: false);

        Assert.Equal([TimeSpan.Zero, TimeSpan.FromMilliseconds(700)], _armed);
    }

    [Fact]
    public void Changes_made_while_a_flush_is_under_way_go_in_the_next_one_not_a_second_at_the_same_time()
    {
        _scheduler.Changed("p", forParent: true, forObservers: false);
        var first = _scheduler.Begin();
        _scheduler.Changed("q", forParent: true, forObservers: true);
        Assert.Single(_armed);

        _scheduler.End([]);

        Assert.Equal([TimeSpan.Zero, Interval], _armed);
        var second = _scheduler.Begin();
        Assert.Equal(["p"], first.ForParent);
        Assert.Equal(["q"], second.ForParent);
        Assert.Equal(["q"], second.ForObservers);
    }

    [Fact]
    public void The_flush_lag_runs_from_the_first_change_not_taken_even_across_a_failed_flush()
    {
        var first = _clock.GetTimestamp();
        _scheduler.Changed("p", forParent: true, forObservers: false);
        _clock.Advance(TimeSpan.FromMilliseconds(200));
        _scheduler.Changed("q", forParent: true, forObservers: false);
        Assert.Equal(first, _scheduler.Begin().ParentPendingSince);

        _clock.Advance(TimeSpan.FromMilliseconds(100));
        _scheduler.Changed("q", forParent: true, forObservers: false);
        _scheduler.End(["p"]);
        Assert.Equal(first, _scheduler.Begin().ParentPendingSince);
        _scheduler.End([]);

        _clock.Advance(Interval);
        var later = _clock.GetTimestamp();
        _scheduler.Changed("p", forParent: true, forObservers: false);
        Assert.Equal(later, _scheduler.Begin().ParentPendingSince);
    }

    [Fact]
    public void What_the_parent_did_not_take_goes_again_in_the_next_flush()
    {
        _scheduler.Changed("p", forParent: true, forObservers: false);
        _scheduler.Begin();
        _scheduler.End(["p"]);

        Assert.Equal(2, _armed.Count);
        Assert.Equal(["p"], _scheduler.Begin().ForParent);
    }

    [Fact]
    public void A_cleared_scheduler_has_nothing_to_send_and_a_stopped_one_never_arms_again()
    {
        _scheduler.Changed("p", forParent: true, forObservers: true);
        _scheduler.Clear();
        var batch = _scheduler.Begin();
        Assert.Empty(batch.ForParent);
        Assert.Empty(batch.ForObservers);
        _scheduler.End([]);

        _scheduler.Stop();
        _scheduler.Changed("p", forParent: true, forObservers: false);

        Assert.Single(_armed);
        Assert.Empty(_scheduler.Begin().ForParent);
    }

    [Fact]
    public void A_change_nobody_listens_to_arms_nothing()
    {
        _scheduler.Changed("p", forParent: false, forObservers: false);

        Assert.Empty(_armed);
    }

    private sealed class NoTimer : IDisposable
    {
        public void Dispose()
        {
        }
    }
}
