using System.Globalization;
using Aggregation.Hierarchy;

namespace Aggregation.Server.Export;

/// <summary>
/// Who issues the report, where, who signs it and who receives it: the parts of a Vietnamese
/// administrative document (Nghị định 30/2020/NĐ-CP, Phụ lục I) that come from the issuing agency.
/// The agency is the tenant (the provincial Sở Lao động - Thương binh và Xã hội); its governing
/// body is the province's People's Committee.
/// </summary>
public sealed record ReportLetterhead(
    string Issuer,
    string GoverningBody,
    string Agency,
    string Symbol,
    string Place,
    string SignerTitle,
    IReadOnlyList<string> Recipients)
{
    private static readonly CultureInfo Vi = CultureInfo.InvariantCulture;

    /// <param name="agencyName">The tenant's Vietnamese name, e.g. "Sở Lao động - Thương binh và Xã hội tỉnh Thái Nguyên".</param>
    /// <param name="province">The province the report covers (null for the nation).</param>
    public static ReportLetterhead For(string agencyName, AdminUnit? province)
    {
        ArgumentNullException.ThrowIfNull(agencyName);
        var provinceName = province?.Name ?? "";
        var place = StripPrefix(StripPrefix(provinceName, "Tỉnh "), "Thành phố ");
        // "Sở … tỉnh Thái Nguyên" under "UBND TỈNH THÁI NGUYÊN" is written "SỞ …" alone.
        var agency = agencyName.Trim();
        var suffix = provinceName.Length > 0 ? " " + char.ToLower(provinceName[0], Vi) + provinceName[1..] : null;
        if (suffix is not null && agency.EndsWith(suffix, StringComparison.Ordinal))
        {
            agency = agency[..^suffix.Length];
        }

        var recipients = new List<string>();
        if (agency.StartsWith("Sở ", StringComparison.Ordinal))
        {
            // A provincial department reports to its ministry and to the province's People's Committee.
            recipients.Add("Bộ " + agency[3..] + " (b/c);");
        }

        if (provinceName.Length > 0)
        {
            recipients.Add($"UBND {char.ToLower(provinceName[0], Vi)}{provinceName[1..]} (b/c);");
        }

        recipients.Add("Lưu: VT.");
        return new ReportLetterhead(
            Issuer: agencyName.Trim(),
            GoverningBody: provinceName.Length > 0 ? "UBND " + provinceName.ToUpperInvariant() : "",
            Agency: agency.ToUpperInvariant(),
            Symbol: Initials(agency),
            Place: place.Length > 0 ? place : "Hà Nội",
            SignerTitle: agency.StartsWith("Sở ", StringComparison.Ordinal) ? "GIÁM ĐỐC" : "THỦ TRƯỞNG CƠ QUAN",
            Recipients: recipients);
    }

    /// <summary>The agency's abbreviation in the document's symbol: "Sở Lao động - Thương binh và Xã hội" is SLĐTBXH.</summary>
    private static string Initials(string agency) => string.Concat(
        agency.Split(' ', StringSplitOptions.RemoveEmptyEntries)
            .Where(w => w != "-" && w != "và" && char.IsLetter(w[0]))
            .Select(w => char.ToUpperInvariant(w[0])));

    private static string StripPrefix(string text, string prefix) =>
        text.StartsWith(prefix, StringComparison.Ordinal) ? text[prefix.Length..] : text;
}
