using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Aggregation.Protos.V1;
using Aggregation.Security;
using Aggregation.Storage;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Grpc.Net.Client;

namespace Aggregation.IntegrationTests;

/// <summary>
/// A server with a TLS endpoint (Kestrel configured from PEM files, as README's security section
/// shows) that also accepts district systems' client certificates issued by the province's
/// certificate authority and registered by thumbprint.
/// </summary>
public sealed class TlsServerFixture : ServerFixture
{
    private readonly string _directory = Directory.CreateTempSubdirectory("tls-").FullName;
    private readonly int _tlsPort = LoopbackPorts.Take();

    public TlsServerFixture()
    {
        using var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var caRequest = new CertificateRequest("CN=Thai Nguyen DOLISA test CA", caKey, HashAlgorithmName.SHA256);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        Authority = caRequest.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(1));
        File.WriteAllText(Path.Combine(_directory, "ca.pem"), Authority.ExportCertificatePem());

        using var serverKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var serverRequest = new CertificateRequest("CN=aggregation.test", serverKey, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        names.AddDnsName("localhost");
        serverRequest.CertificateExtensions.Add(names.Build());
        serverRequest.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        using var server = serverRequest.Create(Authority, DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30), RandomNumberGenerator.GetBytes(8));
        File.WriteAllText(Path.Combine(_directory, "server.pem"), server.ExportCertificatePem());
        File.WriteAllText(Path.Combine(_directory, "server.key"), serverKey.ExportPkcs8PrivateKeyPem());

        RegisteredClient = ClientCertificate("CN=district-164-system", Authority, caKey);
        UnregisteredClient = ClientCertificate("CN=unknown-system", Authority, caKey);
        using var rogueKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        RogueClient = new CertificateRequest("CN=district-164-system", rogueKey, HashAlgorithmName.SHA256).CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
        RogueClient = X509CertificateLoader.LoadPkcs12(RogueClient.Export(X509ContentType.Pkcs12), null);
    }

    public X509Certificate2 Authority { get; }

    /// <summary>Registered as the submitter system of district 164.</summary>
    public X509Certificate2 RegisteredClient { get; }

    /// <summary>Issued by the authority but never registered.</summary>
    public X509Certificate2 UnregisteredClient { get; }

    /// <summary>Self-signed, with the registered system's name.</summary>
    public X509Certificate2 RogueClient { get; }

    public string TlsAddress => $"https://127.0.0.1:{_tlsPort}";

    protected override IEnumerable<string> ExtraArguments =>
    [
        $"--Kestrel:Endpoints:GrpcTls:Url={TlsAddress}",
        "--Kestrel:Endpoints:GrpcTls:Protocols=Http2",
        $"--Kestrel:Endpoints:GrpcTls:Certificate:Path={Path.Combine(_directory, "server.pem")}",
        $"--Kestrel:Endpoints:GrpcTls:Certificate:KeyPath={Path.Combine(_directory, "server.key")}",
        $"--Security:ClientCertificateAuthority={Path.Combine(_directory, "ca.pem")}",
        $"--Security:ClientCertificates:0:Thumbprint={Convert.ToHexString(RegisteredClient.GetCertHash(HashAlgorithmName.SHA256))}",
        "--Security:ClientCertificates:0:Subject=district-164-system",
        $"--Security:ClientCertificates:0:Tenant={TestCredentials.Tenant}",
        "--Security:ClientCertificates:0:Roles:0=submitter",
        "--Security:ClientCertificates:0:Units:0=164",
    ];

    /// <summary>A TLS channel that trusts only the test authority, presenting <paramref name="certificate"/> (if any) and <paramref name="token"/> (if any).</summary>
    public GrpcChannel TlsChannel(X509Certificate2? certificate, string? token = null)
    {
        var handler = new SocketsHttpHandler
        {
            SslOptions = new SslClientAuthenticationOptions
            {
                ClientCertificates = certificate is null ? null : [certificate],
                RemoteCertificateValidationCallback = (_, presented, _, _) =>
                {
                    if (presented is null)
                    {
                        return false;
                    }

                    using var chain = new X509Chain();
                    chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                    chain.ChainPolicy.CustomTrustStore.Add(Authority);
                    chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                    return chain.Build(new X509Certificate2(presented));
                },
            },
        };
        var options = new GrpcChannelOptions { HttpHandler = handler, DisposeHttpClient = true };
        if (token is not null)
        {
            options.Credentials = ChannelCredentials.Create(ChannelCredentials.SecureSsl, CallCredentials.FromInterceptor((_, metadata) =>
            {
                metadata.Add("authorization", "Bearer " + token);
                return Task.CompletedTask;
            }));
        }

        return GrpcChannel.ForAddress(TlsAddress, options);
    }

    private static X509Certificate2 ClientCertificate(string subject, X509Certificate2 issuer, ECDsa issuerKey)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.2")], false));
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, false));
        using var signed = request.Create(issuer.SubjectName, X509SignatureGenerator.CreateForECDsa(issuerKey), DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30), RandomNumberGenerator.GetBytes(8));
        using var withKey = signed.CopyWithPrivateKey(key);
        return X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pkcs12), null);
    }

}

