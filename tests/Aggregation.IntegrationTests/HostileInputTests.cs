using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Aggregation.Protos.V1;
using Aggregation.Security;
using Aggregation.Server.Hosting;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Grpc.Health.V1;
using Grpc.Net.Client;
using Microsoft.Extensions.Time.Testing;
using Microsoft.IdentityModel.Tokens;

namespace Aggregation.IntegrationTests;

/// <summary>A server with small limits, so that floods reach them quickly.</summary>
public sealed class HostileServerFixture : ServerFixture
{
    public const int SubscriptionLimit = 5;
    public const int StreamMessages = 20;
    public const int Burst = 200;

    protected override IEnumerable<string> ExtraArguments =>
    [
        $"--Security:Jwt:KeySetFile={IdentityProvider.KeySetFile.Value}",
        $"--Security:Limits:Subscriptions={SubscriptionLimit}",
        $"--Security:Limits:StreamMessages={StreamMessages}",
        $"--Security:Limits:Burst={Burst}",
        "--Security:Limits:CallsPerSecond=100",
        "--Security:Limits:MaxRequestBytes=1048576",
    ];
}

/// <summary>
/// An external identity provider whose public keys the hostile server trusts through
/// <c>Security:Jwt:KeySetFile</c>: one RSA key (RS256) and one P-256 key (ES256), each with its kid.
/// </summary>
public static class IdentityProvider
{
    public const string RsaKeyId = "idp-rsa-2026";
    public const string EcKeyId = "idp-ec-2026";

    public static readonly RSA Rsa = RSA.Create(2048);

    public static readonly ECDsa Ec = ECDsa.Create(ECCurve.NamedCurves.nistP256);

    /// <summary>The JSON Web Key Set file (public halves only), written once per test run.</summary>
    public static readonly Lazy<string> KeySetFile = new(() =>
    {
        var rsa = Rsa.ExportParameters(false);
        var ec = Ec.ExportParameters(false);
        var path = Path.Combine(Directory.CreateTempSubdirectory("jwks-").FullName, "idp.jwks.json");
        File.WriteAllText(path, $$"""
        {"keys":[
          {"kty":"RSA","use":"sig","alg":"RS256","kid":"{{RsaKeyId}}","n":"{{Base64UrlEncoder.Encode(rsa.Modulus)}}","e":"{{Base64UrlEncoder.Encode(rsa.Exponent)}}"},
          {"kty":"EC","use":"sig","alg":"ES256","kid":"{{EcKeyId}}","crv":"P-256","x":"{{Base64UrlEncoder.Encode(ec.Q.X)}}","y":"{{Base64UrlEncoder.Encode(ec.Q.Y)}}"}
        ]}
        """);
        return path;
    });
}

/// <summary>
/// The hostile-input catalogue: each case sends something a careless or malicious client might, and
/// checks the status it gets, that nothing was recorded or applied, and that the server still
/// answers health checks and ordinary reads. Each case calls with a credential of its own subject,
/// so per-caller limits of one case never affect another.
/// </summary>
public sealed class HostileInputTests(HostileServerFixture server) : IClassFixture<HostileServerFixture>
{
    private const string Submit = "/aggregation.v1.Ingestion/SubmitReport";
    private const string SubmitMany = "/aggregation.v1.Ingestion/SubmitReports";

