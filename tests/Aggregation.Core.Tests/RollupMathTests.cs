using System.Collections.Immutable;
using Aggregation.Hierarchy;
using Aggregation.Periods;
using Aggregation.Rollup;

namespace Aggregation.Tests;

/// <summary>
/// Each aggregation rule of the plan on a hand-sized hierarchy (two districts, three communes),
/// with figures small enough to check by eye.
/// </summary>
public class RollupMathTests
{
    private static readonly DateOnly AfterThePlan = new(2026, 6, 1);
    private readonly Tree _tree = new(TestCatalog.Tiny());
    private long _clock;

    [Fact]
    public void Counts_sum_over_months_into_quarters_halves_years_and_the_plan_and_across_communes()
    {
        Submit("90101", "2024-01", ("complaints_received", 2));
        Submit("90101", "2024-02", ("complaints_received", 3));
        Submit("90101", "2024-07", ("complaints_received", 4));
        Submit("90102", "2024-02", ("complaints_received", 5));
        Submit("90201", "2025-01", ("complaints_received", 7));

        Assert.Equal(10, Value("901", "complaints_received", "2024Q1"));
        Assert.Equal(10, Value("901", "complaints_received", "2024S1"));
        Assert.Equal(14, Value("901", "complaints_received", "2024"));
        Assert.Equal(14, Value("90", "complaints_received", "2024"));
        Assert.Equal(21, Value("90", "complaints_received", "2021-2025"));
        Assert.Equal(3, Value("90101", "complaints_received", "2024-02"));
    }

    [Fact]
    public void Stocks_take_the_latest_value_over_time_and_sum_across_communes()
    {
        Submit("90101", "2024-01", ("establishments_at_risk", 10));
        Submit("90101", "2024-06", ("establishments_at_risk", 12));
        Submit("90102", "2024-03", ("establishments_at_risk", 5));

        Assert.Equal(12, Value("90101", "establishments_at_risk", "2024"));
        Assert.Equal(17, Value("901", "establishments_at_risk", "2024"));
        Assert.Equal(15, Value("901", "establishments_at_risk", "2024Q1"));
        Assert.Equal(17, Value("90", "establishments_at_risk", "2021-2025"));
    }

    [Fact]
    public void Share_of_communes_with_an_activity_counts_distinct_communes_not_commune_months()
    {
        // Xã A is active in three months, Xã B never, Xã C once: 2 of 3 communes, not 4 "commune-months".
        Submit("90101", "2025-01", ("awareness_activities", 1));
        Submit("90101", "2025-02", ("awareness_activities", 2));
        Submit("90101", "2025-03", ("awareness_activities", 1));
        Submit("90102", "2025-03", ("awareness_activities", 0));
        Submit("90201", "2025-05", ("awareness_activities", 1));

        var t11 = Indicator("90", "T1.1", "2025");
        Assert.Equal(2, t11.Numerator);
        Assert.Equal(3, t11.Denominator);
        Assert.Equal(2 / 3.0, t11.Value!.Value, 9);
        Assert.Equal(IndicatorStatus.OffTrack, t11.Status);

        var q1 = Indicator("901", "T1.1", "2025Q1");
        Assert.Equal(1, q1.Numerator);
        Assert.Equal(2, q1.Denominator);
    }

    [Fact]
    public void Establishments_inspected_since_2021_are_distinct_not_a_sum_of_yearly_counts()
    {
        Submit("90101", "2021-05", ("establishments_at_risk", 4), Entities("establishments_inspected", "E1", "E2"));
        Submit("90101", "2022-03", ("establishments_at_risk", 4), Entities("establishments_inspected", "E1", "E3"));
        Submit("90101", "2023-08", ("establishments_at_risk", 4), Entities("establishments_inspected", "E2"));
        Submit("90201", "2023-02", ("establishments_at_risk", 2), Entities("establishments_inspected", "E1"));

        // Yearly counts 2 + 2 + 1 (Xã A) would say 5 of 4; the distinct count is 3 (E1, E2, E3), plus E1 of Xã C.
        var t32c = Indicator("90", "T3.2c", "2023");
        Assert.Equal(4, t32c.Numerator);
        Assert.Equal(6, t32c.Denominator);
        Assert.Equal(IndicatorStatus.OnTrack, t32c.Status);
        Assert.Equal(2, Indicator("90101", "T3.2c", "2021").Numerator);
        Assert.Equal(3, Indicator("90101", "T3.2c", "2022").Numerator);

        // T3.2b is the year's own distinct inspections: 2023 has E2 (Xã A) and E1 (Xã C).
        var t32b = Indicator("90", "T3.2b", "2023");
        Assert.Equal(2, t32b.Numerator);
        Assert.Equal(2 / 6.0, t32b.Value!.Value, 9);
        Assert.Equal(IndicatorStatus.Met, t32b.Status);
    }

