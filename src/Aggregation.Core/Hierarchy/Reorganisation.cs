using System.Globalization;

namespace Aggregation.Hierarchy;

/// <summary>One hierarchy version: the units in force from <see cref="EffectiveFrom"/> until the next version starts.</summary>
public sealed record HierarchyVersion(string Id, DateOnly EffectiveFrom, string Source);

/// <summary>What became of an old unit at a reorganisation.</summary>
public enum SuccessionKind
{
    /// <summary>The new unit is the same unit (same grain, same history): a province that carries on, absorbing others.</summary>
    Continues,

    /// <summary>The old unit's whole area went into the new unit, and so does its data when history is re-expressed.</summary>
    Merged,

    /// <summary>Part of the old unit's area went into the new unit; its data goes where its <see cref="Merged"/> row says.</summary>
    Part,

    /// <summary>The unit ended without a successor (every district on 1 July 2025): its data stays in history.</summary>
    Closed,

    /// <summary>A new unit with no predecessor (the island special zones formed from districts without communes): no old code, no history.</summary>
    New,
}

/// <summary>
/// A row of a reorganisation mapping: <c>level,old_code,old_name,new_code,new_name,kind,effective,basis</c>.
/// Codes are GSO codes of the previous version (old) and of the new version (new); the names are
/// checked against both hierarchy files so that a mistyped code is caught. A row with an
/// <see cref="Effective"/> date before the reorganisation's is a merger inside the previous version
/// (the communes merged during 2023–2025): both codes are then of the previous version.
/// </summary>
public sealed record SuccessionRow(int Line, string Level, string OldCode, string OldName, string NewCode, string NewName, SuccessionKind Kind, DateOnly? Effective, string Basis);

/// <summary>
/// A reorganisation: a new hierarchy version for some provinces, effective on one date, with the
/// mapping of every old unit of those provinces to what replaced it. Loaded from the catalog; the
/// <see cref="Catalog"/> validates it against both versions.
/// </summary>
public sealed record Reorganisation(HierarchyVersion Version, IReadOnlyList<AdminUnitRow> Units, IReadOnlyList<SuccessionRow> Mapping, string MappingSource)
{
    private const string Header = "level,old_code,old_name,new_code,new_name,kind,effective,basis";

    /// <summary>Reads a mapping file (UTF-8, no quoting, '#' starts a comment line). Every malformed line is reported.</summary>
    public static IReadOnlyList<SuccessionRow> ReadMapping(TextReader reader, string source)
    {
        ArgumentNullException.ThrowIfNull(reader);
        var errors = new List<string>();
        var rows = new List<SuccessionRow>();
        // Comment lines ('#') may come before the header.
        var lineNumber = 1;
        var header = reader.ReadLine()?.TrimStart('\uFEFF');
        while (header is not null && header.StartsWith('#'))
        {
            header = reader.ReadLine();
            lineNumber++;
        }

        if (header != Header)
        {
            throw new CatalogException($"{source}:{lineNumber}: the header must be '{Header}', found '{header}'.");
        }

        for (var line = reader.ReadLine(); line is not null; line = reader.ReadLine())
        {
            lineNumber++;
            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }

            var parts = line.Split(',');
            if (parts.Length != 8)
            {
                errors.Add($"{source}:{lineNumber}: expected 8 fields, found {parts.Length}.");
                continue;
            }

            DateOnly? effective = null;
            if (parts[6].Length > 0)
            {
                if (!DateOnly.TryParseExact(parts[6], "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date))
                {
                    errors.Add($"{source}:{lineNumber}: effective '{parts[6]}' must be a date (yyyy-MM-dd) or empty.");
                    continue;
                }

                effective = date;
            }

            if (!Enum.TryParse<SuccessionKind>(parts[5], ignoreCase: true, out var kind) || int.TryParse(parts[5], NumberStyles.None, CultureInfo.InvariantCulture, out _))
            {
                errors.Add($"{source}:{lineNumber}: kind '{parts[5]}' must be continues, merged, part, closed or new.");
                continue;
            }

            if ((parts[1].Length == 0) != (kind == SuccessionKind.New))
            {
                errors.Add($"{source}:{lineNumber}: " + (kind == SuccessionKind.New ? "a new unit has no old_code." : "old_code is required unless the unit is new."));
                continue;
            }

            if ((kind == SuccessionKind.Closed) != (parts[3].Length == 0))
            {
                errors.Add($"{source}:{lineNumber}: " + (kind == SuccessionKind.Closed ? "a closed unit has no new_code." : "new_code is required unless the unit is closed."));
                continue;
            }

            rows.Add(new SuccessionRow(lineNumber, parts[0], parts[1], parts[2], parts[3], parts[4], kind, effective, parts[7]));
        }

        if (errors.Count > 0)
        {
            throw new CatalogException(errors);
        }

        return rows;
    }
}
