namespace Aggregation.Hierarchy;

// Builds the unit tree a Catalog answers from: the tenants' provinces of the base version, then each
// reorganisation in date order (new units added, old ones ended, successors recorded). Kept apart from
// Catalog because building is done once, with mutable indexes and error collection, while the Catalog
// is an immutable query model read on every report; ReorganisationCheck holds the rules a mapping must
// meet before it is applied.
internal sealed class HierarchyBuilder
{
    private readonly HierarchyVersion _first;
    private readonly Dictionary<string, AdminUnitRow> _rowsByCode;
    private readonly ILookup<string, AdminUnitRow> _childRows;
    private readonly Dictionary<string, string> _provinceOwner = new(StringComparer.Ordinal);
    private readonly IReadOnlyList<AdminUnitRow> _rows;

    public HierarchyBuilder(HierarchyVersion first, IReadOnlyList<AdminUnitRow> rows)
    {
        _first = first;
        _rows = rows;
        _rowsByCode = rows.GroupBy(r => r.Code).ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
        _childRows = rows.Where(r => r.ParentCode.Length > 0).ToLookup(r => r.ParentCode, StringComparer.Ordinal);
        Units[UnitKey.Nation] = new AdminUnit(UnitKey.Nation, "Việt Nam", Catalog.NationLevel, "Quốc gia", null) { Version = first.Id };
        Children[UnitKey.Nation] = [];
    }

    public Dictionary<UnitKey, AdminUnit> Units { get; } = [];

    public Dictionary<UnitKey, List<AdminUnit>> Children { get; } = [];

    public Dictionary<UnitKey, UnitKey> Successors { get; } = [];

    public Dictionary<UnitKey, List<UnitKey>> Predecessors { get; } = [];

    public TenantMergers Mergers { get; } = new();

    /// <summary>Adds a tenant's provinces of the base version with everything under them; a province is one tenant's.</summary>
    public void AddProvincesOf(Tenant tenant, List<string> errors)
    {
        foreach (var code in tenant.ProvinceCodes)
        {
            if (!_rowsByCode.TryGetValue(code, out var row) || row.ParentCode.Length > 0)
            {
                errors.Add($"tenant '{tenant.Id}': '{code}' is not a province code of the hierarchy");
                continue;
            }

            if (!_provinceOwner.TryAdd(code, tenant.Id))
            {
                errors.Add($"province '{code}' belongs to two tenants ('{_provinceOwner[code]}' and '{tenant.Id}')");
                continue;
            }

            AddSubtree(tenant.Id, row, UnitKey.Nation, _first);
        }
    }

    /// <summary>
    /// Adds a version in force before the first one for the provinces its mapping covers: its units
    /// that did not carry on are keyed <c>code@version</c> and end on their row's day, merged into the
    /// first version's units, which begin that day. The first version's keys do not change.
    /// </summary>
    public void AddEarlierVersion(Reorganisation earlier, DateOnly before, string beforeVersion, List<string> errors)
    {
        var check = EarlierVersionCheck.Run(earlier, _first, Units, before, beforeVersion);
        errors.AddRange(check.Errors);
        if (check.Errors.Count > 0)
        {
            return;
        }

        foreach (var province in check.Provinces)
        {
            AddEarlierSubtree(check, check.Earlier[province.Code], province.Key, earlier.Version);
        }

        foreach (var (code, day) in check.Begins)
        {
            Replace(check.First[code] with { ValidFrom = day });
        }
    }

    /// <summary>Applies reorganisations (oldest first) that hold; every problem of every one is reported.</summary>
    public void ApplyReorganisations(IReadOnlyList<Reorganisation> reorganisations, IEnumerable<Tenant> tenants, List<string> errors)
    {
        var previous = _first;
        var previousRows = _rows;
        foreach (var reorganisation in reorganisations)
        {
            if (reorganisation.Version.EffectiveFrom <= previous.EffectiveFrom)
            {
                errors.Add($"{reorganisation.MappingSource}: version {reorganisation.Version.Id} must take effect after {previous.Id} ({previous.EffectiveFrom:yyyy-MM-dd})");
                continue;
            }

            var check = ReorganisationCheck.Run(reorganisation, previous, Units, Children, previousRows);
            errors.AddRange(check.Errors);
            if (check.Errors.Count == 0)
            {
                var moved = new HashSet<string>(StringComparer.Ordinal);
                var newKeys = AddNewUnits(check, reorganisation.Version, moved);
                EndOldUnits(check, newKeys, moved, reorganisation.Version.EffectiveFrom);
                RecordTenantMergers(tenants, reorganisation.Version.EffectiveFrom);
            }

            previous = reorganisation.Version;
            previousRows = reorganisation.Units;
        }
    }

    /// <summary>
    /// The new units of the held provinces, under their continuing or new parents; a continuing unit is
    /// the old one unless its parent changed (<paramref name="moved"/>). Returns the key each new code now stands for.
    /// </summary>
    private Dictionary<string, UnitKey> AddNewUnits(ReorganisationCheck check, HierarchyVersion version, HashSet<string> moved)
    {
        var newKeys = new Dictionary<string, UnitKey>(StringComparer.Ordinal);
        foreach (var code in check.NewProvinces)
        {
            var province = check.Old[check.Continues[code].OldCode];
            if (!ReorganisationCheck.IsHeld(province))
            {
                continue;
            }

            newKeys[code] = province.Key;
            AddFresh(check.Fresh[code], province.Tenant, check, newKeys, version, moved);
        }

        return newKeys;
    }

