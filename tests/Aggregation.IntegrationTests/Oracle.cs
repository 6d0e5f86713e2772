using Aggregation.Periods;
using Aggregation.Protos.V1;

namespace Aggregation.IntegrationTests;

/// <summary>
/// An independent recomputation of every figure from the reports the server acknowledged: the
/// hierarchy straight from the GSO file, the latest report per (unit, element, period) by
/// reported_at then key, and each rule as a plain query over the units of a subtree. It shares no
/// code with the rollup engine, only the period-code parser. It knows the shipped catalog by heart:
/// Thái Nguyên (19) and Bắc Kạn (06) in the 2021–2025 units file, every unit below them and Bắc Kạn
/// itself ending on 2025-07-01, and Thái Nguyên's communes of the 2025-07 file from that day; before
/// the 2021–2025 units, those of the 2021-11 file that changed, until their mapping row's day.
/// Units are counted for the periods they existed.
/// </summary>
internal sealed class Oracle
{
    private static readonly DateOnly Reorganised = new(2025, 7, 1);
    private readonly Dictionary<string, (string Level, string Parent, DateOnly From, DateOnly To)> _units = [];
    private readonly string _province;
    private readonly Dictionary<string, Protos.V1.DataElement> _elements;
    private readonly Dictionary<(string Unit, string Element), Dictionary<string, Entry>> _cells = [];
    private readonly Dictionary<string, List<string>> _subtrees = [];

    public Oracle(Protos.V1.Programme programme, string provinceCode)
    {
        _elements = programme.DataElements.ToDictionary(e => e.Id);
        _province = provinceCode;
        string[][] Rows(string file) => File.ReadAllLines(Path.Combine(AppContext.BaseDirectory, "catalog", file)).Skip(1).Select(l => l.Split(',')).ToArray();
        var inProvince = new HashSet<string> { provinceCode, "06" };
        foreach (var r in Rows("units-2021-2025.csv"))
        {
            // Rows are sorted by level, so parents come before children.
            if (inProvince.Contains(r[0]) || inProvince.Contains(r[3]))
            {
                inProvince.Add(r[0]);
                var carriesOn = r[0] == provinceCode;
                _units[r[0]] = (r[2], r[3].Length == 0 ? "VN" : r[3], DateOnly.MinValue, carriesOn ? DateOnly.MaxValue : Reorganised);
            }
        }

        AddEarlierVersion(Rows, provinceCode);
        foreach (var r in Rows("units-2025-07.csv").Where(r => r[3] == provinceCode))
        {
            _units[r[0] + "@2025-07"] = (r[2], provinceCode, Reorganised, DateOnly.MaxValue);
        }

        _units["VN"] = ("nation", "", DateOnly.MinValue, DateOnly.MaxValue);
    }

    /// <summary>
    /// Thái Nguyên and Bắc Kạn from 2021: a unit of the 2021-11 file that is not the same in the
    /// 2021–2025 file (code, name, type and parent, under a parent that carried on) and not marked
    /// 'continues' is its own unit (<c>code@2021-11</c>) until its mapping row's day, and the 2021–2025
    /// unit it merged into begins that day.
    /// </summary>
    private void AddEarlierVersion(Func<string, string[][]> rows, string provinceCode)
    {
        var current = rows("units-2021-2025.csv").ToDictionary(r => r[0], r => string.Join(',', r.Skip(1)));
        var mapping = File.ReadAllLines(Path.Combine(AppContext.BaseDirectory, "catalog", "reorganisations", "2021-11-01.csv"))
            .Where(l => !l.StartsWith('#')).Skip(1).Select(l => l.Split(',')).ToList();
        var ends = mapping.Where(r => r[5] != "continues" && r[5] != "part").ToDictionary(r => r[1], r => DateOnly.Parse(r[6], System.Globalization.CultureInfo.InvariantCulture));
        var continues = mapping.Where(r => r[5] == "continues").Select(r => r[1]).ToHashSet();
        var inProvince = new HashSet<string> { provinceCode, "06" };
        var carried = new HashSet<string>();
        foreach (var r in rows("units-2021-11.csv"))
        {
            if (!inProvince.Contains(r[0]) && !inProvince.Contains(r[3]))
            {
                continue;
            }

            inProvince.Add(r[0]);
            var unchanged = current.TryGetValue(r[0], out var now) && now == string.Join(',', r.Skip(1));
            if ((r[3].Length == 0 || carried.Contains(r[3])) && (continues.Contains(r[0]) || (unchanged && !ends.ContainsKey(r[0]))))
            {
                carried.Add(r[0]);
                continue;
            }

            _units[r[0] + "@2021-11"] = (r[2], carried.Contains(r[3]) ? r[3] : r[3] + "@2021-11", DateOnly.MinValue, ends[r[0]]);
        }

        foreach (var r in mapping.Where(r => r[5] == "merged" && !carried.Contains(r[3])))
        {
            _units[r[3]] = _units[r[3]] with { From = ends[r[1]] };
        }
    }

