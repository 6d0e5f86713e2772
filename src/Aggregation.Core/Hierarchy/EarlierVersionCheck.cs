namespace Aggregation.Hierarchy;

// The rules a hierarchy version in force before the first one must meet (Thái Nguyên and Bắc Kạn from
// 01/11/2021, before the 01/03/2025 state the catalog starts from), for the provinces its mapping covers.
// The first version's units keep their keys, because reports, ledger rows and credentials already name
// them, so this mapping runs forward from the earlier units into the first version's, each row on the
// day its old unit ended. Kept apart from ReorganisationCheck because the direction differs (the later
// side exists, the earlier side is added), while the rules and their wording stay the same: every old
// unit of a covered province mapped or closed exactly once, names checked against both files, every unit
// of the first version with a predecessor, every problem with its line. Mergers cannot form a cycle here:
// every row goes from a unit of the earlier version to one of the first.
internal sealed class EarlierVersionCheck
{
    private readonly Reorganisation _earlier;
    private readonly HierarchyVersion _first;
    private readonly string _source;
    private readonly DateOnly _before;
    private readonly string _beforeVersion;
    private readonly ILookup<string, AdminUnitRow> _earlierChildren;
    private readonly ILookup<UnitKey, AdminUnit> _firstChildren;

    // The row that says where each old unit's data goes (every kind but 'part').
    private readonly Dictionary<string, SuccessionRow> _primary = new(StringComparer.Ordinal);

    private EarlierVersionCheck(Reorganisation earlier, HierarchyVersion first, IReadOnlyDictionary<UnitKey, AdminUnit> units, DateOnly before, string beforeVersion)
    {
        _earlier = earlier;
        _first = first;
        _source = earlier.MappingSource;
        _before = before;
        _beforeVersion = beforeVersion;
        Earlier = earlier.Units.ToDictionary(r => r.Code, StringComparer.Ordinal);
        _earlierChildren = earlier.Units.Where(r => r.ParentCode.Length > 0).ToLookup(r => r.ParentCode, StringComparer.Ordinal);

        // Only the tenants' provinces are loaded, and GSO codes are unique within one version.
        var firstUnits = units.Values.Where(u => u.Key != UnitKey.Nation && u.Version == first.Id).ToList();
        First = firstUnits.ToDictionary(u => u.Code, StringComparer.Ordinal);
        _firstChildren = firstUnits.Where(u => u.Parent is not null).ToLookup(u => u.Parent!.Value);
    }

    public List<string> Errors { get; } = [];

    /// <summary>Rows of the earlier version's hierarchy file, by GSO code.</summary>
    public Dictionary<string, AdminUnitRow> Earlier { get; }

    /// <summary>Units of the first version the tenants have, by GSO code.</summary>
    public Dictionary<string, AdminUnit> First { get; }

    public ILookup<string, AdminUnitRow> EarlierChildren => _earlierChildren;

    /// <summary>The covered provinces: those the mapping says continue as the same province.</summary>
    public List<AdminUnit> Provinces { get; } = [];

    /// <summary>Codes of earlier units that are the same unit in the first version (unchanged, or marked 'continues').</summary>
    public HashSet<string> CarriedOn { get; } = new(StringComparer.Ordinal);

    /// <summary>The row that ends each earlier unit that did not carry on.</summary>
    public IReadOnlyDictionary<string, SuccessionRow> Ending => _primary;

    /// <summary>First-version units that began when the units merged into them ended, with that day.</summary>
    public Dictionary<string, DateOnly> Begins { get; } = new(StringComparer.Ordinal);

    /// <summary>Checks an earlier version against the first; <see cref="Errors"/> holds every problem found.</summary>
    /// <param name="before">The date of the first reorganisation after the first version: every row must take effect before it.</param>
    public static EarlierVersionCheck Run(Reorganisation earlier, HierarchyVersion first, IReadOnlyDictionary<UnitKey, AdminUnit> units, DateOnly before, string beforeVersion)
    {
        var check = new EarlierVersionCheck(earlier, first, units, before, beforeVersion);
        var valid = check.CheckRows();
        check.CheckScope(valid);
        check.EachNewUnitBeginsOnOneDay(valid);
        return check;
    }

