using System.Globalization;
using System.Text.Json;
using Aggregation.Programmes;

namespace Aggregation.Hierarchy;

/// <summary>
/// Reads a catalog folder (tenants.json, the hierarchy CSVs and mappings it names, the programme files)
/// into a <see cref="Catalog"/>. Kept apart from the Catalog, which answers queries, because reading is
/// about files and their problems: every problem of every file is reported at once, with the file it
/// is in, so an operator fixes a catalog in one pass. <see cref="Catalog.Load"/> is the public entry.
/// </summary>
internal static class CatalogLoader
{
    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
    };

    public static Catalog Load(string directory, bool allProvinces)
    {
        var path = Path.Combine(directory, "tenants.json");
        var file = ReadCatalogFile(path);
        if (string.IsNullOrWhiteSpace(file.Hierarchy))
        {
            throw new CatalogException($"{path}: 'hierarchy' must name the administrative-units CSV.");
        }

        IReadOnlyList<AdminUnitRow> rows;
        try
        {
            rows = AdminUnitsCsv.Read(Path.Combine(directory, file.Hierarchy));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new CatalogException(Unreadable(directory, file.Hierarchy, ex));
        }
        var errors = new List<string>();
        var reorganisations = ReadReorganisations(file, directory, path, errors);
        var earlier = ReadEarlierHierarchy(file, directory, path, errors);
        var levels = new List<string> { Catalog.NationLevel };
        levels.AddRange(rows.Concat(reorganisations.SelectMany(r => r.Units)).Concat(earlier?.Units ?? []).Select(r => r.Level).Distinct());
        var programmes = ReadProgrammes(file, directory, path, levels, errors);
        var tenants = ReadTenants(file, path, errors);
        if (errors.Count > 0)
        {
            throw new CatalogException(errors);
        }

        if (allProvinces)
        {
            AddUnclaimedProvincesAsTenants(tenants, rows, file.DefaultTenant);
        }

        var baseVersion = new HierarchyVersion(file.HierarchyVersion ?? VersionIdOf(file.Hierarchy), DateOnly.MinValue, file.Hierarchy);
        return new Catalog(tenants, rows, programmes, file.DefaultTenant ?? tenants.FirstOrDefault()?.Id ?? "", baseVersion, reorganisations, earlier);
    }

    private static CatalogFile ReadCatalogFile(string path)
    {
        if (!File.Exists(path))
        {
            throw new CatalogException($"No catalog at {path}: set Catalog:Directory to the folder holding tenants.json.");
        }

        try
        {
            using var stream = File.OpenRead(path);
            return JsonSerializer.Deserialize<CatalogFile>(stream, Json) ?? throw new CatalogException($"{path}: empty file.");
        }
        catch (JsonException ex)
        {
            throw new CatalogException($"{path}: {ex.Message}");
        }
    }

    /// <summary>Each reorganisation's hierarchy file and mapping; the Catalog checks them against each other.</summary>
    private static List<Reorganisation> ReadReorganisations(CatalogFile file, string directory, string path, List<string> errors)
    {
        var reorganisations = new List<Reorganisation>();
        var entries = file.Reorganisations ?? [];
        for (var i = 0; i < entries.Count; i++)
        {
            var r = entries[i];
            if (r is null)
            {
                errors.Add($"{path}: reorganisations[{i}]: {CatalogException.NullEntry}");
                continue;
            }

            if (string.IsNullOrWhiteSpace(r.Id) || !ProgrammeLoader.IsIdentifier(r.Id) || r.Hierarchy is null || r.Mapping is null
                || !DateOnly.TryParseExact(r.Effective, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var effective))
            {
                errors.Add($"{path}: every reorganisation needs an id (letters, digits, '-'), an effective date (yyyy-MM-dd), a hierarchy file and a mapping file");
                continue;
            }

            try
            {
                var units = AdminUnitsCsv.Read(Path.Combine(directory, r.Hierarchy));
                using var reader = new StreamReader(Path.Combine(directory, r.Mapping), System.Text.Encoding.UTF8);
                var mapping = Reorganisation.ReadMapping(reader, r.Mapping);
                reorganisations.Add(new Reorganisation(new HierarchyVersion(r.Id, effective, r.Hierarchy), units, mapping, r.Mapping));
            }
            catch (CatalogException ex)
            {
                errors.AddRange(ex.Errors);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                errors.Add(Unreadable(directory, Directory.Exists(Path.Combine(directory, r.Hierarchy)) ? r.Hierarchy : r.Mapping, ex));
            }
        }

        return reorganisations;
    }

    /// <summary>The hierarchy file and mapping of a version in force before the first one, if any; the Catalog checks them against the first.</summary>
    private static Reorganisation? ReadEarlierHierarchy(CatalogFile file, string directory, string path, List<string> errors)
    {
        if (file.EarlierHierarchy is not { } r)
        {
            return null;
        }

        if (string.IsNullOrWhiteSpace(r.Id) || !ProgrammeLoader.IsIdentifier(r.Id) || r.Hierarchy is null || r.Mapping is null || r.Effective is not null)
        {
            errors.Add($"{path}: earlierHierarchy needs an id (letters, digits, '-'), a hierarchy file and a mapping file, and no effective date (it applies from the start; each mapping row says when its unit ended)");
            return null;
        }

        try
        {
            var units = AdminUnitsCsv.Read(Path.Combine(directory, r.Hierarchy));
            using var reader = new StreamReader(Path.Combine(directory, r.Mapping), System.Text.Encoding.UTF8);
            var mapping = Reorganisation.ReadMapping(reader, r.Mapping);
            return new Reorganisation(new HierarchyVersion(r.Id, DateOnly.MinValue, r.Hierarchy), units, mapping, r.Mapping);
        }
        catch (CatalogException ex)
        {
            errors.AddRange(ex.Errors);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            errors.Add(Unreadable(directory, File.Exists(Path.Combine(directory, r.Hierarchy)) ? r.Mapping : r.Hierarchy, ex));
        }

        return null;
    }

    /// <summary>Programme files, validated against the levels of every hierarchy version.</summary>
    private static List<Programme> ReadProgrammes(CatalogFile file, string directory, string path, IReadOnlyCollection<string> levels, List<string> errors)
    {
        var programmes = new List<Programme>();
        var files = file.Programmes ?? [];
        var fileOf = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < files.Count; i++)
        {
            var programmeFile = files[i];
            if (programmeFile is null)
            {
                errors.Add($"{path}: programmes[{i}]: {CatalogException.NullEntry}");
                continue;
            }

            try
            {
                var programme = ProgrammeLoader.LoadFile(Path.Combine(directory, programmeFile), levels);
                // Tenants name programmes by id, so two files may not define the same one.
                if (!fileOf.TryAdd(programme.Id, programmeFile))
                {
                    errors.Add($"{programmeFile}: id '{programme.Id}' is also the id of {fileOf[programme.Id]}");
                    continue;
                }

                programmes.Add(programme);
            }
            catch (CatalogException ex)
            {
                errors.AddRange(ex.Errors);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                errors.Add(Unreadable(directory, programmeFile, ex));
            }
        }

        return programmes;
    }

    private static List<Tenant> ReadTenants(CatalogFile file, string path, List<string> errors)
    {
        var tenants = new List<Tenant>();
        var ids = new HashSet<string>(StringComparer.Ordinal);
        var entries = file.Tenants ?? [];
        for (var i = 0; i < entries.Count; i++)
        {
            var t = entries[i];
            if (t is null)
            {
                errors.Add($"{path}: tenants[{i}]: {CatalogException.NullEntry}");
                continue;
            }

            if (string.IsNullOrWhiteSpace(t.Id) || !ProgrammeLoader.IsIdentifier(t.Id))
            {
                errors.Add($"{path}: tenant id '{t.Id}' must be letters, digits, '-', '_' or '.'");
                continue;
            }

            // The Catalog keys tenants by id: a second one would be a silent overwrite or a crash.
            if (!ids.Add(t.Id))
            {
                errors.Add($"{path}: tenants[{i}].id: '{t.Id}' is defined twice");
                continue;
            }

            if (HasNullEntry(t.Provinces, $"{path}: tenants[{i}].provinces", errors) | HasNullEntry(t.Programmes, $"{path}: tenants[{i}].programmes", errors))
            {
                continue;
            }

            MinistryFigures figures;
            switch (t.MinistryReports)
            {
                case null or "approved":
                    figures = MinistryFigures.Approved;
                    break;
                case "provisional":
                    figures = MinistryFigures.Provisional;
                    break;
                default:
                    errors.Add($"{path}: tenants[{i}].ministryReports: '{t.MinistryReports}' must be \"approved\" (send province-approved figures only) or \"provisional\" (send figures not yet approved, marked as provisional)");
                    continue;
            }

            tenants.Add(new Tenant(t.Id, t.Name ?? new LocalizedText(t.Id, t.Id), t.Provinces ?? [], t.Programmes ?? [], figures));
        }

        return tenants;
    }

    /// <summary>Reports each null in a list by its position; true if there was one.</summary>
    private static bool HasNullEntry(List<string>? list, string where, List<string> errors)
    {
        var found = false;
        for (var i = 0; i < (list?.Count ?? 0); i++)
        {
            if (list![i] is null)
            {
                errors.Add($"{where}[{i}]: {CatalogException.NullEntry}");
                found = true;
            }
        }

        return found;
    }

    /// <summary>
    /// Every province not claimed by a configured tenant becomes its own tenant running the default
    /// tenant's programmes: how a national deployment starts.
    /// </summary>
    private static void AddUnclaimedProvincesAsTenants(List<Tenant> tenants, IReadOnlyList<AdminUnitRow> rows, string? defaultTenant)
    {
        var claimed = tenants.SelectMany(t => t.ProvinceCodes).ToHashSet(StringComparer.Ordinal);
        var template = tenants.FirstOrDefault(t => t.Id == defaultTenant);
        var defaultProgrammes = template?.ProgrammeIds ?? [];
        foreach (var province in rows.Where(r => r.ParentCode.Length == 0 && !claimed.Contains(r.Code)))
        {
            tenants.Add(new Tenant($"province-{province.Code}", new LocalizedText(province.Name, province.Name), [province.Code], defaultProgrammes, template?.MinistryFigures ?? MinistryFigures.Approved));
        }
    }

    private static string VersionIdOf(string hierarchyFile)
    {
        var name = Path.GetFileNameWithoutExtension(hierarchyFile);
        return name.StartsWith("units-", StringComparison.Ordinal) ? name["units-".Length..] : name;
    }

    /// <summary>Why a file the catalog names cannot be read, said of the name as the operator wrote it (a folder is not "access denied").</summary>
    private static string Unreadable(string directory, string named, Exception ex) =>
        Directory.Exists(Path.Combine(directory, named)) ? $"{named}: is a folder; name a file" : $"{named}: {ex.Message}";
}
