using System.Text;
using System.Text.Json;
using System.Xml;
using Aggregation.Hierarchy;
using Aggregation.Periods;
using Aggregation.Programmes;
using Aggregation.Server.Hosting;
using Aggregation.Server.Rollup;
using HistoryView = Aggregation.Protos.V1.HistoryView;

namespace Aggregation.Server.Export;

/// <summary>One unit's aggregated values of one data set for the exported period.</summary>
public sealed record ExportGroup(AdminUnit Unit, DataSet DataSet, IReadOnlyList<(DataElement Element, long Value)> Values, long Reported, long Expected, long OnTime);

/// <summary>What an export holds, before it is written in a receiver's format and codes.</summary>
public sealed record AggregateExport(Tenant Tenant, Programme Programme, Period Period, DateTimeOffset Exported, IReadOnlyList<ExportGroup> Groups)
{
    public int ValueCount => Groups.Sum(g => g.Values.Count);

    /// <summary>
    /// Codes the mapping lacks for this export: "unit 05443", "data element x", "data set y".
    /// An export with any is refused rather than sent with values silently dropped.
    /// </summary>
    public IReadOnlyList<string> MissingCodes(ExportMapping mapping)
    {
        ArgumentNullException.ThrowIfNull(mapping);
        var missing = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var group in Groups)
        {
            if (mapping.Unit(group.Unit.Code) is null)
            {
                missing.Add($"unit {group.Unit.Code}");
            }

            if (!mapping.DataSets.ContainsKey(group.DataSet.Id))
            {
                missing.Add($"data set {group.DataSet.Id}");
            }

            foreach (var (element, _) in group.Values)
            {
                if (!mapping.DataElements.ContainsKey(element.Id))
                {
                    missing.Add($"data element {element.Id}");
                }
            }
        }

        return [.. missing];
    }
}

/// <summary>Reads the figures an export needs from the units' grains (the same reads as GetRollup).</summary>
public sealed class ExportBuilder(RollupReads reads, ReportingClock clock)
{
    private const int Parallelism = 16;

    /// <summary>
    /// The unit (and, with <paramref name="subtree"/>, every unit below it), one group per data set
    /// that any unit in its area reported for the period, with its non-zero values. Each element is
    /// exported once per unit, under the first data set that carries it.
    /// </summary>
    public async Task<AggregateExport> BuildAsync(Tenant tenant, AdminUnit unit, Programme programme, Period period, bool subtree, CancellationToken cancellationToken, HistoryView view = HistoryView.AsHappened)
    {
        ArgumentNullException.ThrowIfNull(unit);
        ArgumentNullException.ThrowIfNull(programme);
        var units = new List<AdminUnit> { unit };
        if (subtree)
        {
            for (var i = 0; i < units.Count; i++)
            {
                units.AddRange(reads.ChildrenOf(units[i], programme, [period], view));
            }
        }

        var rollups = new Protos.V1.UnitRollup[units.Count];
        await Parallel.ForEachAsync(Enumerable.Range(0, units.Count), new ParallelOptions { MaxDegreeOfParallelism = Parallelism, CancellationToken = cancellationToken }, async (i, _) =>
            rollups[i] = (await reads.ReadAsync(units[i], programme, [period], view))[0]);

        var groups = new List<ExportGroup>();
        for (var i = 0; i < units.Count; i++)
        {
            // Zeros are not sent: a receiver reads a missing value of a reported data set as zero
            // (DHIS2's default for aggregate elements), and a unit's figures cannot tell a
            // reported zero from an element nobody below it reported.
            var values = rollups[i].Values.Where(v => v.HasValue && v.Value != 0).ToDictionary(v => v.DataElement, v => v.Value);
            var exported = new HashSet<string>(StringComparer.Ordinal);
            foreach (var completeness in rollups[i].Completeness.Where(c => c.Reported > 0))
            {
                var dataSet = programme.DataSets.First(d => d.Id == completeness.DataSet);
                var groupValues = dataSet.Elements.Where(e => values.ContainsKey(e.Id) && exported.Add(e.Id)).Select(e => (e, values[e.Id])).ToList();
                groups.Add(new ExportGroup(units[i], dataSet, groupValues, completeness.Reported, completeness.Expected, completeness.OnTime));
            }
        }

        return new AggregateExport(tenant, programme, period, clock.Now, groups);
    }
}

