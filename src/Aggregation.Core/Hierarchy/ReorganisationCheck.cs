namespace Aggregation.Hierarchy;

// The rules a reorganisation mapping must meet before HierarchyBuilder applies it, one method per rule,
// each named by what it checks. Kept apart from the builder because the rules are what a reviewer of a
// mapping file reads (and what its error messages quote), while the builder only changes the tree once
// every rule holds. Messages are read by people fixing a file and by tests: keep their wording.
internal sealed class ReorganisationCheck
{
    private readonly Reorganisation _reorganisation;
    private readonly HierarchyVersion _previous;
    private readonly IReadOnlyDictionary<UnitKey, List<AdminUnit>> _children;
    private readonly string _source;
    private readonly DateOnly _date;

    // The row that says where each old unit's data goes (every kind but 'part').
    private readonly Dictionary<string, SuccessionRow> _primary = new(StringComparer.Ordinal);
    private readonly List<SuccessionRow> _intraVersion = [];
    private readonly HashSet<string> _targets = new(StringComparer.Ordinal);

    // The 'part' rows by old and new code.
    private readonly Dictionary<(string Old, string New), SuccessionRow> _parts = [];

    // The 'new' rows (units with no predecessor) by their code.
    private readonly Dictionary<string, SuccessionRow> _created = new(StringComparer.Ordinal);

    // Units of provinces no tenant holds, from the previous version's file: a mapping that covers the
    // whole country is checked whole in every deployment, then applied only to the provinces loaded.
    private readonly Dictionary<UnitKey, List<AdminUnit>> _unheldChildren = [];

    private ReorganisationCheck(Reorganisation reorganisation, HierarchyVersion previous, IReadOnlyDictionary<UnitKey, AdminUnit> units, IReadOnlyDictionary<UnitKey, List<AdminUnit>> children, IReadOnlyList<AdminUnitRow> previousRows)
    {
        _reorganisation = reorganisation;
        _previous = previous;
        _children = children;
        _source = reorganisation.MappingSource;
        _date = reorganisation.Version.EffectiveFrom;

        // Units in force just before the date, by GSO code (codes are unique within one version).
        Old = units.Values.Where(u => u.Key != UnitKey.Nation && u.InForceOn(_date.AddDays(-1))).ToDictionary(u => u.Code, StringComparer.Ordinal);
        AddUnheldProvinces(previousRows, units);
        Fresh = reorganisation.Units.ToDictionary(r => r.Code, StringComparer.Ordinal);
        FreshChildren = reorganisation.Units.Where(r => r.ParentCode.Length > 0).ToLookup(r => r.ParentCode, StringComparer.Ordinal);
    }

    public List<string> Errors { get; } = [];

    /// <summary>Units of the previous version in force the day before, by GSO code.</summary>
    public Dictionary<string, AdminUnit> Old { get; }

    /// <summary>Rows of the new version's hierarchy file, by GSO code.</summary>
    public Dictionary<string, AdminUnitRow> Fresh { get; }

    public ILookup<string, AdminUnitRow> FreshChildren { get; }

    /// <summary>Mapping rows that passed their own checks, in file order.</summary>
    public List<SuccessionRow> Valid { get; } = [];

    /// <summary>Provinces of the new version the mapping maps into.</summary>
    public List<string> NewProvinces { get; private set; } = [];

    /// <summary>The 'continues' rows by the new code they continue as.</summary>
    public Dictionary<string, SuccessionRow> Continues { get; private set; } = new(StringComparer.Ordinal);

    /// <summary>
    /// Checks a reorganisation against the version before it (<paramref name="previousRows"/>: that
    /// version's file, for the provinces no tenant holds); <see cref="Errors"/> holds every problem found.
    /// </summary>
    public static ReorganisationCheck Run(Reorganisation reorganisation, HierarchyVersion previous, IReadOnlyDictionary<UnitKey, AdminUnit> units, IReadOnlyDictionary<UnitKey, List<AdminUnit>> children, IReadOnlyList<AdminUnitRow> previousRows)
    {
        var check = new ReorganisationCheck(reorganisation, previous, units, children, previousRows);
        check.CheckRows();
        check.CheckScope();
        check.CheckContinuations();
        check.ProvincesMergedIntoAHeldProvince();
        check.MergersInsideTheVersionFormNoCycle();
        return check;
    }

    /// <summary>Whether a unit of <see cref="Old"/> belongs to a tenant (else it is only checked, not changed).</summary>
    public static bool IsHeld(AdminUnit unit) => unit.Tenant.Length > 0;

