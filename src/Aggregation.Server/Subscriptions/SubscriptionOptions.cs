using System.ComponentModel.DataAnnotations;

namespace Aggregation.Server.Subscriptions;

/// <summary>Configuration section <c>Subscriptions</c>.</summary>
public sealed class SubscriptionOptions
{
    public const string Section = "Subscriptions";

    /// <summary>A heartbeat is sent when nothing changed for this long.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:10:00")]
    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>How often this silo renews its registrations with the units it watches (units expire them after 2 minutes).</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:01:30")]
    public TimeSpan RenewInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Open subscriptions allowed per silo.</summary>
    [Range(1, 100_000)]
    public int MaxSubscriptions { get; set; } = 2000;
}
