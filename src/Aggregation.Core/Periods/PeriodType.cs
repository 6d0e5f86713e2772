namespace Aggregation.Periods;

/// <summary>How long a period is. Ordered from finest to coarsest; <see cref="Plan"/> is the whole programme.</summary>
public enum PeriodType
{
    Monthly = 0,
    Quarterly = 1,
    SixMonthly = 2,
    Yearly = 3,
    Plan = 4,
}

public static class PeriodTypes
{
    /// <summary>Months in one period of the type; <see cref="PeriodType.Plan"/> has no fixed length.</summary>
    public static int Months(this PeriodType type) => type switch
    {
        PeriodType.Monthly => 1,
        PeriodType.Quarterly => 3,
        PeriodType.SixMonthly => 6,
        PeriodType.Yearly => 12,
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "The plan period has no fixed length."),
    };

    public static bool TryParse(string text, out PeriodType type)
    {
        switch (text)
        {
            case "monthly": type = PeriodType.Monthly; return true;
            case "quarterly": type = PeriodType.Quarterly; return true;
            case "sixMonthly": type = PeriodType.SixMonthly; return true;
            case "yearly": type = PeriodType.Yearly; return true;
            default: type = default; return false;
        }
    }

    public static string Name(this PeriodType type) => type switch
    {
        PeriodType.Monthly => "monthly",
        PeriodType.Quarterly => "quarterly",
        PeriodType.SixMonthly => "sixMonthly",
        PeriodType.Yearly => "yearly",
        _ => "plan",
    };
}
