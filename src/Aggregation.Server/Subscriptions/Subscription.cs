using System.Threading.Channels;
using Aggregation.Telemetry;

namespace Aggregation.Server.Subscriptions;

/// <summary>
/// One open subscription: the set of units marked changed since the stream last wrote, and a
/// one-slot signal. Marks coalesce (a unit is marked once however often it changes), so memory is
/// bounded by the number of units watched whatever the client's speed.
/// </summary>
public sealed class Subscription
{
    private readonly Lock _lock = new();
    private readonly HashSet<string> _changed = new(StringComparer.Ordinal);
    private readonly Channel<bool> _signal = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private readonly string _programmeId;

    public Subscription(string programmeId)
    {
        _programmeId = programmeId;
    }

    public string Id { get; } = Guid.NewGuid().ToString("N");

    /// <summary>Marks a unit changed; a null programme means "check again" (renewal, resume).</summary>
    public void MarkChanged(string unitKey, string? programmeId)
    {
        if (programmeId is not null && programmeId != _programmeId)
        {
            return;
        }

        bool fresh;
        lock (_lock)
        {
            fresh = _changed.Add(unitKey);
        }

        if (!fresh && programmeId is not null)
        {
            // The subscriber has not taken the last change of this unit yet: this one goes in the same update.
            AggregationTelemetry.UpdatesCoalesced.Add(1);
        }

        _signal.Writer.TryWrite(true);
    }

    /// <summary>Waits for changes; returns the units marked since the last call, or none when the heartbeat interval passed.</summary>
    public async Task<string[]> WaitAsync(TimeSpan heartbeat, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(heartbeat);
        try
        {
            await _signal.Reader.ReadAsync(timeout.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return [];
        }

        lock (_lock)
        {
            var changed = _changed.ToArray();
            _changed.Clear();
            return changed;
        }
    }
}