    [Fact]
    public void Yearly_inspection_target_is_pro_rated_for_a_half_year()
    {
        Submit("90101", "2024-02", ("establishments_at_risk", 10), Entities("establishments_inspected", "E1"));
        var half = Indicator("90101", "T3.2b", "2024S1");
        Assert.Equal(0.10, half.Target!.Value, 9);
        Assert.Equal(IndicatorStatus.Met, half.Status);
        Assert.Equal(IndicatorStatus.OffTrack, Indicator("90101", "T3.2b", "2024").Status);
    }

    [Fact]
    public void Share_of_districts_with_a_plan_uses_each_districts_latest_answer()
    {
        Submit("901", "2024S1", ("district_plan_adopted", 1));
        Submit("902", "2024S1", ("district_plan_adopted", 1));
        Submit("902", "2024S2", ("district_plan_adopted", 0));

        Assert.Equal(2, Indicator("90", "T2.1", "2024S1").Numerator);
        Assert.Equal(1, Indicator("90", "T2.1", "2024").Numerator);
        Assert.Equal(2, Indicator("90", "T2.1", "2024").Denominator);
    }

    [Fact]
    public void Months_with_a_press_publication_are_counted_against_months_elapsed()
    {
        Submit("90", "2024-01", ("press_publications", 3));
        Submit("90", "2024-02", ("press_publications", 0));
        Submit("90", "2024-03", ("press_publications", 1));
        var q1 = Indicator("90", "T1.2", "2024Q1");
        Assert.Equal(2, q1.Numerator);
        Assert.Equal(3, q1.Denominator);

        // Read in March 2024: only months that have started count.
        var halfInProgress = Indicator("90", "T1.2", "2024S1", new DateOnly(2024, 3, 15));
        Assert.Equal(3, halfInProgress.Denominator);
    }

    [Fact]
    public void A_rate_above_100_percent_is_data_to_check_not_met()
    {
        // Workers reached add up month by month against a stock of 10 workers employed: 21 of 10 in
        // the quarter says some workers were counted twice, so the target is not "met".
        Submit("90101", "2024-01", ("workers_at_establishments", 10), ("workers_reached", 9));
        Submit("90101", "2024-02", ("workers_at_establishments", 10), ("workers_reached", 8));
        Submit("90101", "2024-03", ("workers_at_establishments", 10), ("workers_reached", 4));
        Submit("90102", "2024-03", ("workers_at_establishments", 40), ("workers_reached", 7));

        var commune = Indicator("90101", "T1.3a", "2024Q1");
        Assert.Equal(2.1, commune.Value!.Value, 9);
        Assert.Equal(IndicatorStatus.DataToCheck, commune.Status);
        Assert.Equal(IndicatorStatus.OffTrack, Indicator("90101", "T1.3a", "2024-03").Status);
        var district = Indicator("901", "T1.3a", "2024Q1");
        Assert.Equal(0.56, district.Value!.Value, 9);
        Assert.Equal(IndicatorStatus.OffTrack, district.Status);
    }