    private void Error(SuccessionRow row, string message) => Errors.Add($"{_source}:{row.Line}: {message}");

    private List<SuccessionRow> CheckRows()
    {
        var valid = new List<SuccessionRow>();
        foreach (var row in _earlier.Mapping)
        {
            if (!TakesEffectOnADayBeforeTheNextVersion(row) || !OldUnitIsOfTheEarlierVersion(row, out var oldUnit))
            {
                continue;
            }

            if (row.OldName.Length > 0 && row.OldName != oldUnit.Name)
            {
                Error(row, $"old_name '{row.OldName}' is not the name of {row.OldCode} in version {_earlier.Version.Id} ('{oldUnit.Name}')");
            }

            if (row.Kind != SuccessionKind.Closed && !NewUnitIsOfTheFirstVersion(row))
            {
                continue;
            }

            // The first version's unit keeps its key, so the earlier unit it continues must have its code.
            if (row.Kind == SuccessionKind.Continues && row.NewCode != row.OldCode)
            {
                Error(row, $"{row.OldCode} cannot continue as {row.NewCode}: a unit continues under its own code; map it 'merged'");
                continue;
            }

            if (row.Kind != SuccessionKind.Part)
            {
                if (_primary.TryGetValue(row.OldCode, out var earlier))
                {
                    Error(row, $"{row.Level} {row.OldCode} is mapped twice (also on line {earlier.Line}): a unit has one successor for its data; name the others 'part'");
                    continue;
                }

                _primary[row.OldCode] = row;
            }

            valid.Add(row);
        }

        return valid;
    }

    /// <summary>Every row but a continuing province's says the day the old unit ended, and that day is before the next version.</summary>
    private bool TakesEffectOnADayBeforeTheNextVersion(SuccessionRow row)
    {
        if (row.Effective is null && row.Kind != SuccessionKind.Continues)
        {
            Error(row, $"effective is required: the day {row.Level} {row.OldCode} of version {_earlier.Version.Id} ended");
            return false;
        }

        if (row.Effective is { } effective && effective >= _before)
        {
            Error(row, $"effective {effective:yyyy-MM-dd} is not before version {_beforeVersion} ({_before:yyyy-MM-dd})");
            return false;
        }

        return true;
    }

    private bool OldUnitIsOfTheEarlierVersion(SuccessionRow row, out AdminUnitRow oldUnit)
    {
        if (!Earlier.TryGetValue(row.OldCode, out oldUnit!) || oldUnit.Level != row.Level)
        {
            Error(row, $"old {row.Level} '{row.OldCode}' is not a {row.Level} of version {_earlier.Version.Id}");
            return false;
        }

        return true;
    }

    private bool NewUnitIsOfTheFirstVersion(SuccessionRow row)
    {
        if (!First.TryGetValue(row.NewCode, out var newUnit))
        {
            Error(row, $"new code '{row.NewCode}' is not a unit of version {_first.Id} in a tenant's province");
            return false;
        }

        if (newUnit.Level != row.Level)
        {
            Error(row, $"{row.OldCode} is a {row.Level} but {row.NewCode} is a {newUnit.Level} of version {_first.Id}: a unit maps to a unit of its own level");
            return false;
        }

        if (row.NewName.Length > 0 && row.NewName != newUnit.Name)
        {
            Error(row, $"new_name '{row.NewName}' is not the name of {row.NewCode} in version {_first.Id} ('{newUnit.Name}')");
        }

        return true;
    }

