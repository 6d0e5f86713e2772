namespace Aggregation.Hierarchy;

/// <summary>
/// One administrative unit of a tenant's hierarchy (or the nation above all tenants). <see cref="Key"/>
/// is its identity; <see cref="Code"/> is the GSO code it is published under, which a later hierarchy
/// version may give to another unit, so units of later versions carry the version in their key.
/// </summary>
public sealed record AdminUnit(UnitKey Key, string Name, string Level, string Type, UnitKey? Parent)
{
    /// <summary>The GSO code as published in its hierarchy version (what reports and exports use).</summary>
    public string Code { get; init; } = Key.Code;

    public string Tenant => Key.Tenant;

    /// <summary>The hierarchy version that introduced the unit.</summary>
    public string Version { get; init; } = "";

    /// <summary>First day the unit is in force.</summary>
    public DateOnly ValidFrom { get; init; } = DateOnly.MinValue;

    /// <summary>First day it is no longer in force (merged, closed), or null while it is.</summary>
    public DateOnly? ValidTo { get; init; }

    public bool InForceOn(DateOnly date) => ValidFrom <= date && (ValidTo is not { } to || date < to);

    /// <summary>Whether the unit is in force on some day of [<paramref name="from"/>, <paramref name="to"/>).</summary>
    public bool InForceDuring(DateOnly from, DateOnly to) => ValidFrom < to && (ValidTo is not { } end || from < end);
}

/// <summary>A row of a GSO administrative-units file (<c>code,name,level,parent_code,type</c>).</summary>
public sealed record AdminUnitRow(string Code, string Name, string Level, string ParentCode, string Type);
