using Aggregation.Hierarchy;
using Aggregation.Periods;
using Aggregation.Programmes;

namespace Aggregation.Server.Export;

/// <summary>A value as it is sent: the element and its figure (1/0 for a yes/no element, which the writers send as true/false).</summary>
public sealed record ExportValue(DataElement Element, long Value);

/// <summary>
/// One unit's values of one data set for one period of the data set's send period type (a month
/// for a monthly data set), and the date its report was complete when the unit reported the data
/// set itself for that period.
/// </summary>
public sealed record ExportGroup(AdminUnit Unit, DataSet DataSet, Period Period, IReadOnlyList<ExportValue> Values, DateOnly? CompleteDate)
{
    /// <summary>Whether a later unit took this unit's GSO code on a reorganisation.</summary>
    public bool CodeTakenLater { get; init; }

    /// <summary>The unit's code in the receiver.</summary>
    public string? UnitCode(ExportMapping mapping)
    {
        ArgumentNullException.ThrowIfNull(mapping);
        return mapping.Unit(Unit, CodeTakenLater);
    }
}

/// <summary>What an export holds, before it is written in a receiver's format and codes.</summary>
public sealed record AggregateExport(Tenant Tenant, Programme Programme, Period Period, string OrgUnitLevel, DateTimeOffset Exported, IReadOnlyList<ExportGroup> Groups)
{
    /// <summary>How a provisional value is marked: a DHIS2 data value's comment, an ADX dataValue's comment, a line of the officials' report.</summary>
    public const string ProvisionalNote = "Số liệu tạm thời, chưa được phê duyệt (provisional figures, not yet approved)";

    /// <summary>Figures not (all) approved at province level, sent because the tenant sends provisional figures: every writer marks them.</summary>
    public bool Provisional { get; init; }

    public int ValueCount => Groups.Sum(g => g.Values.Count);

    /// <summary>Groups with values: what an ADX document or a DHIS2 data value set carries.</summary>
    public IEnumerable<ExportGroup> WithValues => Groups.Where(g => g.Values.Count > 0);

    /// <summary>Groups whose report is complete: what completeness registrations carry.</summary>
    public IEnumerable<ExportGroup> Complete => Groups.Where(g => g.CompleteDate is not null);

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
            if (group.UnitCode(mapping) is null)
            {
                missing.Add($"unit {group.Unit.Code}");
            }

            if (!mapping.DataSets.ContainsKey(group.DataSet.Id))
            {
                missing.Add($"data set {group.DataSet.Id}");
            }

            foreach (var value in group.Values)
            {
                if (!mapping.DataElements.ContainsKey(value.Element.Id))
                {
                    missing.Add($"data element {value.Element.Id}");
                }
            }
        }

        return [.. missing];
    }

    /// <summary>
    /// Receiver codes that would name two different units in this export ("05443 names both 05443
    /// Phường Trưng Vương (to 2025-06-30) and 05443 Phường Phan Đình Phùng (from 2025-07-01)"): a GSO
    /// code reused on a reorganisation and passed through by the <c>{code}</c> pattern. Such an
    /// export is refused until the mapping gives one of them a code of its own (<c>code@version</c>).
    /// </summary>
    public IReadOnlyList<string> CodeClashes(ExportMapping mapping)
    {
        ArgumentNullException.ThrowIfNull(mapping);
        return Groups.DistinctBy(g => g.Unit.Key)
            .Select(g => (Code: g.UnitCode(mapping), g.Unit)).Where(x => x.Code is not null)
            .GroupBy(x => x.Code!, StringComparer.Ordinal).Where(g => g.Count() > 1)
            .Select(g => $"receiver code {g.Key} names {string.Join(" and ", g.Select(x => Describe(x.Unit)))}")
            .ToList();

        static string Describe(AdminUnit unit) =>
            $"{unit.Code}@{unit.Version} {unit.Name} ({(unit.ValidFrom == DateOnly.MinValue ? "" : $"from {unit.ValidFrom:yyyy-MM-dd}")}{(unit.ValidFrom != DateOnly.MinValue && unit.ValidTo is not null ? ", " : "")}{(unit.ValidTo is { } to ? $"to {to.AddDays(-1):yyyy-MM-dd}" : unit.ValidFrom == DateOnly.MinValue ? "in force" : "")})";
    }
}
