using System.Globalization;
using System.Text.Json;
using Aggregation.Programmes;

namespace Aggregation.Hierarchy;

/// <summary>A province's programme office: its part of the hierarchy and the programmes it runs.</summary>
public sealed record Tenant(string Id, LocalizedText Name, IReadOnlyList<string> ProvinceCodes, IReadOnlyList<string> ProgrammeIds);

/// <summary>A tenant whose provinces were all merged into another tenant's from a date (Bắc Kạn into Thái Nguyên on 2025-07-01).</summary>
public sealed record TenantMerger(string Tenant, string Into, DateOnly From);

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
/// </remarks>
public sealed class Catalog
{
    public const string NationLevel = "nation";

    private readonly Dictionary<UnitKey, AdminUnit> _units = [];
    private readonly Dictionary<UnitKey, List<AdminUnit>> _children = [];
    private readonly Dictionary<(string Tenant, string Code), List<AdminUnit>> _byCode = [];
    private readonly Dictionary<UnitKey, Dictionary<string, Dictionary<(DateOnly From, DateOnly? To), int>>> _descendants = [];
    private readonly Dictionary<UnitKey, UnitKey> _successor = [];
    private readonly Dictionary<UnitKey, List<UnitKey>> _predecessors = [];
    private readonly Dictionary<string, TenantMerger> _mergers = new(StringComparer.Ordinal);

    public Catalog(
        IEnumerable<Tenant> tenants,
        IReadOnlyList<AdminUnitRow> rows,
        IEnumerable<Programme> programmes,
        string defaultTenant,
        HierarchyVersion? baseVersion = null,
        IReadOnlyList<Reorganisation>? reorganisations = null)
    {
        ArgumentNullException.ThrowIfNull(rows);
        Tenants = tenants.ToDictionary(t => t.Id, StringComparer.Ordinal);
        Programmes = programmes.ToDictionary(p => p.Id, StringComparer.Ordinal);
        DefaultTenant = defaultTenant;
        var first = baseVersion ?? new HierarchyVersion("base", DateOnly.MinValue, "");
        var later = (reorganisations ?? []).OrderBy(r => r.Version.EffectiveFrom).ToList();
        Versions = [first, .. later.Select(r => r.Version)];
        Reorganisations = later;
        var errors = new List<string>();
        if (!Tenants.ContainsKey(defaultTenant))
        {
            errors.Add($"defaultTenant '{defaultTenant}' is not a tenant");
        }

        // Levels are data: the order in which the files introduce them, under the nation.
        Levels = [NationLevel, .. rows.Concat(later.SelectMany(r => r.Units)).Select(r => r.Level).Distinct()];
        var byCode = rows.GroupBy(r => r.Code).ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
        var childRows = rows.Where(r => r.ParentCode.Length > 0).ToLookup(r => r.ParentCode, StringComparer.Ordinal);

        _units[UnitKey.Nation] = new AdminUnit(UnitKey.Nation, "Việt Nam", NationLevel, "Quốc gia", null) { Version = first.Id };
        _children[UnitKey.Nation] = [];
        var provinceOwner = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var tenant in Tenants.Values)
        {
            foreach (var programme in tenant.ProgrammeIds.Where(p => !Programmes.ContainsKey(p)))
            {
                errors.Add($"tenant '{tenant.Id}' runs unknown programme '{programme}'");
            }

            foreach (var code in tenant.ProvinceCodes)
            {
                if (!byCode.TryGetValue(code, out var row) || row.ParentCode.Length > 0)
                {
                    errors.Add($"tenant '{tenant.Id}': '{code}' is not a province code of the hierarchy");
                    continue;
                }

                if (!provinceOwner.TryAdd(code, tenant.Id))
                {
                    errors.Add($"province '{code}' belongs to two tenants ('{provinceOwner[code]}' and '{tenant.Id}')");
                    continue;
                }

                AddSubtree(tenant.Id, row, UnitKey.Nation, childRows, first);
            }
        }

