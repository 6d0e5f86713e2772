namespace Aggregation.Hierarchy;

/// <summary>A tenant whose provinces were all merged into another tenant's from a date (Bắc Kạn into Thái Nguyên on 2025-07-01).</summary>
public sealed record TenantMerger(string Tenant, string Into, DateOnly From);

// Which tenant may see which tenant's units, and when. Kept apart from the hierarchy because a merger
// is a fact about tenants (who answers for a code), found once while reorganisations are applied and
// then asked on every resolve; the unit tree itself does not change with it.
internal sealed class TenantMergers
{
    private readonly Dictionary<string, TenantMerger> _byTenant = new(StringComparer.Ordinal);

    public IReadOnlyCollection<TenantMerger> All => _byTenant.Values;

    public bool IsMerged(string tenant) => _byTenant.ContainsKey(tenant);

    public TenantMerger? Of(string tenant) => _byTenant.GetValueOrDefault(tenant);

    public void Record(TenantMerger merger) => _byTenant[merger.Tenant] = merger;

    /// <summary>The tenant itself, the tenants merged into it, and the tenant it was merged into.</summary>
    public IEnumerable<string> FamilyOf(string tenant)
    {
        yield return tenant;
        foreach (var merger in _byTenant.Values.Where(m => m.Into == tenant))
        {
            yield return merger.Tenant;
        }

        if (_byTenant.TryGetValue(tenant, out var own))
        {
            yield return own.Into;
        }
    }

    /// <summary>
    /// The tenants whose units a tenant means on a date: its own, those merged into it before they
    /// were merged (its history), and after its own merger the tenant it went into.
    /// </summary>
    public IEnumerable<string> VisibleOn(string tenant, DateOnly on)
    {
        yield return tenant;
        foreach (var merger in _byTenant.Values.Where(m => m.Into == tenant && on < m.From))
        {
            yield return merger.Tenant;
        }

        if (_byTenant.TryGetValue(tenant, out var own) && on >= own.From)
        {
            yield return own.Into;
        }
    }

    /// <summary>Whether a tenant may mean a unit for some day of [from, to), by the same rule as <see cref="VisibleOn"/>.</summary>
    public bool VisibleDuring(string tenant, AdminUnit unit, DateOnly from, DateOnly to) =>
        unit.Tenant == tenant
        || (_byTenant.TryGetValue(unit.Tenant, out var merged) && merged.Into == tenant && from < merged.From)
        || (_byTenant.TryGetValue(tenant, out var own) && own.Into == unit.Tenant && to > own.From);
}
