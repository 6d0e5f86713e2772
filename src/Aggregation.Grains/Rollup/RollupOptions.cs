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
}
