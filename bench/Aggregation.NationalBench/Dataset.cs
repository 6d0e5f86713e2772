using Aggregation.Hierarchy;
using Aggregation.Programmes;
using Aggregation.Protos.V1;
using Google.Protobuf.WellKnownTypes;
using Catalog = Aggregation.Hierarchy.Catalog;
using DataElement = Aggregation.Programmes.DataElement;
using DataSet = Aggregation.Programmes.DataSet;
using Programme = Aggregation.Programmes.Programme;

/// <summary>
/// The dataset, deterministic from the seed: every data set that applies to each unit, every period
/// of the plan's first <c>months</c> months, values drawn per (unit, period, data set) and fixed so
/// that value rules (numerator ≤ denominator) hold.
/// </summary>
internal sealed class Dataset(Catalog catalog, Programme programme, List<AdminUnit> communes, List<AdminUnit> districts, List<AdminUnit> provinces, int months, int seed)
{
    private static readonly Timestamp ReportedAt = Timestamp.FromDateTime(new DateTime(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc));

    public Programme Programme => programme;

    public List<AdminUnit> Communes => communes;

    public List<AdminUnit> Districts => districts;

    public List<AdminUnit> Provinces => provinces;

    /// <summary>The last year the dataset reaches: what the reads, the check and the probes read.</summary>
    public int LastYear => 2021 + ((months - 1) / 12);

    /// <summary>Every commune (or every k-th with a scale below 1), every month, every data set that applies.</summary>
    public static Dataset Select(Catalog catalog, Programme programme, double scale, int months, int seed)
    {
        var step = Math.Max(1, (int)Math.Round(1 / scale));
        var communes = catalog.UnitsOf(catalog.DefaultTenant).Concat(catalog.Tenants.Keys.Where(t => t != catalog.DefaultTenant).SelectMany(catalog.UnitsOf))
            .Where(u => u.Level == "commune").OrderBy(u => u.Key.Code, StringComparer.Ordinal).Where((_, i) => i % step == 0).ToList();
        // Communes of every hierarchy version: the 10,035 of 2021-2025 report until June 2025, the 3,321
        // of 2025-07 (the whole country's, under the 34 provinces) from July; districts and provinces above them.
        var districts = communes.SelectMany(c => catalog.AncestorsOf(c.Key)).Where(u => u.Level == "district").DistinctBy(u => u.Key).ToList();
        var provinces = communes.SelectMany(c => catalog.AncestorsOf(c.Key)).Where(u => u.Level == "province").DistinctBy(u => u.Key).ToList();
        return new Dataset(catalog, programme, communes, districts, provinces, months, seed);
    }

    /// <summary>
    /// Every report of every unit for every period its data sets have while it is in force, with the
    /// unit's identity (its key code: GSO codes were reused by the 2025-07 version). A period whose
    /// code the server would attribute to another unit (a year that ends after a merger) is skipped.
    /// </summary>
    public IEnumerable<(string Tenant, Report Report, string Unit)> Reports()
    {
        foreach (var unit in provinces.Concat(districts).Concat(communes))
        {
            foreach (var dataSet in programme.DataSets.Where(d => d.Level == unit.Level))
            {
                foreach (var period in Periods(dataSet.PeriodType))
                {
                    var p = Aggregation.Periods.Period.Parse(period);
                    if (catalog.TryResolve(unit.Tenant, unit.Code, p.Start, p.End, out var attributed) && attributed.Key == unit.Key)
                    {
                        yield return (unit.Key.Tenant, Make(unit, period, dataSet), unit.Key.Code);
                    }
                }
            }
        }
    }

    /// <summary>The value the dataset gives an element (what a correction starts from).</summary>
    public long Value(string unit, string period, string element)
    {
        return Number(unit, period, programme.ElementsById[element]);
    }

    private IEnumerable<string> Periods(Aggregation.Periods.PeriodType type)
    {
        for (var m = 0; m < months; m++)
        {
            var year = 2021 + (m / 12);
            var month = (m % 12) + 1;
            switch (type)
            {
                case Aggregation.Periods.PeriodType.Monthly:
                    yield return $"{year}-{month:D2}";
                    break;
                case Aggregation.Periods.PeriodType.SixMonthly when month is 6 or 12:
                    yield return $"{year}S{month / 6}";
                    break;
                case Aggregation.Periods.PeriodType.Yearly when month == 12:
                    yield return $"{year}";
                    break;
            }
        }
    }

    private Report Make(AdminUnit target, string period, DataSet dataSet)
    {
        var unit = target.Key.Code;
        var report = new Report { IdempotencyKey = $"n-{unit}-{period}-{dataSet.Id}", UnitCode = target.Code, ProgrammeId = programme.Id, Period = period, ReportedAt = ReportedAt, SourceSystem = "bench" };
        foreach (var e in dataSet.Elements)
        {
            var random = new Random(HashCode(seed, unit, period, e.Id));
            report.Values.Add(e.Type switch
            {
                ElementType.Flag => new DataValue { DataElement = e.Id, Flag = random.Next(2) == 1 },
                ElementType.Entities => new DataValue { DataElement = e.Id, Entities = new EntityIds { Ids = { Enumerable.Range(0, random.Next(3)).Select(_ => $"{unit}-{random.Next(20)}").Distinct() } } },
                _ => new DataValue { DataElement = e.Id, Number = Number(unit, period, e) },
            });
        }

        return report;
    }

    /// <summary>A number drawn per (unit, period, element), then lowered to every value it may not exceed (rules can span data sets).</summary>
    private long Number(string unit, string period, DataElement element)
    {
        var random = new Random(HashCode(seed, unit, period, element.Id));
        long value = element.Type == ElementType.Stock ? 5 + random.Next(60) : random.Next(21);
        foreach (var rule in programme.Rules.Where(r => r.Lesser == element))
        {
            value = Math.Min(value, Number(unit, period, rule.Greater));
        }

        return value;
    }

    private static int HashCode(int seed, string unit, string period, string dataSet)
    {
        // FNV-1a: stable across processes (string.GetHashCode is not).
        var hash = 2166136261u ^ (uint)seed;
        foreach (var c in $"{unit}|{period}|{dataSet}")
        {
            hash = (hash ^ c) * 16777619u;
        }

        return (int)hash;
    }
}
