using System.Globalization;
using System.Text.Json;
using Aggregation.Periods;

namespace Aggregation.Programmes;

/// <summary>
/// Reads a programme definition (JSON, comments allowed) and validates it completely: every problem
/// is reported at once, with the path of the offending entry, so a reviewer can fix a file in one pass.
/// </summary>
public static class ProgrammeLoader
{
    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
        UnmappedMemberHandling = System.Text.Json.Serialization.JsonUnmappedMemberHandling.Disallow,
    };

    public static Programme LoadFile(string path, IReadOnlyCollection<string> levels)
    {
        using var stream = File.OpenRead(path);
        return Load(stream, Path.GetFileName(path), levels);
    }

    public static Programme Load(Stream json, string source, IReadOnlyCollection<string> levels)
    {
        ProgrammeFile? file;
        try
        {
            file = JsonSerializer.Deserialize<ProgrammeFile>(json, Json);
        }
        catch (JsonException ex)
        {
            throw new CatalogException($"{source}: not a valid programme file: {ex.Message}");
        }

        if (file is null)
        {
            throw new CatalogException($"{source}: the file is empty.");
        }

        return Compile(file, source, levels);
    }

    public static Programme Compile(ProgrammeFile file, string source, IReadOnlyCollection<string> levels)
    {
        ArgumentNullException.ThrowIfNull(file);
        ArgumentNullException.ThrowIfNull(levels);
        var errors = new List<string>();
        void Error(string path, string message) => errors.Add($"{source}: {path}: {message}");

        if (string.IsNullOrWhiteSpace(file.Id) || !IsIdentifier(file.Id))
        {
            Error("id", "is required and may hold only letters, digits, '-', '_' and '.'");
        }

        if (string.IsNullOrWhiteSpace(file.Version))
        {
            Error("version", "is required");
        }

        if (string.IsNullOrWhiteSpace(file.Name?.Vi))
        {
            Error("name.vi", "is required (Vietnamese is the default language)");
        }

        if (file.FirstYear is < 2000 or > 2100 || file.LastYear < file.FirstYear || file.LastYear - file.FirstYear > 20)
        {
            Error("firstYear/lastYear", "must be years with firstYear <= lastYear, at most 20 years apart");
        }

        var calendar = errors.Count == 0 || (file.FirstYear is >= 2000 and <= 2100 && file.LastYear >= file.FirstYear)
            ? new ProgrammeCalendar(file.FirstYear, Math.Max(file.FirstYear, file.LastYear))
            : new ProgrammeCalendar(2000, 2000);

        // Data elements.
        var elements = new List<DataElement>();
        var elementsById = new Dictionary<string, DataElement>(StringComparer.Ordinal);
        var elementFiles = file.DataElements ?? [];
        if (elementFiles.Count == 0)
        {
            Error("dataElements", "at least one data element is required");
        }

        for (var i = 0; i < elementFiles.Count; i++)
        {
            var f = elementFiles[i];
            var path = $"dataElements[{i}]";
            if (string.IsNullOrWhiteSpace(f.Id) || !IsIdentifier(f.Id))
            {
                Error($"{path}.id", "is required and may hold only letters, digits, '-', '_' and '.'");
                continue;
            }

            if (elementsById.ContainsKey(f.Id))
            {
                Error($"{path}.id", $"'{f.Id}' is defined twice");
                continue;
            }

            if (!TryElementType(f.Type, out var type))
            {
                Error($"{path}.type", $"'{f.Type}' is not one of count, stock, flag, entities");
                continue;
            }

            if (string.IsNullOrWhiteSpace(f.Name?.Vi))
            {
                Error($"{path}.name.vi", "is required");
            }

            var element = new DataElement(f.Id, elements.Count, type, f.Name ?? new LocalizedText(f.Id, f.Id), f.Description);
            elements.Add(element);
            elementsById[f.Id] = element;
        }

        // Data sets: who reports which elements, at which level and how often.
        var dataSets = new List<DataSet>();
        var setsOfElement = elements.ToDictionary(e => e, _ => new List<DataSet>());
        var dataSetFiles = file.DataSets ?? [];
        if (dataSetFiles.Count == 0)
        {
            Error("dataSets", "at least one data set is required");
        }

        var dataSetIds = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < dataSetFiles.Count; i++)
        {
            var f = dataSetFiles[i];
            var path = $"dataSets[{i}]";
            var ok = true;
            if (string.IsNullOrWhiteSpace(f.Id) || !IsIdentifier(f.Id) || !dataSetIds.Add(f.Id))
            {
                Error($"{path}.id", $"'{f.Id}' is missing, not an identifier or defined twice");
                ok = false;
            }

            if (f.Level is null || !levels.Contains(f.Level))
            {
                Error($"{path}.level", $"'{f.Level}' is not a level of the hierarchy ({string.Join(", ", levels)})");
                ok = false;
            }

            if (f.PeriodType is null || !PeriodTypes.TryParse(f.PeriodType, out var periodType))
            {
                Error($"{path}.periodType", $"'{f.PeriodType}' is not one of monthly, quarterly, sixMonthly, yearly");
                ok = false;
                periodType = PeriodType.Monthly;
            }

            if (string.IsNullOrWhiteSpace(f.Reporter))
            {
                Error($"{path}.reporter", "is required: say which agency or level submits the data set");
            }

            var members = new List<DataElement>();
            var elementIds = f.Elements ?? [];
            if (elementIds.Count == 0)
            {
                Error($"{path}.elements", "at least one element is required");
            }

            for (var j = 0; j < elementIds.Count; j++)
            {
                if (!elementsById.TryGetValue(elementIds[j], out var e))
                {
                    Error($"{path}.elements[{j}]", $"unknown data element '{elementIds[j]}'");
                    ok = false;
                }
                else if (members.Contains(e))
                {
                    Error($"{path}.elements[{j}]", $"'{e.Id}' is listed twice");
                }
                else
                {
                    members.Add(e);
                }
            }

            if (!ok)
            {
                continue;
            }

            if (f.DeadlineDays is < 0 or > 366)
            {
                Error($"{path}.deadlineDays", "must be between 0 and 366");
            }

            var ds = new DataSet(f.Id!, f.Name ?? new LocalizedText(f.Id, f.Id), f.Level!, periodType, f.Reporter ?? "", members) { DeadlineDays = f.DeadlineDays };
            dataSets.Add(ds);
            foreach (var e in members)
            {
                setsOfElement[e].Add(ds);
            }
        }

        foreach (var (e, sets) in setsOfElement)
        {
            if (sets.Count == 0)
            {
                Error($"dataElements[{e.Index}]", $"'{e.Id}' belongs to no data set, so nobody can report it");
                continue;
            }

            var periodTypes = sets.Select(s => s.PeriodType).Distinct().ToList();
            if (periodTypes.Count > 1)
            {
                Error($"dataElements[{e.Index}]", $"'{e.Id}' is in data sets of different period types ({string.Join(", ", periodTypes.Select(p => p.Name()))}); one element has one reporting frequency");
            }

            var levelCounts = sets.GroupBy(s => s.Level).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
            if (levelCounts.Count > 0)
            {
                Error($"dataElements[{e.Index}]", $"'{e.Id}' is in two data sets of the same level ({string.Join(", ", levelCounts)}): which one a report belongs to would be ambiguous");
            }

            e.PeriodType = periodTypes[0];
            e.Levels = sets.Select(s => s.Level).ToHashSet(StringComparer.Ordinal);
            e.DataSets = sets;
        }

        // Value rules.
        var rules = new List<ValueRule>();
        var ruleFiles = file.Rules ?? [];
        for (var i = 0; i < ruleFiles.Count; i++)
        {
            var f = ruleFiles[i];
            var pair = f.LessOrEqual ?? [];
            if (string.IsNullOrWhiteSpace(f.Id))
            {
                Error($"rules[{i}].id", "is required");
            }

            if (pair.Count != 2)
            {
                Error($"rules[{i}].lessOrEqual", "must name exactly two data elements [lesser, greater]");
                continue;
            }

            if (!elementsById.TryGetValue(pair[0], out var lesser) || !elementsById.TryGetValue(pair[1], out var greater))
            {
                Error($"rules[{i}].lessOrEqual", $"unknown data element in [{string.Join(", ", pair)}]");
                continue;
            }

            if (lesser.PeriodType != greater.PeriodType)
            {
                Error($"rules[{i}].lessOrEqual", $"'{lesser.Id}' and '{greater.Id}' are reported at different frequencies");
                continue;
            }

            if (greater.Type is ElementType.Flag or ElementType.Entities)
            {
                Error($"rules[{i}].lessOrEqual", $"'{greater.Id}' must be a count or a stock");
                continue;
            }

            rules.Add(new ValueRule(f.Id ?? $"rule-{i}", lesser, greater));
        }

        // Indicators.
        var indicators = new List<Indicator>();
        var indicatorIds = new HashSet<string>(StringComparer.Ordinal);
        var indicatorFiles = file.Indicators ?? [];
        for (var i = 0; i < indicatorFiles.Count; i++)
        {
            var f = indicatorFiles[i];
            var path = $"indicators[{i}]";
            if (string.IsNullOrWhiteSpace(f.Id) || !indicatorIds.Add(f.Id))
            {
                Error($"{path}.id", $"'{f.Id}' is missing or defined twice");
                continue;
            }

            if (string.IsNullOrWhiteSpace(f.Name?.Vi))
            {
                Error($"{path}.name.vi", "is required");
            }

            var numerator = CompileQuantity(f.Numerator, $"{path}.numerator", elementsById, levels, Error);
            var denominator = f.Denominator is null ? null : CompileQuantity(f.Denominator, $"{path}.denominator", elementsById, levels, Error);
            if (f.Numerator is null)
            {
                Error($"{path}.numerator", "is required");
            }

            Target? target = null;
            if (f.Target is not null)
            {
                var basis = f.Target.Per switch
                {
                    "period" or null => TargetBasis.Period,
                    "year" => TargetBasis.PerYear,
                    "deadline" => TargetBasis.Deadline,
                    _ => (TargetBasis?)null,
                };
                DateOnly? deadline = null;
                if (basis is null)
                {
                    Error($"{path}.target.per", $"'{f.Target.Per}' is not one of period, year, deadline");
                }
                else if (basis == TargetBasis.Deadline)
                {
                    if (!DateOnly.TryParseExact(f.Target.Deadline, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var d))
                    {
                        Error($"{path}.target.deadline", "a deadline target needs a date (yyyy-MM-dd)");
                    }
                    else
                    {
                        deadline = d;
                    }
                }

                if (denominator is not null && f.Target.Value is < 0 or > 1)
                {
                    Error($"{path}.target.value", "a rate target is a fraction between 0 and 1");
                }

                if (!double.IsFinite(f.Target.Value))
                {
                    Error($"{path}.target.value", "must be a finite number");
                }

                target = new Target(f.Target.Value, basis ?? TargetBasis.Period, deadline);
            }

            var appliesTo = (f.AppliesTo ?? []).ToHashSet(StringComparer.Ordinal);
            if (appliesTo.Count == 0)
            {
                Error($"{path}.appliesTo", "list the levels the indicator is reported for");
            }

            foreach (var level in appliesTo.Where(l => !levels.Contains(l)))
            {
                Error($"{path}.appliesTo", $"'{level}' is not a level of the hierarchy");
            }

            if (numerator is not null && (f.Denominator is null || denominator is not null))
            {
                indicators.Add(new Indicator(f.Id, f.Section, f.Name ?? new LocalizedText(f.Id, f.Id), numerator, denominator, target, appliesTo, f.Note));
            }
        }

        if (errors.Count > 0)
        {
            throw new CatalogException(errors);
        }

        return new Programme(file.Id!, file.Version!, file.Name!, file.Source, calendar, elements, dataSets, rules, indicators);
    }

    private static Quantity? CompileQuantity(
        QuantityFile? q,
        string path,
        Dictionary<string, DataElement> elements,
        IReadOnlyCollection<string> levels,
        Action<string, string> error)
    {
        if (q is null)
        {
            return null;
        }

        var set = new object?[] { q.Sum, q.UnitsWhere, q.UnitsAtLevel, q.PeriodsWhere, q.PeriodsElapsedAtLevel }.Count(x => x is not null);
        if (set != 1)
        {
            error(path, "set exactly one of sum, unitsWhere, unitsAtLevel, periodsWhere, periodsElapsedAtLevel");
            return null;
        }

        if (q.Sum is not null)
        {
            var list = new List<DataElement>();
            foreach (var id in q.Sum)
            {
                if (!elements.TryGetValue(id, out var e))
                {
                    error($"{path}.sum", $"unknown data element '{id}'");
                    return null;
                }

                list.Add(e);
            }

            if (list.Count == 0)
            {
                error($"{path}.sum", "name at least one data element");
                return null;
            }

            if (q.Cumulative && list.Any(e => e.Type != ElementType.Entities))
            {
                error($"{path}.cumulative", "cumulative applies to entity elements (distinct since the plan's start)");
                return null;
            }

            if (list.Select(e => e.PeriodType).Distinct().Count() > 1)
            {
                error($"{path}.sum", "the elements are reported at different frequencies");
                return null;
            }

            return new SumOf(list, q.Cumulative);
        }

        if (q.UnitsAtLevel is not null)
        {
            if (!levels.Contains(q.UnitsAtLevel))
            {
                error($"{path}.unitsAtLevel", $"'{q.UnitsAtLevel}' is not a level of the hierarchy");
                return null;
            }

            return new UnitsAtLevel(q.UnitsAtLevel);
        }

        if (q.PeriodsElapsedAtLevel is not null)
        {
            if (!levels.Contains(q.PeriodsElapsedAtLevel))
            {
                error($"{path}.periodsElapsedAtLevel", $"'{q.PeriodsElapsedAtLevel}' is not a level of the hierarchy");
                return null;
            }

            // The reporting period is the finest period type of any element reported at that level.
            var finest = elements.Values.Where(e => e.Levels.Contains(q.PeriodsElapsedAtLevel)).Select(e => e.PeriodType).DefaultIfEmpty(PeriodType.Monthly).Min();
            return new PeriodsElapsedAtLevel(q.PeriodsElapsedAtLevel, finest);
        }

        var c = (q.UnitsWhere ?? q.PeriodsWhere)!;
        var cpath = q.UnitsWhere is not null ? $"{path}.unitsWhere" : $"{path}.periodsWhere";
        if (c.Level is null || !levels.Contains(c.Level))
        {
            error($"{cpath}.level", $"'{c.Level}' is not a level of the hierarchy");
            return null;
        }

        if (c.Element is null || !elements.TryGetValue(c.Element, out var element))
        {
            error($"{cpath}.element", $"unknown data element '{c.Element}'");
            return null;
        }

        if (!element.Levels.Contains(c.Level))
        {
            error($"{cpath}.element", $"'{element.Id}' is not reported at level '{c.Level}'");
            return null;
        }

        return q.UnitsWhere is not null ? new UnitsWhere(c.Level, element, c.AtLeast) : new PeriodsWhere(c.Level, element, c.AtLeast);
    }

    private static bool TryElementType(string? s, out ElementType type)
    {
        switch (s)
        {
            case "count": type = ElementType.Count; return true;
            case "stock": type = ElementType.Stock; return true;
            case "flag": type = ElementType.Flag; return true;
            case "entities": type = ElementType.Entities; return true;
            default: type = default; return false;
        }
    }

    internal static bool IsIdentifier(string s) =>
        s.Length is > 0 and <= 100 && s.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.');
}
