using System.ComponentModel.DataAnnotations;

namespace Aggregation.Rollup;

/// <summary>Configuration section <c>Rollup</c>.</summary>
public sealed class RollupOptions
{
    public const string Section = "Rollup";

    /// <summary>
    /// How long a unit gathers changes before sending its total to its parent. Each level adds at
    /// most this much to the time a report takes to reach the nation (three levels: 3× plus call time).
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "00:00:10")]
    public TimeSpan FlushInterval { get; set; } = TimeSpan.FromMilliseconds(25);

    /// <summary>How often every unit is touched so that units lost with a silo are reloaded and pushed up.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan SweepInterval { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// A unit with reports not yet in its checkpoint writes one after this long without a new
    /// report, so that a restart replays little of the ledger and a shutdown has little to write.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan CheckpointWhenIdle { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How often a unit asks again a child that did not answer while the unit was activating.</summary>
    [Range(typeof(TimeSpan), "00:00:00.1", "00:10:00")]
    public TimeSpan ChildRetryInterval { get; set; } = TimeSpan.FromSeconds(5);
}