    private static readonly Dictionary<string, (StatusCode Expected, Func<Context, Task<StatusCode>> Attack)> Catalogue = new()
    {
        // Transport and encoding.
        ["truncated protobuf frame"] = (StatusCode.Internal, c => c.RawAsync(Submit, RawGrpc.Frame(ValidRequest().ToByteArray(), declaredLength: 4000))),
        ["garbage bytes as the message"] = (StatusCode.InvalidArgument, c => c.RawAsync(Submit, RawGrpc.Frame([0xFF, 0xFF, 0xFF, 0xFF, 0x0F, 0x12, 0x99, 0x00, 0x01]))),
        ["a frame shorter than its header"] = (StatusCode.Internal, c => c.RawAsync(Submit, [0, 0, 0])),
        ["a compressed frame without a grpc-encoding"] = (StatusCode.Internal, c => c.RawAsync(Submit, RawGrpc.Frame(ValidRequest().ToByteArray(), compressed: true))),
        ["an unsupported grpc-encoding"] = (StatusCode.Unimplemented, c => c.RawAsync(Submit, RawGrpc.Frame(ValidRequest().ToByteArray(), compressed: true), headers: new Dictionary<string, string> { ["grpc-encoding"] = "lz77-hostile" })),
        ["wrong content type"] = (StatusCode.Internal, c => c.RawAsync(Submit, Encoding.UTF8.GetBytes("{\"report\":{}}"), contentType: "application/json")),
        ["a message over the size limit"] = (StatusCode.ResourceExhausted, c => c.RawAsync(Submit, RawGrpc.Frame(new byte[2 * 1024 * 1024]))),
        ["an unknown method"] = (StatusCode.Unimplemented, c => c.RawAsync("/aggregation.v1.Ingestion/DropTables", RawGrpc.Frame([]))),
        ["two messages on a unary call"] = (StatusCode.Internal, c => c.RawAsync(Submit, [.. RawGrpc.Frame(ValidRequest().ToByteArray()), .. RawGrpc.Frame(ValidRequest().ToByteArray())])),
        ["a deadline of one microsecond"] = (StatusCode.DeadlineExceeded, c => c.RawAsync(Submit, RawGrpc.Frame(ValidRequest().ToByteArray()), headers: new Dictionary<string, string> { ["grpc-timeout"] = "1u" })),
        ["an unknown enum value"] = (StatusCode.InvalidArgument, c => c.CallAsAsync(ch => new Audit.AuditClient(ch).QueryAuditAsync(new QueryAuditRequest { Action = (Protos.V1.AuditAction)99 }).ResponseAsync, Roles.Admin)),

        // Batches.
        ["an empty batch"] = (StatusCode.InvalidArgument, c => c.SubmitManyAsync([])),
        ["a batch one over the limit"] = (StatusCode.InvalidArgument, c => c.SubmitManyAsync(Enumerable.Range(0, 1001).Select(_ => Valid()).ToList())),
        ["a batch far over the limit"] = (StatusCode.ResourceExhausted, c => c.SubmitManyAsync(Enumerable.Range(0, 20_000).Select(_ => Valid()).ToList())),
        ["a report with thousands of repeated values"] = (StatusCode.InvalidArgument, c => c.SubmitAsync(With(Valid(), r => r.Values.AddRange(Enumerable.Range(0, 5000).Select(_ => ReportGenerator.Number("workers_reached", 1)))))),
        ["a value with more entity ids than allowed"] = (StatusCode.InvalidArgument, c => c.SubmitAsync(With(Valid(), r => r.Values.Add(ReportGenerator.Entities("establishments_inspected", [.. Enumerable.Range(0, 10_001).Select(i => $"e{i}")]))))),
        ["the same element twice in a report"] = (StatusCode.InvalidArgument, c => c.SubmitAsync(With(Valid(), r => r.Values.Add(ReportGenerator.Number("awareness_activities", 3))))),
        ["a value with no kind set"] = (StatusCode.InvalidArgument, c => c.SubmitAsync(With(Valid(), r => r.Values.Add(new DataValue { DataElement = "workers_reached" })))),

        // Numbers.
        ["NaN"] = (StatusCode.InvalidArgument, c => c.SubmitAsync(Valid(double.NaN))),
        ["positive infinity"] = (StatusCode.InvalidArgument, c => c.SubmitAsync(Valid(double.PositiveInfinity))),
        ["negative infinity"] = (StatusCode.InvalidArgument, c => c.SubmitAsync(Valid(double.NegativeInfinity))),
        ["a negative count"] = (StatusCode.InvalidArgument, c => c.SubmitAsync(Valid(-1))),
        ["a number that overflows a 64-bit total"] = (StatusCode.InvalidArgument, c => c.SubmitAsync(Valid(1e300))),
        ["a fractional count"] = (StatusCode.InvalidArgument, c => c.SubmitAsync(Valid(2.5))),
        ["a yes/no answer for a count"] = (StatusCode.InvalidArgument, c => c.SubmitAsync(With(Valid(), r => r.Values[0] = ReportGenerator.Flag("awareness_activities", true)))),

        // Identifiers and text.
        ["control characters in the idempotency key"] = (StatusCode.InvalidArgument, c => c.SubmitAsync(With(Valid(), r => r.IdempotencyKey = "key\u0000\u001b[2J"))),
        ["a 100,000-character idempotency key"] = (StatusCode.InvalidArgument, c => c.SubmitAsync(With(Valid(), r => r.IdempotencyKey = new string('k', 100_000)))),
        ["control characters in the unit code"] = (StatusCode.InvalidArgument, c => c.SubmitAsync(With(Valid(), r => r.UnitCode = "05443\r\n"))),
        ["a 100,000-character unit code"] = (StatusCode.InvalidArgument, c => c.SubmitAsync(With(Valid(), r => r.UnitCode = new string('5', 100_000)))),
        ["full-width digits that look like a unit code"] = (StatusCode.InvalidArgument, c => c.SubmitAsync(With(Valid(), r => r.UnitCode = "０５４４３"))),
        ["Arabic-Indic digits that look like a unit code"] = (StatusCode.InvalidArgument, c => c.SubmitAsync(With(Valid(), r => r.UnitCode = "٠٥٤٤٣"))),
        ["a zero-width space after a unit code"] = (StatusCode.InvalidArgument, c => c.SubmitAsync(With(Valid(), r => r.UnitCode = "05443\u200B"))),
        ["a Cyrillic letter in the programme id"] = (StatusCode.InvalidArgument, c => c.SubmitAsync(With(Valid(), r => r.ProgrammeId = "рrostitution-prevention-2021-2025"))),
        ["a look-alike data element id"] = (StatusCode.InvalidArgument, c => c.SubmitAsync(With(Valid(), r => r.Values[0].DataElement = "awareness_activitieѕ"))),
        ["a 10,000-character source system"] = (StatusCode.InvalidArgument, c => c.SubmitAsync(With(Valid(), r => r.SourceSystem = new string('s', 10_000)))),
        ["an entity id with spaces and control characters"] = (StatusCode.InvalidArgument, c => c.SubmitAsync(With(Valid(), r => r.Values[0] = ReportGenerator.Entities("establishments_inspected", "est 1\u0007")))),

        // Periods and times.
        ["a period far in the future"] = (StatusCode.InvalidArgument, c => c.SubmitAsync(With(Valid(), r => r.Period = "9999-12"))),
        ["a period before the programme"] = (StatusCode.InvalidArgument, c => c.SubmitAsync(With(Valid(), r => r.Period = "1990-01"))),
        ["month 13"] = (StatusCode.InvalidArgument, c => c.SubmitAsync(With(Valid(), r => r.Period = "2025-13"))),
        ["a period with a leading space"] = (StatusCode.InvalidArgument, c => c.SubmitAsync(With(Valid(), r => r.Period = " 2025-03"))),
        ["a period with a trailing tab"] = (StatusCode.InvalidArgument, c => c.SubmitAsync(With(Valid(), r => r.Period = "2025-03\t"))),
        ["a span of years as a reporting period"] = (StatusCode.InvalidArgument, c => c.SubmitAsync(With(Valid(), r => r.Period = "2021-2025"))),
        ["a report stamped in the year 3000"] = (StatusCode.InvalidArgument, c => c.SubmitAsync(With(Valid(), r => r.ReportedAt = Timestamp.FromDateTime(new DateTime(3000, 1, 1, 0, 0, 0, DateTimeKind.Utc))))),
        ["a report stamped before 2000"] = (StatusCode.InvalidArgument, c => c.SubmitAsync(With(Valid(), r => r.ReportedAt = Timestamp.FromDateTime(new DateTime(1970, 1, 1, 0, 0, 0, DateTimeKind.Utc))))),

        // Idempotency.
        ["an idempotency key replayed with another payload"] = (StatusCode.AlreadyExists, c => c.SubmitAsync(With(Valid(), r => { r.IdempotencyKey = c.AcceptedKey; r.Values[0].Number = 9; }))),

        // Tokens.
        ["no token"] = (StatusCode.Unauthenticated, c => c.SubmitWithTokenAsync(null)),
        ["a token signed with an unknown key"] = (StatusCode.Unauthenticated, c => c.SubmitWithTokenAsync(TokenIssuer.Issue(c.Grant(Roles.Submitter), new SigningKey(TestCredentials.Current.Id, new byte[32]), TimeSpan.FromHours(1)))),
        ["an expired token"] = (StatusCode.Unauthenticated, c => c.SubmitWithTokenAsync(TokenIssuer.Issue(c.Grant(Roles.Submitter), TestCredentials.Current, TimeSpan.FromHours(1), time: new FakeTimeProvider(DateTimeOffset.UtcNow.AddHours(-3))))),
        ["a token not valid yet"] = (StatusCode.Unauthenticated, c => c.SubmitWithTokenAsync(TokenIssuer.Issue(c.Grant(Roles.Submitter), TestCredentials.Current, TimeSpan.FromHours(1), time: new FakeTimeProvider(DateTimeOffset.UtcNow.AddHours(1))))),
        ["an unsigned token (alg none)"] = (StatusCode.Unauthenticated, c => c.SubmitWithTokenAsync(Unsigned(c.Grant(Roles.Submitter, Roles.Admin)))),
        ["a token for another audience"] = (StatusCode.Unauthenticated, c => c.SubmitWithTokenAsync(TokenIssuer.Issue(c.Grant(Roles.Submitter), TestCredentials.Current, TimeSpan.FromHours(1), audience: "another-service"))),
        ["a token from another issuer"] = (StatusCode.Unauthenticated, c => c.SubmitWithTokenAsync(TokenIssuer.Issue(c.Grant(Roles.Submitter), TestCredentials.Current, TimeSpan.FromHours(1), issuer: "someone-else"))),
        ["a viewer token with its payload rewritten to submitter"] = (StatusCode.Unauthenticated, c => c.SubmitWithTokenAsync(Tampered(TestCredentials.Token(c.Grant(Roles.Viewer)), c.Grant(Roles.Submitter)))),
        ["a malformed bearer token"] = (StatusCode.Unauthenticated, c => c.SubmitWithTokenAsync("not.a.jwt")),
        ["a token signed with the real key naming an unknown key id"] = (StatusCode.Unauthenticated, c => c.SubmitWithTokenAsync(Signed(c.Grant(Roles.Submitter), "test-retired", Signer.Current))),
        ["a token signed with the real key naming no key id"] = (StatusCode.Unauthenticated, c => c.SubmitWithTokenAsync(Signed(c.Grant(Roles.Submitter), null, Signer.Current))),
        ["a token signed with the real key naming a path as its key id"] = (StatusCode.Unauthenticated, c => c.SubmitWithTokenAsync(Signed(c.Grant(Roles.Submitter), "../../etc/passwd", Signer.Current))),
        ["a token naming the previous key but signed with the current one"] = (StatusCode.Unauthenticated, c => c.SubmitWithTokenAsync(Signed(c.Grant(Roles.Submitter), TestCredentials.Previous.Id, Signer.Current))),
        ["a token signed with the real key living 100 years"] = (StatusCode.Unauthenticated, c => c.SubmitWithTokenAsync(Signed(c.Grant(Roles.Submitter), TestCredentials.Current.Id, Signer.Current, TimeSpan.FromDays(36_525)))),
        ["a token signed with the real key living 91 days"] = (StatusCode.Unauthenticated, c => c.SubmitWithTokenAsync(Signed(c.Grant(Roles.Submitter), TestCredentials.Current.Id, Signer.Current, TimeSpan.FromDays(91)))),
        ["a token living 91 days from its not-before, without an issue time"] = (StatusCode.Unauthenticated, c => c.SubmitWithTokenAsync(Signed(c.Grant(Roles.Submitter), TestCredentials.Current.Id, Signer.Current, TimeSpan.FromDays(91), issuedAt: false))),
        ["a token living 91 days from now, without an issue or not-before time"] = (StatusCode.Unauthenticated, c => c.SubmitWithTokenAsync(Signed(c.Grant(Roles.Submitter), TestCredentials.Current.Id, Signer.Current, TimeSpan.FromDays(91), issuedAt: false, notBefore: false))),
        ["a token living 100 years that claims to be issued the day before it expires"] = (StatusCode.Unauthenticated, c => c.SubmitWithTokenAsync(Signed(c.Grant(Roles.Submitter), TestCredentials.Current.Id, Signer.Current, TimeSpan.FromDays(36_525), issuedBeforeExpiry: TimeSpan.FromDays(1)))),
        ["an identity provider's token naming another of its keys"] = (StatusCode.Unauthenticated, c => c.SubmitWithTokenAsync(Signed(c.Grant(Roles.Submitter), IdentityProvider.EcKeyId, Signer.IdentityProviderRsa))),
        ["an identity provider's token naming no key id"] = (StatusCode.Unauthenticated, c => c.SubmitWithTokenAsync(Signed(c.Grant(Roles.Submitter), null, Signer.IdentityProviderEc))),
        ["an identity provider's token living 100 years"] = (StatusCode.Unauthenticated, c => c.SubmitWithTokenAsync(Signed(c.Grant(Roles.Submitter), IdentityProvider.RsaKeyId, Signer.IdentityProviderRsa, TimeSpan.FromDays(36_525)))),
        ["a viewer submitting"] = (StatusCode.PermissionDenied, c => c.SubmitWithTokenAsync(TestCredentials.Token(c.Grant(Roles.Viewer)))),
        ["a token of tenant A naming tenant B's unit"] = (StatusCode.PermissionDenied, c => c.SubmitWithTokenAsync(TestCredentials.Token(c.Grant(Roles.Submitter) with { Units = ["164"] }), With(Valid(), r => r.UnitCode = "01834"))),
        ["a token of a tenant this server does not serve"] = (StatusCode.PermissionDenied, c => c.SubmitWithTokenAsync(TestCredentials.Token(c.Grant(Roles.Submitter) with { Tenant = "bac-kan" }))),

        // Floods.
        ["a subscription flood from one caller"] = (StatusCode.ResourceExhausted, c => c.SubscriptionFloodAsync()),
        ["a burst of calls far above the caller's rate"] = (StatusCode.ResourceExhausted, c => c.CallFloodAsync()),
        ["a stream carrying more batches than allowed"] = (StatusCode.ResourceExhausted, c => c.LongStreamAsync()),
    };

