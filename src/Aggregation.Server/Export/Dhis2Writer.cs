using System.Globalization;
using System.Text.Json;
using Aggregation.Periods;
using Aggregation.Programmes;

namespace Aggregation.Server.Export;

/// <summary>
/// DHIS2's import payloads: a data value set (the body of <c>POST /api/dataValueSets</c>) and
/// complete data set registrations (<c>POST /api/completeDataSetRegistrations</c>), each declaring
/// the identifier scheme its codes are in, so a DHIS2 reads them without URL parameters.
/// </summary>
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

    /// <summary>A value as DHIS2 reads its value types: yes/no as true/false, counts as integers.</summary>
    public static string ValueOf(ExportValue value)
    {
        ArgumentNullException.ThrowIfNull(value);
        return value.Element.Type == ElementType.Flag
            ? value.Value != 0 ? "true" : "false"
            : value.Value.ToString(CultureInfo.InvariantCulture);
    }

    /// <summary>The data value set, or null when there is no value to send.</summary>
    public static byte[]? WriteDataValues(AggregateExport export, ExportMapping mapping)
    {
        ArgumentNullException.ThrowIfNull(export);
        ArgumentNullException.ThrowIfNull(mapping);
        var groups = export.WithValues.ToList();
        if (groups.Count == 0)
        {
            return null;
        }

        return Write(mapping, json =>
        {
            json.WriteStartArray("dataValues");
            foreach (var group in groups)
            {
                var orgUnit = group.UnitCode(mapping);
                var period = PeriodOf(group.Period);
                foreach (var value in group.Values)
                {
                    json.WriteStartObject();
                    json.WriteString("dataElement", mapping.DataElements[value.Element.Id]);
                    json.WriteString("period", period);
                    json.WriteString("orgUnit", orgUnit);
                    json.WriteString("value", ValueOf(value));
                    if (export.Provisional)
                    {
                        json.WriteString("comment", AggregateExport.ProvisionalNote);
                    }

                    json.WriteEndObject();
                }
            }

            json.WriteEndArray();
        });
    }

    /// <summary>Registrations of the reports that are complete, or null when none is.</summary>
    public static byte[]? WriteRegistrations(AggregateExport export, ExportMapping mapping)
    {
        ArgumentNullException.ThrowIfNull(export);
        ArgumentNullException.ThrowIfNull(mapping);
        var groups = export.Complete.ToList();
        if (groups.Count == 0)
        {
            return null;
        }

        return Write(mapping, json =>
        {
            json.WriteStartArray("completeDataSetRegistrations");
            foreach (var group in groups)
            {
                json.WriteStartObject();
                json.WriteString("dataSet", mapping.DataSets[group.DataSet.Id]);
                json.WriteString("period", PeriodOf(group.Period));
                json.WriteString("organisationUnit", group.UnitCode(mapping));
                json.WriteString("date", group.CompleteDate!.Value.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
                json.WriteBoolean("completed", true);
                json.WriteEndObject();
            }

            json.WriteEndArray();
        });
    }

    private static byte[] Write(ExportMapping mapping, Action<Utf8JsonWriter> body)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartObject();

            // Declared in the payload: DHIS2 reads ids as UIDs unless told otherwise.
            json.WriteString("idScheme", mapping.Profile.IdScheme);
            json.WriteString("dataElementIdScheme", mapping.Profile.IdScheme);
            json.WriteString("orgUnitIdScheme", mapping.Profile.IdScheme);
            json.WriteString("dataSetIdScheme", mapping.Profile.IdScheme);
            body(json);
            json.WriteEndObject();
        }

        return buffer.ToArray();
    }
}
