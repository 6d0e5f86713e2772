using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Aggregation.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;

namespace Aggregation.IntegrationTests;

/// <summary>A conflict of a DHIS2 import summary (2.40 <c>ImportConflict</c>).</summary>
public sealed record Dhis2Conflict(string? Object, IReadOnlyDictionary<string, string> Objects, string Value, string? ErrorCode, string? Property, IReadOnlyList<int> Indexes);

/// <summary>A DHIS2 2.40 import summary and the web message that carries it.</summary>
public sealed record Dhis2ImportSummary(string Status, string Description, int Imported, int Updated, int Ignored, int Deleted, IReadOnlyList<Dhis2Conflict> Conflicts)
{
    /// <summary>200 on SUCCESS, 409 on WARNING or ERROR (<c>WebMessageUtils.importSummary</c>).</summary>
    public int HttpStatusCode => Status == "SUCCESS" ? 200 : 409;

    /// <summary>The body DHIS2 2.38+ answers: a WebMessage whose <c>response</c> is the import summary.</summary>
    public string ToWebMessageJson()
    {
        var (httpStatus, status, message) = Status switch
        {
            "SUCCESS" => ("OK", "OK", "Import was successful."),
            "WARNING" => ("Conflict", "WARNING", "One more conflicts encountered, please check import summary."),
            _ => ("Conflict", "ERROR", "An error occurred, please check import summary."),
        };
        var conflicts = new JsonArray();
        foreach (var c in Conflicts)
        {
            var conflict = new JsonObject();
            if (c.Object is not null)
            {
                conflict["object"] = c.Object;
            }

            if (c.Objects.Count > 0)
            {
                conflict["objects"] = new JsonObject(c.Objects.Select(o => KeyValuePair.Create(o.Key, (JsonNode?)o.Value)));
            }

            conflict["value"] = c.Value;
            if (c.ErrorCode is not null)
            {
                conflict["errorCode"] = c.ErrorCode;
            }

            if (c.Property is not null)
            {
                conflict["property"] = c.Property;
            }

            if (c.Indexes.Count > 0)
            {
                conflict["indexes"] = new JsonArray([.. c.Indexes.Select(i => (JsonNode?)i)]);
            }

            conflicts.Add(conflict);
        }

        var response = new JsonObject
        {
            ["responseType"] = "ImportSummary",
            ["status"] = Status,
            ["description"] = Description,
            ["importCount"] = new JsonObject { ["imported"] = Imported, ["updated"] = Updated, ["ignored"] = Ignored, ["deleted"] = Deleted },
            ["conflicts"] = conflicts,
            ["rejectedIndexes"] = new JsonArray([.. Conflicts.SelectMany(c => c.Indexes).Distinct().Order().Select(i => (JsonNode?)i)]),
            ["dataSetComplete"] = "false",
        };
        return new JsonObject
        {
            ["httpStatus"] = httpStatus,
            ["httpStatusCode"] = HttpStatusCode,
            ["status"] = status,
            ["message"] = message,
            ["response"] = response,
        }.ToJsonString();
    }
}

/// <summary>
/// A stand-in for a national DHIS2 (2.40–2.42) receiving aggregate data: it applies the import rules
/// that can be checked without a DHIS2 (see the notes on DHIS2 import rules): identifiers resolved by
/// the id scheme the payload declares (no scheme or UID: nothing is found, as it holds codes only),
/// ISO periods of the period type of a data set holding the element (strictPeriods), org units that
/// exist and are assigned a data set holding the element (strictOrganisationUnits), values of the
/// element's value type (integers, booleans normalised as DHIS2 does), insignificant zeros not stored,
/// and completeness registrations read with <c>organisationUnit</c>. It answers as 2.40 does: a
/// WebMessage with an ImportSummary, 200 on SUCCESS, 409 on WARNING or ERROR.
/// Its metadata comes from the shipped catalog: the tenant's mapping (codes, unit patterns, period
/// types), the programme (data sets with level and period type, data elements with type) and the
/// GSO unit files. Data sets are assigned to every unit of their level, or, when the receiver holds
/// a named level (<c>province</c>), every data set reported at or below it to the units of that level.
/// </summary>
public sealed class Dhis2Receiver : IAsyncDisposable
{
    private static readonly Regex IntegerZeroOrPositive = new(@"(^0$)|(^[1-9]\d*$)", RegexOptions.CultureInvariant);
    private static readonly Regex InsignificantZero = new(@"^0(\.0*)?$", RegexOptions.CultureInvariant);
    private static readonly string[] Strategies = ["CREATE", "UPDATE", "CREATE_AND_UPDATE", "DELETE", "SYNC", "NEW_AND_UPDATES", "NEW", "UPDATES", "DELETES"];
    private static readonly string[] Levels = ["province", "district", "commune"];