    /// <summary>The units of the provinces no tenant holds, under an empty tenant, so that every rule reads them as it reads the others.</summary>
    private void AddUnheldProvinces(IReadOnlyList<AdminUnitRow> previousRows, IReadOnlyDictionary<UnitKey, AdminUnit> units)
    {
        var held = units.Values.Where(u => u.Parent == UnitKey.Nation).Select(u => u.Code).ToHashSet(StringComparer.Ordinal);
        var childRows = previousRows.Where(r => r.ParentCode.Length > 0).ToLookup(r => r.ParentCode, StringComparer.Ordinal);
        foreach (var province in previousRows.Where(r => r.ParentCode.Length == 0 && !held.Contains(r.Code)))
        {
            AddUnheld(province, UnitKey.Nation, childRows);
        }
    }

    private void AddUnheld(AdminUnitRow row, UnitKey parent, ILookup<string, AdminUnitRow> childRows)
    {
        var unit = new AdminUnit(new UnitKey("", row.Code), row.Name, row.Level, row.Type, parent) { Version = _previous.Id };
        if (!Old.TryAdd(row.Code, unit))
        {
            return;
        }

        if (!_unheldChildren.TryGetValue(parent, out var siblings))
        {
            _unheldChildren[parent] = siblings = [];
        }

        siblings.Add(unit);
        foreach (var child in childRows[row.Code])
        {
            AddUnheld(child, unit.Key, childRows);
        }
    }

    /// <summary>A row dated before the reorganisation is a merger inside the previous version: both its codes are of that version.</summary>
    public bool IsWithinPreviousVersion(SuccessionRow row) => row.Effective is { } e && e != _date;

    private void Error(SuccessionRow row, string message) => Errors.Add($"{_source}:{row.Line}: {message}");

    private void CheckRows()
    {
        foreach (var row in _reorganisation.Mapping)
        {
            if (row.Kind == SuccessionKind.New)
            {
                CheckNewUnitRow(row);
                continue;
            }

            if (!TakesEffectByTheReorganisationDate(row) || !OldUnitIsOfThePreviousVersion(row, out var oldUnit))
            {
                continue;
            }

            OldNameIsTheOldUnitsName(row, oldUnit);
            if (row.Kind != SuccessionKind.Closed)
            {
                if (!NewUnitIsOfItsVersion(row, out var newUnit) || !NewUnitIsOfTheOldUnitsLevel(row, newUnit))
                {
                    continue;
                }

                NewNameIsTheNewUnitsName(row, newUnit);
            }

            if (row.Kind != SuccessionKind.Part)
            {
                if (!UnitHasNoOtherSuccessorForItsData(row))
                {
                    continue;
                }

                _primary[row.OldCode] = row;
            }
            else if (!PartGoesToEachNewUnitOnce(row))
            {
                continue;
            }

            if (IsWithinPreviousVersion(row))
            {
                if (!MergerInsideTheVersionMergesOrCloses(row))
                {
                    continue;
                }

                _intraVersion.Add(row);
            }
            else if (row.Kind != SuccessionKind.Closed)
            {
                _targets.Add(row.NewCode);
            }

            Valid.Add(row);
        }
    }

    /// <summary>A unit with no predecessor: of the new version, named as there, at most one such row, and no other row leads to it (checked with the scope).</summary>
    private void CheckNewUnitRow(SuccessionRow row)
    {
        if (row.Effective is not null)
        {
            Error(row, "a new unit has no effective date of its own: it starts with the reorganisation");
            return;
        }

        if (!NewUnitIsOfItsVersion(row, out var newUnit))
        {
            return;
        }

        NewNameIsTheNewUnitsName(row, newUnit);
        if (newUnit.Level != row.Level)
        {
            Error(row, $"{row.NewCode} is a {newUnit.Level} of version {newUnit.Version}, not a {row.Level}");
            return;
        }

        if (!_created.TryAdd(row.NewCode, row))
        {
            Error(row, $"{row.Level} {row.NewCode} is new twice (also on line {_created[row.NewCode].Line})");
        }
    }

    private bool TakesEffectByTheReorganisationDate(SuccessionRow row)
    {
        if (IsWithinPreviousVersion(row) && row.Effective > _date)
        {
            Error(row, $"effective {row.Effective:yyyy-MM-dd} is after the reorganisation's date {_date:yyyy-MM-dd}");
            return false;
        }

        return true;
    }

    private bool OldUnitIsOfThePreviousVersion(SuccessionRow row, out AdminUnit oldUnit)
    {
        if (!Old.TryGetValue(row.OldCode, out oldUnit!) || oldUnit.Level != row.Level)
        {
            Error(row, $"old {row.Level} '{row.OldCode}' is not a {row.Level} of version {_previous.Id}");
            return false;
        }

        return true;
    }

