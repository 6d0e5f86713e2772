using System.Text.Json;
using Aggregation.Programmes;

namespace Aggregation.Hierarchy;

/// <summary>A province's programme office: its part of the hierarchy and the programmes it runs.</summary>
public sealed record Tenant(string Id, LocalizedText Name, IReadOnlyList<string> ProvinceCodes, IReadOnlyList<string> ProgrammeIds);

/// <summary>
/// Everything that is data rather than code: tenants, their administrative units and the programmes
/// they run. Immutable once loaded; every silo loads the same files.
/// </summary>
public sealed class Catalog
{
    public const string NationLevel = "nation";

    private readonly Dictionary<UnitKey, AdminUnit> _units;
    private readonly Dictionary<UnitKey, List<AdminUnit>> _children;
    private readonly Dictionary<UnitKey, Dictionary<string, int>> _descendantsByLevel;

    public Catalog(
        IEnumerable<Tenant> tenants,
        IReadOnlyList<AdminUnitRow> rows,
        IEnumerable<Programme> programmes,
        string defaultTenant)
    {
        ArgumentNullException.ThrowIfNull(rows);
        Tenants = tenants.ToDictionary(t => t.Id, StringComparer.Ordinal);
        Programmes = programmes.ToDictionary(p => p.Id, StringComparer.Ordinal);
        DefaultTenant = defaultTenant;
        var errors = new List<string>();
        if (!Tenants.ContainsKey(defaultTenant))
        {
            errors.Add($"defaultTenant '{defaultTenant}' is not a tenant");
        }

        // Levels are data: the order in which the file introduces them, under the nation.
        Levels = [NationLevel, .. rows.Select(r => r.Level).Distinct()];
        var byCode = rows.GroupBy(r => r.Code).ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
        var childRows = rows.Where(r => r.ParentCode.Length > 0).ToLookup(r => r.ParentCode, StringComparer.Ordinal);

        _units = new Dictionary<UnitKey, AdminUnit>
        {
            [UnitKey.Nation] = new AdminUnit(UnitKey.Nation, "Việt Nam", NationLevel, "Quốc gia", null),
        };
        _children = new Dictionary<UnitKey, List<AdminUnit>> { [UnitKey.Nation] = [] };
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

                AddSubtree(tenant.Id, row, UnitKey.Nation, childRows);
            }
        }

        if (errors.Count > 0)
        {
            throw new CatalogException(errors);
        }

        _descendantsByLevel = [];
        CountDescendants(UnitKey.Nation);
    }

    public IReadOnlyDictionary<string, Tenant> Tenants { get; }

    public IReadOnlyDictionary<string, Programme> Programmes { get; }

    public string DefaultTenant { get; }

    /// <summary>Level names from the top (<c>nation</c>) down.</summary>
    public IReadOnlyList<string> Levels { get; }

    public int UnitCount => _units.Count;

    public bool TryGetUnit(UnitKey key, out AdminUnit unit) => _units.TryGetValue(key, out unit!);

    public AdminUnit GetUnit(UnitKey key) =>
        _units.TryGetValue(key, out var unit) ? unit : throw new KeyNotFoundException($"Unknown unit {key}.");

    public IReadOnlyList<AdminUnit> ChildrenOf(UnitKey key) =>
        _children.TryGetValue(key, out var list) ? list : [];

    /// <summary>Children that take part in a programme (for the nation: provinces of tenants running it).</summary>
    public IEnumerable<AdminUnit> ChildrenOf(UnitKey key, string programmeId) =>
        ChildrenOf(key).Where(c => RunsProgramme(c.Tenant, programmeId));

    public IEnumerable<AdminUnit> UnitsOf(string tenant) => _units.Values.Where(u => u.Tenant == tenant);

    public bool RunsProgramme(string tenant, string programmeId) =>
        tenant == UnitKey.Nation.Tenant
            ? Tenants.Values.Any(t => t.ProgrammeIds.Contains(programmeId))
            : Tenants.TryGetValue(tenant, out var t) && t.ProgrammeIds.Contains(programmeId);

    /// <summary>Units of a level in the subtree of <paramref name="key"/> (itself included) that take part in the programme.</summary>
    public long UnitsAtLevel(UnitKey key, string level, string programmeId)
    {
        if (key == UnitKey.Nation)
        {
            return ChildrenOf(key, programmeId).Sum(p => (long)UnitsAtLevel(p.Key, level, programmeId));
        }

        return RunsProgramme(key.Tenant, programmeId) && _descendantsByLevel.TryGetValue(key, out var counts) && counts.TryGetValue(level, out var n) ? n : 0;
    }

    /// <summary>Ancestors from the parent up to the nation.</summary>
    public IEnumerable<AdminUnit> AncestorsOf(UnitKey key)
    {
        for (var unit = GetUnit(key); unit.Parent is { } parent; unit = GetUnit(parent))
        {
            yield return GetUnit(parent);
        }
    }

    /// <summary>Loads tenants.json from a catalog folder (hierarchy CSV and programme files beside it).</summary>
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
        var levels = new List<string> { NationLevel };
        levels.AddRange(rows.Select(r => r.Level).Distinct());
        var errors = new List<string>();
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

        return new Catalog(tenants, rows, programmes, file.DefaultTenant ?? tenants.FirstOrDefault()?.Id ?? "");
    }

    private void AddSubtree(string tenant, AdminUnitRow row, UnitKey parent, ILookup<string, AdminUnitRow> childRows)
    {
        var key = new UnitKey(tenant, row.Code);
        var unit = new AdminUnit(key, row.Name, row.Level, row.Type, parent);
        _units[key] = unit;
        _children[parent].Add(unit);
        _children[key] = [];
        foreach (var child in childRows[row.Code])
        {
            AddSubtree(tenant, child, key, childRows);
        }
    }

    private Dictionary<string, int> CountDescendants(UnitKey key)
    {
        var counts = new Dictionary<string, int>(StringComparer.Ordinal) { [_units[key].Level] = 1 };
        foreach (var child in _children[key])
        {
            foreach (var (level, n) in CountDescendants(child.Key))
            {
                counts[level] = counts.GetValueOrDefault(level) + n;
            }
        }

        _descendantsByLevel[key] = counts;
        return counts;
    }

    private sealed class CatalogFile
    {
        public string? Hierarchy { get; set; }
        public List<string>? Programmes { get; set; }
        public string? DefaultTenant { get; set; }
        public List<TenantFile>? Tenants { get; set; }
    }

    private sealed class TenantFile
    {
        public string? Id { get; set; }
        public LocalizedText? Name { get; set; }
        public List<string>? Provinces { get; set; }
        public List<string>? Programmes { get; set; }
    }
}
