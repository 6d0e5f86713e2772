using System.Text.Json.Serialization;

namespace Aggregation.Programmes;

// The on-disk shape of a programme definition (JSON). Kept apart from the compiled model so the file
// format can stay readable while the model stays convenient; ProgrammeLoader maps and validates.

/// <summary>A programme definition file as written by people.</summary>
public sealed class ProgrammeFile
{
    public string? Id { get; set; }
    public string? Version { get; set; }
    public LocalizedText? Name { get; set; }
    public string? Source { get; set; }
    public int FirstYear { get; set; }
    public int LastYear { get; set; }
    public List<DataElementFile>? DataElements { get; set; }
    public List<DataSetFile>? DataSets { get; set; }
    public List<RuleFile>? Rules { get; set; }
    public List<IndicatorFile>? Indicators { get; set; }
}

public sealed class DataElementFile
{
    public string? Id { get; set; }
    public string? Type { get; set; }
    public LocalizedText? Name { get; set; }
    public string? Description { get; set; }
}

public sealed class DataSetFile
{
    public string? Id { get; set; }
    public LocalizedText? Name { get; set; }
    public string? Level { get; set; }
    public string? PeriodType { get; set; }
    public string? Reporter { get; set; }
    public List<string>? Elements { get; set; }

    /// <summary>Days after the end of the period by which a report counts as on time (absent: no deadline, every report is on time).</summary>
    public int? DeadlineDays { get; set; }
}

public sealed class RuleFile
{
    public string? Id { get; set; }

    /// <summary>[lesser, greater]: in one unit and period, the first may not exceed the second.</summary>
    public List<string>? LessOrEqual { get; set; }
}

public sealed class IndicatorFile
{
    public string? Id { get; set; }
    public string? Section { get; set; }
    public LocalizedText? Name { get; set; }
    public QuantityFile? Numerator { get; set; }
    public QuantityFile? Denominator { get; set; }
    public TargetFile? Target { get; set; }
    public List<string>? AppliesTo { get; set; }
    public string? Note { get; set; }
}

/// <summary>Exactly one member is set.</summary>
public sealed class QuantityFile
{
    /// <summary>Sum of the elements' aggregated values (each by its own aggregation rule).</summary>
    public List<string>? Sum { get; set; }

    /// <summary>Distinct entities from plan start to the end of the period read, instead of within it.</summary>
    public bool Cumulative { get; set; }

    /// <summary>Number of units of a level whose own value in the period meets a threshold.</summary>
    public ConditionFile? UnitsWhere { get; set; }

    /// <summary>Number of units of a level in the subtree.</summary>
    public string? UnitsAtLevel { get; set; }

    /// <summary>Number of (unit, reporting period) pairs whose value meets a threshold.</summary>
    public ConditionFile? PeriodsWhere { get; set; }

    /// <summary>Reporting periods elapsed in the period read, times the units of a level in the subtree.</summary>
    public string? PeriodsElapsedAtLevel { get; set; }
}

public sealed class ConditionFile
{
    public string? Level { get; set; }
    public string? Element { get; set; }
    public long AtLeast { get; set; } = 1;
}

public sealed class TargetFile
{
    public double Value { get; set; }

    /// <summary><c>period</c> (the period read), <c>year</c> (a yearly flow, pro-rated for shorter periods) or <c>deadline</c>.</summary>
    public string? Per { get; set; }

    public string? Deadline { get; set; }
}

/// <summary>A label in Vietnamese (the default) and English.</summary>
public sealed record LocalizedText([property: JsonPropertyName("vi")] string? Vi, [property: JsonPropertyName("en")] string? En);
