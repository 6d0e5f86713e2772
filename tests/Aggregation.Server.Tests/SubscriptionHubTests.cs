using Aggregation.Server.Subscriptions;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Aggregation.Server.Tests;

public sealed class SubscriptionHubTests
{
    private const string Programme = "prostitution-prevention-2021-2025";
    private const string Unit = "thai-nguyen/v1/19";

    /// <summary>
    /// How long a subscription waits for a change: it returns at once when one is marked, so only a
    /// lost subscription waits this long (a very short wait could time out on a busy machine before
    /// looking at a change that is there).
    /// </summary>
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(5);

    private static (SubscriptionHub Hub, UnitGrainsStandIn Units) NewHub()
    {
        var (grains, units) = UnitGrainsStandIn.Create();
        return (new SubscriptionHub(grains, Options.Create(new SubscriptionOptions()), NullLogger<SubscriptionHub>.Instance), units);
    }

    [Fact]
    public async Task A_subscription_opened_while_the_last_one_on_its_unit_closes_still_receives_the_units_changes()
    {
        var (hub, units) = NewHub();
        var closing = new Subscription(Programme);
        var opening = new Subscription(Programme);
        await hub.WatchAsync(closing, [Unit]);

        // The closing subscription leaves exactly between the opening one finding the unit's
        // watchers and joining them: the moment a concurrent close can drop that set.
        hub.Watchers.AfterLookup = key =>
        {
            hub.Watchers.AfterLookup = null;
            hub.Unwatch(closing, [key]);
        };
        await hub.WatchAsync(opening, [Unit]);

        hub.RollupChanged(Unit, Programme, version: 7);
        Assert.Equal([Unit], await opening.WaitAsync(Patience, CancellationToken.None));
        Assert.True(units.Observes(Unit, hub), "the unit no longer notifies the hub, so the subscription would only ever see heartbeats");
        Assert.Equal(1, hub.OpenSubscriptions);
    }

    [Fact]
    public async Task Subscriptions_opening_and_closing_on_one_unit_at_once_are_each_reached_by_its_changes()
    {
        // Two callers churn on one unit: one opens a subscription while the other closes the only
        // one open, round after round, released together by a barrier. Every subscription that
        // opened must be reached by the unit's next change. The rounds are bounded, and the first
        // lost subscription ends both callers.
        const int Rounds = 50_000;
        var (hub, _) = NewHub();
        var subscriptions = Enumerable.Range(0, Rounds + 1).Select(_ => new Subscription(Programme)).ToArray();
        await hub.WatchAsync(subscriptions[0], [Unit]);
        using var rounds = new Barrier(2);
        var lostInRound = 0;

        // Each caller meets the other three times a round: both start the round together, both
        // finished before the change is sent, and both know the verdict before the next round.
        void Meet(int round, string caller)
        {
            if (!rounds.SignalAndWait(TimeSpan.FromSeconds(30)))
            {
                throw new TimeoutException($"round {round}: the {caller} waited 30 s for the other caller, which failed or hung");
            }
        }

        var opener = Task.Factory.StartNew(
            () =>
            {
                for (var round = 1; round <= Rounds; round++)
                {
                    Meet(round, "opener");
                    hub.WatchAsync(subscriptions[round], [Unit]).GetAwaiter().GetResult();
                    Meet(round, "opener");
                    hub.RollupChanged(Unit, Programme, version: round);
                    if (subscriptions[round].WaitAsync(Patience, CancellationToken.None).GetAwaiter().GetResult().Length == 0)
                    {
                        Volatile.Write(ref lostInRound, round);
                    }

                    Meet(round, "opener");
                    if (Volatile.Read(ref lostInRound) != 0)
                    {
                        return;
                    }
                }
            },
            CancellationToken.None,
            TaskCreationOptions.LongRunning,
            TaskScheduler.Default);
        var closer = Task.Factory.StartNew(
            () =>
            {
                for (var round = 1; round <= Rounds; round++)
                {
                    Meet(round, "closer");
                    hub.Unwatch(subscriptions[round - 1], [Unit]);
                    Meet(round, "closer");
                    Meet(round, "closer");
                    if (Volatile.Read(ref lostInRound) != 0)
                    {
                        return;
                    }
                }
            },
            CancellationToken.None,
            TaskCreationOptions.LongRunning,
            TaskScheduler.Default);
        await Task.WhenAll(opener, closer);

        Assert.True(lostInRound == 0, $"round {lostInRound}: the subscription opened while another closed is no longer reached by its unit's changes");
        Assert.Equal(1, hub.OpenSubscriptions);
    }
}
