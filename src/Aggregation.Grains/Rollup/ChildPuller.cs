using System.Collections.Immutable;
using Aggregation.Hierarchy;
using Microsoft.Extensions.Logging;

namespace Aggregation.Rollup;

/// <summary>
/// Asks a unit's children for their totals. A child that cannot answer (its own activation failed
/// or timed out) does not fail the unit: it is remembered, and asked again by
/// <see cref="RetryAsync"/> until it answers or pushes its total by itself.
/// </summary>
/// <param name="unit">The unit whose children these are.</param>
/// <param name="grains">Where the children are.</param>
/// <param name="apply">Folds a child's contributions into the unit.</param>
/// <param name="logger">The unit's logger.</param>
public sealed partial class ChildPuller(UnitKey unit, IGrainFactory grains, Action<string, ImmutableArray<Contribution>> apply, ILogger logger)
{
    private readonly HashSet<string> _unanswered = new(StringComparer.Ordinal);

    /// <summary>Children asked that have not answered yet.</summary>
    public int Unanswered => _unanswered.Count;

    /// <summary>Asks every child afresh.</summary>
    public Task PullAllAsync(IEnumerable<string> childKeys)
    {
        _unanswered.Clear();
        return Task.WhenAll(childKeys.Select(PullAsync));
    }

    /// <summary>Asks again the children that did not answer.</summary>
    public Task RetryAsync() => Task.WhenAll(_unanswered.ToList().Select(PullAsync));

    /// <summary>The child pushed its total by itself: it need not be asked.</summary>
    public void Answered(string childKey) => _unanswered.Remove(childKey);

    private async Task PullAsync(string childKey)
    {
        try
        {
            var contributions = await grains.GetGrain<IUnitGrain>(childKey).GetContributionsAsync();
            _unanswered.Remove(childKey);
            apply(childKey, contributions);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogNoAnswer(logger, ex, childKey, unit);
            _unanswered.Add(childKey);
        }
    }

    [LoggerMessage(EventId = 5003, Level = LogLevel.Debug, Message = "Child {Child} of {Unit} did not answer")]
    private static partial void LogNoAnswer(ILogger logger, Exception exception, string child, UnitKey unit);
}