    /// <summary>The unit a code names for a period: the one in force on its last day, else the last one in force during it.</summary>
    private string UnitFor(string code, Period period)
    {
        var candidates = new[] { code, code + "@2021-11" }.Where(_units.ContainsKey).ToList();
        var last = period.End.AddDays(-1);
        return candidates.FirstOrDefault(u => _units[u].From <= last && last < _units[u].To)
            ?? candidates.Where(u => _units[u].From < period.End && period.Start < _units[u].To).MaxBy(u => _units[u].From)
            ?? code;
    }

    /// <summary>The shipped programme, in its wire form.</summary>
    public static Protos.V1.Programme ShippedProgramme() =>
        Aggregation.Server.Catalog.CatalogService.ToProto(
            Aggregation.Hierarchy.Catalog.Load(Path.Combine(AppContext.BaseDirectory, "catalog")).Programmes[ServerFixture.Programme]);

    /// <summary>The province's units of a level in the 2021–2025 hierarchy (what the tests report for, before 2025-07).</summary>
    public IEnumerable<string> UnitsOfLevel(string level) =>
        _units.Where(u => u.Value.Level == level && !u.Key.Contains('@', StringComparison.Ordinal) && IsWithin(u.Key, _province)).Select(u => u.Key);

    /// <summary>Records an acknowledged report (duplicates are harmless: same key, same content).</summary>
    public void Record(Report report)
    {
        var at = report.ReportedAt.ToDateTimeOffset();
        var unit = UnitFor(report.UnitCode, Period.Parse(report.Period));
        foreach (var v in report.Values)
        {
            if (!_cells.TryGetValue((unit, v.DataElement), out var byPeriod))
            {
                _cells[(unit, v.DataElement)] = byPeriod = [];
            }

            var entry = new Entry(at, report.IdempotencyKey, v);
            if (!byPeriod.TryGetValue(report.Period, out var old) || old.At < at || (old.At == at && string.CompareOrdinal(old.Key, report.IdempotencyKey) <= 0))
            {
                byPeriod[report.Period] = entry;
            }
        }
    }

    public long ElementValue(string unit, string element, Period read) =>
        Subtree(unit).Sum(u => Own(u, element, read));

    public long UnitsWhere(string unit, string level, string element, long atLeast, Period read) =>
        Subtree(unit).Count(u => _units[u].Level == level && HasOwn(u, element, read) && Own(u, element, read) >= atLeast);

    public long PeriodsWhere(string unit, string level, string element, long atLeast, Period read) =>
        Subtree(unit).Where(u => _units[u].Level == level)
            .Sum(u => Entries(u, element).Count(e => Within(Period.Parse(e.Period), read) && e.Entry.Value.Number >= atLeast));

    public long CumulativeDistinct(string unit, string element, Period read) =>
        Subtree(unit).Sum(u => Entries(u, element).Where(e => Period.Parse(e.Period).End <= read.End).SelectMany(e => e.Entry.Value.Entities.Ids).Distinct().Count());

    /// <summary>Units of a level below <paramref name="unit"/> that existed on some day of the period.</summary>
    public long UnitsAtLevel(string unit, string level, Period read) =>
        Subtree(unit).Count(u => _units[u].Level == level && _units[u].From < read.End && read.Start < _units[u].To);

    /// <summary>Per month of the period that has started, the units of the level that existed that month.</summary>
    private long UnitMonths(string unit, string level, Period read, DateOnly today)
    {
        var n = 0L;
        for (var m = read.Start; m < read.End && m <= today; m = m.AddMonths(1))
        {
            n += UnitsAtLevel(unit, level, Period.Month(m.Year, m.Month));
        }

        return n;
    }

    /// <summary>Expected numerator and denominator of each indicator of the Thái Nguyên plan, from the plan's wording.</summary>
    public (long? Numerator, long? Denominator) Indicator(string id, string unit, Period read, DateOnly today)
    {
        long Sum(string e) => ElementValue(unit, e, read);
        return id switch
        {
            "T1.1" => (UnitsWhere(unit, "commune", "awareness_activities", 1, read), UnitsAtLevel(unit, "commune", read)),
            "T1.2" => (PeriodsWhere(unit, "province", "press_publications", 1, read), UnitMonths(unit, "province", read, today)),
            "T1.3a" => (Sum("workers_reached"), Sum("workers_at_establishments")),
            "T1.3b" => (Sum("industrial_zone_workers_reached"), Sum("industrial_zone_workers")),
            "T1.3c" => (Sum("students_reached"), Sum("students_enrolled")),
            "T2.1" => (UnitsWhere(unit, "district", "district_plan_adopted", 1, read), UnitsAtLevel(unit, "district", read)),
            "T2.2" => (UnitsWhere(unit, "district", "district_programme_integrated", 1, read), UnitsAtLevel(unit, "district", read)),
            "T3.1" => (Sum("complaints_handled_on_time"), Sum("complaints_received")),
            "T3.2a" => (Sum("crime_cases_handled"), null),
            "T3.2b" => (Sum("establishments_inspected"), Sum("establishments_at_risk")),
            "T3.2c" => (CumulativeDistinct(unit, "establishments_inspected", read), Sum("establishments_at_risk")),
            "T4.1" => (UnitsWhere(unit, "district", "pilot_models", 1, read), UnitsAtLevel(unit, "district", read)),
            "T4.2" => (Sum("support_accessed"), Sum("support_wishing_eligible")),
            "T5.1a" => (Sum("provincial_officials_trained"), Sum("provincial_officials")),
            "T5.1b" => (Sum("local_officials_trained"), Sum("local_officials")),
            _ => throw new ArgumentException($"No expectation for indicator {id}."),
        };
    }