    private void OldNameIsTheOldUnitsName(SuccessionRow row, AdminUnit oldUnit)
    {
        if (row.OldName.Length > 0 && row.OldName != oldUnit.Name)
        {
            Error(row, $"old_name '{row.OldName}' is not the name of {row.OldCode} in version {_previous.Id} ('{oldUnit.Name}')");
        }
    }

    /// <summary>The new code names a unit of the previous version (a merger inside it) or of the new one.</summary>
    private bool NewUnitIsOfItsVersion(SuccessionRow row, out (string Name, string Level, string Version) newUnit)
    {
        var within = IsWithinPreviousVersion(row);
        var version = within ? _previous.Id : _reorganisation.Version.Id;
        var (name, level, exists) = within
            ? Old.TryGetValue(row.NewCode, out var target) ? (target.Name, target.Level, true) : ("", "", false)
            : Fresh.TryGetValue(row.NewCode, out var targetRow) ? (targetRow.Name, targetRow.Level, true) : ("", "", false);
        newUnit = (name, level, version);
        if (!exists)
        {
            Error(row, $"new code '{row.NewCode}' is not a unit of version {version}");
            return false;
        }

        return true;
    }

    private bool NewUnitIsOfTheOldUnitsLevel(SuccessionRow row, (string Name, string Level, string Version) newUnit)
    {
        if (newUnit.Level != row.Level)
        {
            Error(row, $"{row.OldCode} is a {row.Level} but {row.NewCode} is a {newUnit.Level} of version {newUnit.Version}: a unit maps to a unit of its own level");
            return false;
        }

        return true;
    }

    private void NewNameIsTheNewUnitsName(SuccessionRow row, (string Name, string Level, string Version) newUnit)
    {
        if (row.NewName.Length > 0 && row.NewName != newUnit.Name)
        {
            Error(row, $"new_name '{row.NewName}' is not the name of {row.NewCode} in version {newUnit.Version} ('{newUnit.Name}')");
        }
    }

    private bool UnitHasNoOtherSuccessorForItsData(SuccessionRow row)
    {
        if (_primary.TryGetValue(row.OldCode, out var earlier))
        {
            Error(row, $"{row.Level} {row.OldCode} is mapped twice (also on line {earlier.Line}): a unit has one successor for its data; name the others 'part'");
            return false;
        }

        return true;
    }

    private bool PartGoesToEachNewUnitOnce(SuccessionRow row)
    {
        if (!_parts.TryAdd((row.OldCode, row.NewCode), row))
        {
            Error(row, $"{row.Level} {row.OldCode} is mapped as part of {row.NewCode} twice (also on line {_parts[(row.OldCode, row.NewCode)].Line})");
            return false;
        }

        return true;
    }

    private bool MergerInsideTheVersionMergesOrCloses(SuccessionRow row)
    {
        if (row.Kind is SuccessionKind.Continues or SuccessionKind.Part)
        {
            Error(row, $"a merger inside version {_previous.Id} (effective {row.Effective:yyyy-MM-dd}) must be 'merged' or 'closed'");
            return false;
        }

        return true;
    }

    /// <summary>Scope: the old provinces the file maps, and the new provinces it maps them into.</summary>
    private void CheckScope()
    {
        var provinceLevel = Old.Values.Where(u => u.Parent == UnitKey.Nation).Select(u => u.Level).FirstOrDefault();
        var oldProvinces = Valid.Where(r => r.Level == provinceLevel && !IsWithinPreviousVersion(r)).Select(r => r.OldCode).ToList();
        EveryUnitOfTheOldProvincesIsMapped(oldProvinces);

        NewProvinces = Valid.Where(r => !IsWithinPreviousVersion(r) && r.Kind != SuccessionKind.Closed && Fresh.TryGetValue(r.NewCode, out var f) && f.ParentCode.Length == 0)
            .Select(r => r.NewCode).Distinct(StringComparer.Ordinal).ToList();
        EveryUnitOfTheNewProvincesHasAPredecessor();
    }

    private void EveryUnitOfTheOldProvincesIsMapped(List<string> oldProvinces)
    {
        foreach (var code in oldProvinces)
        {
            foreach (var unit in SubtreeInForce(Old[code].Key, _date.AddDays(-1)))
            {
                if (!_primary.ContainsKey(unit.Code))
                {
                    Errors.Add($"{_source}: {unit.Level} {unit.Code} ({unit.Name}) of province {code} is not mapped: give it a successor or close it");
                }
            }
        }
    }