    private readonly Dictionary<string, ElementMeta> _elements = new(StringComparer.Ordinal);
    private readonly Dictionary<string, DataSetMeta> _dataSets = new(StringComparer.Ordinal);
    private readonly Dictionary<string, UnitMeta> _units = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();
    private WebApplication? _app;

    private readonly int _port = LoopbackPorts.Take();

    private Dhis2Receiver()
    {
        DataValueSetsUrl = new Uri($"http://127.0.0.1:{_port}/api/dataValueSets");
        RegistrationsUrl = new Uri($"http://127.0.0.1:{_port}/api/completeDataSetRegistrations");
    }

    /// <summary>A value as stored: the element, ISO period and org unit codes.</summary>
    public readonly record struct Key(string DataElement, string Period, string OrgUnit);

    /// <summary>The value type of each data element, by code: INTEGER_ZERO_OR_POSITIVE or BOOLEAN.</summary>
    public IReadOnlyDictionary<string, string> ValueTypes => _elements.ToDictionary(e => e.Key, e => e.Value.ValueType, StringComparer.Ordinal);

    /// <summary>Values held, keyed by (data element, period, org unit).</summary>
    public ConcurrentDictionary<Key, string> Values { get; } = new();

    /// <summary>Complete registrations held: (data set, period, org unit) → date.</summary>
    public ConcurrentDictionary<(string DataSet, string Period, string OrgUnit), string> Registrations { get; } = new();

    /// <summary>Boolean values that were accepted only after DHIS2's normalisation (1, 0, t, f, TRUE…): raw text by key.</summary>
    public ConcurrentDictionary<Key, string> NormalisedBooleans { get; } = new();

    /// <summary>Where data value sets go when started: <c>…/api/dataValueSets</c>.</summary>
    public Uri DataValueSetsUrl { get; }

    /// <summary>Where registrations go when started: <c>…/api/completeDataSetRegistrations</c>.</summary>
    public Uri RegistrationsUrl { get; }

    /// <summary>Requests answered over HTTP, with their status code.</summary>
    public ConcurrentQueue<(string Path, int Status, string Body)> Answers { get; } = new();

    /// <summary>The receiver of the tenant's mapping in <paramref name="catalogDirectory"/>, holding data at <paramref name="orgUnitLevel"/> (null: the mapping's profile).</summary>
    public static Dhis2Receiver FromCatalog(string catalogDirectory, string tenant = "thai-nguyen", string? orgUnitLevel = null)
    {
        var options = new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true };
        using var mapping = JsonDocument.Parse(File.ReadAllText(Path.Combine(catalogDirectory, "mappings", tenant + ".json")), options);
        var root = mapping.RootElement;
        var profile = root.TryGetProperty("profile", out var p) ? p : default;
        var level = orgUnitLevel is { Length: > 0 } ? orgUnitLevel
            : profile.ValueKind == JsonValueKind.Object && profile.TryGetProperty("orgUnitLevel", out var l) && l.GetString() is { Length: > 0 } lv ? lv : "lowest";
        var periodTypes = profile.ValueKind == JsonValueKind.Object && profile.TryGetProperty("periodTypes", out var pt)
            ? pt.EnumerateObject().ToDictionary(x => x.Name, x => x.Value.GetString()!, StringComparer.Ordinal)
            : [];
        var elementCodes = root.GetProperty("dataElements").EnumerateObject().ToDictionary(x => x.Name, x => x.Value.GetString()!, StringComparer.Ordinal);
        var dataSetCodes = root.GetProperty("dataSets").EnumerateObject().ToDictionary(x => x.Name, x => x.Value.GetString()!, StringComparer.Ordinal);
        var units = root.GetProperty("units");
        var pattern = units.TryGetProperty("pattern", out var pat) ? pat.GetString() : null;
        var versions = units.TryGetProperty("versions", out var ver) ? ver.EnumerateObject().ToDictionary(x => x.Name, x => x.Value.GetString()!, StringComparer.Ordinal) : [];
        var unitCodes = units.TryGetProperty("codes", out var uc) ? uc.EnumerateObject().ToDictionary(x => x.Name, x => x.Value.GetString()!, StringComparer.Ordinal) : [];

