using Aggregation.Programmes;

namespace Aggregation.Hierarchy;

/// <summary>
/// A province's programme office: its part of the hierarchy, the programmes it runs, and which figures
/// its reports to the ministry carry.
/// </summary>
public sealed record Tenant(string Id, LocalizedText Name, IReadOnlyList<string> ProvinceCodes, IReadOnlyList<string> ProgrammeIds, MinistryFigures MinistryFigures = MinistryFigures.Approved);

/// <summary>Which figures a tenant sends to the ministry (tenants.json <c>"ministryReports"</c>).</summary>
public enum MinistryFigures
{
    /// <summary>"approved" (the default): a half or year is sent only once the province has approved its figures.</summary>
    Approved = 0,

    /// <summary>"provisional": figures not yet approved are sent too, marked as provisional; the approved revision follows.</summary>
    Provisional = 1,
}

/// <summary>
/// Everything that is data rather than code: tenants, their administrative units in every hierarchy
/// version, the reorganisations between versions, and the programmes. Immutable once loaded; every
/// silo loads the same files.
/// </summary>
/// <remarks>
/// A unit belongs to the version that introduced it and is in force from that version's date until a
/// reorganisation merges or closes it. A unit that <see cref="SuccessionKind.Continues"/> (a province
/// that carries on) is the same unit in both versions: its children are the old ones before the date
/// and the new ones after. Units introduced by a later version are keyed <c>code@version</c>, because
/// GSO codes were reused for different units.
/// <para>
/// This class is the query model only: <see cref="CatalogLoader"/> reads the files, <see cref="HierarchyBuilder"/>
/// builds and checks the unit tree (with <see cref="ReorganisationCheck"/>), and <see cref="TenantMergers"/>
/// says which tenant answers for whose units.
/// </para>
/// </remarks>
public sealed class Catalog
{
    public const string NationLevel = "nation";

    private readonly Dictionary<UnitKey, AdminUnit> _units;
    private readonly Dictionary<UnitKey, List<AdminUnit>> _children;
    private readonly Dictionary<(string Tenant, string Code), List<AdminUnit>> _byCode = [];
    private readonly Dictionary<UnitKey, Dictionary<string, Dictionary<(DateOnly From, DateOnly? To), int>>> _descendants = [];
    private readonly Dictionary<UnitKey, UnitKey> _successor;
    private readonly Dictionary<UnitKey, List<UnitKey>> _predecessors;
    private readonly TenantMergers _mergers;

    public Catalog(
        IEnumerable<Tenant> tenants,
        IReadOnlyList<AdminUnitRow> rows,
        IEnumerable<Programme> programmes,
        string defaultTenant,
        HierarchyVersion? baseVersion = null,
        IReadOnlyList<Reorganisation>? reorganisations = null,
        Reorganisation? earlier = null)
    {
        ArgumentNullException.ThrowIfNull(rows);
        Tenants = tenants.ToDictionary(t => t.Id, StringComparer.Ordinal);
        Programmes = programmes.ToDictionary(p => p.Id, StringComparer.Ordinal);
        DefaultTenant = defaultTenant;
        var first = baseVersion ?? new HierarchyVersion("base", DateOnly.MinValue, "");
        var later = (reorganisations ?? []).OrderBy(r => r.Version.EffectiveFrom).ToList();
        Versions = [.. earlier is null ? [] : new[] { earlier.Version }, first, .. later.Select(r => r.Version)];
        Reorganisations = later;
        var errors = new List<string>();
        if (!Tenants.ContainsKey(defaultTenant))
        {
            errors.Add($"defaultTenant '{defaultTenant}' is not a tenant");
        }

        // Levels are data: the order in which the files introduce them, under the nation.
        Levels = [NationLevel, .. rows.Concat(later.SelectMany(r => r.Units)).Select(r => r.Level).Distinct()];
        var hierarchy = new HierarchyBuilder(first, rows);
        foreach (var tenant in Tenants.Values)
        {
            foreach (var programme in tenant.ProgrammeIds.Where(p => !Programmes.ContainsKey(p)))
            {
                errors.Add($"tenant '{tenant.Id}' runs unknown programme '{programme}'");
            }

            hierarchy.AddProvincesOf(tenant, errors);
        }

        // Units of the earlier version that ended are keyed code@id: an id shared with another version would merge two units' grains.
        if (earlier is not null && Versions.Count(v => v.Id == earlier.Version.Id) > 1)
        {
            errors.Add($"{earlier.MappingSource}: version id '{earlier.Version.Id}' is also the id of another version: every version needs its own id");
        }
        else if (earlier is not null)
        {
            var next = later.FirstOrDefault()?.Version;
            hierarchy.AddEarlierVersion(earlier, next?.EffectiveFrom ?? DateOnly.MaxValue, next?.Id ?? "", errors);
        }

        hierarchy.ApplyReorganisations(later, Tenants.Values, errors);
        if (errors.Count > 0)
        {
            throw new CatalogException(errors);
        }

        _units = hierarchy.Units;
        _children = hierarchy.Children;
        _successor = hierarchy.Successors;
        _predecessors = hierarchy.Predecessors;
        _mergers = hierarchy.Mergers;
        foreach (var unit in _units.Values)
        {
            var key = (unit.Tenant, unit.Code);
            if (!_byCode.TryGetValue(key, out var list))
            {
                _byCode[key] = list = [];
            }

            list.Add(unit);
        }

        CountDescendants(UnitKey.Nation);
    }

