using System.Collections.Immutable;
using System.Globalization;
using Aggregation.Hierarchy;
using Aggregation.Periods;
using Aggregation.Programmes;
using Aggregation.Rollup;

// Bytes of live managed heap that the rollup objects keep per unit, by level, with the national
// benchmark's data (every data set of the plan, every period of the first --months months, the same
// value draws): the numbers the server's resident memory is made of, without the silo around them.
// Each stage is a GC.GetTotalMemory(true) delta over every unit of the sampled provinces, divided by
// their count; the national total multiplies each level's figure by the catalog's units at that level.
// Usage: dotnet run -c Release --project bench/Aggregation.MemoryBench [-- --provinces 4 --months 60]
// With --catalog [--loads 7]: the cost of the catalog itself instead (CatalogCost.cs).
const string ProgrammeId = "prostitution-prevention-2021-2025";
if (args.Contains("--catalog"))
{
    CatalogCost.Run(Path.Combine(AppContext.BaseDirectory, "catalog"), Option("--loads", 7));
    return 0;
}

var provinceCount = Option("--provinces", 4);
var months = Option("--months", 60);
var seed = Option("--seed", 18);

var catalog = Catalog.Load(Path.Combine(AppContext.BaseDirectory, "catalog"), allProvinces: true);
var programme = catalog.Programmes[ProgrammeId];
var layout = programme.Layout;
var units = catalog.Tenants.Keys.SelectMany(catalog.UnitsOf).ToList();
var perLevel = units.GroupBy(u => u.Level).ToDictionary(g => g.Key, g => g.Count());
perLevel.TryAdd(Catalog.NationLevel, 1);
Console.WriteLine($"programme {ProgrammeId}: {programme.Elements.Count} elements, {programme.DataSets.Count} data sets, {layout.Metrics.Count} metrics, {layout.Length:N0} cells per unit ({(24 + (8 * layout.Length)) / 1024.0:F1} KB per long[])");
Console.WriteLine($"GC: {(System.Runtime.GCSettings.IsServerGC ? "server" : "workstation")}, {string.Join(", ", GC.GetConfigurationVariables().Where(v => v.Key is "ConserveMemory" or "DynamicAdaptationMode" or "HeapCount").Select(v => $"{v.Key}={v.Value}"))}");
Console.WriteLine($"catalog: {string.Join(", ", perLevel.OrderBy(p => p.Value).Select(p => $"{p.Value:N0} {p.Key}"))}; {months} months; seed {seed}");

// Every k-th province of the 2021–2025 hierarchy, with all its districts and communes.
var allProvinces = units.Where(u => u.Level == "province" && u.ValidTo is null && catalog.ChildrenOf(u.Key).Count > 0).OrderBy(u => u.Key.GrainKey, StringComparer.Ordinal).ToList();
var provinces = allProvinces.Where((_, i) => i % Math.Max(1, allProvinces.Count / provinceCount) == 0).Take(provinceCount).ToList();
var districts = provinces.SelectMany(p => catalog.ChildrenOf(p.Key)).Where(u => u.Level == "district").ToList();
var communes = districts.SelectMany(d => catalog.ChildrenOf(d.Key)).Where(u => u.Level == "commune").ToList();
Console.WriteLine($"sample: {provinces.Count} provinces ({string.Join(", ", provinces.Select(p => p.Name))}), {districts.Count} districts, {communes.Count} communes ({communes.Count / (double)districts.Count:F1} per district)");
Console.WriteLine();

var rows = new List<(string Level, string Stage, double Bytes)>();
var received = DateTimeOffset.UtcNow;

// Communes: empty rollups, then every report of every data set and period.
var communeRollups = Stage("commune", "empty rollup", communes.Count, () => communes.Select(_ => new ProgrammeRollup(programme, "commune")).ToArray());
var applying = System.Diagnostics.Stopwatch.StartNew();
var reportsPerCommune = Stage("commune", "own values (60 months)", communes.Count, () => communes.Select((c, i) => Load(communeRollups[i], c)).Sum() / (double)communes.Count);
applying.Stop();
var slots = communeRollups.Sum(r => r.OwnValues().Count());
var keys = communeRollups.SelectMany(r => r.OwnValues().Select(v => v.Slot.IdempotencyKey)).Distinct(ReferenceEqualityComparer.Instance).Count();
Console.WriteLine($"  a commune holds {slots / (double)communes.Count:F0} values from {reportsPerCommune:F0} reports ({keys / (double)communes.Count:F0} distinct key strings); {applying.Elapsed.TotalMicroseconds / (reportsPerCommune * communes.Count):F1} µs per report applied, making the report included");

// Districts: own reports, then the latest contribution of each commune (a fresh copy, as Orleans deserialises one).
var districtRollups = ParentLevel("district", districts, communes, communeRollups);
var provinceRollups = ParentLevel("province", provinces, districts, districtRollups);

// The nation: 63 provinces' contributions (the sampled ones, repeated) and no own values.
var nationChildren = perLevel["province"];
var nation = Stage("nation", "empty rollup", 1, () => new ProgrammeRollup(programme, Catalog.NationLevel));
Stage("nation", $"{nationChildren} children's contributions", 1, () =>
{
    for (var i = 0; i < nationChildren; i++)
    {
        nation.ApplyChild($"t{i}/{i}", Received(provinceRollups[i % provinceRollups.Length]));
    }

    return 0;
});