    /// <summary>Asserts every readable element value and every indicator of a rollup equal the recomputation.</summary>
    public void AssertMatches(UnitRollup rollup, DateOnly today)
    {
        var problems = Differences(rollup, today).ToList();
        Assert.True(problems.Count == 0, $"{rollup.Unit.Code} {rollup.Period}: " + string.Join("; ", problems));
    }

    public IEnumerable<string> Differences(UnitRollup rollup, DateOnly today)
    {
        var read = Period.Parse(rollup.Period);
        var unit = rollup.Unit.HierarchyVersion is "2025-07" or "2021-11" ? rollup.Unit.Code + "@" + rollup.Unit.HierarchyVersion : rollup.Unit.Code;
        foreach (var v in rollup.Values)
        {
            var element = _elements[v.DataElement];
            if (!Readable(element, read))
            {
                if (v.HasValue)
                {
                    yield return $"{v.DataElement} has a value at a finer period than it is reported";
                }

                continue;
            }

            var expected = ElementValue(unit, v.DataElement, read);
            if (!v.HasValue || v.Value != expected)
            {
                yield return $"{v.DataElement}: {(v.HasValue ? v.Value : "none")} != {expected}";
            }
        }

        foreach (var i in rollup.Indicators)
        {
            if (!ReadableIndicator(i.IndicatorId, read))
            {
                continue;
            }

            var (n, d) = Indicator(i.IndicatorId, unit, read, today);
            if (i.Numerator != n || (d is not null && i.Denominator != d))
            {
                yield return $"{i.IndicatorId}: {i.Numerator}/{i.Denominator} != {n}/{d}";
            }
        }
    }

    private static bool ReadableIndicator(string id, Period read) => id switch
    {
        "T1.3b" or "T1.3c" or "T2.1" or "T2.2" or "T4.1" or "T5.1a" or "T5.1b" => read.Type >= PeriodType.SixMonthly,
        _ => true,
    };

    private static bool Readable(Protos.V1.DataElement element, Period read) =>
        read.Type == PeriodType.Plan || (PeriodTypes.TryParse(element.PeriodType, out var t) && t <= read.Type);

    private List<string> Subtree(string unit)
    {
        if (!_subtrees.TryGetValue(unit, out var list))
        {
            _subtrees[unit] = list = _units.Keys.Where(u => IsWithin(u, unit)).ToList();
        }

        return list;
    }

    private bool IsWithin(string unit, string ancestor)
    {
        for (var u = unit; u.Length > 0; u = _units[u].Parent)
        {
            if (u == ancestor)
            {
                return true;
            }
        }

        return false;
    }

    private static bool Within(Period inner, Period outer) => inner.Start >= outer.Start && inner.End <= outer.End;

    private IEnumerable<(string Period, Entry Entry)> Entries(string unit, string element) =>
        _cells.TryGetValue((unit, element), out var byPeriod)
            ? byPeriod.Where(c => c.Value.Value.ValueCase != DataValue.ValueOneofCase.Withdrawn).Select(c => (c.Key, c.Value))
            : [];

    private bool HasOwn(string unit, string element, Period read) =>
        Entries(unit, element).Any(e => Within(Period.Parse(e.Period), read));

    private long Own(string unit, string element, Period read)
    {
        var entries = Entries(unit, element).Where(e => Within(Period.Parse(e.Period), read)).ToList();
        if (entries.Count == 0)
        {
            return 0;
        }

        return _elements[element].Type switch
        {
            "count" => entries.Sum(e => (long)e.Entry.Value.Number),
            "entities" => entries.SelectMany(e => e.Entry.Value.Entities.Ids).Distinct().Count(),
            "flag" => entries.MaxBy(e => Period.Parse(e.Period).Start).Entry.Value.Flag ? 1 : 0,
            _ => (long)entries.MaxBy(e => Period.Parse(e.Period).Start).Entry.Value.Number,
        };
    }

    private sealed record Entry(DateTimeOffset At, string Key, DataValue Value);
}