    public IReadOnlyDictionary<string, Tenant> Tenants { get; }

    public IReadOnlyDictionary<string, Programme> Programmes { get; }

    public string DefaultTenant { get; }

    /// <summary>Hierarchy versions, oldest first; an earlier version (before the first) applies only to the provinces its mapping covers.</summary>
    public IReadOnlyList<HierarchyVersion> Versions { get; }

    public IReadOnlyList<Reorganisation> Reorganisations { get; }

    /// <summary>Level names from the top (<c>nation</c>) down, over every version.</summary>
    public IReadOnlyList<string> Levels { get; }

    public int UnitCount => _units.Count;

    /// <summary>Tenants merged into others, with the date.</summary>
    public IReadOnlyCollection<TenantMerger> Mergers => _mergers.All;

    public bool TryGetUnit(UnitKey key, out AdminUnit unit) => _units.TryGetValue(key, out unit!);

    public AdminUnit GetUnit(UnitKey key) =>
        _units.TryGetValue(key, out var unit) ? unit : throw new KeyNotFoundException($"Unknown unit {key}.");

    /// <summary>The version in force on a date.</summary>
    public HierarchyVersion VersionOn(DateOnly date) => Versions.Last(v => v.EffectiveFrom <= date || v == Versions[0]);

    /// <summary>
    /// The unit a tenant means by a GSO code on a date: its own unit of that code in force then, or one
    /// of a tenant merged into it (its history), or, for a tenant merged away, one of its successor's
    /// after the merger. Codes alone never identify a unit: the date picks the version.
    /// </summary>
    public bool TryResolve(string tenant, string code, DateOnly on, out AdminUnit unit)
    {
        foreach (var candidate in _mergers.VisibleOn(tenant, on))
        {
            if (_byCode.TryGetValue((candidate, code), out var units) && units.FirstOrDefault(u => u.InForceOn(on)) is { } found)
            {
                unit = found;
                return true;
            }
        }

        unit = null!;
        return false;
    }

    /// <summary>
    /// The unit a tenant means by a code for a period [from, to): the one in force on the period's last
    /// day, else the latest one in force during the period (a commune merged on 1 July still answers for
    /// its January–June). A report is attributed, and a read resolved, by this rule.
    /// </summary>
    public bool TryResolve(string tenant, string code, DateOnly from, DateOnly to, out AdminUnit unit)
    {
        if (TryResolve(tenant, code, to.AddDays(-1), out unit))
        {
            return true;
        }

        unit = TenantFamily(tenant).SelectMany(t => _byCode.TryGetValue((t, code), out var units) ? units : [])
            .Where(u => u.InForceDuring(from, to) && _mergers.VisibleDuring(tenant, u, from, to))
            .OrderByDescending(u => u.ValidFrom).FirstOrDefault()!;
        return unit is not null;
    }

    /// <summary>The units a tenant may mean by a code at any date (every version), newest first.</summary>
    public IEnumerable<AdminUnit> UnitsWithCode(string tenant, string code) =>
        TenantFamily(tenant).SelectMany(t => _byCode.TryGetValue((t, code), out var units) ? units : []).OrderByDescending(u => u.ValidFrom);

    /// <summary>The tenant itself, the tenants merged into it, and the tenant it was merged into.</summary>
    public IEnumerable<string> TenantFamily(string tenant) => _mergers.FamilyOf(tenant);

    /// <summary>The tenant a merged tenant's callers act in from the merger on, if any.</summary>
    public TenantMerger? MergerOf(string tenant) => _mergers.Of(tenant);

    public IReadOnlyList<AdminUnit> ChildrenOf(UnitKey key) =>
        _children.TryGetValue(key, out var list) ? list : [];

    /// <summary>Children that take part in a programme (for the nation: provinces of tenants running it).</summary>
    public IEnumerable<AdminUnit> ChildrenOf(UnitKey key, string programmeId) =>
        ChildrenOf(key).Where(c => RunsProgramme(c.Tenant, programmeId));

    /// <summary>Children in force on some day of the period [from, to).</summary>
    public IEnumerable<AdminUnit> ChildrenOf(UnitKey key, string programmeId, DateOnly from, DateOnly to) =>
        ChildrenOf(key, programmeId).Where(c => c.InForceDuring(from, to));

    public IEnumerable<AdminUnit> UnitsOf(string tenant) => _units.Values.Where(u => u.Tenant == tenant);

    public bool RunsProgramme(string tenant, string programmeId) =>
        tenant == UnitKey.Nation.Tenant
            ? Tenants.Values.Any(t => t.ProgrammeIds.Contains(programmeId))
            : Tenants.TryGetValue(tenant, out var t) && t.ProgrammeIds.Contains(programmeId);