        var previous = first;
        foreach (var reorganisation in later)
        {
            if (reorganisation.Version.EffectiveFrom <= previous.EffectiveFrom)
            {
                errors.Add($"{reorganisation.MappingSource}: version {reorganisation.Version.Id} must take effect after {previous.Id} ({previous.EffectiveFrom:yyyy-MM-dd})");
                continue;
            }

            errors.AddRange(Apply(reorganisation, previous));
            previous = reorganisation.Version;
        }

        if (errors.Count > 0)
        {
            throw new CatalogException(errors);
        }

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

    /// <summary>Hierarchy versions, oldest first.</summary>
    public IReadOnlyList<HierarchyVersion> Versions { get; }

    public IReadOnlyList<Reorganisation> Reorganisations { get; }

    /// <summary>Level names from the top (<c>nation</c>) down, over every version.</summary>
    public IReadOnlyList<string> Levels { get; }

    public int UnitCount => _units.Count;

    /// <summary>Tenants merged into others, with the date.</summary>
    public IReadOnlyCollection<TenantMerger> Mergers => _mergers.Values;

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
        foreach (var candidate in TenantsVisibleOn(tenant, on))
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
            .Where(u => u.InForceDuring(from, to) && VisibleDuring(tenant, u, from, to))
            .OrderByDescending(u => u.ValidFrom).FirstOrDefault()!;
        return unit is not null;
    }

    /// <summary>The units a tenant may mean by a code at any date (every version), newest first.</summary>
    public IEnumerable<AdminUnit> UnitsWithCode(string tenant, string code) =>
        TenantFamily(tenant).SelectMany(t => _byCode.TryGetValue((t, code), out var units) ? units : []).OrderByDescending(u => u.ValidFrom);

    /// <summary>The tenant itself, the tenants merged into it, and the tenant it was merged into.</summary>
    public IEnumerable<string> TenantFamily(string tenant)
    {
        yield return tenant;
        foreach (var merger in _mergers.Values.Where(m => m.Into == tenant))
        {
            yield return merger.Tenant;
        }

        if (_mergers.TryGetValue(tenant, out var own))
        {
            yield return own.Into;
        }
    }

    /// <summary>The tenant a merged tenant's callers act in from the merger on, if any.</summary>
    public TenantMerger? MergerOf(string tenant) => _mergers.GetValueOrDefault(tenant);

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
    public static Catalog Load(string directory, bool allProvinces = false)
    {
        var path = Path.Combine(directory, "tenants.json");
        if (!File.Exists(path))
        {
            throw new CatalogException($"No catalog at {path}: set Catalog:Directory to the folder holding tenants.json.");
        }

        CatalogFile file;
        try
        {
            using var stream = File.OpenRead(path);
            file = JsonSerializer.Deserialize<CatalogFile>(stream, new JsonSerializerOptions
            {
                PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
                ReadCommentHandling = JsonCommentHandling.Skip,
                AllowTrailingCommas = true,
            }) ?? throw new CatalogException($"{path}: empty file.");
        }
        catch (JsonException ex)
        {
            throw new CatalogException($"{path}: {ex.Message}");
        }

        if (string.IsNullOrWhiteSpace(file.Hierarchy))
        {
            throw new CatalogException($"{path}: 'hierarchy' must name the administrative-units CSV.");
        }

        var rows = AdminUnitsCsv.Read(Path.Combine(directory, file.Hierarchy));
        var errors = new List<string>();
        var reorganisations = new List<Reorganisation>();
        foreach (var r in file.Reorganisations ?? [])
        {
            if (string.IsNullOrWhiteSpace(r.Id) || !ProgrammeLoader.IsIdentifier(r.Id) || r.Hierarchy is null || r.Mapping is null
                || !DateOnly.TryParseExact(r.Effective, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var effective))
            {
                errors.Add($"{path}: every reorganisation needs an id (letters, digits, '-'), an effective date (yyyy-MM-dd), a hierarchy file and a mapping file");
                continue;
            }

            try
            {
                var units = AdminUnitsCsv.Read(Path.Combine(directory, r.Hierarchy));
                using var reader = new StreamReader(Path.Combine(directory, r.Mapping), System.Text.Encoding.UTF8);
                var mapping = Reorganisation.ReadMapping(reader, r.Mapping);
                reorganisations.Add(new Reorganisation(new HierarchyVersion(r.Id, effective, r.Hierarchy), units, mapping, r.Mapping));
            }
            catch (CatalogException ex)
            {
                errors.AddRange(ex.Errors);
            }
            catch (IOException ex)
            {
                errors.Add($"{r.Mapping}: {ex.Message}");
            }
        }

        var levels = new List<string> { NationLevel };
        levels.AddRange(rows.Concat(reorganisations.SelectMany(r => r.Units)).Select(r => r.Level).Distinct());
        var programmes = new List<Programme>();
        foreach (var programmeFile in file.Programmes ?? [])
        {
            try
            {
                programmes.Add(ProgrammeLoader.LoadFile(Path.Combine(directory, programmeFile), levels));
            }
            catch (CatalogException ex)
            {
                errors.AddRange(ex.Errors);
            }
            catch (IOException ex)
            {
                errors.Add($"{programmeFile}: {ex.Message}");
            }
        }

        var tenants = new List<Tenant>();
        foreach (var t in file.Tenants ?? [])
        {
            if (string.IsNullOrWhiteSpace(t.Id) || !ProgrammeLoader.IsIdentifier(t.Id))
            {
                errors.Add($"{path}: tenant id '{t.Id}' must be letters, digits, '-', '_' or '.'");
                continue;
            }

            tenants.Add(new Tenant(t.Id, t.Name ?? new LocalizedText(t.Id, t.Id), t.Provinces ?? [], t.Programmes ?? []));
        }

        if (errors.Count > 0)
        {
            throw new CatalogException(errors);
        }

        if (allProvinces)
        {
            // Every province not claimed by a configured tenant becomes its own tenant running the
            // default tenant's programmes: how a national deployment starts.
            var claimed = tenants.SelectMany(t => t.ProvinceCodes).ToHashSet(StringComparer.Ordinal);
            var defaultProgrammes = tenants.FirstOrDefault(t => t.Id == file.DefaultTenant)?.ProgrammeIds ?? [];
            foreach (var province in rows.Where(r => r.ParentCode.Length == 0 && !claimed.Contains(r.Code)))
            {
                tenants.Add(new Tenant($"province-{province.Code}", new LocalizedText(province.Name, province.Name), [province.Code], defaultProgrammes));
            }
        }

        var baseVersion = new HierarchyVersion(file.HierarchyVersion ?? VersionIdOf(file.Hierarchy), DateOnly.MinValue, file.Hierarchy);
        return new Catalog(tenants, rows, programmes, file.DefaultTenant ?? tenants.FirstOrDefault()?.Id ?? "", baseVersion, reorganisations);
    }

    private static string VersionIdOf(string hierarchyFile)
    {
        var name = Path.GetFileNameWithoutExtension(hierarchyFile);
        return name.StartsWith("units-", StringComparison.Ordinal) ? name["units-".Length..] : name;
    }

    private bool VisibleDuring(string tenant, AdminUnit unit, DateOnly from, DateOnly to) =>
        unit.Tenant == tenant
        || (_mergers.TryGetValue(unit.Tenant, out var merged) && merged.Into == tenant && from < merged.From)
        || (_mergers.TryGetValue(tenant, out var own) && own.Into == unit.Tenant && to > own.From);

    private IEnumerable<string> TenantsVisibleOn(string tenant, DateOnly on)
    {
        yield return tenant;
        foreach (var merger in _mergers.Values.Where(m => m.Into == tenant && on < m.From))
        {
            yield return merger.Tenant;
        }

        if (_mergers.TryGetValue(tenant, out var own) && on >= own.From)
        {
            yield return own.Into;
        }
    }

    private void AddSubtree(string tenant, AdminUnitRow row, UnitKey parent, ILookup<string, AdminUnitRow> childRows, HierarchyVersion version)
    {
        var key = new UnitKey(tenant, row.Code);
        var unit = new AdminUnit(key, row.Name, row.Level, row.Type, parent) { Version = version.Id, ValidFrom = version.EffectiveFrom };
        _units[key] = unit;
        _children[parent].Add(unit);
        _children[key] = [];
        foreach (var child in childRows[row.Code])
        {
            AddSubtree(tenant, child, key, childRows, version);
        }
    }

    /// <summary>
    /// Checks a reorganisation against the version before it and, when it holds, adds the new units,
    /// ends the old ones and records who succeeded whom. Returns every problem found.
    /// </summary>
    private List<string> Apply(Reorganisation reorganisation, HierarchyVersion previous)
    {
        var errors = new List<string>();
        var source = reorganisation.MappingSource;
        var date = reorganisation.Version.EffectiveFrom;
        var newVersion = reorganisation.Version;
        void Error(SuccessionRow row, string message) => errors.Add($"{source}:{row.Line}: {message}");
        bool Within(SuccessionRow row) => row.Effective is { } e && e != date;

        // Units in force just before the date, by GSO code (codes are unique within one version).
        var old = _units.Values.Where(u => u.Key != UnitKey.Nation && u.InForceOn(date.AddDays(-1))).ToDictionary(u => u.Code, StringComparer.Ordinal);
        var fresh = reorganisation.Units.ToDictionary(r => r.Code, StringComparer.Ordinal);
        var freshChildren = reorganisation.Units.Where(r => r.ParentCode.Length > 0).ToLookup(r => r.ParentCode, StringComparer.Ordinal);

        var primary = new Dictionary<string, SuccessionRow>(StringComparer.Ordinal);
        var intraVersion = new List<SuccessionRow>();
        var targets = new HashSet<string>(StringComparer.Ordinal);
        var valid = new List<SuccessionRow>();
        foreach (var row in reorganisation.Mapping)
        {
            var within = Within(row);
            if (within && row.Effective > date)
            {
                Error(row, $"effective {row.Effective:yyyy-MM-dd} is after the reorganisation's date {date:yyyy-MM-dd}");
                continue;
            }

            if (!old.TryGetValue(row.OldCode, out var oldUnit) || oldUnit.Level != row.Level)
            {
                Error(row, $"old {row.Level} '{row.OldCode}' is not a {row.Level} of version {previous.Id}");
                continue;
            }

            if (row.OldName.Length > 0 && row.OldName != oldUnit.Name)
            {
                Error(row, $"old_name '{row.OldName}' is not the name of {row.OldCode} in version {previous.Id} ('{oldUnit.Name}')");
            }

            if (row.Kind != SuccessionKind.Closed)
            {
                var (newName, newLevel, exists) = within
                    ? old.TryGetValue(row.NewCode, out var target) ? (target.Name, target.Level, true) : ("", "", false)
                    : fresh.TryGetValue(row.NewCode, out var targetRow) ? (targetRow.Name, targetRow.Level, true) : ("", "", false);
                var version = within ? previous.Id : newVersion.Id;
                if (!exists)
                {
                    Error(row, $"new code '{row.NewCode}' is not a unit of version {version}");
                    continue;
                }

                if (newLevel != row.Level)
                {
                    Error(row, $"{row.OldCode} is a {row.Level} but {row.NewCode} is a {newLevel} of version {version}: a unit maps to a unit of its own level");
                    continue;
                }

                if (row.NewName.Length > 0 && row.NewName != newName)
                {
                    Error(row, $"new_name '{row.NewName}' is not the name of {row.NewCode} in version {version} ('{newName}')");
                }
            }

            if (row.Kind != SuccessionKind.Part)
            {
                if (primary.TryGetValue(row.OldCode, out var earlier))
                {
                    Error(row, $"{row.Level} {row.OldCode} is mapped twice (also on line {earlier.Line}): a unit has one successor for its data; name the others 'part'");
                    continue;
                }

                primary[row.OldCode] = row;
            }

            if (within)
            {
                if (row.Kind is SuccessionKind.Continues or SuccessionKind.Part)
                {
                    Error(row, $"a merger inside version {previous.Id} (effective {row.Effective:yyyy-MM-dd}) must be 'merged' or 'closed'");
                    continue;
                }

                intraVersion.Add(row);
            }
            else if (row.Kind != SuccessionKind.Closed)
            {
                targets.Add(row.NewCode);
            }

            valid.Add(row);
        }

        // Scope: the old provinces the file maps, and the new provinces it maps them into.
        var provinceLevel = old.Values.Where(u => u.Parent == UnitKey.Nation).Select(u => u.Level).FirstOrDefault();
        var oldProvinces = valid.Where(r => r.Level == provinceLevel && !Within(r)).Select(r => r.OldCode).ToList();
        foreach (var code in oldProvinces)
        {
            foreach (var unit in SubtreeInForce(old[code].Key, date.AddDays(-1)))
            {
                if (!primary.ContainsKey(unit.Code))
                {
                    errors.Add($"{source}: {unit.Level} {unit.Code} ({unit.Name}) of province {code} is not mapped: give it a successor or close it");
                }
            }
        }

        var newProvinces = valid.Where(r => !Within(r) && r.Kind != SuccessionKind.Closed && fresh.TryGetValue(r.NewCode, out var f) && f.ParentCode.Length == 0)
            .Select(r => r.NewCode).Distinct(StringComparer.Ordinal).ToList();
        foreach (var code in newProvinces)
        {
            foreach (var unit in FreshSubtree(fresh[code], freshChildren))
            {
                if (!targets.Contains(unit.Code))
                {
                    errors.Add($"{source}: {unit.Level} {unit.Code} ({unit.Name}) of version {newVersion.Id} has no predecessor in the mapping");
                }
            }
        }

        // Continuing units keep their identity, so their parent must too (a continuing commune under a
        // new parent would have two parents at one date).
        var continues = valid.Where(r => r.Kind == SuccessionKind.Continues).ToDictionary(r => r.NewCode, r => r, StringComparer.Ordinal);
        foreach (var row in continues.Values)
        {
            var parent = fresh[row.NewCode].ParentCode;
            if (parent.Length > 0 && !continues.ContainsKey(parent))
            {
                Error(row, $"{row.OldCode} cannot continue as {row.NewCode}: its new parent {parent} is a new unit; map it 'merged'");
            }
        }

        foreach (var group in valid.Where(r => r.Kind == SuccessionKind.Continues).GroupBy(r => r.NewCode).Where(g => g.Count() > 1))
        {
            errors.Add($"{source}: {group.Count()} units continue as {group.Key} (lines {string.Join(", ", group.Select(r => r.Line))}): only one unit can be the same unit as a new one");
        }

        foreach (var code in newProvinces.Where(c => !continues.ContainsKey(c)))
        {
            errors.Add($"{source}: new province {code} continues no old province: mark the old province whose tenant runs it 'continues'");
        }

        // Mergers inside the old version must not go round in a circle.
        var next = intraVersion.Where(r => r.Kind == SuccessionKind.Merged).ToDictionary(r => r.OldCode, r => r.NewCode, StringComparer.Ordinal);
        var reported = new HashSet<string>(StringComparer.Ordinal);
        foreach (var start in next.Keys)
        {
            var seen = new List<string> { start };
            for (var at = next[start]; next.TryGetValue(at, out var following); at = following)
            {
                if (at == start)
                {
                    if (seen.All(reported.Add))
                    {
                        errors.Add($"{source}: mergers form a cycle: {string.Join(" → ", seen.Append(start))}");
                    }

                    break;
                }

                if (seen.Contains(at))
                {
                    break;
                }

                seen.Add(at);
            }
        }

        if (errors.Count > 0)
        {
            return errors;
        }

        // The new units, under their continuing or new parents; a continuing unit is the old one.
        var newKeys = new Dictionary<string, UnitKey>(StringComparer.Ordinal);
        foreach (var code in newProvinces)
        {
            var province = old[continues[code].OldCode];
            newKeys[code] = province.Key;
            AddFresh(fresh[code], province.Tenant, freshChildren, newKeys, continues, old, newVersion);
        }

        foreach (var row in valid)
        {
            var oldUnit = old[row.OldCode];
            var within = Within(row);
            if (row.Kind == SuccessionKind.Continues)
            {
                continue;
            }

            if (row.Kind is SuccessionKind.Merged or SuccessionKind.Closed)
            {
                Replace(oldUnit with { ValidTo = within ? row.Effective : date });
            }

            if (row.Kind == SuccessionKind.Merged)
            {
                var to = within ? old[row.NewCode].Key : newKeys[row.NewCode];
                _successor[oldUnit.Key] = to;
                if (!_predecessors.TryGetValue(to, out var list))
                {
                    _predecessors[to] = list = [];
                }

                list.Add(oldUnit.Key);
            }
        }

        // A tenant none of whose provinces is in force any more was merged into the tenant of the province that took them.
        foreach (var tenant in Tenants.Values.Where(t => !_mergers.ContainsKey(t.Id)))
        {
            var provinces = _children[UnitKey.Nation].Where(p => p.Tenant == tenant.Id).ToList();
            if (provinces.Count > 0 && provinces.All(p => p.ValidTo == date) && provinces.Select(p => _successor.GetValueOrDefault(p.Key)).Distinct().ToList() is [var into] && into != default && into.Tenant != tenant.Id)
            {
                _mergers[tenant.Id] = new TenantMerger(tenant.Id, into.Tenant, date);
            }
        }

        return errors;
    }

    private void AddFresh(AdminUnitRow row, string tenant, ILookup<string, AdminUnitRow> freshChildren, Dictionary<string, UnitKey> newKeys, Dictionary<string, SuccessionRow> continues, Dictionary<string, AdminUnit> old, HierarchyVersion version)
    {
        foreach (var child in freshChildren[row.Code])
        {
            var parent = newKeys[row.Code];
            UnitKey key;
            if (continues.TryGetValue(child.Code, out var continued))
            {
                key = old[continued.OldCode].Key;
            }
            else
            {
                key = new UnitKey(tenant, child.Code + "@" + version.Id);
                var unit = new AdminUnit(key, child.Name, child.Level, child.Type, parent) { Code = child.Code, Version = version.Id, ValidFrom = version.EffectiveFrom };
                _units[key] = unit;
                _children[parent].Add(unit);
                _children[key] = [];
            }

            newKeys[child.Code] = key;
            AddFresh(child, tenant, freshChildren, newKeys, continues, old, version);
        }
    }

    private void Replace(AdminUnit unit)
    {
        _units[unit.Key] = unit;
        var siblings = _children[unit.Parent ?? UnitKey.Nation];
        siblings[siblings.FindIndex(u => u.Key == unit.Key)] = unit;
    }

    private IEnumerable<AdminUnit> SubtreeInForce(UnitKey key, DateOnly on)
    {
        foreach (var child in ChildrenOf(key).Where(c => c.InForceOn(on)))
        {
            yield return child;
            foreach (var below in SubtreeInForce(child.Key, on))
            {
                yield return below;
            }
        }
    }

    private static IEnumerable<AdminUnitRow> FreshSubtree(AdminUnitRow row, ILookup<string, AdminUnitRow> children)
    {
        foreach (var child in children[row.Code])
        {
            yield return child;
            foreach (var below in FreshSubtree(child, children))
            {
                yield return below;
            }
        }
    }

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

    private sealed class CatalogFile
    {
        public string? Hierarchy { get; set; }
        public string? HierarchyVersion { get; set; }
        public List<ReorganisationFile>? Reorganisations { get; set; }
        public List<string>? Programmes { get; set; }
        public string? DefaultTenant { get; set; }
        public List<TenantFile>? Tenants { get; set; }
    }

    private sealed class ReorganisationFile
    {
        public string? Id { get; set; }
        public string? Effective { get; set; }
        public string? Hierarchy { get; set; }
        public string? Mapping { get; set; }
    }

    private sealed class TenantFile
    {
        public string? Id { get; set; }
        public LocalizedText? Name { get; set; }
        public List<string>? Provinces { get; set; }
        public List<string>? Programmes { get; set; }
    }
}