    [Fact]
    public void Training_rates_keep_provincial_and_local_officials_apart()
    {
        Submit("90", "2024S2", ("provincial_officials", 20), ("provincial_officials_trained", 15));
        Submit("901", "2024S2", ("local_officials", 10), ("local_officials_trained", 4));
        Submit("90101", "2024S2", ("local_officials", 6), ("local_officials_trained", 4));

        var a = Indicator("90", "T5.1a", "2024");
        Assert.Equal(0.75, a.Value!.Value, 9);
        Assert.Equal(IndicatorStatus.Met, a.Status);
        var b = Indicator("90", "T5.1b", "2024");
        Assert.Equal(8, b.Numerator);
        Assert.Equal(16, b.Denominator);
        Assert.Equal(IndicatorStatus.Met, b.Status);
    }

    [Fact]
    public void A_correction_replaces_the_old_value_and_ancestors_move_by_the_difference()
    {
        Submit("90101", "2024-05", ("complaints_received", 8));
        Submit("90102", "2024-05", ("complaints_received", 1));
        Assert.Equal(9, Value("90", "complaints_received", "2024"));

        Submit("90101", "2024-05", ("complaints_received", 3));
        Assert.Equal(3, Value("90101", "complaints_received", "2024"));
        Assert.Equal(4, Value("90", "complaints_received", "2024"));
    }

    [Fact]
    public void A_withdrawn_value_leaves_every_total_and_share()
    {
        Submit("90101", "2024-05", ("awareness_activities", 2));
        Assert.Equal(1, Indicator("90", "T1.1", "2024").Numerator);

        Withdraw("90101", "2024-05", "awareness_activities");
        Assert.Equal(0, Indicator("90", "T1.1", "2024").Numerator);
        Assert.Equal(0, Value("90", "awareness_activities", "2024"));
    }

    [Fact]
    public void An_older_report_arriving_after_a_newer_one_changes_nothing()
    {
        var newer = Report("2024-05", 200, ("complaints_received", 5));
        var older = Report("2024-05", 100, ("complaints_received", 9));
        Assert.True(_tree.Apply("90101", newer).Accepted);
        var result = _tree.Apply("90101", older);

        Assert.True(result.Accepted);
        Assert.Equal(["complaints_received"], result.SupersededElements.ToArray());
        Assert.Equal(5, Value("90", "complaints_received", "2024"));
    }

    [Fact]
    public void A_report_breaking_numerator_within_denominator_is_rejected_and_changes_nothing()
    {
        Submit("90101", "2024-05", ("complaints_received", 5), ("complaints_handled_on_time", 5));
        var version = _tree.Rollup("90101").Version;

        var result = _tree.Apply("90101", Report("2024-05", Tick(), ("complaints_received", 3)));

        Assert.False(result.Accepted);
        Assert.Contains(result.Errors, e => e.Field == "values[0].number" && e.Description.Contains("complaints_handled_on_time", StringComparison.Ordinal));
        Assert.Equal(version, _tree.Rollup("90101").Version);
        Assert.Equal(5, Value("90", "complaints_received", "2024"));
    }

    [Fact]
    public void A_parent_counts_a_repeated_or_stale_contribution_once()
    {
        var district = new ProgrammeRollup(TestCatalog.Tiny().Programmes[TestCatalog.ProgrammeId], "district");
        var commune = new ProgrammeRollup(district.Programme, "commune");
        commune.Apply(Report("2024-01", 1, ("complaints_received", 4)));
        var v1 = commune.ToContribution();
        commune.Apply(Report("2024-01", 2, ("complaints_received", 6)));
        var v2 = commune.ToContribution();

        Assert.True(district.ApplyChild("c", v1));
        Assert.True(district.ApplyChild("c", v2));
        Assert.False(district.ApplyChild("c", v2));
        Assert.False(district.ApplyChild("c", v1));

        var metric = district.Programme.Layout.ElementMetric(district.Programme.ElementsById["complaints_received"]);
        Assert.Equal(6, district.Total[metric.CellOf(PeriodType.Yearly, 3)]);
    }

