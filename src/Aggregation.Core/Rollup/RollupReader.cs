using Aggregation.Hierarchy;
using Aggregation.Periods;
using Aggregation.Programmes;

namespace Aggregation.Rollup;

public enum IndicatorStatus
{
    /// <summary>The denominator is zero or the figure cannot be read at this granularity.</summary>
    NoData,

    /// <summary>The plan sets no target (counts such as cases handled).</summary>
    NoTarget,
    Met,

    /// <summary>Not yet met, but the period (or the road to the deadline) is not over and progress is in proportion.</summary>
    OnTrack,
    OffTrack,

    /// <summary>
    /// A rate above 100 % (more workers reached than are employed): the figures under it disagree, so
    /// it is not assessed against its target until they are checked.
    /// </summary>
    DataToCheck,
}

public sealed record ElementFigure(DataElement Element, long? Value);

public sealed record IndicatorFigure(
    Indicator Indicator,
    double? Value,
    long? Numerator,
    long? Denominator,
    double? Target,
    IndicatorStatus Status);

/// <summary>Units of a data set's level that reported anything of it in the period, against the units expected to.</summary>
/// <summary>Units that reported a data set for the period, how many of them by its deadline, and how many were expected to.</summary>
public sealed record Completeness(DataSet DataSet, long Reported, long Expected, long OnTime);

public sealed record RollupView(
    AdminUnit Unit,
    Programme Programme,
    Period Period,
    long Version,
    IReadOnlyList<ElementFigure> Elements,
    IReadOnlyList<IndicatorFigure> Indicators,
    IReadOnlyList<Completeness> Completeness);

/// <summary>Turns a unit's cells into figures: element values, indicators with status, reporting completeness.</summary>
public static class RollupReader
{
    private const double Epsilon = 1e-9;

    /// <summary>
    /// The nation's unit counts by level, programme and span, per catalog (a catalog does not change
    /// once loaded). Each walks every province's spans: counted on every read they were most of a
    /// nation read's time and garbage (4 ms and 430 KB a year read, 2 cores), and with the method
    /// sentence (RollupReads) 26 gen0 collections in the benchmark's 600 reads at a tenth of the
    /// country, against 1 without. A few thousand entries at most: levels × programmes × the spans
    /// of their calendars.
    /// </summary>
    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<Catalog, System.Collections.Concurrent.ConcurrentDictionary<(string Level, string Programme, DateOnly From, DateOnly To), long>> NationCounts = [];

    /// <summary>
    /// Reads figures from cells. Denominators that count units count those in force during the period
    /// under each of <paramref name="counted"/> (the unit itself, or every unit whose data the cells
    /// sum when history is re-expressed), each for the part of the period it existed.
    /// </summary>
    public static RollupView Read(Catalog catalog, Programme programme, AdminUnit unit, ReadOnlySpan<long> cells, long version, Period period, DateOnly today, IReadOnlyList<UnitKey>? counted = null)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(programme);
        ArgumentNullException.ThrowIfNull(unit);
        var layout = programme.Layout;
        var keys = counted ?? [unit.Key];

        // Indicators and completeness ask the same counts again and again (each month of a year for
        // every rate over unit-periods), so a read counts each once.
        var unitCounts = new Dictionary<(string Level, DateOnly From, DateOnly To), long>();
        long UnitsAt(string level, DateOnly from, DateOnly to)
        {
            if (!unitCounts.TryGetValue((level, from, to), out var count))
            {
                count = 0;
                foreach (var k in keys)
                {
                    count += k == UnitKey.Nation
                        ? NationCounts.GetOrCreateValue(catalog).GetOrAdd((level, programme.Id, from, to), static (key, c) => c.UnitsAtLevel(UnitKey.Nation, key.Level, key.Programme, key.From, key.To), catalog)
                        : catalog.UnitsAtLevel(k, level, programme.Id, from, to);
                }

                unitCounts[(level, from, to)] = count;
            }

            return count;
        }