    /// <summary>
    /// Units of a level in the subtree of <paramref name="key"/> (itself included) that take part in
    /// the programme and are in force on some day of [from, to). Across a reorganisation this counts
    /// each unit for the part of the period it existed: 2025 in Thái Nguyên has the 172 communes of
    /// January–June and the 92 of July–December.
    /// </summary>
    public long UnitsAtLevel(UnitKey key, string level, string programmeId, DateOnly from, DateOnly to)
    {
        if (key == UnitKey.Nation)
        {
            return ChildrenOf(key, programmeId).Sum(p => UnitsAtLevel(p.Key, level, programmeId, from, to));
        }

        if (!RunsProgramme(key.Tenant, programmeId) || !_descendants.TryGetValue(key, out var levels) || !levels.TryGetValue(level, out var spans))
        {
            return 0;
        }

        return spans.Where(s => s.Key.From < to && (s.Key.To is not { } end || from < end)).Sum(s => (long)s.Value);
    }

    /// <summary>
    /// The units of a level under <paramref name="key"/> during [from, to), grouped by the part of the
    /// period they were in force (clipped to it): how a reader is told what a count across a
    /// reorganisation is made of.
    /// </summary>
    public IEnumerable<(DateOnly From, DateOnly To, int Count)> UnitSpans(UnitKey key, string level, string programmeId, DateOnly from, DateOnly to)
    {
        if (key == UnitKey.Nation)
        {
            return ChildrenOf(key, programmeId).SelectMany(p => UnitSpans(p.Key, level, programmeId, from, to))
                .GroupBy(x => (x.From, x.To)).Select(g => (g.Key.From, g.Key.To, g.Sum(x => x.Count))).ToList();
        }

        if (!RunsProgramme(key.Tenant, programmeId) || !_descendants.TryGetValue(key, out var levels) || !levels.TryGetValue(level, out var spans))
        {
            return [];
        }

        return spans.Where(s => s.Key.From < to && (s.Key.To is not { } end || from < end))
            .Select(s => (From: s.Key.From > from ? s.Key.From : from, To: s.Key.To is { } e && e < to ? e : to, s.Value))
            .GroupBy(x => (x.From, x.To)).Select(g => (g.Key.From, g.Key.To, g.Sum(x => x.Value))).ToList();
    }

    /// <summary>Units of a level under <paramref name="key"/> in force today or at any time (no period given).</summary>
    public long UnitsAtLevel(UnitKey key, string level, string programmeId) =>
        UnitsAtLevel(key, level, programmeId, DateOnly.MinValue, DateOnly.MaxValue);

    /// <summary>Ancestors from the parent up to the nation.</summary>
    public IEnumerable<AdminUnit> AncestorsOf(UnitKey key)
    {
        for (var unit = GetUnit(key); unit.Parent is { } parent; unit = GetUnit(parent))
        {
            yield return GetUnit(parent);
        }
    }

    /// <summary>The unit that received this unit's area and data at a reorganisation (merged), if any.</summary>
    public AdminUnit? SuccessorOf(UnitKey key) => _successor.TryGetValue(key, out var next) ? _units[next] : null;

    /// <summary>Units merged into this one (their data is this unit's history when re-expressed), direct only.</summary>
    public IReadOnlyList<AdminUnit> PredecessorsOf(UnitKey key) =>
        _predecessors.TryGetValue(key, out var list) ? list.Select(k => _units[k]).ToList() : [];

    /// <summary>The unit itself and every unit merged into it, at any depth: what its re-expressed history sums.</summary>
    public IReadOnlyList<AdminUnit> RestatedSources(UnitKey key)
    {
        var result = new List<AdminUnit> { GetUnit(key) };
        for (var i = 0; i < result.Count; i++)
        {
            result.AddRange(PredecessorsOf(result[i].Key));
        }

        return result;
    }

    /// <summary>Loads tenants.json from a catalog folder (hierarchy CSVs, mappings and programme files beside it).</summary>
    public static Catalog Load(string directory, bool allProvinces = false) => CatalogLoader.Load(directory, allProvinces);

    private Dictionary<string, Dictionary<(DateOnly From, DateOnly? To), int>> CountDescendants(UnitKey key)
    {
        var unit = _units[key];
        var counts = new Dictionary<string, Dictionary<(DateOnly, DateOnly?), int>>(StringComparer.Ordinal)
        {
            [unit.Level] = new() { [(unit.ValidFrom, unit.ValidTo)] = 1 },
        };
        foreach (var child in _children[key])
        {
            foreach (var (level, spans) in CountDescendants(child.Key))
            {
                if (!counts.TryGetValue(level, out var mine))
                {
                    counts[level] = mine = [];
                }

                foreach (var (span, n) in spans)
                {
                    mine[span] = mine.GetValueOrDefault(span) + n;
                }
            }
        }

        _descendants[key] = counts;
        return counts;
    }
}
