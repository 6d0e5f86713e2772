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

    /// <summary>
    /// Validates a programme file and builds the programme, one section of the file at a time; every
    /// problem of every section is reported together. Records are built with their final values.
    /// </summary>
    public static Programme Compile(ProgrammeFile file, string source, IReadOnlyCollection<string> levels)
    {
        ArgumentNullException.ThrowIfNull(file);
        ArgumentNullException.ThrowIfNull(levels);
        var errors = new Problems(source);
        var calendar = CompileHeader(file, errors);
        var elementDefinitions = ReadDataElements(file.DataElements ?? [], errors);
        var dataSetDefinitions = ReadDataSets(file.DataSets ?? [], elementDefinitions, levels, errors);
        var (elements, dataSets) = Link(elementDefinitions, dataSetDefinitions, errors);
        var elementsById = elements.ToDictionary(e => e.Id, StringComparer.Ordinal);
        var rules = CompileRules(file.Rules ?? [], elementsById, errors);
        var indicators = CompileIndicators(file.Indicators ?? [], elementsById, levels, errors);
        errors.ThrowIfAny();
        return new Programme(file.Id!, file.Version!, file.Name!, file.Source, calendar, elements, dataSets, rules, indicators);
    }

    /// <summary>id, version, name and the plan's years; the calendar every period is indexed by.</summary>
    private static ProgrammeCalendar CompileHeader(ProgrammeFile file, Problems errors)
    {
        if (string.IsNullOrWhiteSpace(file.Id) || !IsIdentifier(file.Id))
        {
            errors.Add("id", "is required and may hold only letters, digits, '-', '_' and '.'");
        }

        if (string.IsNullOrWhiteSpace(file.Version))
        {
            errors.Add("version", "is required");
        }

        if (string.IsNullOrWhiteSpace(file.Name?.Vi))
        {
            errors.Add("name.vi", "is required (Vietnamese is the default language)");
        }

        if (file.FirstYear is < 2000 or > 2100 || file.LastYear < file.FirstYear || file.LastYear - file.FirstYear > 20)
        {
            errors.Add("firstYear/lastYear", "must be years with firstYear <= lastYear, at most 20 years apart");
        }

        // A stand-in calendar lets the other sections still be checked when the years are unusable.
        return errors.Count == 0 || (file.FirstYear is >= 2000 and <= 2100 && file.LastYear >= file.FirstYear)
            ? new ProgrammeCalendar(file.FirstYear, Math.Max(file.FirstYear, file.LastYear))
            : new ProgrammeCalendar(2000, 2000);
    }

    /// <summary>dataElements: what reporters enter. Indexes are positions among the valid elements.</summary>
    private static List<ElementDefinition> ReadDataElements(List<DataElementFile> files, Problems errors)
    {
        var definitions = new List<ElementDefinition>();
        var ids = new HashSet<string>(StringComparer.Ordinal);
        if (files.Count == 0)
        {
            errors.Add("dataElements", "at least one data element is required");
        }

        for (var i = 0; i < files.Count; i++)
        {
            var f = files[i];
            var path = $"dataElements[{i}]";
            if (f is null)
            {
                errors.Add(path, CatalogException.NullEntry);
                continue;
            }

            if (string.IsNullOrWhiteSpace(f.Id) || !IsIdentifier(f.Id))
            {
                errors.Add($"{path}.id", "is required and may hold only letters, digits, '-', '_' and '.'");
                continue;
            }

            if (ids.Contains(f.Id))
            {
                errors.Add($"{path}.id", $"'{f.Id}' is defined twice");
                continue;
            }

            if (!TryElementType(f.Type, out var type))
            {
                errors.Add($"{path}.type", $"'{f.Type}' is not one of count, stock, flag, entities");
                continue;
            }

            if (string.IsNullOrWhiteSpace(f.Name?.Vi))
            {
                errors.Add($"{path}.name.vi", "is required");
            }

            ids.Add(f.Id);
            definitions.Add(new ElementDefinition(f.Id, definitions.Count, type, f.Name ?? new LocalizedText(f.Id, f.Id), f.Description));
        }

        return definitions;
    }

    /// <summary>dataSets: who reports which elements, at which level and how often. Invalid data sets are left out.</summary>
    private static List<DataSetDefinition> ReadDataSets(List<DataSetFile> files, List<ElementDefinition> elements, IReadOnlyCollection<string> levels, Problems errors)
    {
        var elementsById = elements.ToDictionary(e => e.Id, StringComparer.Ordinal);
        var definitions = new List<DataSetDefinition>();
        if (files.Count == 0)
        {
            errors.Add("dataSets", "at least one data set is required");
        }

        var dataSetIds = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < files.Count; i++)
        {
            var f = files[i];
            var path = $"dataSets[{i}]";
            if (f is null)
            {
                errors.Add(path, CatalogException.NullEntry);
                continue;
            }

            var ok = true;
            if (string.IsNullOrWhiteSpace(f.Id) || !IsIdentifier(f.Id) || !dataSetIds.Add(f.Id))
            {
                errors.Add($"{path}.id", $"'{f.Id}' is missing, not an identifier or defined twice");
                ok = false;
            }

            if (f.Level is null || !levels.Contains(f.Level))
            {
                errors.Add($"{path}.level", $"'{f.Level}' is not a level of the hierarchy ({string.Join(", ", levels)})");
                ok = false;
            }

            if (f.PeriodType is null || !PeriodTypes.TryParse(f.PeriodType, out var periodType))
            {
                errors.Add($"{path}.periodType", $"'{f.PeriodType}' is not one of monthly, quarterly, sixMonthly, yearly");
                ok = false;
                periodType = PeriodType.Monthly;
            }

            if (string.IsNullOrWhiteSpace(f.Reporter))
            {
                errors.Add($"{path}.reporter", "is required: say which agency or level submits the data set");
            }

            var members = new List<ElementDefinition>();
            var elementIds = f.Elements ?? [];
            if (elementIds.Count == 0)
            {
                errors.Add($"{path}.elements", "at least one element is required");
            }

            for (var j = 0; j < elementIds.Count; j++)
            {
                if (elementIds[j] is null)
                {
                    errors.Add($"{path}.elements[{j}]", CatalogException.NullEntry);
                    ok = false;
                }
                else if (!elementsById.TryGetValue(elementIds[j], out var e))
                {
                    errors.Add($"{path}.elements[{j}]", $"unknown data element '{elementIds[j]}'");
                    ok = false;
                }
                else if (members.Contains(e))
                {
                    errors.Add($"{path}.elements[{j}]", $"'{e.Id}' is listed twice");
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
                errors.Add($"{path}.deadlineDays", "must be between 0 and 366");
            }

            definitions.Add(new DataSetDefinition(f.Id!, f.Name ?? new LocalizedText(f.Id, f.Id), f.Level!, periodType, f.Reporter ?? "", members, f.DeadlineDays));
        }

        return definitions;
    }

    /// <summary>
    /// Builds the elements and data sets, which refer to each other. An element takes its frequency and
    /// levels from its data sets, and each one is checked to be reportable, once, at one frequency.
    /// </summary>
    /// <remarks>
    /// Each element is built with its final values; its list of data sets is an array sized here and
    /// filled, in data set order, once the data sets (which hold the elements) exist, before the
    /// programme is returned to anyone.
    /// </remarks>
    private static (List<DataElement> Elements, List<DataSet> DataSets) Link(List<ElementDefinition> elementDefinitions, List<DataSetDefinition> dataSetDefinitions, Problems errors)
    {
        var setsOf = elementDefinitions.Select(_ => new List<DataSetDefinition>()).ToList();
        foreach (var ds in dataSetDefinitions)
        {
            foreach (var e in ds.Members)
            {
                setsOf[e.Index].Add(ds);
            }
        }

        var elements = new List<DataElement>(elementDefinitions.Count);
        var dataSetsOf = new DataSet[elementDefinitions.Count][];
        foreach (var e in elementDefinitions)
        {
            var sets = setsOf[e.Index];
            CheckReportable(e, sets, errors);
            dataSetsOf[e.Index] = new DataSet[sets.Count];
            elements.Add(new DataElement(e.Id, e.Index, e.Type, e.Name, e.Description)
            {
                PeriodType = sets.Count > 0 ? sets[0].PeriodType : default,
                Levels = sets.Select(s => s.Level).ToHashSet(StringComparer.Ordinal),
                DataSets = dataSetsOf[e.Index],
            });
        }

        var dataSets = new List<DataSet>(dataSetDefinitions.Count);
        var filled = new int[elements.Count];
        foreach (var d in dataSetDefinitions)
        {
            var members = d.Members.Select(m => elements[m.Index]).ToList();
            var ds = new DataSet(d.Id, d.Name, d.Level, d.PeriodType, d.Reporter, members) { DeadlineDays = d.DeadlineDays };
            dataSets.Add(ds);
            foreach (var e in members)
            {
                dataSetsOf[e.Index][filled[e.Index]++] = ds;
            }
        }

        return (elements, dataSets);
    }

    /// <summary>An element belongs to some data set, all of one frequency, and to at most one per level.</summary>
    private static void CheckReportable(ElementDefinition e, List<DataSetDefinition> sets, Problems errors)
    {
        if (sets.Count == 0)
        {
            errors.Add($"dataElements[{e.Index}]", $"'{e.Id}' belongs to no data set, so nobody can report it");
            return;
        }

        var periodTypes = sets.Select(s => s.PeriodType).Distinct().ToList();
        if (periodTypes.Count > 1)
        {
            errors.Add($"dataElements[{e.Index}]", $"'{e.Id}' is in data sets of different period types ({string.Join(", ", periodTypes.Select(p => p.Name()))}); one element has one reporting frequency");
        }

        var levelCounts = sets.GroupBy(s => s.Level).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
        if (levelCounts.Count > 0)
        {
            errors.Add($"dataElements[{e.Index}]", $"'{e.Id}' is in two data sets of the same level ({string.Join(", ", levelCounts)}): which one a report belongs to would be ambiguous");
        }
    }

    /// <summary>rules: value rules (lesser ≤ greater in one unit and period).</summary>
    private static List<ValueRule> CompileRules(List<RuleFile> files, Dictionary<string, DataElement> elementsById, Problems errors)
    {
        var rules = new List<ValueRule>();
        for (var i = 0; i < files.Count; i++)
        {
            var f = files[i];
            if (f is null)
            {
                errors.Add($"rules[{i}]", CatalogException.NullEntry);
                continue;
            }

            var pair = f.LessOrEqual ?? [];
            if (string.IsNullOrWhiteSpace(f.Id))
            {
                errors.Add($"rules[{i}].id", "is required");
            }

            if (HasNullEntry(pair, $"rules[{i}].lessOrEqual", errors))
            {
                continue;
            }

            if (pair.Count != 2)
            {
                errors.Add($"rules[{i}].lessOrEqual", "must name exactly two data elements [lesser, greater]");
                continue;
            }

            if (!elementsById.TryGetValue(pair[0], out var lesser) || !elementsById.TryGetValue(pair[1], out var greater))
            {
                errors.Add($"rules[{i}].lessOrEqual", $"unknown data element in [{string.Join(", ", pair)}]");
                continue;
            }

            if (lesser.PeriodType != greater.PeriodType)
            {
                errors.Add($"rules[{i}].lessOrEqual", $"'{lesser.Id}' and '{greater.Id}' are reported at different frequencies");
                continue;
            }

            if (greater.Type is ElementType.Flag or ElementType.Entities)
            {
                errors.Add($"rules[{i}].lessOrEqual", $"'{greater.Id}' must be a count or a stock");
                continue;
            }

            rules.Add(new ValueRule(f.Id ?? $"rule-{i}", lesser, greater));
        }

        return rules;
    }

    /// <summary>indicators: what is read, each a numerator over an optional denominator, with an optional target.</summary>
    private static List<Indicator> CompileIndicators(List<IndicatorFile> files, Dictionary<string, DataElement> elementsById, IReadOnlyCollection<string> levels, Problems errors)
    {
        var indicators = new List<Indicator>();
        var indicatorIds = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < files.Count; i++)
        {
            var f = files[i];
            var path = $"indicators[{i}]";
            if (f is null)
            {
                errors.Add(path, CatalogException.NullEntry);
                continue;
            }

            if (string.IsNullOrWhiteSpace(f.Id) || !indicatorIds.Add(f.Id))
            {
                errors.Add($"{path}.id", $"'{f.Id}' is missing or defined twice");
                continue;
            }

            if (string.IsNullOrWhiteSpace(f.Name?.Vi))
            {
                errors.Add($"{path}.name.vi", "is required");
            }

            var numerator = CompileQuantity(f.Numerator, $"{path}.numerator", elementsById, levels, errors);
            var denominator = f.Denominator is null ? null : CompileQuantity(f.Denominator, $"{path}.denominator", elementsById, levels, errors);
            if (f.Numerator is null)
            {
                errors.Add($"{path}.numerator", "is required");
            }

            var target = f.Target is null ? null : CompileTarget(f.Target, $"{path}.target", isRate: denominator is not null, errors);
            HasNullEntry(f.AppliesTo ?? [], $"{path}.appliesTo", errors);
            var appliesTo = (f.AppliesTo ?? []).OfType<string>().ToHashSet(StringComparer.Ordinal);
            if (appliesTo.Count == 0)
            {
                errors.Add($"{path}.appliesTo", "list the levels the indicator is reported for");
            }

            foreach (var level in appliesTo.Where(l => !levels.Contains(l)))
            {
                errors.Add($"{path}.appliesTo", $"'{level}' is not a level of the hierarchy");
            }

            if (numerator is not null && (f.Denominator is null || denominator is not null))
            {
                indicators.Add(new Indicator(f.Id, f.Section, f.Name ?? new LocalizedText(f.Id, f.Id), numerator, denominator, target, appliesTo, f.Note));
            }
        }

        return indicators;
    }

    private static Target CompileTarget(TargetFile f, string path, bool isRate, Problems errors)
    {
        var basis = f.Per switch
        {
            "period" or null => TargetBasis.Period,
            "year" => TargetBasis.PerYear,
            "deadline" => TargetBasis.Deadline,
            _ => (TargetBasis?)null,
        };
        DateOnly? deadline = null;
        if (basis is null)
        {
            errors.Add($"{path}.per", $"'{f.Per}' is not one of period, year, deadline");
        }
        else if (basis == TargetBasis.Deadline)
        {
            if (!DateOnly.TryParseExact(f.Deadline, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var d))
            {
                errors.Add($"{path}.deadline", "a deadline target needs a date (yyyy-MM-dd)");
            }
            else
            {
                deadline = d;
            }
        }

        if (isRate && f.Value is < 0 or > 1)
        {
            errors.Add($"{path}.value", "a rate target is a fraction between 0 and 1");
        }

        if (!double.IsFinite(f.Value))
        {
            errors.Add($"{path}.value", "must be a finite number");
        }

        return new Target(f.Value, basis ?? TargetBasis.Period, deadline);
    }

    private static Quantity? CompileQuantity(
        QuantityFile? q,
        string path,
        Dictionary<string, DataElement> elements,
        IReadOnlyCollection<string> levels,
        Problems errors)
    {
        if (q is null)
        {
            return null;
        }

        var set = new object?[] { q.Sum, q.UnitsWhere, q.UnitsAtLevel, q.PeriodsWhere, q.PeriodsElapsedAtLevel }.Count(x => x is not null);
        if (set != 1)
        {
            errors.Add(path, "set exactly one of sum, unitsWhere, unitsAtLevel, periodsWhere, periodsElapsedAtLevel");
            return null;
        }

        if (q.Sum is not null)
        {
            if (HasNullEntry(q.Sum, $"{path}.sum", errors))
            {
                return null;
            }

            var list = new List<DataElement>();
            foreach (var id in q.Sum)
            {
                if (!elements.TryGetValue(id, out var e))
                {
                    errors.Add($"{path}.sum", $"unknown data element '{id}'");
                    return null;
                }

                list.Add(e);
            }

            if (list.Count == 0)
            {
                errors.Add($"{path}.sum", "name at least one data element");
                return null;
            }

            if (q.Cumulative && list.Any(e => e.Type != ElementType.Entities))
            {
                errors.Add($"{path}.cumulative", "cumulative applies to entity elements (distinct since the plan's start)");
                return null;
            }

            if (list.Select(e => e.PeriodType).Distinct().Count() > 1)
            {
                errors.Add($"{path}.sum", "the elements are reported at different frequencies");
                return null;
            }

            return new SumOf(list, q.Cumulative);
        }

        if (q.UnitsAtLevel is not null)
        {
            if (!levels.Contains(q.UnitsAtLevel))
            {
                errors.Add($"{path}.unitsAtLevel", $"'{q.UnitsAtLevel}' is not a level of the hierarchy");
                return null;
            }

            return new UnitsAtLevel(q.UnitsAtLevel);
        }

        if (q.PeriodsElapsedAtLevel is not null)
        {
            if (!levels.Contains(q.PeriodsElapsedAtLevel))
            {
                errors.Add($"{path}.periodsElapsedAtLevel", $"'{q.PeriodsElapsedAtLevel}' is not a level of the hierarchy");
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
            errors.Add($"{cpath}.level", $"'{c.Level}' is not a level of the hierarchy");
            return null;
        }

        if (c.Element is null || !elements.TryGetValue(c.Element, out var element))
        {
            errors.Add($"{cpath}.element", $"unknown data element '{c.Element}'");
            return null;
        }

        if (!element.Levels.Contains(c.Level))
        {
            errors.Add($"{cpath}.element", $"'{element.Id}' is not reported at level '{c.Level}'");
            return null;
        }

        return q.UnitsWhere is not null ? new UnitsWhere(c.Level, element, c.AtLeast) : new PeriodsWhere(c.Level, element, c.AtLeast);
    }

    /// <summary>Reports each null in a list of ids by its position; true if there was one.</summary>
    private static bool HasNullEntry(List<string> ids, string path, Problems errors)
    {
        var found = false;
        for (var i = 0; i < ids.Count; i++)
        {
            if (ids[i] is null)
            {
                errors.Add($"{path}[{i}]", CatalogException.NullEntry);
                found = true;
            }
        }

        return found;
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

    /// <summary>Problems found so far, each prefixed with the file and the path of the entry.</summary>
    private sealed class Problems(string source)
    {
        private readonly List<string> _messages = [];

        public int Count => _messages.Count;

        public void Add(string path, string message) => _messages.Add($"{source}: {path}: {message}");

        public void ThrowIfAny()
        {
            if (_messages.Count > 0)
            {
                throw new CatalogException(_messages);
            }
        }
    }

    /// <summary>A valid dataElements entry before its data sets are known.</summary>
    private sealed record ElementDefinition(string Id, int Index, ElementType Type, LocalizedText Name, string? Description);

    /// <summary>A valid dataSets entry, its members by definition.</summary>
    private sealed record DataSetDefinition(string Id, LocalizedText Name, string Level, PeriodType PeriodType, string Reporter, IReadOnlyList<ElementDefinition> Members, int? DeadlineDays);
}