/// <summary>IHE Aggregate Data Exchange (ADX) XML: <c>&lt;adx&gt;</c> of <c>&lt;group orgUnit period dataSet&gt;</c> of <c>&lt;dataValue dataElement value&gt;</c>.</summary>
public static class AdxWriter
{
    public const string Namespace = "urn:ihe:qrph:adx:2015";
    public const string ContentType = "application/adx+xml";

    /// <summary>ISO 8601 start and duration, as ADX writes periods: 2025-01-01/P6M, 2025-01-01/P1Y.</summary>
    public static string PeriodOf(Period period) => period.Type switch
    {
        PeriodType.Yearly => $"{period.Start:yyyy-MM-dd}/P1Y",
        PeriodType.Plan => $"{period.Start:yyyy-MM-dd}/P{period.LengthInMonths / 12}Y",
        _ => $"{period.Start:yyyy-MM-dd}/P{period.LengthInMonths}M",
    };

    /// <summary>A group's values in receiver codes: the data elements, then (when the mapping names them) its reporting rates.</summary>
    public static IEnumerable<(string Code, long Value)> Values(ExportGroup group, ExportMapping mapping)
    {
        ArgumentNullException.ThrowIfNull(group);
        ArgumentNullException.ThrowIfNull(mapping);
        var values = group.Values.Select(v => (mapping.DataElements[v.Element.Id], v.Value));
        return mapping.ReportingRates is { } rates
            ? values.Concat(rates.Values(mapping.DataSets[group.DataSet.Id], group.Expected, group.Reported, group.OnTime))
            : values;
    }

    public static byte[] Write(AggregateExport export, ExportMapping mapping)
    {
        ArgumentNullException.ThrowIfNull(export);
        ArgumentNullException.ThrowIfNull(mapping);
        using var buffer = new MemoryStream();
        using (var xml = XmlWriter.Create(buffer, new XmlWriterSettings { Encoding = new UTF8Encoding(false), Indent = true }))
        {
            xml.WriteStartElement("adx", Namespace);
            xml.WriteAttributeString("exported", XmlConvert.ToString(export.Exported));
            var period = PeriodOf(export.Period);
            foreach (var group in export.Groups)
            {
                var values = Values(group, mapping).ToList();
                if (values.Count == 0)
                {
                    continue;
                }

                xml.WriteStartElement("group", Namespace);
                xml.WriteAttributeString("orgUnit", mapping.Unit(group.Unit.Code));
                xml.WriteAttributeString("period", period);
                xml.WriteAttributeString("dataSet", mapping.DataSets[group.DataSet.Id]);
                foreach (var (code, value) in values)
                {
                    xml.WriteStartElement("dataValue", Namespace);
                    xml.WriteAttributeString("dataElement", code);
                    xml.WriteAttributeString("value", XmlConvert.ToString(value));
                    xml.WriteEndElement();
                }

                xml.WriteEndElement();
            }

            xml.WriteEndElement();
        }

        return buffer.ToArray();
    }
}

/// <summary>DHIS2 dataValueSets JSON (the body of <c>POST /api/dataValueSets</c>).</summary>
public static class Dhis2Writer
{
    public const string ContentType = "application/json";

    /// <summary>DHIS2's period id (202503, 2025Q1, 2025S1, 2025), or null: DHIS2 has no period type for a multi-year span.</summary>
    public static string? PeriodOf(Period period) => period.Type switch
    {
        PeriodType.Monthly => $"{period.Year}{period.Number:D2}",
        PeriodType.Quarterly => $"{period.Year}Q{period.Number}",
        PeriodType.SixMonthly => $"{period.Year}S{period.Number}",
        PeriodType.Yearly => $"{period.Year}",
        _ => null,
    };

    public static byte[] Write(AggregateExport export, ExportMapping mapping)
    {
        ArgumentNullException.ThrowIfNull(export);
        ArgumentNullException.ThrowIfNull(mapping);
        var period = PeriodOf(export.Period) ?? throw new ArgumentException($"DHIS2 has no period for {export.Period}.", nameof(export));
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartObject();
            json.WriteString("exported", export.Exported);
            json.WriteStartArray("dataValues");
            foreach (var group in export.Groups)
            {
                var orgUnit = mapping.Unit(group.Unit.Code);
                foreach (var (code, value) in AdxWriter.Values(group, mapping))
                {
                    json.WriteStartObject();
                    json.WriteString("dataElement", code);
                    json.WriteString("period", period);
                    json.WriteString("orgUnit", orgUnit);
                    json.WriteString("value", value.ToString(System.Globalization.CultureInfo.InvariantCulture));
                    json.WriteEndObject();
                }
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }

        return buffer.ToArray();
    }
}
