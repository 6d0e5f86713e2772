namespace Aggregation.Hierarchy;

/// <summary>One administrative unit of a tenant's hierarchy (or the nation above all tenants).</summary>
public sealed record AdminUnit(UnitKey Key, string Name, string Level, string Type, UnitKey? Parent)
{
    public string Code => Key.Code;

    public string Tenant => Key.Tenant;
}

/// <summary>A row of a GSO administrative-units file (<c>code,name,level,parent_code,type</c>).</summary>
public sealed record AdminUnitRow(string Code, string Name, string Level, string ParentCode, string Type);
