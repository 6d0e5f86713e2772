using Aggregation.Rollup;
using Aggregation.Storage;

namespace Aggregation.Grains.Tests;

/// <summary>
/// A unit grain's timers and turns, on a silo whose grain clock the test moves: when a child's
/// figures reach its parent, what a rebuild, a lost ledger answer and a taken
/// sequence number do to the unit.
/// </summary>
[Collection(GrainCluster.Name)]
public sealed class UnitGrainTests(GrainClusterFixture cluster)
{
    private static readonly TimeSpan WaitLimit = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan Tick = TimeSpan.FromMilliseconds(1);

    [Fact]
    public async Task A_childs_change_reaches_its_parent_within_the_flush_interval_and_not_before()
    {
        var s = new UnitScenario(cluster, "flush");
        var t = s.Tree;

        // After a quiet interval a change goes up at once.
        Assert.Equal(UnitOutcomeKind.Accepted, (await s.ApplyAsync(t.CommuneA, s.Complaints(2))).Kind);
        await s.WaitForComplaintsAsync(t.District, 2);

        // A change right after a flush waits for the next slot: the parent hears from the child at
        // most once per interval, and no later than one interval after the change.
        Assert.Equal(UnitOutcomeKind.Accepted, (await s.ApplyAsync(t.CommuneA, s.Complaints(5))).Kind);
        cluster.Clock.Advance(GrainClusterFixture.FlushInterval - Tick);
        Assert.Equal(2, await s.ComplaintsAsync(t.District));

        cluster.Clock.Advance(Tick);
        await s.WaitForComplaintsAsync(t.District, 5);
        await s.WaitForComplaintsAsync(t.Province, 5);
    }

    [Fact]
    public async Task A_unit_rebuilt_while_a_flush_is_due_keeps_sending_its_changes_to_its_parent()
    {
        var s = new UnitScenario(cluster, "rebuild");
        var t = s.Tree;
        var commune = s.Unit(t.CommuneA);
        await s.ApplyAsync(t.CommuneA, s.Complaints(1));
        await s.WaitForComplaintsAsync(t.District, 1);

        // A change waits for the next flush slot; the rebuild starts and is caught reading the ledger
        // when the slot comes, so the flush runs in the middle of the rebuild.
        await s.ApplyAsync(t.CommuneA, s.Complaints(2));
        var read = cluster.Ledger.HoldNextRead(t.CommuneA);
        var rebuild = commune.RebuildAsync();
        await read.Reached.WaitAsync(WaitLimit);
        using (var ticks = new TimerTicks(commune))
        {
            cluster.Clock.Advance(GrainClusterFixture.FlushInterval);
            await ticks.Finished.WaitAsync(WaitLimit);
        }

        read.Release();
        Assert.Equal(2, await rebuild.WaitAsync(WaitLimit));
        await s.WaitForComplaintsAsync(t.CommuneA, 2);

        // Later changes still reach the parent within the interval.
        await s.ApplyAsync(t.CommuneA, s.Complaints(3));
        cluster.Clock.Advance(GrainClusterFixture.FlushInterval);
        await s.WaitForComplaintsAsync(t.District, 3);
    }

    [Fact]
    public async Task A_unit_whose_ledger_write_failed_reloads_and_a_retry_of_the_committed_report_is_a_duplicate()
    {
        var s = new UnitScenario(cluster, "reload");
        var t = s.Tree;
        await s.ApplyAsync(t.CommuneA, s.Complaints(2));
        await s.WaitForComplaintsAsync(t.District, 2);

        // The row commits but the answer is lost: whether it committed is unknown to the unit.
        var report = s.Complaints(7);
        cluster.Ledger.LoseNextAnswer(t.CommuneA);
        await Assert.ThrowsAsync<LedgerUnavailableException>(() => s.ApplyAsync(t.CommuneA, report));

        var retry = await s.RetryUntilServedAsync(t.CommuneA, report);

        Assert.Equal(UnitOutcomeKind.Duplicate, retry.Kind);
        Assert.Equal(7, await s.ComplaintsAsync(t.CommuneA));
        cluster.Clock.Advance(GrainClusterFixture.FlushInterval);
        await s.WaitForComplaintsAsync(t.District, 7);
    }

    [Fact]
    public async Task A_sequence_number_taken_by_another_writer_is_unavailable_not_a_key_conflict_and_the_retry_is_accepted()
    {
        var s = new UnitScenario(cluster, "clash");
        var t = s.Tree;
        await s.ApplyAsync(t.CommuneA, s.Complaints(2));

        // Another activation of the unit (a silo that has not yet learnt it lost the unit) records
        // the next sequence number first.
        Assert.Equal([LedgerOutcome.Inserted], await cluster.Ledger.AppendDirectlyAsync(s.AsLedgerEntry(t.CommuneA, 2, s.Complaints(5))));

        // The client's report is not lost, nor its key called used: it is told to retry.
        var report = s.Complaints(9);
        await Assert.ThrowsAsync<LedgerUnavailableException>(() => s.ApplyAsync(t.CommuneA, report));

        var retry = await s.RetryUntilServedAsync(t.CommuneA, report);

        Assert.Equal(UnitOutcomeKind.Accepted, retry.Kind);
        Assert.Equal(9, await s.ComplaintsAsync(t.CommuneA));
    }
}
