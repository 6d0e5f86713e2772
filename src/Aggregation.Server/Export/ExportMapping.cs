using System.Text.Json;
using System.Text.Json.Serialization;
using Aggregation.Hierarchy;
using Aggregation.Periods;

namespace Aggregation.Server.Export;

/// <summary>What the outbox delivers to the receiver.</summary>
public enum DeliveryFormat
{
    /// <summary>One IHE ADX document per report (completeness as each group's completeDate).</summary>
    Adx,

    /// <summary>A DHIS2 dataValueSets payload and, when the profile asks, a completeDataSetRegistrations payload.</summary>
    Dhis2,
}

/// <summary>
/// How the receiving system holds the data (the <c>profile</c> of a mapping file): which units'
/// values it takes, in which periods, under which identifier scheme, and whether it is told which
/// reports are complete.
/// </summary>
public sealed record ReceiverProfile(
    string OrgUnitLevel,
    IReadOnlyDictionary<string, PeriodType> PeriodTypes,
    string IdScheme,
    bool Completeness,
    DeliveryFormat Format)
{
    /// <summary>
    /// The receiver holds the units that report each data set (communes for commune data sets,
    /// districts for district ones…) and aggregates up its own hierarchy: each value is sent once,
    /// at the unit that reported it.
    /// </summary>
    public const string Lowest = "lowest";

    public static readonly ReceiverProfile Default = new(Lowest, new Dictionary<string, PeriodType>(), "CODE", true, DeliveryFormat.Adx);

    /// <summary>The period type a data set is sent in: the profile's, else the data set's own collection period.</summary>
    public PeriodType PeriodTypeOf(Programmes.DataSet dataSet)
    {
        ArgumentNullException.ThrowIfNull(dataSet);
        return PeriodTypes.TryGetValue(dataSet.Id, out var type) ? type : dataSet.PeriodType;
    }
}

/// <summary>
/// A tenant's codes in the receiving system and how it holds the data (catalog file
/// <c>mappings/&lt;tenant&gt;.json</c>): the receiver profile; units (explicit codes, by unit version
/// where a GSO code was reused, else a pattern such as <c>{code}</c>), data elements and data sets.
/// </summary>
public sealed class ExportMapping
{
    private static readonly JsonSerializerOptions Json = new()
    {
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
        PropertyNameCaseInsensitive = true,
    };

    private ExportMapping(string receiver, ReceiverProfile profile, string? unitPattern, string? retiredPattern, IReadOnlyDictionary<string, string> versionPatterns, IReadOnlyDictionary<string, string> units, IReadOnlyDictionary<string, string> elements, IReadOnlyDictionary<string, string> dataSets)
    {
        Receiver = receiver;
        Profile = profile;
        UnitPattern = unitPattern;
        RetiredPattern = retiredPattern;
        VersionPatterns = versionPatterns;
        Units = units;
        DataElements = elements;
        DataSets = dataSets;
    }

    public string Receiver { get; }

    public ReceiverProfile Profile { get; }

    public string? UnitPattern { get; }

    /// <summary>
    /// The pattern of a unit whose GSO code a later unit took on a reorganisation (05443 was Phường
    /// Trưng Vương until 2025-06-30 and is Phường Phan Đình Phùng since), e.g. <c>{code}-{version}</c>:
    /// the unit in force keeps the official code.
    /// </summary>
    public string? RetiredPattern { get; }

    /// <summary>Patterns for the units a hierarchy version introduced (<c>"2025-07": "{code}@2025-07"</c>), over <see cref="UnitPattern"/>.</summary>
    public IReadOnlyDictionary<string, string> VersionPatterns { get; }

    /// <summary>Receiver codes by GSO code, or by <c>code@version</c> for one version of a reused code.</summary>
    public IReadOnlyDictionary<string, string> Units { get; }

    public IReadOnlyDictionary<string, string> DataElements { get; }

    public IReadOnlyDictionary<string, string> DataSets { get; }

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

        if (model.Units?.Retired is { } retired && !retired.Contains("{code}", StringComparison.Ordinal))
        {
            throw new Aggregation.CatalogException($"{source}: units.retired must contain {{code}}");
        }

        foreach (var (version, versionPattern) in model.Units?.Versions ?? [])
        {
            if (!versionPattern.Contains("{code}", StringComparison.Ordinal))
            {
                throw new Aggregation.CatalogException($"{source}: units.versions.{version} must contain {{code}}");
            }
        }