    /// <summary>
    /// The provinces the mapping names are covered: each of their earlier units either carries on
    /// (unchanged under a parent that carried on, or marked 'continues') or has a row, and each of
    /// their first-version units carries an earlier one on or has one merged into it.
    /// </summary>
    private void CheckScope(List<SuccessionRow> valid)
    {
        foreach (var row in valid.Where(r => Earlier[r.OldCode].ParentCode.Length == 0))
        {
            if (row.Kind != SuccessionKind.Continues)
            {
                Error(row, $"province {row.OldCode} must continue as itself: an earlier version covers provinces that its tenants already have");
                continue;
            }

            Provinces.Add(First[row.NewCode]);
        }

        foreach (var province in Provinces)
        {
            CarriedOn.Add(province.Code);
            EveryEarlierUnitCarriesOnOrIsMapped(Earlier[province.Code], province.Code);
        }

        var covered = Provinces.Select(p => p.Code).ToHashSet(StringComparer.Ordinal);
        foreach (var row in valid.Where(r => !covered.Contains(ProvinceOf(Earlier[r.OldCode]))))
        {
            Error(row, $"{row.Level} {row.OldCode} is in province {ProvinceOf(Earlier[row.OldCode])}, which the mapping does not cover: add its 'continues' row");
        }

        var mergedInto = valid.Where(r => r.Kind is SuccessionKind.Merged or SuccessionKind.Part).Select(r => r.NewCode).ToHashSet(StringComparer.Ordinal);
        foreach (var province in Provinces)
        {
            foreach (var unit in FirstSubtree(province.Key).Where(u => !CarriedOn.Contains(u.Code) && !mergedInto.Contains(u.Code)))
            {
                Errors.Add($"{_source}: {unit.Level} {unit.Code} ({unit.Name}) of version {_first.Id} has no predecessor in the mapping");
            }
        }
    }

    private void EveryEarlierUnitCarriesOnOrIsMapped(AdminUnitRow parent, string province)
    {
        foreach (var unit in _earlierChildren[parent.Code])
        {
            if (_primary.TryGetValue(unit.Code, out var row))
            {
                if (row.Kind == SuccessionKind.Continues)
                {
                    if (!CarriedOn.Contains(parent.Code))
                    {
                        Error(row, $"{row.OldCode} cannot continue as {row.NewCode}: its parent {parent.Code} is not the same unit in both versions; map it 'merged'");
                    }
                    else
                    {
                        CarriedOn.Add(unit.Code);
                    }
                }
            }
            else if (IsUnchanged(unit) && CarriedOn.Contains(parent.Code))
            {
                CarriedOn.Add(unit.Code);
            }
            else
            {
                Errors.Add($"{_source}: {unit.Level} {unit.Code} ({unit.Name}) of province {province} is not mapped: give it a successor or close it");
            }

            EveryEarlierUnitCarriesOnOrIsMapped(unit, province);
        }
    }

    /// <summary>The same code, name, level, type and parent in both files: the same unit, needing no row.</summary>
    private bool IsUnchanged(AdminUnitRow row) =>
        First.TryGetValue(row.Code, out var unit) && unit.Name == row.Name && unit.Level == row.Level && unit.Type == row.Type
        && (unit.Parent?.Code ?? "") == row.ParentCode;

    /// <summary>A first-version unit that is not the same as an earlier one begins when the units merged into it ended, on one day.</summary>
    private void EachNewUnitBeginsOnOneDay(List<SuccessionRow> valid)
    {
        foreach (var group in valid.Where(r => r.Kind is SuccessionKind.Merged or SuccessionKind.Part && !CarriedOn.Contains(r.NewCode)).GroupBy(r => r.NewCode, StringComparer.Ordinal))
        {
            var days = group.Select(r => r.Effective!.Value).Distinct().ToList();
            if (days.Count > 1)
            {
                Errors.Add($"{_source}: the units merged into {group.Key} end on different days (lines {string.Join(", ", group.Select(r => r.Line))}): a unit begins on one day");
                continue;
            }

            Begins[group.Key] = days[0];
        }
    }

    private string ProvinceOf(AdminUnitRow row)
    {
        while (row.ParentCode.Length > 0 && Earlier.TryGetValue(row.ParentCode, out var parent))
        {
            row = parent;
        }

        return row.Code;
    }

    private IEnumerable<AdminUnit> FirstSubtree(UnitKey key)
    {
        foreach (var child in _firstChildren[key])
        {
            yield return child;
            foreach (var below in FirstSubtree(child.Key))
            {
                yield return below;
            }
        }
    }
}