    [Fact]
    public void A_parent_replacing_a_child_with_huge_figures_by_small_ones_keeps_its_total_exact()
    {
        // The parent keeps each child's last contribution packed: the replacement must subtract exactly
        // what was added, whatever the size of the figures (here beyond 32 bits, then back to small).
        var district = new ProgrammeRollup(TestCatalog.Tiny().Programmes[TestCatalog.ProgrammeId], "district");
        var commune = new ProgrammeRollup(district.Programme, "commune");
        var other = new ProgrammeRollup(district.Programme, "commune");
        commune.Apply(Report("2024-01", 1, ("complaints_received", 5_000_000_000_000)));
        other.Apply(Report("2024-02", 1, ("complaints_received", 7)));
        district.ApplyChild("c", commune.ToContribution());
        district.ApplyChild("o", other.ToContribution());
        commune.Apply(Report("2024-01", 2, ("complaints_received", 3)));
        district.ApplyChild("c", commune.ToContribution());

        var metric = district.Programme.Layout.ElementMetric(district.Programme.ElementsById["complaints_received"]);
        Assert.Equal(10, district.Total[metric.CellOf(PeriodType.Yearly, 3)]);
        var expected = new long[district.Total.Length];
        for (var i = 0; i < expected.Length; i++)
        {
            expected[i] = commune.Total[i] + other.Total[i];
        }

        Assert.Equal(expected, district.Total.ToArray());
    }

    [Fact]
    public void Own_values_restored_from_a_checkpoint_give_the_same_values_and_figures()
    {
        var received = new DateTimeOffset(2024, 4, 5, 9, 0, 0, TimeSpan.Zero);
        Received("90101", "2024-03", received, ("awareness_activities", 1), ("complaints_received", 4));
        Received("90101", "2024-03", received.AddDays(20), ("awareness_activities", 2));
        Submit("90101", "2024-04", ("complaints_received", 6), Entities("establishments_inspected", "e1", "e2"));
        Withdraw("90101", "2024-04", "complaints_received");
        var unit = _tree.Rollup("90101");

        var restored = new ProgrammeRollup(unit.Programme, "commune");
        restored.Restore([.. unit.OwnValues()]);

        Assert.Equal(unit.OwnValues(), restored.OwnValues());
        Assert.Equal(unit.Total.ToArray(), restored.Total.ToArray());
        var slot = restored.Slot(unit.Programme.ElementsById["awareness_activities"], unit.Programme.Calendar.IndexOf(Period.Parse("2024-03")))!;
        Assert.Equal((2, received), (slot.Number, slot.FirstReceivedAt));
        Assert.True(restored.Slot(unit.Programme.ElementsById["complaints_received"], unit.Programme.Calendar.IndexOf(Period.Parse("2024-04")))!.Withdrawn);
    }

    [Fact]
    public void Reporting_completeness_counts_units_that_reported_each_data_set()
    {
        Submit("90101", "2024-03", ("awareness_activities", 0));
        Submit("90201", "2024-04", ("complaints_received", 1));
        var view = Read("90", "2024");
        var monthly = view.Completeness.Single(c => c.DataSet.Id == "commune-monthly");
        Assert.Equal(2, monthly.Reported);
        Assert.Equal(3, monthly.Expected);
        Assert.Equal(0, view.Completeness.Single(c => c.DataSet.Id == "commune-police-monthly").Reported);
    }

    [Fact]
    public void A_unit_is_on_time_when_its_first_report_arrives_by_the_deadline_and_a_later_correction_keeps_it_so()
    {
        // commune-monthly is due 10 days after the month: March 2024 by 11 April 2024 00:00 UTC.
        var onTime = new DateTimeOffset(2024, 4, 5, 9, 0, 0, TimeSpan.Zero);
        var late = new DateTimeOffset(2024, 4, 20, 9, 0, 0, TimeSpan.Zero);
        Received("90101", "2024-03", onTime, ("awareness_activities", 1));
        Received("90101", "2024-03", late, ("awareness_activities", 2));
        Received("90102", "2024-03", late, ("awareness_activities", 1));
        Received("90201", "2024-03", new DateTimeOffset(2024, 4, 10, 23, 59, 59, TimeSpan.Zero), ("complaints_received", 1));

        var monthly = Read("90", "2024-03").Completeness.Single(c => c.DataSet.Id == "commune-monthly");

        Assert.Equal((3, 2, 3), (monthly.Reported, monthly.OnTime, monthly.Expected));
        Assert.Equal(1, Read("901", "2024-03").Completeness.Single(c => c.DataSet.Id == "commune-monthly").OnTime);
        Assert.Equal(2, Read("90", "2024Q1").Completeness.Single(c => c.DataSet.Id == "commune-monthly").OnTime);
    }