        var index = programme.Calendar.IndexOf(period);
        if (index < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(period), period, $"Outside programme {programme.Id}.");
        }

        var elements = new List<ElementFigure>(programme.Elements.Count);
        foreach (var e in programme.Elements)
        {
            elements.Add(new ElementFigure(e, Cell(cells, layout.ElementMetric(e), period, index)));
        }

        var indicators = new List<IndicatorFigure>();
        foreach (var indicator in programme.Indicators)
        {
            if (!indicator.AppliesTo.Contains(unit.Level))
            {
                continue;
            }

            var numerator = Evaluate(indicator.Numerator, UnitsAt, programme, cells, period, index, today);
            var denominator = indicator.Denominator is null ? null : Evaluate(indicator.Denominator, UnitsAt, programme, cells, period, index, today);
            double? value = indicator.Denominator is null
                ? numerator
                : numerator is not null && denominator is > 0 ? (double)numerator.Value / denominator.Value : null;
            var target = EffectiveTarget(indicator.Target, period);
            indicators.Add(new IndicatorFigure(indicator, value, numerator, denominator, target, Status(indicator.Target, target, value, indicator.Denominator is not null, period, programme, today)));
        }

        var completeness = new List<Completeness>();
        foreach (var ds in programme.DataSets)
        {
            var reported = Cell(cells, layout.ReportedMetric(ds), period, index);
            var expected = UnitsAt(ds.Level, period.Start, period.End);
            if (reported is not null && expected > 0)
            {
                completeness.Add(new Completeness(ds, reported.Value, expected, Cell(cells, layout.OnTimeMetric(ds), period, index) ?? 0));
            }
        }

        return new RollupView(unit, programme, period, version, elements, indicators, completeness);
    }

    private static long? Cell(ReadOnlySpan<long> cells, Metric metric, Period period, int index)
    {
        var cell = metric.CellOf(period.Type, index);
        return cell < 0 ? null : cells[cell];
    }

    private static long? Evaluate(Quantity quantity, Func<string, DateOnly, DateOnly, long> unitsAt, Programme programme, ReadOnlySpan<long> cells, Period period, int index, DateOnly today)
    {
        var layout = programme.Layout;
        switch (quantity)
        {
            case SumOf sum:
                var total = 0L;
                foreach (var e in sum.Elements)
                {
                    long? v;
                    if (sum.Cumulative)
                    {
                        var metric = layout.CumulativeMetric(e);
                        if (period.Type < e.PeriodType)
                        {
                            return null;
                        }

                        var (_, last) = programme.Calendar.BaseRange(e.PeriodType, period.Type, index);
                        v = cells[metric.CumulativeCell(last)];
                    }
                    else
                    {
                        v = Cell(cells, layout.ElementMetric(e), period, index);
                    }

                    if (v is null)
                    {
                        return null;
                    }

                    total += v.Value;
                }

                return total;
            case UnitsWhere u:
                return Cell(cells, layout.UnitConditionMetric(u), period, index);
            case PeriodsWhere p:
                return Cell(cells, layout.PeriodConditionMetric(p), period, index);
            case UnitsAtLevel l:
                return unitsAt(l.Level, period.Start, period.End);
            case PeriodsElapsedAtLevel pe:
                if (period.Type < pe.ReportingPeriod)
                {
                    return null;
                }

                // Unit-periods: each elapsed reporting period counts the units in force in it.
                var (first, lastIndex) = programme.Calendar.BaseRange(pe.ReportingPeriod, period.Type, index);
                var expected = 0L;
                for (var i = first; i <= lastIndex; i++)
                {
                    var reporting = programme.Calendar.At(pe.ReportingPeriod, i);
                    if (reporting.Start <= today)
                    {
                        expected += unitsAt(pe.Level, reporting.Start, reporting.End);
                    }
                }

                return expected;
            default:
                throw new InvalidOperationException($"Unknown quantity {quantity}.");
        }
    }

    private static double? EffectiveTarget(Target? target, Period period)
    {
        if (target is null)
        {
            return null;
        }

        return target.Basis == TargetBasis.PerYear && period.LengthInMonths < 12
            ? target.Value * period.LengthInMonths / 12.0
            : target.Value;
    }

    private static IndicatorStatus Status(Target? target, double? effective, double? value, bool isRate, Period period, Programme programme, DateOnly today)
    {
        if (value is null)
        {
            return IndicatorStatus.NoData;
        }

        if (isRate && value > 1 + Epsilon)
        {
            return IndicatorStatus.DataToCheck;
        }

        if (target is null || effective is null)
        {
            return IndicatorStatus.NoTarget;
        }

        if (value >= effective - Epsilon)
        {
            return IndicatorStatus.Met;
        }

        if (target.Basis == TargetBasis.Deadline && target.Deadline is { } deadline)
        {
            // Progress expected in proportion to the time elapsed from the plan's start to the deadline.
            var start = programme.Calendar.Start;
            var asOf = Min(period.End, today);
            var due = deadline.AddDays(1);
            if (asOf >= due)
            {
                return IndicatorStatus.OffTrack;
            }

            var fraction = Math.Clamp((asOf.DayNumber - start.DayNumber) / (double)(due.DayNumber - start.DayNumber), 0, 1);
            return value >= effective * fraction - Epsilon ? IndicatorStatus.OnTrack : IndicatorStatus.OffTrack;
        }

        if (period.End <= today)
        {
            return IndicatorStatus.OffTrack;
        }

        var elapsed = Math.Clamp((today.DayNumber - period.Start.DayNumber) / (double)(period.End.DayNumber - period.Start.DayNumber), 0, 1);
        return value >= effective * elapsed - Epsilon ? IndicatorStatus.OnTrack : IndicatorStatus.OffTrack;
    }

    private static DateOnly Min(DateOnly a, DateOnly b) => a < b ? a : b;
}
