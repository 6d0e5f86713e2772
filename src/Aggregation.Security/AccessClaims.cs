namespace Aggregation.Security;

/// <summary>The roles a credential can hold; a credential may hold several.</summary>
public static class Roles
{
    /// <summary>A district or agency system: submits reports for units inside its scope, for the data sets it is allowed.</summary>
    public const string Submitter = "submitter";

    /// <summary>A provincial or district dashboard: reads and subscribes inside its scope.</summary>
    public const string Viewer = "viewer";

    /// <summary>A tenant's administrator: the whole tenant, rebuilds, the audit trail, credentials.</summary>
    public const string Admin = "admin";

    /// <summary>The national ministry: reads every tenant, the nation included; never writes.</summary>
    public const string Ministry = "ministry";

    /// <summary>A district or province reviewer: reads findings and approves the figures of units inside its scope.</summary>
    public const string Approver = "approver";

    public static readonly IReadOnlyList<string> All = [Submitter, Viewer, Admin, Ministry, Approver];
}

/// <summary>Claim names of the service's access tokens (JWT, and the principal built from a client certificate).</summary>
public static class AccessClaims
{
    public const string Subject = "sub";

    /// <summary>The tenant the credential belongs to; <see cref="AllTenants"/> for the ministry.</summary>
    public const string Tenant = "tenant";

    /// <summary>Repeated: one claim per role.</summary>
    public const string Role = "role";

    /// <summary>Repeated: GSO codes of the units the credential covers (with everything below them). Absent: the whole tenant.</summary>
    public const string Unit = "unit";

    /// <summary>Repeated: data sets the credential may submit. Absent: every data set of the tenant's programmes.</summary>
    public const string DataSet = "dataset";

    public const string AllTenants = "*";
}

/// <summary>What a credential grants: who, in which tenant, with which roles, over which units and data sets.</summary>
public sealed record AccessGrant(
    string Subject,
    string Tenant,
    IReadOnlyList<string> Roles,
    IReadOnlyList<string>? Units = null,
    IReadOnlyList<string>? DataSets = null);
