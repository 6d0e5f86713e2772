using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Aggregation.Server.Security;

/// <summary>
/// What a bearer token must satisfy beyond the signature, issuer, audience and expiry the JWT
/// handler checks:
/// <list type="bullet">
/// <item>Its <c>kid</c> names a configured key (a signing key or a key of the external key set), and
/// that key alone verifies it. Left to itself the handler tries every key when the kid matches none,
/// so a token naming no key, a retired key or <c>../../etc/passwd</c> would pass.</item>
/// <item>Its whole lifetime is at most <see cref="JwtOptions.MaxLifetime"/>, whoever issued it, and it
/// does not claim to be issued in the future (which would shorten its apparent lifetime).</item>
/// </list>
/// </summary>
public sealed class TokenPolicy
{
    private readonly Dictionary<string, SecurityKey[]> _keysById;
    private readonly TimeSpan _maxLifetime;
    private readonly TimeSpan _clockSkew;

    public TokenPolicy(TokenKeys keys, JwtOptions options)
    {
        ArgumentNullException.ThrowIfNull(keys);
        ArgumentNullException.ThrowIfNull(options);
        _maxLifetime = options.MaxLifetime;
        _clockSkew = options.ClockSkew;

        // Ordinal: a kid is an identifier, and "K1" is not "k1".
        _keysById = keys.Signing.Select(k => (SecurityKey)k.ToSecurityKey()).Concat(keys.External)
            .GroupBy(k => k.KeyId, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.ToArray(), StringComparer.Ordinal);
    }

    /// <summary>The keys that may verify a token naming <paramref name="keyId"/>: none when it names no configured key.</summary>
    public IEnumerable<SecurityKey> KeysFor(string? keyId) =>
        keyId is { Length: > 0 } && _keysById.TryGetValue(keyId, out var keys) ? keys : [];

    /// <summary>Why a token whose signature, issuer, audience and expiry were accepted is still refused; null when it is not.</summary>
    public (string Reason, string Text)? Refusal(SecurityToken token, DateTime utcNow)
    {
        if (token is not JsonWebToken jwt)
        {
            return (AuthenticationFailures.Invalid, "it is not a JSON Web Token");
        }

        // The resolver already offers the handler only the named key; checking what verified the
        // signature keeps the rule true whatever the handler's fallbacks become.
        if (string.IsNullOrEmpty(jwt.Kid) || !_keysById.ContainsKey(jwt.Kid) || !string.Equals(jwt.SigningKey?.KeyId, jwt.Kid, StringComparison.Ordinal))
        {
            return (AuthenticationFailures.UnknownKey, "its kid names no configured signing key");
        }

        // Absent claims read as DateTime.MinValue.
        var issuedAt = jwt.IssuedAt;
        if (issuedAt != DateTime.MinValue && issuedAt > utcNow + _clockSkew)
        {
            return (AuthenticationFailures.Invalid, "it claims to be issued in the future");
        }

        var start = issuedAt != DateTime.MinValue ? issuedAt : jwt.ValidFrom != DateTime.MinValue ? jwt.ValidFrom : utcNow;
        var lifetime = jwt.ValidTo - start;
        return lifetime > _maxLifetime
            ? (AuthenticationFailures.Invalid, $"it lives {lifetime.TotalDays:0.#} days, longer than Security:Jwt:MaxLifetime ({_maxLifetime.TotalDays:0.#} days)")
            : null;
    }
}