    private void EveryUnitOfTheNewProvincesHasAPredecessor()
    {
        foreach (var code in NewProvinces)
        {
            foreach (var unit in FreshSubtree(Fresh[code]))
            {
                if (_created.TryGetValue(unit.Code, out var created) && _targets.Contains(unit.Code))
                {
                    Error(created, $"{unit.Level} {unit.Code} ({unit.Name}) is marked new but other rows map units into it");
                }
                else if (!_targets.Contains(unit.Code) && !_created.ContainsKey(unit.Code))
                {
                    Errors.Add($"{_source}: {unit.Level} {unit.Code} ({unit.Name}) of version {_reorganisation.Version.Id} has no predecessor in the mapping");
                }
            }
        }
    }

    private void CheckContinuations()
    {
        // Checked before the index is built, and the index keeps the first of several rows, so that
        // the operator reads which lines clash (and every other problem) rather than a duplicate key.
        AtMostOneUnitContinuesAsEachNewUnit();
        Continues = Valid.Where(r => r.Kind == SuccessionKind.Continues).DistinctBy(r => r.NewCode, StringComparer.Ordinal).ToDictionary(r => r.NewCode, r => r, StringComparer.Ordinal);
        ContinuingUnitsHaveContinuingParents();
        EveryNewProvinceContinuesAnOldProvince();
    }

    /// <summary>
    /// Continuing units keep their identity, so their parent must too (a continuing commune under a
    /// new parent would have two parents at one date).
    /// </summary>
    private void ContinuingUnitsHaveContinuingParents()
    {
        foreach (var row in Continues.Values)
        {
            var parent = Fresh[row.NewCode].ParentCode;
            if (parent.Length > 0 && !Continues.ContainsKey(parent))
            {
                Error(row, $"{row.OldCode} cannot continue as {row.NewCode}: its new parent {parent} is a new unit; map it 'merged'");
            }
        }
    }

    private void AtMostOneUnitContinuesAsEachNewUnit()
    {
        foreach (var group in Valid.Where(r => r.Kind == SuccessionKind.Continues).GroupBy(r => r.NewCode, StringComparer.Ordinal).Where(g => g.Count() > 1))
        {
            Errors.Add($"{_source}: {group.Count()} units continue as {group.Key} (lines {string.Join(", ", group.Select(r => r.Line))}): only one unit can be the same unit as a new one");
        }
    }

    private void EveryNewProvinceContinuesAnOldProvince()
    {
        foreach (var code in NewProvinces.Where(c => !Continues.ContainsKey(c)))
        {
            Errors.Add($"{_source}: new province {code} continues no old province: mark the old province whose tenant runs it 'continues'");
        }
    }

    private void MergersInsideTheVersionFormNoCycle()
    {
        var next = _intraVersion.Where(r => r.Kind == SuccessionKind.Merged).ToDictionary(r => r.OldCode, r => r.NewCode, StringComparer.Ordinal);
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
                        Errors.Add($"{_source}: mergers form a cycle: {string.Join(" → ", seen.Append(start))}");
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
    }

    /// <summary>
    /// A held province's units must go into a new province the builder creates, which it does only for
    /// one whose continuing province is held (it runs under that tenant).
    /// </summary>
    private void ProvincesMergedIntoAHeldProvince()
    {
        var provinceLevel = Old.Values.Where(u => u.Parent == UnitKey.Nation).Select(u => u.Level).FirstOrDefault();
        foreach (var row in Valid.Where(r => r.Level == provinceLevel && !IsWithinPreviousVersion(r) && r.Kind == SuccessionKind.Merged && IsHeld(Old[r.OldCode])))
        {
            if (Continues.TryGetValue(row.NewCode, out var continued) && !IsHeld(Old[continued.OldCode]))
            {
                Error(row, $"province {row.OldCode} is merged into {row.NewCode}, which continues province {continued.OldCode} of no tenant: give {continued.OldCode} a tenant");
            }
        }
    }

    private IEnumerable<AdminUnit> SubtreeInForce(UnitKey key, DateOnly on)
    {
        var children = _children.TryGetValue(key, out var list) ? list : _unheldChildren.TryGetValue(key, out var unheld) ? unheld : [];
        foreach (var child in children.Where(c => c.InForceOn(on)))
        {
            yield return child;
            foreach (var below in SubtreeInForce(child.Key, on))
            {
                yield return below;
            }
        }
    }

    private IEnumerable<AdminUnitRow> FreshSubtree(AdminUnitRow row)
    {
        foreach (var child in FreshChildren[row.Code])
        {
            yield return child;
            foreach (var below in FreshSubtree(child))
            {
                yield return below;
            }
        }
    }
}