        var receiver = new Dhis2Receiver();
        var elementTypes = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var file in Directory.EnumerateFiles(Path.Combine(catalogDirectory, "programmes"), "*.json"))
        {
            using var programme = JsonDocument.Parse(File.ReadAllText(file), options);
            foreach (var element in programme.RootElement.GetProperty("dataElements").EnumerateArray())
            {
                elementTypes[element.GetProperty("id").GetString()!] = element.GetProperty("type").GetString()!;
            }

            foreach (var dataSet in programme.RootElement.GetProperty("dataSets").EnumerateArray())
            {
                var id = dataSet.GetProperty("id").GetString()!;
                if (!dataSetCodes.TryGetValue(id, out var code))
                {
                    continue;
                }

                var type = PeriodTypeName(periodTypes.TryGetValue(id, out var sent) ? sent : dataSet.GetProperty("periodType").GetString()!);
                var ownLevel = dataSet.GetProperty("level").GetString()!;
                var assignedLevel = level == "lowest" || Array.IndexOf(Levels, ownLevel) < Array.IndexOf(Levels, level) ? ownLevel : level;
                var elements = dataSet.GetProperty("elements").EnumerateArray().Select(e => e.GetString()!)
                    .Where(elementCodes.ContainsKey).Select(e => elementCodes[e]).ToHashSet(StringComparer.Ordinal);
                receiver._dataSets[code] = new DataSetMeta(code, type, assignedLevel, elements);
            }
        }

        foreach (var (id, code) in elementCodes)
        {
            var type = elementTypes.TryGetValue(id, out var t) ? t : "count";
            var holding = receiver._dataSets.Values.Where(d => d.Elements.Contains(code)).ToList();
            receiver._elements[code] = new ElementMeta(
                code,
                type == "flag" ? "BOOLEAN" : "INTEGER_ZERO_OR_POSITIVE",
                holding.Select(d => d.PeriodType).ToHashSet(StringComparer.Ordinal),
                holding.Select(d => d.Level).ToHashSet(StringComparer.Ordinal),
                holding.Select(d => d.Code).ToList());
        }

        var retired = units.TryGetProperty("retired", out var ret) ? ret.GetString() : null;
        var files = Directory.EnumerateFiles(catalogDirectory, "units-*.csv").Order(StringComparer.Ordinal).ToList();

        // (code, name, level) of each file's units: a later file listing a code under another name
        // took that code from the unit of the earlier file (a province that carried on keeps its name).
        var rows = files.ToDictionary(f => f, f => File.ReadLines(f).Skip(1).Select(l => l.Split(',')).Where(x => x.Length >= 4).ToDictionary(x => x[0], x => (Name: x[1], Level: x[2]), StringComparer.Ordinal));
        foreach (var file in files)
        {
            var version = Path.GetFileNameWithoutExtension(file)["units-".Length..];
            var unitPattern = versions.TryGetValue(version, out var vp) ? vp : pattern;
            var later = files.SkipWhile(f => f != file).Skip(1).Select(f => rows[f]).ToList();
            bool TakenLater(string gso) => later.Any(l => l.TryGetValue(gso, out var other) && other != rows[file][gso]);
            string? Code(string gso) => gso.Length == 0 ? null
                : unitCodes.TryGetValue($"{gso}@{version}", out var v) ? v
                : unitCodes.TryGetValue(gso, out var m) ? m
                : (retired is not null && rows[file].ContainsKey(gso) && TakenLater(gso) ? retired : unitPattern)?.Replace("{code}", gso, StringComparison.Ordinal).Replace("{version}", version, StringComparison.Ordinal);
            foreach (var line in File.ReadLines(file).Skip(1))
            {
                var fields = line.Split(',');
                if (fields.Length < 4 || Code(fields[0]) is not { } code)
                {
                    continue;
                }

                receiver._units[code] = new UnitMeta(code, fields[2], Code(fields[3]));
            }
        }

        return receiver;
    }

    /// <summary>The codes of the ancestors of an org unit, nearest first.</summary>
    public IReadOnlyList<string> AncestorsOf(string orgUnit)
    {
        var list = new List<string>();
        for (var at = _units.GetValueOrDefault(orgUnit)?.Parent; at is not null && list.Count < 10; at = _units.GetValueOrDefault(at)?.Parent)
        {
            list.Add(at);
        }

        return list;
    }

    /// <summary>The sum of every stored integer value of an element whose period lies within [from, to] (inclusive, any org unit).</summary>
    public long Sum(string dataElement, DateOnly from, DateOnly to, Func<string, bool>? orgUnit = null) =>
        Values.Where(v => v.Key.DataElement == dataElement && (orgUnit is null || orgUnit(v.Key.OrgUnit)) && TryParsePeriod(v.Key.Period, out _, out var s, out var e) && s >= from && e <= to)
            .Sum(v => long.Parse(v.Value, CultureInfo.InvariantCulture));

    /// <summary>POST /api/dataValueSets with a JSON body and no URL parameters.</summary>
    public Dhis2ImportSummary Import(byte[] json)
    {
        ArgumentNullException.ThrowIfNull(json);
        lock (_gate)
        {
            try
            {
                return ImportCore(json);
            }
            catch (Exception ex) when (ex is JsonException or FormatException or InvalidOperationException or ArgumentException)
            {
                return new Dhis2ImportSummary("ERROR", "The import process failed: " + ex.Message, 0, 0, 0, 0, []);
            }
        }
    }

    /// <summary>POST /api/completeDataSetRegistrations with a JSON body and no URL parameters.</summary>
    public Dhis2ImportSummary Register(byte[] json)
    {
        ArgumentNullException.ThrowIfNull(json);
        lock (_gate)
        {
            try
            {
                return RegisterCore(json);
            }
            catch (Exception ex) when (ex is JsonException or FormatException or InvalidOperationException or ArgumentException)
            {
                return new Dhis2ImportSummary("ERROR", "The import process failed: " + ex.Message, 0, 0, 0, 0, []);
            }
        }
    }

    /// <summary>Serves <c>/api/dataValueSets</c> and <c>/api/completeDataSetRegistrations</c> on a loopback port.</summary>
    public async Task StartAsync()
    {
        var port = _port;
        var builder = WebApplication.CreateSlimBuilder();
        builder.Configuration.Sources.Clear();
        builder.Configuration.AddInMemoryCollection();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        _app = builder.Build();
        _app.MapPost("/api/dataValueSets", (Delegate)((HttpContext http) => AnswerAsync(http, Import)));
        _app.MapPost("/api/completeDataSetRegistrations", (Delegate)((HttpContext http) => AnswerAsync(http, Register)));
        await _app.StartAsync();
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
    }

    private async Task<IResult> AnswerAsync(HttpContext http, Func<byte[], Dhis2ImportSummary> handle)
    {
        using var body = new MemoryStream();
        await http.Request.Body.CopyToAsync(body);
        var summary = http.Request.ContentType?.StartsWith("application/json", StringComparison.OrdinalIgnoreCase) == true
            ? handle(body.ToArray())
            : new Dhis2ImportSummary("ERROR", $"The import process failed: Content type '{http.Request.ContentType}' not supported", 0, 0, 0, 0, []);
        var text = summary.ToWebMessageJson();
        Answers.Enqueue((http.Request.Path.Value ?? "", summary.HttpStatusCode, text));
        return Results.Text(text, "application/json", Encoding.UTF8, summary.HttpStatusCode);
    }

    private Dhis2ImportSummary ImportCore(byte[] json)
    {
        var root = JsonNode.Parse(json) as JsonObject ?? throw new JsonException("Expected a JSON object");
        string? Header(string name) => root[name] is JsonValue v && v.TryGetValue<string>(out var s) && s.Length > 0 ? s : null;

        // Payload-specific scheme, else the payload's general idScheme, else UID (no URL parameters).
        var general = Header("idScheme");
        var elementScheme = Scheme(Header("dataElementIdScheme") ?? general);
        var unitScheme = Scheme(Header("orgUnitIdScheme") ?? general);
        var dataSetScheme = Scheme(Header("dataSetIdScheme") ?? general);
        var strategy = Header("strategy") ?? "CREATE_AND_UPDATE";
        if (!Strategies.Contains(strategy, StringComparer.Ordinal))
        {
            throw new ArgumentException($"No enum constant org.hisp.dhis.importexport.ImportStrategy.{strategy}");
        }

        var conflicts = new List<Dhis2Conflict>();
        DataSetMeta? headerDataSet = null;
        if (Header("dataSet") is { } ds)
        {
            headerDataSet = dataSetScheme == "CODE" ? _dataSets.GetValueOrDefault(ds) : null;
            if (headerDataSet is null)
            {
                return Aborted("E7600", $"Data set not found or not accessible: `{ds}`", "dataSet", ds);
            }
        }

        var headerOrgUnit = Header("orgUnit");
        if (headerOrgUnit is not null && (unitScheme != "CODE" || !_units.ContainsKey(headerOrgUnit)))
        {
            return Aborted("E7603", $"Org unit not found or not accessible: `{headerOrgUnit}`", "orgUnit", headerOrgUnit);
        }

        var headerPeriod = Header("period");
        var imported = 0;
        var updated = 0;
        var ignored = 0;
        var deleted = 0;
        var values = root["dataValues"] as JsonArray ?? [];
        for (var index = 0; index < values.Count; index++)
        {
            var value = values[index] as JsonObject ?? [];
            string? Field(string name) => value[name] is JsonValue v && v.TryGetValue<string>(out var s) && s.Length > 0 ? s : null;
            var elementId = Field("dataElement");
            var periodId = headerPeriod ?? Field("period");
            var unitId = headerOrgUnit ?? Field("orgUnit");
            var raw = Field("value");
            var conflict = Validate(index, elementScheme, unitScheme, headerDataSet, elementId, periodId, unitId, raw, out var element);
            if (conflict is not null)
            {
                Add(conflicts, conflict);
                ignored++;
                continue;
            }

            var text = element!.ValueType == "BOOLEAN" ? NormaliseBoolean(raw!)! : raw!;
            var key = new Key(element.Code, periodId!, unitId!);
            var exists = Values.TryGetValue(key, out var old);
            if (element.ValueType != "BOOLEAN" && InsignificantZero.IsMatch(text))
            {
                // DHIS2 stores no insignificant zero: a new one is skipped (counted nowhere), an existing value is deleted.
                if (exists && strategy != "CREATE" && Values.TryRemove(key, out _))
                {
                    deleted++;
                }

                continue;
            }

            if (element.ValueType == "BOOLEAN" && raw != text)
            {
                NormalisedBooleans[key] = raw!;
            }

            if (!exists)
            {
                if (strategy is "UPDATE" or "UPDATES" or "DELETE" or "DELETES")
                {
                    ignored++;
                    continue;
                }

                Values[key] = text;
                imported++;
            }
            else if (strategy is "CREATE" or "NEW")
            {
                ignored++;
            }
            else if (old == text)
            {
                // An unchanged value on update counts ignored.
                ignored++;
            }
            else
            {
                Values[key] = text;
                updated++;
            }
        }

        var status = conflicts.Count == 0 ? "SUCCESS" : "WARNING";
        return new Dhis2ImportSummary(status, "Import process completed successfully", imported, updated, ignored, deleted, conflicts);
    }

    private Dhis2Conflict? Validate(int index, string elementScheme, string unitScheme, DataSetMeta? headerDataSet, string? elementId, string? periodId, string? unitId, string? raw, out ElementMeta? element)
    {
        element = elementId is not null && elementScheme == "CODE" ? _elements.GetValueOrDefault(elementId) : null;
        if (element is null)
        {
            return Conflict(index, "E7610", $"Data element not found or not accessible: `{elementId}`", "dataElement", ("dataElement", elementId ?? ""));
        }

        if (periodId is null || !TryParsePeriod(periodId, out var periodType, out _, out _))
        {
            return Conflict(index, "E7611", $"Period not valid: `{periodId}`", "period", ("period", periodId ?? ""));
        }

        var unit = unitId is not null && unitScheme == "CODE" ? _units.GetValueOrDefault(unitId) : null;
        if (unit is null)
        {
            return Conflict(index, "E7612", $"Organisation unit not found or not accessible: `{unitId}`", "orgUnit", ("organisationUnit", unitId ?? ""));
        }

        if (raw is null)
        {
            return Conflict(index, "E7618", $"Data value or comment not specified for data element: `{element.Code}`", "value", ("dataElement", element.Code));
        }

        var typeError = element.ValueType == "BOOLEAN"
            ? NormaliseBoolean(raw) is null ? "Data value is not a boolean" : null
            : raw.Length > 50000 ? "Data value is longer than the maximum length" : IntegerZeroOrPositive.IsMatch(raw) ? null : "Data value is not a positive integer or zero";
        if (typeError is not null)
        {
            return new Dhis2Conflict(element.Code, new Dictionary<string, string> { ["dataElement"] = element.Code, ["value"] = typeError }, $"Value must match value type of data element `{element.Code}`: `{typeError}`", "E7619", "value", [index]);
        }

        if (!element.PeriodTypes.Contains(periodType))
        {
            return Conflict(index, "E7632", $"Period type of period: `{periodId}` not valid for data element: `{element.Code}`", "period", ("period", periodId), ("dataElement", element.Code));
        }

        if (headerDataSet is not null ? !headerDataSet.Elements.Contains(element.Code) : element.DataSets.Count == 0)
        {
            return Conflict(index, "E7633", $"Data element: `{element.Code}` is not part of dataset(s): `{headerDataSet?.Code}`", "dataElement", ("dataElement", element.Code));
        }

        if (!element.Levels.Contains(unit.Level))
        {
            return Conflict(index, "E7636", $"Data element: `{element.Code}` must be assigned through data sets to organisation unit: `{unit.Code}`", "dataElement", ("organisationUnit", unit.Code), ("dataElement", element.Code));
        }

        return null;
    }

    private Dhis2ImportSummary RegisterCore(byte[] json)
    {
        var root = JsonNode.Parse(json) as JsonObject ?? throw new JsonException("Expected a JSON object");
        string? Header(string name) => root[name] is JsonValue v && v.TryGetValue<string>(out var s) && s.Length > 0 ? s : null;
        var general = Header("idScheme");
        var dataSetScheme = Scheme(Header("dataSetIdScheme") ?? general);
        var unitScheme = Scheme(Header("orgUnitIdScheme") ?? general);
        var conflicts = new List<Dhis2Conflict>();
        var imported = 0;
        var updated = 0;
        var registrations = root["completeDataSetRegistrations"] as JsonArray ?? [];
        for (var index = 0; index < registrations.Count; index++)
        {
            var item = registrations[index] as JsonObject ?? [];
            string? Field(string name) => item[name] is JsonValue v && v.TryGetValue<string>(out var s) && s.Length > 0 ? s : null;
            var dataSetId = Field("dataSet");
            var periodId = Field("period");
            var unitId = Field("organisationUnit");
            var dataSet = dataSetId is not null && dataSetScheme == "CODE" ? _dataSets.GetValueOrDefault(dataSetId) : null;
            var unit = unitId is not null && unitScheme == "CODE" ? _units.GetValueOrDefault(unitId) : null;
            string? problem =
                dataSet is null ? "Data set not found or not accessible"
                : periodId is null || !TryParsePeriod(periodId, out var type, out _, out _) ? "Period not valid"
                : unit is null ? "Organisation unit not found or not accessible"
                : type != dataSet.PeriodType ? $"Period type of period: {periodId} is not equal to the period type of data set: {dataSet.Code}"
                : unit.Level != dataSet.Level ? $"Data set {dataSet.Code} is not assigned to organisation unit {unit.Code}"
                : null;
            if (problem is not null)
            {
                conflicts.Add(new Dhis2Conflict(dataSetId ?? unitId ?? periodId ?? "", new Dictionary<string, string>(), problem, null, null, [index]));
                continue;
            }

            var key = (dataSet!.Code, periodId!, unit!.Code);
            var date = Field("date") ?? DateTime.UtcNow.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
            if (Registrations.ContainsKey(key))
            {
                updated++;
            }
            else
            {
                imported++;
            }

            Registrations[key] = date;
        }

        var ignores = registrations.Count - imported - updated;
        return new Dhis2ImportSummary(registrations.Count == ignores ? "ERROR" : "SUCCESS", "Import process complete.", imported, updated, ignores, 0, conflicts);
    }

    private static Dhis2ImportSummary Aborted(string code, string message, string property, string id) =>
        new("ERROR", "Import process was aborted", 0, 0, 0, 0, [new Dhis2Conflict(id, new Dictionary<string, string> { [property] = id }, message, code, property, [])]);

    private static Dhis2Conflict Conflict(int index, string code, string message, string property, params (string Key, string Value)[] objects) =>
        new(objects[0].Value, objects.ToDictionary(o => o.Key, o => o.Value, StringComparer.Ordinal), message, code, property, [index]);

    /// <summary>Conflicts with the same code and objects are merged, their indexes joined.</summary>
    private static void Add(List<Dhis2Conflict> conflicts, Dhis2Conflict conflict)
    {
        var at = conflicts.FindIndex(c => c.ErrorCode == conflict.ErrorCode && c.Objects.Count == conflict.Objects.Count && !c.Objects.Except(conflict.Objects).Any());
        if (at < 0)
        {
            conflicts.Add(conflict);
        }
        else
        {
            conflicts[at] = conflicts[at] with { Indexes = [.. conflicts[at].Indexes, .. conflict.Indexes] };
        }
    }

    /// <summary>DHIS2's <c>IdScheme.from</c>: UID when absent; ID maps to UID; an unknown name fails the import.</summary>
    private static string Scheme(string? text)
    {
        if (text is null)
        {
            return "UID";
        }

        if (text.StartsWith("ATTRIBUTE:", StringComparison.OrdinalIgnoreCase) && text.Length == 21)
        {
            return "ATTRIBUTE";
        }

        return text.ToUpperInvariant() switch
        {
            "ID" or "UID" => "UID",
            "UUID" or "NAME" or "CODE" => text.ToUpperInvariant(),
            _ => throw new ArgumentException($"No enum constant org.hisp.dhis.common.IdentifiableProperty.{text.ToUpperInvariant()}"),
        };
    }

    /// <summary>DHIS2's <c>normalizeBoolean</c>: true/True/TRUE/t/T/1 and their false forms, else null.</summary>
    private static string? NormaliseBoolean(string raw) => raw switch
    {
        "true" or "True" or "TRUE" or "t" or "T" or "1" => "true",
        "false" or "False" or "FALSE" or "f" or "F" or "0" => "false",
        _ => null,
    };

    private static string PeriodTypeName(string catalogType) => catalogType switch
    {
        "monthly" => "Monthly",
        "quarterly" => "Quarterly",
        "sixMonthly" => "SixMonthly",
        "yearly" => "Yearly",
        _ => catalogType,
    };

    /// <summary>ISO periods DHIS2 parses: 202501, 2025Q1, 2025S1, 2025.</summary>
    public static bool TryParsePeriod(string id, out string type, out DateOnly start, out DateOnly end)
    {
        ArgumentNullException.ThrowIfNull(id);
        type = "";
        start = end = default;
        Match m;
        if ((m = Regex.Match(id, @"^(\d{4})(0[1-9]|1[0-2])$", RegexOptions.CultureInvariant)).Success)
        {
            type = "Monthly";
            start = new DateOnly(int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture), int.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture), 1);
            end = start.AddMonths(1).AddDays(-1);
        }
        else if ((m = Regex.Match(id, @"^(\d{4})Q([1-4])$", RegexOptions.CultureInvariant)).Success)
        {
            type = "Quarterly";
            start = new DateOnly(int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture), (3 * int.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture)) - 2, 1);
            end = start.AddMonths(3).AddDays(-1);
        }
        else if ((m = Regex.Match(id, @"^(\d{4})S([12])$", RegexOptions.CultureInvariant)).Success)
        {
            type = "SixMonthly";
            start = new DateOnly(int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture), (6 * int.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture)) - 5, 1);
            end = start.AddMonths(6).AddDays(-1);
        }
        else if ((m = Regex.Match(id, @"^(\d{4})$", RegexOptions.CultureInvariant)).Success)
        {
            type = "Yearly";
            start = new DateOnly(int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture), 1, 1);
            end = start.AddYears(1).AddDays(-1);
        }
        else
        {
            return false;
        }

        return true;
    }

    private sealed record ElementMeta(string Code, string ValueType, HashSet<string> PeriodTypes, HashSet<string> Levels, List<string> DataSets);

    private sealed record DataSetMeta(string Code, string PeriodType, string Level, HashSet<string> Elements);

    private sealed record UnitMeta(string Code, string Level, string? Parent);
}
