using Aggregation.Protos.V1;
using Google.Protobuf.WellKnownTypes;

namespace Aggregation.IntegrationTests;

/// <summary>
/// Plausible reports for every data set of the plan, deterministic from a seed. Values respect the
/// plan's rules whatever order reports arrive in (reached workers stay below any reported workforce),
/// so every generated report must be accepted.
/// </summary>
internal sealed class ReportGenerator(int seed)
{
    private static readonly DateTimeOffset Base = new(2025, 12, 31, 0, 0, 0, TimeSpan.Zero);
    private readonly Random _random = new(seed);
    private int _sequence;

    public Random Random => _random;

    public Report CommuneMonthly(string unit, string period)
    {
        var received = _random.Next(0, 6);
        var wishing = _random.Next(0, 4);
        return New(unit, period,
            Number("awareness_activities", _random.Next(0, 4)),
            Number("workers_reached", _random.Next(0, 41)),
            Number("complaints_received", received),
            Number("complaints_handled_on_time", _random.Next(0, received + 1)),
            Number("support_wishing_eligible", wishing),
            Number("support_accessed", _random.Next(0, wishing + 1)));
    }

    public Report CommunePolice(string unit, string period)
    {
        var ids = Enumerable.Range(1, 10).Where(_ => _random.Next(0, 5) == 0).Take(3).Select(i => $"{unit}-E{i:D2}");
        var inspected = new EntityIds();
        inspected.Ids.AddRange(ids);
        return New(unit, period,
            Number("establishments_at_risk", 10 + _random.Next(0, 11)),
            Number("workers_at_establishments", 50 + _random.Next(0, 51)),
            new DataValue { DataElement = "establishments_inspected", Entities = inspected });
    }

    public Report CommuneStaff(string unit, string half)
    {
        var staff = 5 + _random.Next(0, 11);
        return New(unit, half, Number("local_officials", staff), Number("local_officials_trained", _random.Next(0, staff + 1)));
    }

    public Report District(string unit, string half)
    {
        var staff = 8 + _random.Next(0, 8);
        return New(unit, half,
            Flag("district_plan_adopted", _random.Next(0, 4) > 0),
            Flag("district_programme_integrated", _random.Next(0, 2) > 0),
            Number("pilot_models", _random.Next(0, 3)),
            Number("local_officials", staff),
            Number("local_officials_trained", _random.Next(0, staff + 1)),
            Number("industrial_zone_workers", 100 + _random.Next(0, 400)),
            Number("industrial_zone_workers_reached", _random.Next(0, 101)));
    }

    public IEnumerable<Report> Province(string unit, int year)
    {
        for (var month = 1; month <= 12; month++)
        {
            var period = $"{year}-{month:D2}";
            yield return New(unit, period, Number("press_publications", _random.Next(0, 4)));
            yield return New(unit, period, Number("crime_cases_handled", _random.Next(0, 3)), Number("defendants_prosecuted", _random.Next(0, 5)));
        }

        for (var half = 1; half <= 2; half++)
        {
            var students = 20_000 + _random.Next(0, 5000);
            var staff = 30 + _random.Next(0, 10);
            yield return New(unit, $"{year}S{half}", Number("students_enrolled", students), Number("students_reached", _random.Next(0, 20_001)));
            yield return New(unit, $"{year}S{half}", Number("provincial_officials", staff), Number("provincial_officials_trained", _random.Next(0, staff + 1)));
        }
    }

    /// <summary>The same unit, period and elements with every value withdrawn, reported later.</summary>
    public Report Withdrawal(Report of)
    {
        var report = New(of.UnitCode, of.Period);
        report.Values.AddRange(of.Values.Select(v => new DataValue { DataElement = v.DataElement, Withdrawn = new Protos.V1.Withdrawal() }));
        return report;
    }

    /// <summary>A report with a fresh key and a distinct reported_at, later than any issued before.</summary>
    public Report New(string unit, string period, params DataValue[] values)
    {
        _sequence++;
        var report = new Report
        {
            IdempotencyKey = $"gen-{seed}-{_sequence:D7}",
            UnitCode = unit,
            ProgrammeId = ServerFixture.Programme,
            Period = period,
            ReportedAt = Timestamp.FromDateTimeOffset(Base.AddSeconds(_sequence)),
            SourceSystem = "test-generator",
        };
        report.Values.AddRange(values);
        return report;
    }

    public static DataValue Number(string element, double value) => new() { DataElement = element, Number = value };

    public static DataValue Flag(string element, bool value) => new() { DataElement = element, Flag = value };

    public static DataValue Entities(string element, params string[] ids) => new() { DataElement = element, Entities = new EntityIds { Ids = { ids } } };
}