    /// <summary>Ends merged and closed units on their date and records who succeeded whom.</summary>
    private void EndOldUnits(ReorganisationCheck check, Dictionary<string, UnitKey> newKeys, HashSet<string> moved, DateOnly date)
    {
        foreach (var row in check.Valid)
        {
            var oldUnit = check.Old[row.OldCode];
            var within = check.IsWithinPreviousVersion(row);
            // A continuing unit under a new parent is succeeded like a merged one: one row, all its data.
            var carriesOn = row.Kind == SuccessionKind.Continues && !moved.Contains(row.OldCode);
            if (carriesOn || !ReorganisationCheck.IsHeld(oldUnit))
            {
                continue;
            }

            if (row.Kind is SuccessionKind.Merged or SuccessionKind.Closed or SuccessionKind.Continues)
            {
                Replace(oldUnit with { ValidTo = within ? row.Effective : date });
            }

            if (row.Kind is SuccessionKind.Merged or SuccessionKind.Continues)
            {
                var to = within ? check.Old[row.NewCode].Key : newKeys[row.NewCode];
                Successors[oldUnit.Key] = to;
                if (!Predecessors.TryGetValue(to, out var list))
                {
                    Predecessors[to] = list = [];
                }

                list.Add(oldUnit.Key);
            }
        }
    }

    /// <summary>A tenant none of whose provinces is in force any more was merged into the tenant of the province that took them.</summary>
    private void RecordTenantMergers(IEnumerable<Tenant> tenants, DateOnly date)
    {
        foreach (var tenant in tenants.Where(t => !Mergers.IsMerged(t.Id)))
        {
            var provinces = Children[UnitKey.Nation].Where(p => p.Tenant == tenant.Id).ToList();
            if (provinces.Count > 0 && provinces.All(p => p.ValidTo == date) && provinces.Select(p => Successors.GetValueOrDefault(p.Key)).Distinct().ToList() is [var into] && into != default && into.Tenant != tenant.Id)
            {
                Mergers.Record(new TenantMerger(tenant.Id, into.Tenant, date));
            }
        }
    }

    private void AddEarlierSubtree(EarlierVersionCheck check, AdminUnitRow row, UnitKey key, HierarchyVersion version)
    {
        foreach (var child in check.EarlierChildren[row.Code])
        {
            var childKey = new UnitKey(key.Tenant, child.Code);
            if (!check.CarriedOn.Contains(child.Code))
            {
                var ending = check.Ending[child.Code];
                childKey = new UnitKey(key.Tenant, child.Code + "@" + version.Id);
                var unit = new AdminUnit(childKey, child.Name, child.Level, child.Type, key) { Code = child.Code, Version = version.Id, ValidTo = ending.Effective };
                Units[childKey] = unit;
                Children[key].Add(unit);
                Children[childKey] = [];
                if (ending.Kind == SuccessionKind.Merged)
                {
                    var to = check.First[ending.NewCode].Key;
                    Successors[childKey] = to;
                    if (!Predecessors.TryGetValue(to, out var list))
                    {
                        Predecessors[to] = list = [];
                    }

                    list.Add(childKey);
                }
            }

            AddEarlierSubtree(check, child, childKey, version);
        }
    }

    private void AddSubtree(string tenant, AdminUnitRow row, UnitKey parent, HierarchyVersion version)
    {
        var key = new UnitKey(tenant, row.Code);
        var unit = new AdminUnit(key, row.Name, row.Level, row.Type, parent) { Version = version.Id, ValidFrom = version.EffectiveFrom };
        Units[key] = unit;
        Children[parent].Add(unit);
        Children[key] = [];
        foreach (var child in _childRows[row.Code])
        {
            AddSubtree(tenant, child, key, version);
        }
    }

    /// <summary>
    /// A unit's grain pushes to one parent, so a unit that continues under another parent than its own
    /// (a commune not reorganised, whose district ended) becomes a new unit with the old one as its only
    /// predecessor: its history restates into it whole, as for a merger of one.
    /// </summary>
    private void AddFresh(AdminUnitRow row, string tenant, ReorganisationCheck check, Dictionary<string, UnitKey> newKeys, HierarchyVersion version, HashSet<string> moved)
    {
        foreach (var child in check.FreshChildren[row.Code])
        {
            var parent = newKeys[row.Code];
            UnitKey key;
            if (check.Continues.TryGetValue(child.Code, out var continued) && check.Old[continued.OldCode].Parent == parent)
            {
                key = check.Old[continued.OldCode].Key;
            }
            else
            {
                key = new UnitKey(tenant, child.Code + "@" + version.Id);
                var unit = new AdminUnit(key, child.Name, child.Level, child.Type, parent) { Code = child.Code, Version = version.Id, ValidFrom = version.EffectiveFrom };
                Units[key] = unit;
                Children[parent].Add(unit);
                Children[key] = [];
                if (continued is not null)
                {
                    moved.Add(continued.OldCode);
                }
            }

            newKeys[child.Code] = key;
            AddFresh(child, tenant, check, newKeys, version, moved);
        }
    }

    private void Replace(AdminUnit unit)
    {
        Units[unit.Key] = unit;
        var siblings = Children[unit.Parent ?? UnitKey.Nation];
        siblings[siblings.FindIndex(u => u.Key == unit.Key)] = unit;
    }
}
