using System.Security.Claims;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Aggregation.Security;

/// <summary>Issues the service's access tokens (HS256 JWT) for a grant.</summary>
public static class TokenIssuer
{
    public const string DefaultIssuer = "aggregation";
    public const string DefaultAudience = "aggregation";

    /// <summary>
    /// The longest a token may live (exp − iat) unless a server is configured otherwise
    /// (<c>Security:Jwt:MaxLifetime</c>): long enough for a district system's credential between
    /// quarterly rotations, short enough that a leaked token does not outlive the next one.
    /// </summary>
    public static readonly TimeSpan DefaultMaxLifetime = TimeSpan.FromDays(90);

    public static string Issue(AccessGrant grant, SigningKey key, TimeSpan lifetime, string issuer = DefaultIssuer, string audience = DefaultAudience, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(grant);
        ArgumentNullException.ThrowIfNull(key);
        var unknown = grant.Roles.Except(Roles.All).ToList();
        if (unknown.Count > 0 || grant.Roles.Count == 0)
        {
            throw new ArgumentException($"Roles must be some of {string.Join(", ", Roles.All)}; got '{string.Join(", ", grant.Roles)}'.", nameof(grant));
        }

        if (grant.Roles.Contains(Roles.Ministry) != (grant.Tenant == AccessClaims.AllTenants))
        {
            throw new ArgumentException($"The ministry role, and only it, is issued for tenant '{AccessClaims.AllTenants}'.", nameof(grant));
        }

        var claims = new List<Claim> { new(AccessClaims.Subject, grant.Subject), new(AccessClaims.Tenant, grant.Tenant) };
        claims.AddRange(grant.Roles.Select(r => new Claim(AccessClaims.Role, r)));
        claims.AddRange((grant.Units ?? []).Select(u => new Claim(AccessClaims.Unit, u)));
        claims.AddRange((grant.DataSets ?? []).Select(d => new Claim(AccessClaims.DataSet, d)));
        var now = (time ?? TimeProvider.System).GetUtcNow().UtcDateTime;
        return new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = issuer,
            Audience = audience,
            IssuedAt = now,
            NotBefore = now,
            Expires = now + lifetime,
            Subject = new ClaimsIdentity(claims),
            SigningCredentials = new SigningCredentials(key.ToSecurityKey(), SecurityAlgorithms.HmacSha256),
        });
    }
}