/// <summary>Calls over TLS: district systems by client certificate, officers by token.</summary>
public sealed class TlsTests(TlsServerFixture server) : IClassFixture<TlsServerFixture>
{
    [Fact]
    public async Task A_district_system_with_its_registered_certificate_submits_over_tls_without_a_token_and_is_audited_as_such()
    {
        using var channel = server.TlsChannel(server.RegisteredClient);
        var report = Report("05443");

        var result = await new Ingestion.IngestionClient(channel).SubmitReportAsync(new SubmitReportRequest { Report = report });

        Assert.Equal(ReportOutcome.Accepted, result.Result.Outcome);
        var audit = await new Audit.AuditClient(server.Channel).QueryAuditAsync(new QueryAuditRequest { Subject = "district-164-system" });
        var record = Assert.Single(audit.Records, r => r.IdempotencyKey == report.IdempotencyKey);
        Assert.Equal("Certificate", record.AuthenticatedBy);
    }

    [Fact]
    public async Task The_certificate_s_scope_holds_like_a_token_s()
    {
        using var channel = server.TlsChannel(server.RegisteredClient);

        var ex = await Assert.ThrowsAsync<RpcException>(() => new Ingestion.IngestionClient(channel).SubmitReportAsync(new SubmitReportRequest { Report = Report("05506") }).ResponseAsync);

        Assert.Equal(StatusCode.PermissionDenied, ex.StatusCode);
    }

    [Theory]
    [InlineData("unregistered")]
    [InlineData("self-signed")]
    [InlineData("none")]
    public async Task A_certificate_that_is_not_registered_or_not_from_the_authority_or_missing_does_not_authenticate(string which)
    {
        var certificate = which switch { "unregistered" => server.UnregisteredClient, "self-signed" => server.RogueClient, _ => null };
        using var channel = server.TlsChannel(certificate);

        var ex = await Assert.ThrowsAsync<RpcException>(() => new Ingestion.IngestionClient(channel).SubmitReportAsync(new SubmitReportRequest { Report = Report("05443") }).ResponseAsync);

        Assert.Equal(StatusCode.Unauthenticated, ex.StatusCode);
    }

    [Fact]
    public async Task An_officer_without_a_certificate_reads_over_tls_with_a_token()
    {
        using var channel = server.TlsChannel(null, TestCredentials.Token(new AccessGrant("province-officer", TestCredentials.Tenant, [Roles.Viewer], ["19"])));

        var rollup = await new Rollups.RollupsClient(channel).GetRollupAsync(new GetRollupRequest { UnitCode = "19", ProgrammeId = ServerFixture.Programme, Period = "2025" });

        Assert.Equal("19", rollup.Rollup.Unit.Code);
    }

    private static Report Report(string unit) => new()
    {
        IdempotencyKey = Guid.NewGuid().ToString("N"),
        UnitCode = unit,
        ProgrammeId = ServerFixture.Programme,
        Period = "2025-03",
        ReportedAt = Timestamp.FromDateTime(DateTime.UtcNow.AddMinutes(-1)),
        SourceSystem = "district-164-app",
        Values = { ReportGenerator.Number("awareness_activities", 1) },
    };
}
