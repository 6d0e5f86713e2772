namespace Aggregation.Grains.Tests;

/// <summary>
/// A parent whose child cannot answer while the parent activates. On a silo of its own: any flush
/// that reaches the nation activates every unit of the catalog, and these units must first be
/// activated by the test, after their reports are in the ledger.
/// </summary>
[Collection(FreshGrainCluster.Name)]
public sealed class ChildRetryTests(GrainClusterFixture cluster)
{
    [Fact]
    public async Task A_parent_activates_with_the_children_that_answer_and_asks_the_others_again_until_they_do()
    {
        var s = new UnitScenario(cluster, "retry");
        var t = s.Tree;

        // Both communes have reports in the ledger (a restart); commune B cannot activate for now.
        await cluster.Ledger.AppendDirectlyAsync(s.AsLedgerEntry(t.CommuneA, 1, s.Complaints(4)), s.AsLedgerEntry(t.CommuneB, 1, s.Complaints(6)));
        cluster.Ledger.FailReads(t.CommuneB);

        await s.WaitForComplaintsAsync(t.District, 4);
        Assert.Equal([s.Unit(t.CommuneA).GetPrimaryKeyString()], (await s.ReportedChildrenAsync(t.District)).ToArray());

        // Nothing else activates commune B: only the district asking again brings its figures in.
        cluster.Ledger.RestoreReads(t.CommuneB);
        cluster.Clock.Advance(GrainClusterFixture.ChildRetryInterval);
        await s.WaitForComplaintsAsync(t.District, 10);
    }
}
