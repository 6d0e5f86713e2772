namespace Aggregation.Hierarchy;

// The on-disk shape of tenants.json. Kept apart from the Catalog so the file can stay as people write
// it (optional members, camelCase) while the Catalog stays a validated model; CatalogLoader maps and
// validates, as ProgrammeFile and ProgrammeLoader do for programme definitions.

/// <summary>tenants.json: the hierarchy file, its reorganisations, the programme files and the tenants.</summary>
internal sealed class CatalogFile
{
    public string? Hierarchy { get; set; }
    public string? HierarchyVersion { get; set; }

    /// <summary>A version in force before the first one, for the provinces its mapping covers (no "effective": it applies from the start).</summary>
    public ReorganisationFile? EarlierHierarchy { get; set; }
    public List<ReorganisationFile>? Reorganisations { get; set; }
    public List<string>? Programmes { get; set; }
    public string? DefaultTenant { get; set; }
    public List<TenantFile>? Tenants { get; set; }
}

internal sealed class ReorganisationFile
{
    public string? Id { get; set; }
    public string? Effective { get; set; }
    public string? Hierarchy { get; set; }
    public string? Mapping { get; set; }
}

internal sealed class TenantFile
{
    public string? Id { get; set; }
    public Programmes.LocalizedText? Name { get; set; }
    public List<string>? Provinces { get; set; }
    public List<string>? Programmes { get; set; }

    /// <summary>"approved" (default) or "provisional": see <see cref="MinistryFigures"/>.</summary>
    public string? MinistryReports { get; set; }
}
