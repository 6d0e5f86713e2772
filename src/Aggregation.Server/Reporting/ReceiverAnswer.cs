using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;

namespace Aggregation.Server.Reporting;

/// <summary>What a receiver's answer to a delivery means: taken whole, refused for good, or to be tried again.</summary>
public enum DeliveryVerdict
{
    Delivered,
    Refused,
    Retry,
}

/// <summary>
/// Reads a receiver's answer. A DHIS2 answers an import with an import summary (in a web message
/// from 2.38: <c>{"status", "response": {"responseType": "ImportSummary", "status", "importCount":
/// {"imported", "updated", "ignored", "deleted"}, "conflicts": [...]}}</c>, at the top level
/// before), and with HTTP 409 when it has conflicts, whether some values were ignored (WARNING) or
/// the whole import was rejected (ERROR). A delivery is done only when the summary says every value
/// was taken; an answer without a summary is judged by its status code, 409 then meaning that the
/// receiver already holds the Idempotency-Key (an earlier attempt arrived).
/// </summary>
public static class ReceiverAnswer
{
    public static (DeliveryVerdict Verdict, string? Reason) Judge(HttpStatusCode status, string body)
    {
        if ((int)status >= 500 || status is HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests)
        {
            return (DeliveryVerdict.Retry, $"HTTP {(int)status}");
        }

        if (TryReadSummary(body, out var summary))
        {
            return summary.TookEverything
                ? (DeliveryVerdict.Delivered, null)
                : (DeliveryVerdict.Refused, $"HTTP {(int)status}, DHIS2 import {summary}");
        }

        if ((int)status is >= 200 and < 300 || status == HttpStatusCode.Conflict)
        {
            return (DeliveryVerdict.Delivered, null);
        }

        return (DeliveryVerdict.Refused, $"refused with HTTP {(int)status}: {Clip(body)}");
    }

    /// <summary>The import summary in a DHIS2 answer, if it is one.</summary>
    public static bool TryReadSummary(string body, out ImportSummary summary)
    {
        summary = default!;
        if (string.IsNullOrWhiteSpace(body) || body.TrimStart()[0] != '{')
        {
            return false;
        }

        try
        {
            using var document = JsonDocument.Parse(body);
            var root = document.RootElement;
            var node = root.TryGetProperty("response", out var response) && response.ValueKind == JsonValueKind.Object && response.TryGetProperty("importCount", out _)
                ? response
                : root.TryGetProperty("importCount", out _) ? root : default;
            if (node.ValueKind != JsonValueKind.Object)
            {
                return false;
            }

            var counts = node.GetProperty("importCount");
            long Count(string name) => counts.TryGetProperty(name, out var n) && n.TryGetInt64(out var v) ? v : 0;
            var conflicts = new List<string>();
            if (node.TryGetProperty("conflicts", out var list) && list.ValueKind == JsonValueKind.Array)
            {
                foreach (var c in list.EnumerateArray())
                {
                    conflicts.Add(string.Join(" ", new[] { Text(c, "errorCode"), Text(c, "property") ?? Text(c, "object"), Text(c, "value") }.Where(t => !string.IsNullOrEmpty(t))));
                }
            }

            var status = Text(node, "status") ?? Text(root, "status") ?? "";
            summary = new ImportSummary(status, Count("imported"), Count("updated"), Count("ignored"), Count("deleted"), conflicts);
            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private static string? Text(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) ? value.ValueKind == JsonValueKind.String ? value.GetString() : value.ToString() : null;

    private static string Clip(string text) => text.Length > 300 ? text[..300] + "…" : text;
}

/// <summary>A DHIS2 import summary: its status, counts and conflicts.</summary>
public sealed record ImportSummary(string Status, long Imported, long Updated, long Ignored, long Deleted, IReadOnlyList<string> Conflicts)
{
    /// <summary>
    /// Every value was taken: status SUCCESS (or OK) and no conflict. Values a DHIS2 ignores without
    /// a conflict are the unchanged ones (a resend of the same report) and are held already; a value
    /// it refuses comes with a conflict (and a WARNING from the data value import).
    /// </summary>
    public bool TookEverything => Status.ToUpperInvariant() is "SUCCESS" or "OK" && Conflicts.Count == 0;

    public override string ToString()
    {
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"{Status}: {Imported} imported, {Updated} updated, {Ignored} ignored, {Deleted} deleted");
        if (Conflicts.Count > 0)
        {
            text.Append(CultureInfo.InvariantCulture, $"; {Conflicts.Count} conflicts: ").AppendJoin("; ", Conflicts.Take(10));
            if (Conflicts.Count > 10)
            {
                text.Append("; …");
            }
        }

        return text.ToString();
    }
}
