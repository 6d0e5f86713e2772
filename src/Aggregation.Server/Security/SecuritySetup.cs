using System.Security.Claims;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Aggregation.Security;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Certificate;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.IdentityModel.Tokens;

namespace Aggregation.Server.Security;

/// <summary>The keys this server validates tokens with; the first signs what the Credentials service issues.</summary>
public sealed record TokenKeys(IReadOnlyList<SigningKey> Signing, IReadOnlyList<SecurityKey> External, string Issuer, string Audience)
{
    /// <summary>The signing-key file the keys came from; null when they are configured in Security:Jwt:SigningKeys.</summary>
    public string? KeyFile { get; init; }
}

/// <summary>Registers authentication (JWT bearer, and client certificates when configured), access control and limits.</summary>
public static class SecuritySetup
{
    /// <summary>Picks JWT when the call carries a token, the client certificate otherwise.</summary>
    public const string Scheme = "aggregation";

    public const string CertificateScheme = CertificateAuthenticationDefaults.AuthenticationScheme;

    /// <summary>The dashboard's event stream cannot set headers: it alone may carry the token in the query string.</summary>
    public const string StreamPath = "/api/stream";

    public static WebApplicationBuilder AddAggregationSecurity(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var options = builder.Configuration.GetSection(SecurityOptions.Section).Get<SecurityOptions>() ?? new SecurityOptions();
        builder.Services.AddOptions<SecurityOptions>().BindConfiguration(SecurityOptions.Section);
        builder.Services.AddOptions<LimitOptions>().BindConfiguration(SecurityOptions.Section + ":Limits").ValidateDataAnnotations().ValidateOnStart();

        options.Jwt.Validate();
        var keys = LoadKeys(options.Jwt);
        var policy = new TokenPolicy(keys, options.Jwt);
        builder.Services.AddSingleton(keys);
        builder.Services.AddSingleton(policy);
        builder.Services.AddSingleton<AccessControl>();
        builder.Services.AddSingleton<CallLimiter>();

        var certificates = options.ClientCertificateAuthority is { Length: > 0 } caPath ? LoadAuthority(caPath) : null;
        var authentication = builder.Services.AddAuthentication(Scheme)
            .AddPolicyScheme(Scheme, "Access token or client certificate", o =>
            {
                o.ForwardDefaultSelector = http =>
                    certificates is not null && http.Connection.ClientCertificate is not null && http.Request.Headers.Authorization.Count == 0
                        ? CertificateScheme
                        : JwtBearerDefaults.AuthenticationScheme;

                // A caller that failed to authenticate is answered 401 (gRPC UNAUTHENTICATED) whatever
                // it presented; the certificate handler alone would answer 403.
                o.ForwardChallenge = JwtBearerDefaults.AuthenticationScheme;
            })
            .AddJwtBearer(o =>
            {
                // Claim names stay as issued ("sub", "role", "unit"), not mapped to WS-* URIs.
                o.MapInboundClaims = false;
                o.TokenValidationParameters = new TokenValidationParameters
                {
                    ValidIssuer = keys.Issuer,
                    ValidAudience = keys.Audience,
                    // Only the key the token's kid names verifies it: never every key in turn.
                    IssuerSigningKeyResolver = (_, _, kid, _) => policy.KeysFor(kid),
                    TryAllIssuerSigningKeys = false,
                    ValidateIssuer = true,
                    ValidateAudience = true,
                    ValidateLifetime = true,
                    ValidateIssuerSigningKey = true,
                    RequireExpirationTime = true,
                    RequireSignedTokens = true,
                    ValidAlgorithms = [SecurityAlgorithms.HmacSha256, SecurityAlgorithms.RsaSha256, SecurityAlgorithms.EcdsaSha256, SecurityAlgorithms.RsaSsaPssSha256],
                    ClockSkew = options.Jwt.ClockSkew,
                    NameClaimType = AccessClaims.Subject,
                    RoleClaimType = AccessClaims.Role,
                };
                o.Events = new JwtBearerEvents
                {
                    OnMessageReceived = context =>
                    {
                        if (context.Request.Path.StartsWithSegments(StreamPath) && context.Request.Query["access_token"] is { Count: 1 } token)
                        {
                            context.Token = token;
                        }

                        return Task.CompletedTask;
                    },
                    OnTokenValidated = context =>
                    {
                        var now = context.HttpContext.RequestServices.GetRequiredService<TimeProvider>().GetUtcNow().UtcDateTime;
                        if (policy.Refusal(context.SecurityToken, now) is { } why)
                        {
                            context.Fail(new TokenRefusedException(why.Reason, $"The access token is refused: {why.Text}."));
                        }

                        return Task.CompletedTask;
                    },
                    OnChallenge = AuthenticationFailures.ChallengeAsync,
                };
            });

        if (certificates is not null)
        {
            var registered = options.ClientCertificates.ToDictionary(c => c.Thumbprint.Replace(":", "", StringComparison.Ordinal).ToUpperInvariant(), StringComparer.Ordinal);
            authentication.AddCertificate(o =>
            {
                o.AllowedCertificateTypes = CertificateTypes.Chained;
                o.ChainTrustValidationMode = X509ChainTrustMode.CustomRootTrust;
                o.CustomTrustStore.AddRange(certificates);
                o.RevocationMode = X509RevocationMode.NoCheck;
                o.ValidateValidityPeriod = true;
                o.Events = new CertificateAuthenticationEvents
                {
                    OnCertificateValidated = context =>
                    {
                        var thumbprint = Convert.ToHexString(context.ClientCertificate.GetCertHash(HashAlgorithmName.SHA256));
                        if (!registered.TryGetValue(thumbprint, out var client))
                        {
                            context.Fail("The client certificate is not registered.");
                            return Task.CompletedTask;
                        }

                        var claims = new List<Claim> { new(AccessClaims.Subject, client.Subject), new(AccessClaims.Tenant, client.Tenant) };
                        claims.AddRange(client.Roles.Select(r => new Claim(AccessClaims.Role, r)));
                        claims.AddRange(client.Units.Select(u => new Claim(AccessClaims.Unit, u)));
                        claims.AddRange(client.DataSets.Select(d => new Claim(AccessClaims.DataSet, d)));
                        context.Principal = new ClaimsPrincipal(new ClaimsIdentity(claims, CertificateScheme, AccessClaims.Subject, AccessClaims.Role));
                        context.Success();
                        return Task.CompletedTask;
                    },
                };
            });

            // Kestrel asks for a certificate on TLS endpoints and leaves judging it to the handler above
            // (chain to the configured authority + registration), so calls without one can still use a token.
            builder.WebHost.ConfigureKestrel(kestrel => kestrel.ConfigureHttpsDefaults(https =>
            {
                https.ClientCertificateMode = ClientCertificateMode.AllowCertificate;
                https.AllowAnyClientCertificate();
            }));
        }

        builder.Services.AddAuthorization();
        return builder;
    }