        if (model.ReportingRates is not null)
        {
            // Receivers compute reporting rates from complete data set registrations; values of
            // invented elements are ignored or refused.
            throw new Aggregation.CatalogException($"{source}: reportingRates is no longer read: reports received go to the receiver as completeness (profile.completeness)");
        }

        return new ExportMapping(
            model.Receiver ?? "",
            ParseProfile(model.Profile, source),
            model.Units?.Pattern,
            model.Units?.Retired,
            model.Units?.Versions ?? [],
            model.Units?.Codes ?? [],
            model.DataElements ?? [],
            model.DataSets ?? []);
    }

    /// <summary>
    /// The unit's receiver code: the code given to its version (<c>05443@2021-2025</c>), else to its
    /// GSO code, else the retired pattern when a later unit took its code, else its version's
    /// pattern, else the pattern; null when none applies.
    /// </summary>
    public string? Unit(AdminUnit unit, bool codeTakenLater)
    {
        ArgumentNullException.ThrowIfNull(unit);
        if (Units.TryGetValue($"{unit.Code}@{unit.Version}", out var versioned))
        {
            return versioned;
        }

        if (Units.TryGetValue(unit.Code, out var mapped))
        {
            return mapped;
        }

        var pattern = codeTakenLater && RetiredPattern is not null ? RetiredPattern
            : VersionPatterns.TryGetValue(unit.Version, out var ofVersion) ? ofVersion
            : UnitPattern;
        return pattern?.Replace("{code}", unit.Code, StringComparison.Ordinal).Replace("{version}", unit.Version, StringComparison.Ordinal);
    }

    private static ReceiverProfile ParseProfile(ProfileModel? model, string source)
    {
        if (model is null)
        {
            return ReceiverProfile.Default;
        }

        var types = new Dictionary<string, PeriodType>(StringComparer.Ordinal);
        foreach (var (dataSet, text) in model.PeriodTypes ?? [])
        {
            if (!PeriodTypes.TryParse(text, out var type) || type == PeriodType.Plan)
            {
                throw new Aggregation.CatalogException($"{source}: profile.periodTypes.{dataSet}: '{text}' is not monthly, quarterly, sixMonthly or yearly");
            }

            types[dataSet] = type;
        }

        var scheme = (model.IdScheme ?? "CODE").Trim();
        if (!(scheme.ToUpperInvariant() is "CODE" or "UID" or "NAME" || scheme.StartsWith("ATTRIBUTE:", StringComparison.OrdinalIgnoreCase)))
        {
            throw new Aggregation.CatalogException($"{source}: profile.idScheme: '{scheme}' is not CODE, UID, NAME or ATTRIBUTE:<uid>");
        }

        var format = (model.Format ?? "adx").Trim().ToLowerInvariant() switch
        {
            "adx" => DeliveryFormat.Adx,
            "dhis2" => DeliveryFormat.Dhis2,
            var other => throw new Aggregation.CatalogException($"{source}: profile.format: '{other}' is not adx or dhis2"),
        };

        var level = string.IsNullOrWhiteSpace(model.OrgUnitLevel) ? ReceiverProfile.Lowest : model.OrgUnitLevel.Trim();
        var attribute = scheme.StartsWith("ATTRIBUTE:", StringComparison.OrdinalIgnoreCase) ? "ATTRIBUTE:" + scheme["ATTRIBUTE:".Length..] : scheme.ToUpperInvariant();
        return new ReceiverProfile(level, types, attribute, model.Completeness ?? true, format);
    }

    private sealed class FileModel
    {
        public string? Receiver { get; set; }

        public ProfileModel? Profile { get; set; }

        public UnitsModel? Units { get; set; }

        public Dictionary<string, string>? DataElements { get; set; }

        public Dictionary<string, string>? DataSets { get; set; }

        public JsonElement? ReportingRates { get; set; }
    }

    private sealed class ProfileModel
    {
        public string? Format { get; set; }

        public string? OrgUnitLevel { get; set; }

        public Dictionary<string, string>? PeriodTypes { get; set; }

        public string? IdScheme { get; set; }

        public bool? Completeness { get; set; }
    }

    private sealed class UnitsModel
    {
        public string? Pattern { get; set; }

        public string? Retired { get; set; }

        public Dictionary<string, string>? Versions { get; set; }

        [JsonPropertyName("codes")]
        public Dictionary<string, string>? Codes { get; set; }
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
