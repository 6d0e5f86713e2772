using System.Threading.Channels;
using Aggregation.Rollup;

namespace Aggregation.Grains.Tests;

/// <summary>Subscribers registered with a unit: told of its changes, and dropped when they stop renewing.</summary>
[Collection(GrainCluster.Name)]
public sealed class ObserverTests(GrainClusterFixture cluster)
{
    private static readonly TimeSpan WaitLimit = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task An_observer_is_told_of_a_change_and_one_not_renewed_for_two_minutes_is_told_nothing_more()
    {
        var s = new UnitScenario(cluster, "observe");
        var commune = s.Unit(s.Tree.CommuneA);
        var lapsing = new Notices();
        await commune.ObserveAsync(cluster.Grains.CreateObjectReference<IUnitObserver>(lapsing));

        await s.ApplyAsync(s.Tree.CommuneA, s.Complaints(3));
        var notice = await lapsing.NextAsync();
        Assert.Equal((commune.GetPrimaryKeyString(), GrainClusterFixture.ProgrammeId), (notice.Unit, notice.Programme));

        // Two minutes later only the subscriber that renewed is told; both notices would leave in the same flush.
        cluster.Clock.Advance(TimeSpan.FromMinutes(2) + TimeSpan.FromSeconds(1));
        var renewing = new Notices();
        await commune.ObserveAsync(cluster.Grains.CreateObjectReference<IUnitObserver>(renewing));
        await s.ApplyAsync(s.Tree.CommuneA, s.Complaints(4));
        var later = await renewing.NextAsync();

        Assert.True(later.Version > notice.Version, $"version {later.Version} should follow {notice.Version}");
        Assert.False(lapsing.TryNext(out var stale), $"a lapsed observer was told of version {stale.Version}");
    }

    private sealed class Notices : IUnitObserver
    {
        private readonly Channel<(string Unit, string Programme, long Version)> _notices = Channel.CreateUnbounded<(string, string, long)>();

        public void RollupChanged(string unitKey, string programmeId, long version) => _notices.Writer.TryWrite((unitKey, programmeId, version));

        public async Task<(string Unit, string Programme, long Version)> NextAsync() =>
            await _notices.Reader.ReadAsync().AsTask().WaitAsync(WaitLimit);

        public bool TryNext(out (string Unit, string Programme, long Version) notice) => _notices.Reader.TryRead(out notice);
    }
}
