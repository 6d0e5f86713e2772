using System.Collections.Immutable;

namespace Aggregation.Rollup;

/// <summary>
/// One administrative unit (commune, district, province, or the nation) keyed by <c>tenant/code</c>.
/// It records reports for itself in the ledger and applies them, and folds in its children's
/// contributions; its own total reaches its parent on a short, batched flush rather than inside
/// the caller's request. Its state is derived: on activation it replays its ledger entries and
/// asks its children for their contributions.
/// </summary>
[Alias("aggregation.IUnitGrain")]
public interface IUnitGrain : IGrainWithStringKey
{
    /// <summary>
    /// Checks, records (committed to the ledger before returning) and applies reports for this unit.
    /// One outcome per submission, in order.
    /// </summary>
    [Alias("ApplyBatch")]
    Task<ImmutableArray<UnitOutcome>> ApplyBatchAsync(ImmutableArray<UnitSubmission> submissions);

    /// <summary>Checks reports against the unit's rules and values as <see cref="ApplyBatchAsync"/> would, recording and applying nothing.</summary>
    [Alias("CheckBatch")]
    Task<ImmutableArray<UnitOutcome>> CheckBatchAsync(ImmutableArray<UnitSubmission> submissions);

    /// <summary>Receives a child's latest contributions; contributions older than those held are ignored.</summary>
    [Alias("ApplyChildren")]
    Task ApplyChildAsync(string childKey, ImmutableArray<Contribution> contributions);

    /// <summary>This unit's current contributions to its parent, one per programme with data.</summary>
    [Alias("GetContributions")]
    Task<ImmutableArray<Contribution>> GetContributionsAsync();

    /// <summary>The unit's current aggregated cells for a programme (empty cells when nothing was reported).</summary>
    [Alias("GetSnapshot")]
    Task<RollupSnapshot> GetSnapshotAsync(string programmeId);

    /// <summary>
    /// The values the unit itself reported for a programme, one per element and reporting period,
    /// with which report set each (what an export to a receiver that aggregates by itself sends).
    /// </summary>
    [Alias("GetOwnValues")]
    Task<ImmutableArray<OwnValue>> GetOwnValuesAsync(string programmeId);

    /// <summary>Forgets everything, replays the unit's ledger entries and asks its children again.</summary>
    [Alias("Rebuild")]
    Task<long> RebuildAsync();

    /// <summary>
    /// Registers (or renews) an observer told of every change; registrations not renewed within
    /// two minutes expire, so a subscriber renews well before that.
    /// </summary>
    [Alias("Observe")]
    Task ObserveAsync(IUnitObserver observer);

    [Alias("Unobserve")]
    Task UnobserveAsync(IUnitObserver observer);

    /// <summary>Does nothing but ensure the unit is active (and so reloaded and pushed up after a failure).</summary>
    [Alias("Touch")]
    Task TouchAsync();
}