    private static TokenKeys LoadKeys(JwtOptions options)
    {
        var keyFile = options.SigningKeys.Count > 0 ? null : Path.GetFullPath(options.KeyFile is { Length: > 0 } file ? file : SigningKeyFile.DefaultPath());
        var signing = keyFile is null
            ? options.SigningKeys.Select(k => SigningKey.FromBase64(k.Id, k.Secret)).ToList()
            : SigningKeyFile.LoadOrCreate(keyFile);
        var external = new List<SecurityKey>();
        if (options.KeySetFile is { Length: > 0 } jwks)
        {
            external.AddRange(new JsonWebKeySet(File.ReadAllText(jwks)).GetSigningKeys());
            if (external.Count == 0)
            {
                throw new InvalidOperationException($"Security:Jwt:KeySetFile {jwks} holds no signing keys.");
            }
        }

        // Tokens name their key by kid: a key without one could verify nothing, and a kid shared by a
        // signing key and an external key would leave a token's key ambiguous.
        if (external.FirstOrDefault(k => string.IsNullOrEmpty(k.KeyId)) is not null)
        {
            throw new InvalidOperationException($"Security:Jwt:KeySetFile {options.KeySetFile} holds a key without a kid; tokens name the key that verifies them by kid.");
        }

        var duplicate = signing.GroupBy(k => k.Id, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
        {
            throw new InvalidOperationException($"Security:Jwt:SigningKeys lists key id '{duplicate.Key}' twice.");
        }

        var shared = signing.Select(k => k.Id).Intersect(external.Select(k => k.KeyId), StringComparer.Ordinal).FirstOrDefault();
        return shared is null
            ? new TokenKeys(signing, external, options.Issuer, options.Audience) { KeyFile = keyFile }
            : throw new InvalidOperationException($"Key id '{shared}' names both a signing key and a key of Security:Jwt:KeySetFile {options.KeySetFile}.");
    }

    private static X509Certificate2Collection LoadAuthority(string path)
    {
        var collection = new X509Certificate2Collection();
        collection.ImportFromPemFile(path);
        return collection.Count > 0 ? collection : throw new InvalidOperationException($"Security:ClientCertificateAuthority {path} holds no certificate.");
    }
}