    public static TheoryData<string> Cases() => [.. Catalogue.Keys];

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task A_hostile_request_gets_its_status_changes_nothing_and_the_server_keeps_serving(string name)
    {
        var (expected, attack) = Catalogue[name];
        var context = new Context(server, name);
        await context.PrepareAsync();
        var before = await context.StateAsync();

        var actual = await attack(context);

        Assert.Equal(expected, actual);
        Assert.Equal(before, await context.StateAsync());
        Assert.DoesNotContain("   at ", context.LastMessage, StringComparison.Ordinal);
        await context.AssertServingAsync();
    }

    [Fact]
    public void The_catalogue_has_at_least_forty_distinct_cases() => Assert.True(Catalogue.Count >= 40, $"{Catalogue.Count} cases");

    [Fact]
    public async Task A_token_signed_with_the_previous_key_still_works_during_a_rotation()
    {
        using var channel = TestCredentials.Channel(server.Address, TestCredentials.Token(TestCredentials.Operator with { Subject = "rotation" }, TestCredentials.Previous));
        var result = await new Ingestion.IngestionClient(channel).SubmitReportAsync(new SubmitReportRequest { Report = Valid() });
        Assert.Equal(ReportOutcome.Accepted, result.Result.Outcome);
    }

    [Theory]
    [InlineData(89)]
    [InlineData(90)]
    public async Task A_token_naming_a_configured_key_and_living_up_to_the_maximum_is_accepted(int days)
    {
        var grant = new AccessGrant($"lifetime-{days}", TestCredentials.Tenant, [Roles.Submitter]);
        foreach (var token in new[] { Signed(grant, TestCredentials.Current.Id, Signer.Current, TimeSpan.FromDays(days)), TestCredentials.Token(grant, lifetime: TimeSpan.FromDays(days)) })
        {
            using var channel = TestCredentials.Channel(server.Address, token);
            var result = await new Ingestion.IngestionClient(channel).SubmitReportAsync(new SubmitReportRequest { Report = Valid() });
            Assert.Equal(ReportOutcome.Accepted, result.Result.Outcome);
        }
    }

