namespace Aggregation.Hierarchy;

/// <summary>Reads the GSO administrative-units CSV (UTF-8, header <c>code,name,level,parent_code,type</c>, no quoting).</summary>
public static class AdminUnitsCsv
{
    private const string Header = "code,name,level,parent_code,type";

    public static IReadOnlyList<AdminUnitRow> Read(string path)
    {
        using var reader = new StreamReader(path, System.Text.Encoding.UTF8);
        return Read(reader, Path.GetFileName(path));
    }

    public static IReadOnlyList<AdminUnitRow> Read(TextReader reader, string source)
    {
        var header = reader.ReadLine();
        if (header?.TrimStart('\uFEFF') != Header)
        {
            throw new CatalogException($"{source}: the first line must be '{Header}', found '{header}'.");
        }

        var rows = new List<AdminUnitRow>();
        var errors = new List<string>();
        // A code names one unit in a version; units, mappings and reports are all looked up by it.
        var lineOfCode = new Dictionary<string, int>(StringComparer.Ordinal);
        var lineNumber = 1;
        for (var line = reader.ReadLine(); line is not null; line = reader.ReadLine())
        {
            lineNumber++;
            if (line.Length == 0)
            {
                continue;
            }

            var parts = line.Split(',');
            if (parts.Length != 5)
            {
                errors.Add($"{source}:{lineNumber}: expected 5 fields, found {parts.Length}.");
                continue;
            }

            if (parts[0].Length == 0 || !parts[0].All(char.IsAsciiDigit))
            {
                errors.Add($"{source}:{lineNumber}: code '{parts[0]}' must be digits.");
                continue;
            }

            if (!lineOfCode.TryAdd(parts[0], lineNumber))
            {
                errors.Add($"{source}:{lineNumber}: code {parts[0]} is already on line {lineOfCode[parts[0]]}: a code names one unit in a version.");
                continue;
            }

            rows.Add(new AdminUnitRow(parts[0], parts[1], parts[2], parts[3], parts[4]));
        }

        if (errors.Count > 0)
        {
            throw new CatalogException(errors);
        }

        return rows;
    }
}
