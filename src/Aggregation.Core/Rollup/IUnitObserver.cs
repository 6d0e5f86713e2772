using Orleans.Concurrency;

namespace Aggregation.Rollup;

/// <summary>
/// Told when a unit's figures change (at most once per flush interval per unit). Carries no
/// figures: a subscriber reads the latest state when it is ready to write, so a slow subscriber
/// coalesces any number of changes into one read and never holds up the unit.
/// </summary>
[Alias("aggregation.IUnitObserver")]
public interface IUnitObserver : IGrainObserver
{
    [OneWay, Alias("RollupChanged")]
    void RollupChanged(string unitKey, string programmeId, long version);
}