    private void Received(string unit, string period, DateTimeOffset receivedAt, params (string Element, long Value)[] values)
    {
        var report = new ReportCommand($"k{Tick()}", TestCatalog.ProgrammeId, Period.Parse(period), DateTimeOffset.UnixEpoch.AddSeconds(_clock), [.. values.Select(v => new ValueCommand(v.Element, ValueKind.Number, v.Value, []))], "test", receivedAt);
        Assert.True(_tree.Apply(unit, report).Accepted);
    }

    private long Tick() => ++_clock;

    private void Submit(string unit, string period, params (string Element, long Value)[] values) =>
        Submit(unit, period, values.Select(v => new ValueCommand(v.Element, ValueKind.Number, v.Value, [])).ToArray());

    private void Submit(string unit, string period, (string Element, long Value) first, ValueCommand entities) =>
        Submit(unit, period, [new ValueCommand(first.Element, ValueKind.Number, first.Value, []), entities]);

    private void Submit(string unit, string period, ValueCommand[] values)
    {
        var result = _tree.Apply(unit, new ReportCommand($"k{Tick()}", TestCatalog.ProgrammeId, Period.Parse(period), DateTimeOffset.UnixEpoch.AddSeconds(_clock), [.. values], "test"));
        Assert.True(result.Accepted, string.Join("; ", result.Errors));
    }

    private void Withdraw(string unit, string period, string element) =>
        Submit(unit, period, [new ValueCommand(element, ValueKind.Withdrawn, 0, [])]);

    private static ValueCommand Entities(string element, params string[] ids) => new(element, ValueKind.Entities, ids.Length, [.. ids]);

    private static ReportCommand Report(string period, long at, params (string Element, long Value)[] values) =>
        new($"r{at}", TestCatalog.ProgrammeId, Period.Parse(period), DateTimeOffset.UnixEpoch.AddSeconds(at), [.. values.Select(v => new ValueCommand(v.Element, ValueKind.Number, v.Value, []))], "test");

    private long? Value(string unit, string element, string period) =>
        Read(unit, period).Elements.Single(e => e.Element.Id == element).Value;

    private IndicatorFigure Indicator(string unit, string id, string period, DateOnly? today = null) =>
        Read(unit, period, today).Indicators.Single(i => i.Indicator.Id == id);

    private RollupView Read(string unit, string period, DateOnly? today = null)
    {
        _tree.Propagate();
        var rollup = _tree.Rollup(unit);
        return RollupReader.Read(_tree.Catalog, rollup.Programme, _tree.Catalog.GetUnit(new UnitKey("t", unit)), rollup.Total, rollup.Version, Period.Parse(period), today ?? AfterThePlan);
    }

    /// <summary>The unit grains' state machines wired by hand: propagation is explicit, bottom-up.</summary>
    private sealed class Tree(Catalog catalog)
    {
        private readonly Dictionary<string, ProgrammeRollup> _rollups = [];

        public Catalog Catalog => catalog;

        public ProgrammeRollup Rollup(string code)
        {
            if (!_rollups.TryGetValue(code, out var r))
            {
                var unit = catalog.GetUnit(new UnitKey("t", code));
                _rollups[code] = r = new ProgrammeRollup(catalog.Programmes[TestCatalog.ProgrammeId], unit.Level);
            }

            return r;
        }

        public ApplyResult Apply(string unit, ReportCommand report) => Rollup(unit).Apply(report);

        public void Propagate()
        {
            foreach (var level in new[] { "commune", "district" })
            {
                foreach (var unit in catalog.UnitsOf("t").Where(u => u.Level == level))
                {
                    Rollup(unit.Parent!.Value.Code).ApplyChild(unit.Key.GrainKey, Rollup(unit.Code).ToContribution());
                }
            }
        }
    }
}
