using Aggregation.Periods;
using Aggregation.Rollup;

namespace Aggregation.Programmes;

/// <summary>What a reporter enters.</summary>
public enum ElementType
{
    /// <summary>A number of things that happened in the period: sums over time and across units.</summary>
    Count,

    /// <summary>A number of things that exist (establishments, staff): latest value over time, summed across units.</summary>
    Stock,

    /// <summary>Yes/no, stored as 1/0: latest value over time; across units the number of units answering yes.</summary>
    Flag,

    /// <summary>Identifiers of distinct entities (establishments inspected): distinct count over time, summed across units.</summary>
    Entities,
}

public sealed record DataElement(string Id, int Index, ElementType Type, LocalizedText Name, string? Description)
{
    /// <summary>Reporting frequency of the element (all its data sets agree on it).</summary>
    public PeriodType PeriodType { get; init; }

    /// <summary>Levels whose units report the element.</summary>
    public IReadOnlySet<string> Levels { get; init; } = new HashSet<string>();

    /// <summary>The data sets the element is reported in (they refer back to it: see <see cref="ProgrammeLoader"/>).</summary>
    public IReadOnlyList<DataSet> DataSets { get; init; } = [];

    public string Aggregation => Type switch
    {
        ElementType.Count => "sum",
        ElementType.Stock => "latest, summed across units",
        ElementType.Flag => "latest yes/no, units answering yes",
        _ => "distinct entities",
    };
}

public sealed record DataSet(string Id, LocalizedText Name, string Level, PeriodType PeriodType, string Reporter, IReadOnlyList<DataElement> Elements)
{
    /// <summary>Days after the period's end by which a report is on time; null: no deadline.</summary>
    public int? DeadlineDays { get; init; }

    /// <summary>The last moment (UTC) a report for the period counts as on time, or null without a deadline.</summary>
    public DateTimeOffset? Deadline(Periods.Period period) => DeadlineDays is { } days
        ? new DateTimeOffset(period.End.AddDays(days).ToDateTime(TimeOnly.MinValue), TimeSpan.Zero)
        : null;
}

/// <summary>In one unit and period, <see cref="Lesser"/> may not exceed <see cref="Greater"/>.</summary>
public sealed record ValueRule(string Id, DataElement Lesser, DataElement Greater);

public enum TargetBasis
{
    /// <summary>The target applies to whatever period is read (shares, ratios of stocks).</summary>
    Period,

    /// <summary>A yearly flow: reading a shorter period pro-rates the target by its length.</summary>
    PerYear,

    /// <summary>Reached by a deadline, cumulating from the plan's start.</summary>
    Deadline,
}

public sealed record Target(double Value, TargetBasis Basis, DateOnly? Deadline);

/// <summary>A numerator or denominator of an indicator.</summary>
public abstract record Quantity;

public sealed record SumOf(IReadOnlyList<DataElement> Elements, bool Cumulative) : Quantity;

public sealed record UnitsWhere(string Level, DataElement Element, long AtLeast) : Quantity;

public sealed record UnitsAtLevel(string Level) : Quantity;

public sealed record PeriodsWhere(string Level, DataElement Element, long AtLeast) : Quantity;

public sealed record PeriodsElapsedAtLevel(string Level, PeriodType ReportingPeriod) : Quantity;

public sealed record Indicator(
    string Id,
    string? Section,
    LocalizedText Name,
    Quantity Numerator,
    Quantity? Denominator,
    Target? Target,
    IReadOnlySet<string> AppliesTo,
    string? Note);

/// <summary>A compiled, validated programme definition.</summary>
public sealed class Programme
{
    internal Programme(
        string id,
        string version,
        LocalizedText name,
        string? source,
        ProgrammeCalendar calendar,
        IReadOnlyList<DataElement> elements,
        IReadOnlyList<DataSet> dataSets,
        IReadOnlyList<ValueRule> rules,
        IReadOnlyList<Indicator> indicators)
    {
        Id = id;
        Version = version;
        Name = name;
        Source = source;
        Calendar = calendar;
        Elements = elements;
        DataSets = dataSets;
        Rules = rules;
        Indicators = indicators;
        ElementsById = elements.ToDictionary(e => e.Id, StringComparer.Ordinal);
        Layout = new CellLayout(this);
    }

    public string Id { get; }

    public string Version { get; }

    public LocalizedText Name { get; }

    public string? Source { get; }

    public ProgrammeCalendar Calendar { get; }

    public IReadOnlyList<DataElement> Elements { get; }

    public IReadOnlyDictionary<string, DataElement> ElementsById { get; }

    public IReadOnlyList<DataSet> DataSets { get; }

    public IReadOnlyList<ValueRule> Rules { get; }

    public IReadOnlyList<Indicator> Indicators { get; }

    /// <summary>Where each aggregated figure lives in a unit's array of cells.</summary>
    public CellLayout Layout { get; }
}
