using Aggregation.Hierarchy;
using Aggregation.Rollup;
using Aggregation.Storage;
using Microsoft.Extensions.Options;

namespace Aggregation.Server.Rollup;

/// <summary>Rebuilds rollups from the ledger and audits live rollups against a recomputation from it.</summary>
public sealed class RollupMaintenance(Hierarchy.Catalog catalog, IGrainFactory grains, IReportLedger ledger, IOptions<RollupOptions> options)
{
    private const int Parallelism = 32;

    public sealed record Difference(UnitKey Unit, string ProgrammeId, string Figure, long Live, long Expected, int DifferingFigures);

    public sealed record AuditResult(int UnitsChecked, long LedgerReports, IReadOnlyList<Difference> Differences);

    /// <summary>Rebuilds the subtree of <paramref name="root"/>, deepest units first.</summary>
    public async Task<(int Units, long Replayed)> RebuildAsync(UnitKey root, CancellationToken cancellationToken)
    {
        var byDepth = Subtree(root).GroupBy(u => u.Depth).OrderByDescending(g => g.Key);
        var units = 0;
        long replayed = 0;
        foreach (var level in byDepth)
        {
            await Parallel.ForEachAsync(level, new ParallelOptions { MaxDegreeOfParallelism = Parallelism, CancellationToken = cancellationToken }, async (u, _) =>
            {
                var n = await grains.GetGrain<IUnitGrain>(u.Unit.Key.GrainKey).RebuildAsync();
                Interlocked.Add(ref replayed, n);
                Interlocked.Increment(ref units);
            });
        }

        return (units, replayed);
    }

    /// <summary>
    /// Compares the live rollups of a tenant, and the nation when <paramref name="includeNation"/>
    /// (its figures total every tenant: the ministry's alone), with a recomputation from the ledger.
    /// </summary>
    public async Task<AuditResult> AuditAsync(Tenant tenant, bool includeNation, CancellationToken cancellationToken)
    {
        // Every tenant contributes to the nation, so the recomputation reads every tenant's ledger.
        var own = new Dictionary<(UnitKey, string), ProgrammeRollup>();
        long tenantReports = 0;
        foreach (var t in catalog.Tenants.Values)
        {
            await foreach (var entry in ledger.ReadTenantAsync(t.Id, cancellationToken))
            {
                var key = new UnitKey(entry.Tenant, entry.UnitCode);
                var programme = entry.Report.ProgrammeId;
                if (!own.TryGetValue((key, programme), out var rollup))
                {
                    own[(key, programme)] = rollup = new ProgrammeRollup(catalog.Programmes[programme], catalog.GetUnit(key).Level);
                }

                rollup.Replay(entry.Report);
                if (t.Id == tenant.Id)
                {
                    tenantReports++;
                }
            }
        }

        var expected = new Dictionary<(UnitKey, string), long[]>();
        foreach (var programme in catalog.Programmes.Values)
        {
            Expected(UnitKey.Nation, programme, own, expected);
        }

        var units = tenant.ProvinceCodes.SelectMany(p => Subtree(new UnitKey(tenant.Id, p))).Select(u => u.Unit).ToList();
        if (includeNation)
        {
            units.Add(catalog.GetUnit(UnitKey.Nation));
        }

        var checks = units.SelectMany(u => tenant.ProgrammeIds.Select(p => (Unit: u, Programme: p))).ToList();
        var differences = await CompareAsync(checks, expected, cancellationToken);

        // Units still catching up: look again once the flush bound has passed, a few times.
        var settle = options.Value.FlushInterval * (catalog.Levels.Count + 1) + TimeSpan.FromMilliseconds(100);
        for (var attempt = 0; attempt < 5 && differences.Count > 0; attempt++)
        {
            await Task.Delay(settle, cancellationToken);
            differences = await CompareAsync(differences.Select(d => (catalog.GetUnit(d.Unit), d.ProgrammeId)).ToList(), expected, cancellationToken);
        }

        return new AuditResult(checks.Count, tenantReports, differences);
    }

    private async Task<List<Difference>> CompareAsync(List<(AdminUnit Unit, string Programme)> checks, Dictionary<(UnitKey, string), long[]> expected, CancellationToken cancellationToken)
    {
        var differences = new List<Difference>();
        await Parallel.ForEachAsync(checks, new ParallelOptions { MaxDegreeOfParallelism = Parallelism, CancellationToken = cancellationToken }, async (check, _) =>
        {
            var programme = catalog.Programmes[check.Programme];
            var live = (await grains.GetGrain<IUnitGrain>(check.Unit.Key.GrainKey).GetSnapshotAsync(check.Programme)).Cells;
            var want = expected.TryGetValue((check.Unit.Key, check.Programme), out var cells) ? cells : new long[programme.Layout.Length];
            var first = -1;
            var count = 0;
            for (var i = 0; i < want.Length; i++)
            {
                if (live[i] != want[i])
                {
                    count++;
                    if (first < 0)
                    {
                        first = i;
                    }
                }
            }

            if (count > 0)
            {
                lock (differences)
                {
                    differences.Add(new Difference(check.Unit.Key, check.Programme, Describe(programme.Layout, first), live[first], want[first], count));
                }
            }
        });
        return differences;
    }

    private long[]? Expected(UnitKey key, Programmes.Programme programme, Dictionary<(UnitKey, string), ProgrammeRollup> own, Dictionary<(UnitKey, string), long[]> expected)
    {
        var unit = catalog.GetUnit(key);
        var total = new ProgrammeRollup(programme, unit.Level);
        var any = false;
        if (own.TryGetValue((key, programme.Id), out var mine))
        {
            total.ApplyChild("self", mine.ToContribution(1));
            any = true;
        }

        foreach (var child in catalog.ChildrenOf(key))
        {
            if (Expected(child.Key, programme, own, expected) is { } cells)
            {
                total.ApplyChild(child.Key.GrainKey, new Contribution(programme.Id, 1, cells, 1));
                any = true;
            }
        }

        if (!any)
        {
            return null;
        }

        var result = total.Total.ToArray();
        expected[(key, programme.Id)] = result;
        return result;
    }

    private static string Describe(CellLayout layout, int cell)
    {
        var metric = layout.Metrics.Last(m => m.Offset <= cell);
        var subject = metric.Element?.Id ?? metric.DataSet?.Id ?? "";
        return $"{metric.Kind} {subject}, cell {cell - metric.Offset}";
    }

    private IEnumerable<(AdminUnit Unit, int Depth)> Subtree(UnitKey root)
    {
        var stack = new Stack<(AdminUnit, int)>([(catalog.GetUnit(root), 0)]);
        while (stack.Count > 0)
        {
            var (unit, depth) = stack.Pop();
            yield return (unit, depth);
            foreach (var child in catalog.ChildrenOf(unit.Key))
            {
                stack.Push((child, depth + 1));
            }
        }
    }
}
