using System.Text;
using System.Xml;
using Aggregation.Periods;
using Aggregation.Programmes;

namespace Aggregation.Server.Export;

/// <summary>
/// IHE Aggregate Data Exchange (ADX) XML, valid against the profile's <c>adx_loose.xsd</c>:
/// <c>&lt;adx&gt;</c> of one <c>&lt;group orgUnit period dataSet [completeDate]&gt;</c> per unit,
/// period and data set, each of <c>&lt;dataValue dataElement value&gt;</c>.
/// </summary>
public static class AdxWriter
{
    public const string Namespace = "urn:ihe:qrph:adx:2015";
    public const string ContentType = "application/adx+xml";

    /// <summary>ISO 8601 start and duration, as ADX writes periods: 2025-03-01/P1M, 2025-01-01/P6M, 2025-01-01/P1Y.</summary>
    public static string PeriodOf(Period period) => period.Type switch
    {
        PeriodType.Yearly => $"{period.Start:yyyy-MM-dd}/P1Y",
        PeriodType.Plan => $"{period.Start:yyyy-MM-dd}/P{period.LengthInMonths / 12}Y",
        _ => $"{period.Start:yyyy-MM-dd}/P{period.LengthInMonths}M",
    };

    /// <summary>A value as the <c>value</c> attribute carries it (the schema types it xs:decimal): yes/no as 1/0.</summary>
    public static string ValueOf(ExportValue value)
    {
        ArgumentNullException.ThrowIfNull(value);
        return XmlConvert.ToString(value.Value);
    }

    /// <summary>
    /// The annotation of a non-numeric value: a yes/no element's true or false. A DHIS2 reads the
    /// value of a BOOLEAN data element from the annotation's text and refuses one without it.
    /// </summary>
    public static string? AnnotationOf(ExportValue value)
    {
        ArgumentNullException.ThrowIfNull(value);
        return value.Element.Type == ElementType.Flag ? (value.Value != 0 ? "true" : "false") : null;
    }

    /// <summary>The document, or null when no group has a value (the schema requires at least one group).</summary>
    public static byte[]? Write(AggregateExport export, ExportMapping mapping)
    {
        ArgumentNullException.ThrowIfNull(export);
        ArgumentNullException.ThrowIfNull(mapping);
        var groups = export.WithValues.ToList();
        if (groups.Count == 0)
        {
            return null;
        }

        using var buffer = new MemoryStream();
        using (var xml = XmlWriter.Create(buffer, new XmlWriterSettings { Encoding = new UTF8Encoding(false), Indent = true }))
        {
            xml.WriteStartElement("adx", Namespace);
            xml.WriteAttributeString("exported", XmlConvert.ToString(export.Exported));
            foreach (var group in groups)
            {
                xml.WriteStartElement("group", Namespace);
                xml.WriteAttributeString("orgUnit", group.UnitCode(mapping));
                xml.WriteAttributeString("period", PeriodOf(group.Period));
                xml.WriteAttributeString("dataSet", mapping.DataSets[group.DataSet.Id]);
                if (group.CompleteDate is { } complete)
                {
                    xml.WriteAttributeString("completeDate", complete.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture));
                }

                foreach (var value in group.Values)
                {
                    xml.WriteStartElement("dataValue", Namespace);
                    xml.WriteAttributeString("dataElement", mapping.DataElements[value.Element.Id]);
                    xml.WriteAttributeString("value", ValueOf(value));
                    if (export.Provisional)
                    {
                        // Not an annotation: a DHIS2 reads a yes/no value from the annotation, and
                        // from 2.43 any value. The schema lets a dataValue carry other attributes
                        // (anyAttribute), and DHIS2 2.40–2.41 pass a dataValue's attributes on to the
                        // data value, whose comment this is.
                        xml.WriteAttributeString("comment", AggregateExport.ProvisionalNote);
                    }

                    if (AnnotationOf(value) is { } annotation)
                    {
                        xml.WriteElementString("annotation", Namespace, annotation);
                    }

                    xml.WriteEndElement();
                }

                xml.WriteEndElement();
            }

            xml.WriteEndElement();
        }

        return buffer.ToArray();
    }
}
