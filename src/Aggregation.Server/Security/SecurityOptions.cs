using System.ComponentModel.DataAnnotations;

namespace Aggregation.Server.Security;

/// <summary>Configuration section <c>Security</c>: how callers prove who they are, and the limits each caller lives within.</summary>
public sealed class SecurityOptions
{
    public const string Section = "Security";

    public JwtOptions Jwt { get; set; } = new();

    /// <summary>PEM file of the certificate authority that signs district systems' client certificates (mTLS). Unset: no certificate authentication.</summary>
    public string? ClientCertificateAuthority { get; set; }

    /// <summary>Client certificates accepted (by SHA-256 thumbprint) and what each may do.</summary>
    public List<ClientCertificateOptions> ClientCertificates { get; set; } = [];

    public LimitOptions Limits { get; set; } = new();
}

/// <summary>Configuration section <c>Security:Jwt</c>.</summary>
public sealed class JwtOptions
{
    public string Issuer { get; set; } = Aggregation.Security.TokenIssuer.DefaultIssuer;

    public string Audience { get; set; } = Aggregation.Security.TokenIssuer.DefaultAudience;

    /// <summary>Signing keys (id + base64 secret of at least 32 bytes). The first signs tokens issued by the server; all validate.</summary>
    public List<SigningKeyOptions> SigningKeys { get; set; } = [];

    /// <summary>
    /// Signing-key file used when <see cref="SigningKeys"/> is empty; created with a new key when missing.
    /// Default: /var/lib/aggregation/signing-keys.json (root) or ~/.local/share/aggregation/signing-keys.json.
    /// </summary>
    public string? KeyFile { get; set; }

    /// <summary>A JSON Web Key Set file of an external identity provider whose (asymmetric) keys are also trusted.</summary>
    public string? KeySetFile { get; set; }

    /// <summary>Tolerance for clocks that disagree when checking a token's lifetime.</summary>
    public TimeSpan ClockSkew { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Longest lifetime (exp − iat, else exp − nbf, else exp − now) of any token accepted, whoever
    /// issued it: a token signed by the external identity provider or with a leaked key cannot live
    /// for years.
    /// </summary>
    public TimeSpan MaxLifetime { get; set; } = Aggregation.Security.TokenIssuer.DefaultMaxLifetime;

    /// <summary>Longest lifetime of a token issued through the Credentials service; at most <see cref="MaxLifetime"/>.</summary>
    public TimeSpan MaxIssuedLifetime { get; set; } = Aggregation.Security.TokenIssuer.DefaultMaxLifetime;

    /// <summary>Stops the start, naming the settings, when the lifetimes contradict each other.</summary>
    public void Validate()
    {
        if (MaxLifetime <= TimeSpan.Zero)
        {
            throw new InvalidOperationException($"Security:Jwt:MaxLifetime must be positive; it is {MaxLifetime}.");
        }

        // Otherwise the Credentials service would hand out tokens that every server then refuses.
        if (MaxIssuedLifetime <= TimeSpan.Zero || MaxIssuedLifetime > MaxLifetime)
        {
            throw new InvalidOperationException($"Security:Jwt:MaxIssuedLifetime ({MaxIssuedLifetime}) must be positive and at most Security:Jwt:MaxLifetime ({MaxLifetime}).");
        }

        if (ClockSkew < TimeSpan.Zero)
        {
            throw new InvalidOperationException($"Security:Jwt:ClockSkew must not be negative; it is {ClockSkew}.");
        }
    }
}

public sealed class SigningKeyOptions
{
    public string Id { get; set; } = "";

    public string Secret { get; set; } = "";
}

/// <summary>One district or agency system authenticating with a client certificate.</summary>
public sealed class ClientCertificateOptions
{
    /// <summary>SHA-256 thumbprint of the certificate (hex).</summary>
    public string Thumbprint { get; set; } = "";

    public string Subject { get; set; } = "";

    public string Tenant { get; set; } = "";

    public List<string> Roles { get; set; } = [];

    public List<string> Units { get; set; } = [];

    public List<string> DataSets { get; set; } = [];
}

/// <summary>Configuration section <c>Security:Limits</c>. Rate and concurrency limits are per caller (tenant + subject).</summary>
public sealed class LimitOptions
{
    /// <summary>
    /// Largest request message. The largest legitimate one is a full batch: 1,000 reports of a
    /// commune's monthly data set (≈ 0.5 KB each), or a single report listing 10,000 entity ids of
    /// 64 characters (≈ 0.7 MB); 4 MiB holds either several times over.
    /// </summary>
    [Range(64 * 1024, 64 * 1024 * 1024)]
    public int MaxRequestBytes { get; set; } = 4 * 1024 * 1024;

    /// <summary>Sustained calls per second per caller (token bucket).</summary>
    [Range(1, 1_000_000)]
    public int CallsPerSecond { get; set; } = 2000;

    /// <summary>Calls a caller may make at once above the sustained rate.</summary>
    [Range(1, 1_000_000)]
    public int Burst { get; set; } = 4000;

    /// <summary>Calls of one caller in flight at once (a stream counts while it is open).</summary>
    [Range(1, 100_000)]
    public int ConcurrentCalls { get; set; } = 200;

    /// <summary>Subscriptions (gRPC or dashboard) one caller may hold open at once.</summary>
    [Range(1, 100_000)]
    public int Subscriptions { get; set; } = 50;

    /// <summary>Batches one StreamReports call may carry before the client must open a new stream.</summary>
    [Range(1, int.MaxValue)]
    public int StreamMessages { get; set; } = 100_000;

    /// <summary>How long a StreamReports call may stay open.</summary>
    public TimeSpan StreamDuration { get; set; } = TimeSpan.FromHours(1);

    /// <summary>How long a subscription stays open before the server ends it cleanly (the client resumes from its last version).</summary>
    public TimeSpan SubscriptionDuration { get; set; } = TimeSpan.FromHours(12);
}
