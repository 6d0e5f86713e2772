using Aggregation.Rollup;
using Microsoft.Extensions.Time.Testing;

namespace Aggregation.Grains.Tests;

/// <summary>When a unit writes its checkpoint, decided against a fake clock, no silo.</summary>
public sealed class CheckpointPolicyTests
{
    private static readonly TimeSpan WhenIdle = TimeSpan.FromSeconds(30);
    private readonly FakeTimeProvider _clock = new();
    private readonly List<TimeSpan> _armed = [];
    private readonly CheckpointPolicy _policy;

    public CheckpointPolicyTests() => _policy = new CheckpointPolicy(_clock, WhenIdle, "t/90101", due =>
    {
        _armed.Add(due);
        return new NoTimer();
    });

    [Fact]
    public void A_unit_writes_once_quiet_for_the_idle_time_and_not_while_reports_keep_coming()
    {
        _policy.Committed();
        var first = Assert.Single(_armed);
        Assert.InRange(first, WhenIdle, WhenIdle * 2);

        // A report 20 s later: when the timer fires the unit has been quiet only 10 s, so it waits again.
        _clock.Advance(TimeSpan.FromSeconds(20));
        _policy.Committed();
        _clock.Advance(TimeSpan.FromSeconds(10));
        Assert.False(_policy.IdleTimerFired());
        Assert.Equal(2, _armed.Count);

        _clock.Advance(TimeSpan.FromSeconds(20));
        Assert.True(_policy.IdleTimerFired());
        _policy.Written();
        Assert.Equal(0, _policy.SinceCheckpoint);
    }

    [Fact]
    public void Units_quiet_at_the_same_moment_spread_their_writes_over_the_idle_time()
    {
        var dues = Enumerable.Range(0, 50).Select(i =>
        {
            TimeSpan due = default;
            var policy = new CheckpointPolicy(_clock, WhenIdle, $"t/{90100 + i}", d =>
            {
                due = d;
                return new NoTimer();
            });
            policy.Committed();
            return due;
        }).ToList();

        Assert.All(dues, d => Assert.InRange(d, WhenIdle, WhenIdle * 2));
        Assert.True(dues.Distinct().Count() > 40, "units' checkpoints should not all fall due together");
    }

    [Fact]
    public void A_thousand_reports_make_a_checkpoint_due_at_once_and_a_replay_counts_towards_it()
    {
        for (var i = 0; i < CheckpointPolicy.WriteEvery - 1; i++)
        {
            _policy.Committed();
        }

        Assert.False(_policy.IsDue);
        _policy.Committed();
        Assert.True(_policy.IsDue);

        _policy.Loaded(CheckpointPolicy.WriteEvery);
        Assert.True(_policy.IsDue);
    }

    [Fact]
    public void A_stopped_policy_writes_nothing_more()
    {
        _policy.Committed();
        _policy.Stop();
        _clock.Advance(WhenIdle * 3);

        Assert.False(_policy.IdleTimerFired());
    }

    [Fact]
    public void Reports_of_a_checkpoint_that_could_not_be_written_count_towards_the_next_one_which_the_idle_timer_writes()
    {
        _policy.Committed();
        _policy.Committed();
        _clock.Advance(WhenIdle * 2);
        Assert.True(_policy.IdleTimerFired());
        _policy.Written();

        // The store's round failed after the checkpoint was taken.
        _policy.NotWritten(2);
        Assert.Equal(2, _policy.SinceCheckpoint);
        Assert.Equal(2, _armed.Count);
        _clock.Advance(WhenIdle * 2);
        Assert.True(_policy.IdleTimerFired());
    }

    private sealed class NoTimer : IDisposable
    {
        public void Dispose()
        {
        }
    }
}
