using System.Security.Claims;
using Aggregation.Security;

namespace Aggregation.Server.Security;

/// <summary>
/// The authenticated caller of one call, as the edge sees it: built once from the validated token or
/// client certificate, never from request fields. <see cref="Units"/> empty means the whole tenant;
/// <see cref="DataSets"/> null means every data set.
/// </summary>
public sealed record Caller(
    string Subject,
    string TenantId,
    IReadOnlySet<string> Roles,
    IReadOnlyList<string> Units,
    IReadOnlySet<string>? DataSets,
    string Via,
    string Peer)
{
    /// <summary>
    /// When the credential was issued (the token's <c>iat</c>): its unit claims name the units those
    /// codes named that day, since codes were reused by later hierarchy versions. Null: today.
    /// </summary>
    public DateOnly? IssuedOn { get; init; }

    public bool IsMinistry => TenantId == AccessClaims.AllTenants && Roles.Contains(Aggregation.Security.Roles.Ministry);

    /// <summary>Whole-tenant read access: what admins and the ministry have, and scoped roles do not.</summary>
    public bool SeesWholeTenant => IsMinistry || Roles.Contains(Aggregation.Security.Roles.Admin) || Units.Count == 0;

    /// <summary>The partition key of rate and concurrency limits.</summary>
    public string LimitKey => $"{TenantId}/{Subject}";

    public bool HasAny(IEnumerable<string> roles) => roles.Any(Roles.Contains);

    public static Caller? FromPrincipal(ClaimsPrincipal principal, string peer)
    {
        ArgumentNullException.ThrowIfNull(principal);
        if (principal.Identity is not { IsAuthenticated: true } identity)
        {
            return null;
        }

        var subject = principal.FindFirst(AccessClaims.Subject)?.Value;
        var tenant = principal.FindFirst(AccessClaims.Tenant)?.Value;
        if (string.IsNullOrEmpty(subject) || string.IsNullOrEmpty(tenant))
        {
            return null;
        }

        var dataSets = principal.FindAll(AccessClaims.DataSet).Select(c => c.Value).ToHashSet(StringComparer.Ordinal);
        return new Caller(
            subject,
            tenant,
            principal.FindAll(AccessClaims.Role).Select(c => c.Value).ToHashSet(StringComparer.Ordinal),
            principal.FindAll(AccessClaims.Unit).Select(c => c.Value).Distinct(StringComparer.Ordinal).ToList(),
            dataSets.Count == 0 ? null : dataSets,
            identity.AuthenticationType ?? "",
            peer)
        {
            IssuedOn = long.TryParse(principal.FindFirst("iat")?.Value, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var iat)
                ? Hosting.ReportingClock.VietnamDate(DateTimeOffset.FromUnixTimeSeconds(iat))
                : null,
        };
    }
}