Console.WriteLine();
Console.WriteLine($"{"level",-10} {"bytes per unit",16} {"units",8} {"national MB",12}");
var total = 0.0;
foreach (var level in new[] { "commune", "district", "province", Catalog.NationLevel })
{
    var perUnit = rows.Where(r => r.Level == level).Sum(r => r.Bytes);
    var count = perLevel.GetValueOrDefault(level);
    total += perUnit * count;
    Console.WriteLine($"{level,-10} {perUnit,16:N0} {count,8:N0} {perUnit * count / 1e6,12:N1}");
}

Console.WriteLine($"{"total",-10} {"",16} {perLevel.Values.Sum(),8:N0} {total / 1e6,12:N1}");
GC.KeepAlive(communeRollups);
GC.KeepAlive(districtRollups);
GC.KeepAlive(provinceRollups);
GC.KeepAlive(nation);
return 0;

ProgrammeRollup[] ParentLevel(string level, List<AdminUnit> parents, List<AdminUnit> children, ProgrammeRollup[] childRollups)
{
    var rollups = Stage(level, "empty rollup", parents.Count, () => parents.Select(_ => new ProgrammeRollup(programme, level)).ToArray());
    Stage(level, "own values (60 months)", parents.Count, () => parents.Select((p, i) => Load(rollups[i], p)).Sum());
    var index = parents.Select((p, i) => (p.Key, i)).ToDictionary(x => x.Key, x => x.i);
    Stage(level, $"children's contributions ({children.Count / (double)parents.Count:F1} each)", parents.Count, () =>
    {
        for (var c = 0; c < children.Count; c++)
        {
            rollups[index[children[c].Parent!.Value]].ApplyChild(children[c].Key.GrainKey, Received(childRollups[c]));
        }

        return 0;
    });
    return rollups;
}

// A child's contribution as its parent receives it: Orleans deserialises a new record, array and programme id.
Contribution Received(ProgrammeRollup child)
{
    var sent = child.ToContribution(incarnation: 1);
    return new Contribution(new string(sent.ProgrammeId.AsSpan()), sent.Version, [.. sent.Cells], sent.Incarnation);
}

T Stage<T>(string level, string stage, int count, Func<T> build)
{
    var before = Live();
    var result = build();
    var after = Live();
    var perUnit = (after - before) / (double)count;
    rows.Add((level, stage, perUnit));
    Console.WriteLine($"{level,-10} {stage,-44} {perUnit,12:N0} bytes per unit");
    return result;
}

static long Live()
{
    GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
    GC.WaitForPendingFinalizers();
    return GC.GetTotalMemory(forceFullCollection: true);
}

// Every report of the unit's data sets for every period of the first months (as the national benchmark's dataset).
int Load(ProgrammeRollup rollup, AdminUnit unit)
{
    var reports = 0;
    foreach (var dataSet in programme.DataSets.Where(d => d.Level == unit.Level))
    {
        foreach (var period in Periods(dataSet.PeriodType))
        {
            var code = unit.Key.Code;
            var values = dataSet.Elements.Select(e =>
            {
                var random = new Random(Hash(code, period.ToString(), e.Id));
                return e.Type switch
                {
                    ElementType.Flag => new ValueCommand(e.Id, ValueKind.Flag, random.Next(2), []),
                    ElementType.Entities => Entities(e.Id, [.. Enumerable.Range(0, random.Next(3)).Select(_ => $"{code}-{random.Next(20)}").Distinct()]),
                    _ => new ValueCommand(e.Id, ValueKind.Number, Number(code, period.ToString(), e), []),
                };
            }).ToImmutableArray();
            var report = new ReportCommand($"n-{code}-{period}-{dataSet.Id}", ProgrammeId, period, new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero), values, "bench", received);
            if (!rollup.Apply(report).Accepted)
            {
                throw new InvalidOperationException($"{report.IdempotencyKey} was rejected.");
            }

            reports++;
        }
    }

    return reports;
}

static ValueCommand Entities(string element, ImmutableArray<string> ids) => new(element, ValueKind.Entities, ids.Length, ids);

IEnumerable<Period> Periods(PeriodType type)
{
    for (var m = 0; m < months; m++)
    {
        var year = 2021 + (m / 12);
        var month = (m % 12) + 1;
        if (type == PeriodType.Monthly)
        {
            yield return Period.Month(year, month);
        }
        else if (type == PeriodType.SixMonthly && month is 6 or 12)
        {
            yield return Period.Half(year, month / 6);
        }
        else if (type == PeriodType.Yearly && month == 12)
        {
            yield return Period.OfYear(year);
        }
    }
}

long Number(string unit, string period, DataElement element)
{
    var random = new Random(Hash(unit, period, element.Id));
    long value = element.Type == ElementType.Stock ? 5 + random.Next(60) : random.Next(21);
    foreach (var rule in programme.Rules.Where(r => r.Lesser == element))
    {
        value = Math.Min(value, Number(unit, period, rule.Greater));
    }

    return value;
}

int Hash(string unit, string period, string element)
{
    // FNV-1a, as the national benchmark draws its values.
    var hash = 2166136261u ^ (uint)seed;
    foreach (var c in $"{unit}|{period}|{element}")
    {
        hash = (hash ^ c) * 16777619u;
    }

    return (int)hash;
}

int Option(string name, int fallback)
{
    var i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
}
