namespace Aggregation.Periods;

/// <summary>
/// The periods of one programme, from January of its first year to December of its last, and the
/// index arithmetic the rollup uses: which periods contain a reported period and which reported
/// periods make up a period that is read.
/// </summary>
public sealed class ProgrammeCalendar
{
    public ProgrammeCalendar(int firstYear, int lastYear)
    {
        if (lastYear < firstYear)
        {
            throw new ArgumentException("The last year comes before the first.", nameof(lastYear));
        }

        FirstYear = firstYear;
        LastYear = lastYear;
        Months = (lastYear - firstYear + 1) * 12;
    }

    public int FirstYear { get; }

    public int LastYear { get; }

    public int Months { get; }

    public Period Whole => Period.Span(FirstYear, LastYear);

    public DateOnly Start => new(FirstYear, 1, 1);

    public DateOnly End => new(LastYear + 1, 1, 1);

    /// <summary>Number of periods of a type in the programme.</summary>
    public int Count(PeriodType type) => type == PeriodType.Plan ? 1 : Months / type.Months();

    /// <summary>Index of a period among the programme's periods of its type, or -1 when outside the programme.</summary>
    public int IndexOf(Period period)
    {
        if (period.Type == PeriodType.Plan)
        {
            return period.Year == FirstYear && period.EndYear == LastYear ? 0 : -1;
        }

        var offset = period.StartMonthOrdinal - FirstYear * 12;
        if (offset < 0 || offset >= Months)
        {
            return -1;
        }

        return offset / period.Type.Months();
    }

    public bool Contains(Period period) => IndexOf(period) >= 0;

    public Period At(PeriodType type, int index)
    {
        if (type == PeriodType.Plan)
        {
            return Whole;
        }

        var month = index * type.Months();
        var year = FirstYear + month / 12;
        var number = month % 12 / type.Months() + 1;
        return new Period(type, year, number, year);
    }

    /// <summary>Inclusive range of base-type indices that make up the period at (type, index).</summary>
    public (int First, int Last) BaseRange(PeriodType baseType, PeriodType type, int index)
    {
        if (type == PeriodType.Plan)
        {
            return (0, Count(baseType) - 1);
        }

        var perBucket = type.Months() / baseType.Months();
        return (index * perBucket, (index + 1) * perBucket - 1);
    }

    /// <summary>Index of the period of <paramref name="type"/> that contains base period <paramref name="baseIndex"/>.</summary>
    public static int Containing(PeriodType baseType, int baseIndex, PeriodType type) =>
        type == PeriodType.Plan ? 0 : baseIndex * baseType.Months() / type.Months();
}
