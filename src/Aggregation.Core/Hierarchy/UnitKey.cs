namespace Aggregation.Hierarchy;

/// <summary>
/// Identity of an administrative unit: tenant + GSO code. Codes alone are not unique across tenants
/// (and, after a reorganisation, not across hierarchy versions), so nothing is keyed by code alone.
/// </summary>
[GenerateSerializer, Immutable, Alias("aggregation.UnitKey")]
public readonly record struct UnitKey([property: Id(0)] string Tenant, [property: Id(1)] string Code)
{
    /// <summary>The national level above every tenant's provinces (what the ministry reads).</summary>
    public static readonly UnitKey Nation = new("*", "VN");

    /// <summary>The string key of the unit's grain.</summary>
    public string GrainKey => Tenant + "/" + Code;

    public static UnitKey FromGrainKey(string key)
    {
        var slash = key.IndexOf('/', StringComparison.Ordinal);
        if (slash <= 0 || slash == key.Length - 1)
        {
            throw new FormatException($"'{key}' is not a unit grain key (tenant/code).");
        }

        return new UnitKey(key[..slash], key[(slash + 1)..]);
    }

    /// <summary>The GSO code without the version suffix that units of later hierarchy versions carry in their key.</summary>
    public string PublishedCode => Code.IndexOf('@', StringComparison.Ordinal) is var at and >= 0 ? Code[..at] : Code;

    public override string ToString() => GrainKey;
}
