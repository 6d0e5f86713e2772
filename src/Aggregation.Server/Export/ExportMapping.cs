using System.Text.Json;
using System.Text.Json.Serialization;

namespace Aggregation.Server.Export;

/// <summary>
/// A tenant's codes in the receiving system (catalog file <c>mappings/&lt;tenant&gt;.json</c>):
/// units (explicit codes, else a pattern such as <c>{code}</c>), data elements and data sets.
/// </summary>
public sealed class ExportMapping
{
    private static readonly JsonSerializerOptions Json = new()
    {
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
        PropertyNameCaseInsensitive = true,
    };

    private ExportMapping(string receiver, string? unitPattern, IReadOnlyDictionary<string, string> units, IReadOnlyDictionary<string, string> elements, IReadOnlyDictionary<string, string> dataSets, ReportingRateCodes? rates)
    {
        ReportingRates = rates;
        Receiver = receiver;
        UnitPattern = unitPattern;
        Units = units;
        DataElements = elements;
        DataSets = dataSets;
    }

    public string Receiver { get; }

    public string? UnitPattern { get; }

    public IReadOnlyDictionary<string, string> Units { get; }

    public IReadOnlyDictionary<string, string> DataElements { get; }

    public IReadOnlyDictionary<string, string> DataSets { get; }

    /// <summary>Codes under which reporting completeness and timeliness are sent (patterns over the mapped data set code), or null to send none.</summary>
    public ReportingRateCodes? ReportingRates { get; }

    public static ExportMapping Parse(string json, string source)
    {
        FileModel? model;
        try
        {
            model = JsonSerializer.Deserialize<FileModel>(json, Json);
        }
        catch (JsonException ex)
        {
            throw new Aggregation.CatalogException($"{source}: not valid JSON: {ex.Message}");
        }

        if (model is null)
        {
            throw new Aggregation.CatalogException($"{source}: empty");
        }

        if (model.Units?.Pattern is { } pattern && !pattern.Contains("{code}", StringComparison.Ordinal))
        {
            throw new Aggregation.CatalogException($"{source}: units.pattern must contain {{code}}");
        }

        if (model.ReportingRates is { } rates && new[] { rates.Expected, rates.Actual, rates.OnTime }.Any(p => p is null || !p.Contains("{dataSet}", StringComparison.Ordinal)))
        {
            throw new Aggregation.CatalogException($"{source}: reportingRates.expected, actual and onTime must each contain {{dataSet}}");
        }

        return new ExportMapping(
            model.Receiver ?? "",
            model.Units?.Pattern,
            model.Units?.Codes ?? [],
            model.DataElements ?? [],
            model.DataSets ?? [],
            model.ReportingRates);
    }

    public string? Unit(string code) =>
        Units.TryGetValue(code, out var mapped) ? mapped : UnitPattern?.Replace("{code}", code, StringComparison.Ordinal);

    private sealed class FileModel
    {
        public string? Receiver { get; set; }

        public UnitsModel? Units { get; set; }

        public Dictionary<string, string>? DataElements { get; set; }

        public Dictionary<string, string>? DataSets { get; set; }

        public ReportingRateCodes? ReportingRates { get; set; }
    }

    private sealed class UnitsModel
    {
        public string? Pattern { get; set; }

        [JsonPropertyName("codes")]
        public Dictionary<string, string>? Codes { get; set; }
    }
}

/// <summary>Patterns such as <c>{dataSet}_EXPECTED_REPORTS</c> naming the reporting-rate values of a data set.</summary>
public sealed class ReportingRateCodes
{
    public string? Expected { get; set; }

    public string? Actual { get; set; }

    public string? OnTime { get; set; }

    public IEnumerable<(string Code, long Value)> Values(string dataSetCode, long expected, long actual, long onTime)
    {
        yield return (Expected!.Replace("{dataSet}", dataSetCode, StringComparison.Ordinal), expected);
        yield return (Actual!.Replace("{dataSet}", dataSetCode, StringComparison.Ordinal), actual);
        yield return (OnTime!.Replace("{dataSet}", dataSetCode, StringComparison.Ordinal), onTime);
    }
}

/// <summary>
/// Every tenant's mapping, read once at start from the catalog folder. A tenant without a file of
/// its own uses the default tenant's (the provinces a national deployment adds share the ministry's
/// codes; unit codes come from the pattern); without either it cannot export.
/// </summary>
public sealed class ExportMappings(IReadOnlyDictionary<string, ExportMapping> byTenant)
{
    public const string Folder = "mappings";

    public bool TryGet(string tenant, out ExportMapping mapping) => byTenant.TryGetValue(tenant, out mapping!);

    public static ExportMappings Load(string catalogDirectory, IEnumerable<string> tenants, string defaultTenant)
    {
        ExportMapping? Read(string tenant)
        {
            var path = Path.Combine(catalogDirectory, Folder, tenant + ".json");
            return File.Exists(path) ? ExportMapping.Parse(File.ReadAllText(path), path) : null;
        }

        var fallback = Read(defaultTenant);
        var mappings = new Dictionary<string, ExportMapping>(StringComparer.Ordinal);
        foreach (var tenant in tenants)
        {
            if ((Read(tenant) ?? fallback) is { } mapping)
            {
                mappings[tenant] = mapping;
            }
        }

        return new ExportMappings(mappings);
    }
}
