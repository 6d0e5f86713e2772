using System.Collections.Immutable;

namespace Aggregation.Rollup;

/// <summary>
/// One administrative unit (commune, district, province, or the nation) keyed by <c>tenant/code</c>.
/// It applies reports for itself and folds in its children's contributions; its own total reaches
/// its parent on a short, batched flush rather than inside the caller's request.
/// </summary>
[Alias("aggregation.IUnitGrain")]
public interface IUnitGrain : IGrainWithStringKey
{
    /// <summary>Applies a validated report to this unit's own values.</summary>
    [Alias("Apply")]
    Task<ApplyResult> ApplyAsync(ReportCommand report);

    /// <summary>Receives children's latest contributions; older versions than those held are ignored.</summary>
    [Alias("ApplyChildren")]
    Task ApplyChildAsync(string childKey, ImmutableArray<Contribution> contributions);

    /// <summary>The unit's current aggregated cells for a programme (empty cells when nothing was reported).</summary>
    [Alias("GetSnapshot")]
    Task<RollupSnapshot> GetSnapshotAsync(string programmeId);
}