    [Theory]
    [InlineData(IdentityProvider.RsaKeyId, "RS256")]
    [InlineData(IdentityProvider.EcKeyId, "ES256")]
    public async Task A_token_signed_by_a_key_of_the_external_key_set_is_accepted_by_its_key_id(string keyId, string algorithm)
    {
        var signer = algorithm == "RS256" ? Signer.IdentityProviderRsa : Signer.IdentityProviderEc;
        using var channel = TestCredentials.Channel(server.Address, Signed(new AccessGrant("idp:" + keyId, TestCredentials.Tenant, [Roles.Submitter]), keyId, signer));
        var result = await new Ingestion.IngestionClient(channel).SubmitReportAsync(new SubmitReportRequest { Report = Valid() });
        Assert.Equal(ReportOutcome.Accepted, result.Result.Outcome);
    }

    [Fact]
    public async Task A_server_that_would_issue_tokens_it_then_refuses_does_not_start()
    {
        var ex = await Assert.ThrowsAsync<InvalidOperationException>(() => AggregationApp.BuildAsync([.. ServerFixture.Arguments(out _, "Host=127.0.0.1;Port=1"), "--Security:Jwt:MaxLifetime=30.00:00:00"]));
        Assert.Contains("Security:Jwt:MaxIssuedLifetime", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Tokens_the_product_issues_name_their_signing_key()
    {
        Assert.Equal(TestCredentials.Current.Id, KeyIdOf(TestCredentials.Token(TestCredentials.Operator)));
        Assert.Equal(TestCredentials.Previous.Id, KeyIdOf(TestCredentials.Token(TestCredentials.Operator, TestCredentials.Previous)));

        using var admin = TestCredentials.Channel(server.Address, TestCredentials.Token(new AccessGrant("issuing-admin", TestCredentials.Tenant, [Roles.Admin])));
        var issued = await new Protos.V1.Credentials.CredentialsClient(admin).IssueTokenAsync(new IssueTokenRequest { Subject = "issued", Roles = { Roles.Viewer }, Lifetime = Duration.FromTimeSpan(TimeSpan.FromDays(90)) });
        Assert.Equal(TestCredentials.Current.Id, KeyIdOf(issued.Token));
    }

    private static SubmitReportRequest ValidRequest() => new() { Report = Valid() };

    private static Report Valid(double awareness = 1) => new()
    {
        IdempotencyKey = Guid.NewGuid().ToString("N"),
        UnitCode = "05443",
        ProgrammeId = ServerFixture.Programme,
        Period = "2025-03",
        ReportedAt = Timestamp.FromDateTime(DateTime.UtcNow.AddMinutes(-1)),
        SourceSystem = "hostile-test",
        Values = { ReportGenerator.Number("awareness_activities", awareness) },
    };

    private static Report With(Report report, Action<Report> change)
    {
        change(report);
        return report;
    }

    private static string Base64Url(string json) => Base64UrlEncoder.Encode(Encoding.UTF8.GetBytes(json));

    private static string? KeyIdOf(string token) =>
        JsonDocument.Parse(Base64UrlEncoder.DecodeBytes(token.Split('.')[0])).RootElement.TryGetProperty("kid", out var kid) ? kid.GetString() : null;

    /// <summary>
    /// A token made here byte by byte, so that each case controls its header and times: signed by
    /// <paramref name="signer"/>, naming <paramref name="keyId"/> (none when null), valid from a minute
    /// ago for <paramref name="lifetime"/> (default one hour), with or without iat and nbf.
    /// </summary>
    private static string Signed(AccessGrant grant, string? keyId, Signer signer, TimeSpan? lifetime = null, bool issuedAt = true, bool notBefore = true, TimeSpan? issuedBeforeExpiry = null)
    {
        var start = DateTimeOffset.UtcNow.AddMinutes(-1);
        var expires = start + (lifetime ?? TimeSpan.FromHours(1));
        var header = new Dictionary<string, object> { ["alg"] = signer.Algorithm, ["typ"] = "JWT" };
        if (keyId is not null)
        {
            header["kid"] = keyId;
        }

        var payload = new Dictionary<string, object>
        {
            ["sub"] = grant.Subject,
            ["tenant"] = grant.Tenant,
            ["role"] = grant.Roles,
            ["iss"] = TokenIssuer.DefaultIssuer,
            ["aud"] = TokenIssuer.DefaultAudience,
            ["exp"] = expires.ToUnixTimeSeconds(),
        };
        if (issuedAt)
        {
            payload["iat"] = (issuedBeforeExpiry is { } before ? expires - before : start).ToUnixTimeSeconds();
        }

        if (notBefore)
        {
            payload["nbf"] = start.ToUnixTimeSeconds();
        }

        var body = $"{Base64Url(JsonSerializer.Serialize(header))}.{Base64Url(JsonSerializer.Serialize(payload))}";
        return $"{body}.{Base64UrlEncoder.Encode(signer.Sign(Encoding.ASCII.GetBytes(body)))}";
    }

    /// <summary>A JWS algorithm and the private key that signs with it.</summary>
    private sealed record Signer(string Algorithm, Func<byte[], byte[]> Sign)
    {
        public static readonly Signer Current = new("HS256", data => HMACSHA256.HashData(TestCredentials.Current.Secret, data));

        public static readonly Signer IdentityProviderRsa = new("RS256", data => IdentityProvider.Rsa.SignData(data, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1));

        // .NET signs ECDSA in the IEEE P1363 form (r || s) that JWS requires.
        public static readonly Signer IdentityProviderEc = new("ES256", data => IdentityProvider.Ec.SignData(data, HashAlgorithmName.SHA256));
    }

    private static string Payload(AccessGrant grant) =>
        $$"""{"sub":"{{grant.Subject}}","tenant":"{{grant.Tenant}}","role":[{{string.Join(",", grant.Roles.Select(r => $"\"{r}\""))}}],"iss":"aggregation","aud":"aggregation","exp":{{DateTimeOffset.UtcNow.AddHours(1).ToUnixTimeSeconds()}}}""";

    private static string Unsigned(AccessGrant grant) => $"{Base64Url("""{"alg":"none","typ":"JWT"}""")}.{Base64Url(Payload(grant))}.";

    private static string Tampered(string token, AccessGrant grant)
    {
        var parts = token.Split('.');
        return $"{parts[0]}.{Base64Url(Payload(grant))}.{parts[2]}";
    }

    /// <summary>One case's caller (its own subject), and the checks around its attack.</summary>
    private sealed class Context(HostileServerFixture server, string name)
    {
        public string AcceptedKey { get; } = "accepted-" + Guid.NewGuid().ToString("N");

        public string LastMessage { get; private set; } = "";

        private string Subject => "hostile:" + name;

        public AccessGrant Grant(params string[] roles) => new(Subject, TestCredentials.Tenant, roles);

        /// <summary>Every case starts with one accepted report of its own (what the replay case replays).</summary>
        public async Task PrepareAsync()
        {
            using var channel = TestCredentials.Channel(server.Address, TestCredentials.Token(new AccessGrant("hostile-setup", TestCredentials.Tenant, [Roles.Submitter])));
            var result = await new Ingestion.IngestionClient(channel).SubmitReportAsync(new SubmitReportRequest { Report = With(Valid(), r => r.IdempotencyKey = AcceptedKey) });
            Assert.Equal(ReportOutcome.Accepted, result.Result.Outcome);
        }

        public async Task<StatusCode> RawAsync(string method, byte[] body, string contentType = "application/grpc", Dictionary<string, string>? headers = null)
        {
            using var raw = new RawGrpc(server.Address);
            var answer = await raw.CallAsync(method, body, TestCredentials.Token(Grant(Roles.Submitter, Roles.Admin)), contentType, headers);
            LastMessage = answer.Message;
            Assert.True(answer.GrpcStatus is not null, $"HTTP {(int)answer.Http} without a grpc-status: {answer.Message}");
            return (StatusCode)answer.GrpcStatus!.Value;
        }

        public Task<StatusCode> SubmitAsync(Report report) => SubmitWithTokenAsync(TestCredentials.Token(Grant(Roles.Submitter)), report);

        public Task<StatusCode> SubmitManyAsync(List<Report> reports) =>
            CallAsAsync(ch => new Ingestion.IngestionClient(ch).SubmitReportsAsync(new SubmitReportsRequest { Reports = { reports } }).ResponseAsync, Roles.Submitter);

        public Task<StatusCode> SubmitWithTokenAsync(string? token, Report? report = null) =>
            CallAsync(ch => new Ingestion.IngestionClient(ch).SubmitReportAsync(new SubmitReportRequest { Report = report ?? Valid() }).ResponseAsync, token);

        public Task<StatusCode> CallAsAsync(Func<GrpcChannel, Task> call, params string[] roles) => CallAsync(call, TestCredentials.Token(Grant(roles)));

        public async Task<StatusCode> CallAsync(Func<GrpcChannel, Task> call, string? token)
        {
            using var channel = GrpcChannel.ForAddress(server.Address, new GrpcChannelOptions { MaxSendMessageSize = null, Credentials = token is null ? ChannelCredentials.Insecure : ChannelCredentials.Create(ChannelCredentials.Insecure, Bearer(token)), UnsafeUseInsecureChannelCallCredentials = true });
            try
            {
                await call(channel);
                return StatusCode.OK;
            }
            catch (RpcException ex)
            {
                LastMessage = ex.Status.Detail;
                return ex.StatusCode;
            }
        }

        /// <summary>Opens one more subscription than the caller may hold; the extra one is refused, the others stay open.</summary>
        public async Task<StatusCode> SubscriptionFloodAsync()
        {
            using var channel = TestCredentials.Channel(server.Address, TestCredentials.Token(Grant(Roles.Viewer)));
            var client = new Protos.V1.Subscriptions.SubscriptionsClient(channel);
            var open = new List<AsyncServerStreamingCall<SubscribeResponse>>();
            try
            {
                for (var i = 0; i < HostileServerFixture.SubscriptionLimit; i++)
                {
                    var call = client.Subscribe(new SubscribeRequest { UnitCode = "164", ProgrammeId = ServerFixture.Programme, Periods = { "2025" } });
                    open.Add(call);
                    Assert.True(await call.ResponseStream.MoveNext());
                }

                using var extra = client.Subscribe(new SubscribeRequest { UnitCode = "164", ProgrammeId = ServerFixture.Programme, Periods = { "2025" } });
                var refused = await Assert.ThrowsAsync<RpcException>(() => extra.ResponseStream.MoveNext());
                LastMessage = refused.Status.Detail;
                foreach (var call in open)
                {
                    Assert.True(await call.ResponseStream.MoveNext(), "an admitted subscription ended when the extra one was refused");
                }

                return refused.StatusCode;
            }
            finally
            {
                open.ForEach(c => c.Dispose());
            }
        }

        /// <summary>Many more reads at once than the caller's burst allows: some are refused with RESOURCE_EXHAUSTED and a retry delay.</summary>
        public async Task<StatusCode> CallFloodAsync()
        {
            using var channel = TestCredentials.Channel(server.Address, TestCredentials.Token(Grant(Roles.Viewer)));
            var client = new Catalog.CatalogClient(channel);
            var calls = Enumerable.Range(0, HostileServerFixture.Burst * 3).Select(async _ =>
            {
                try
                {
                    await client.ListProgrammesAsync(new ListProgrammesRequest());
                    return (StatusCode.OK, (RpcException?)null);
                }
                catch (RpcException ex)
                {
                    return (ex.StatusCode, ex);
                }
            });
            var results = await Task.WhenAll(calls);
            Assert.Contains(results, r => r.Item1 == StatusCode.OK);
            var refused = results.FirstOrDefault(r => r.Item1 != StatusCode.OK);
            Assert.True(refused.Item2 is not null, "no call was refused");
            Assert.NotNull(refused.Item2!.GetRpcStatus()?.GetDetail<Google.Rpc.RetryInfo>());
            LastMessage = refused.Item2.Status.Detail;
            return refused.Item1;
        }

        /// <summary>A stream of one-report batches beyond the per-stream limit: the allowed ones are answered, then the stream ends.</summary>
        public async Task<StatusCode> LongStreamAsync()
        {
            using var channel = TestCredentials.Channel(server.Address, TestCredentials.Token(Grant(Roles.Submitter)));
            using var call = new Ingestion.IngestionClient(channel).StreamReports();
            var answered = 0;
            try
            {
                for (var i = 0; i <= HostileServerFixture.StreamMessages; i++)
                {
                    // Resending the accepted report: each batch is answered (as a duplicate) and changes nothing.
                    await call.RequestStream.WriteAsync(new SubmitReportsRequest { Reports = { With(Valid(), r => r.IdempotencyKey = AcceptedKey) } });
                    Assert.True(await call.ResponseStream.MoveNext());
                    answered++;
                }
            }
            catch (RpcException ex)
            {
                Assert.Equal(HostileServerFixture.StreamMessages, answered);
                LastMessage = ex.Status.Detail;
                return ex.StatusCode;
            }

            return StatusCode.OK;
        }

        /// <summary>
        /// What no refused request may change: the ledger, the audit of accepted values and the
        /// figures of the commune every attack names (its own figures change before a report is
        /// acknowledged, so they are settled when this is read).
        /// </summary>
        public async Task<(long, long, long)> StateAsync()
        {
            var (ledger, accepted) = await RecordedRows.CountAsync(server.ConnectionString);
            var version = (await server.ReadAsync("05443", "2025")).Version;
            return (ledger, accepted, version);
        }

        public async Task AssertServingAsync()
        {
            using var anonymous = GrpcChannel.ForAddress(server.Address);
            Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, (await new Health.HealthClient(anonymous).CheckAsync(new HealthCheckRequest())).Status);
            Assert.Equal("19", (await server.ReadAsync(ServerFixture.ProvinceCode, "2025")).Unit.Code);
        }

        private static CallCredentials Bearer(string token) => CallCredentials.FromInterceptor((_, metadata) =>
        {
            metadata.Add("authorization", "Bearer " + token);
            return Task.CompletedTask;
        });
    }
}
