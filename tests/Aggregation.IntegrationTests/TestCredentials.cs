using Aggregation.Security;
using Grpc.Core;
using Grpc.Net.Client;

namespace Aggregation.IntegrationTests;

/// <summary>
/// The signing keys every test server is configured with, and tokens and channels made with them.
/// Two keys, as during a rotation: the first signs, both validate.
/// </summary>
public static class TestCredentials
{
    public const string Tenant = "thai-nguyen";

    public static readonly SigningKey Current = new("test-current", Enumerable.Range(1, 32).Select(i => (byte)i).ToArray());

    public static readonly SigningKey Previous = new("test-previous", Enumerable.Range(101, 32).Select(i => (byte)i).ToArray());

    /// <summary>The tenant's operator: submits, reads and administers Thái Nguyên (not the nation).</summary>
    public static readonly AccessGrant Operator = new("test-operator", Tenant, [Roles.Submitter, Roles.Viewer, Roles.Admin]);

    public static readonly AccessGrant Ministry = new("molisa-analyst", AccessClaims.AllTenants, [Roles.Ministry]);

    /// <summary>Server arguments that configure both keys.</summary>
    public static string[] ServerArguments =>
    [
        $"--Security:Jwt:SigningKeys:0:Id={Current.Id}",
        $"--Security:Jwt:SigningKeys:0:Secret={Convert.ToBase64String(Current.Secret)}",
        $"--Security:Jwt:SigningKeys:1:Id={Previous.Id}",
        $"--Security:Jwt:SigningKeys:1:Secret={Convert.ToBase64String(Previous.Secret)}",
    ];

    public static string Token(AccessGrant grant, SigningKey? key = null, TimeSpan? lifetime = null) =>
        TokenIssuer.Issue(grant, key ?? Current, lifetime ?? TimeSpan.FromHours(2));

    /// <summary>A channel whose every call carries <paramref name="token"/> (none when null).</summary>
    public static GrpcChannel Channel(string address, string? token)
    {
        if (token is null)
        {
            return GrpcChannel.ForAddress(address);
        }

        var credentials = CallCredentials.FromInterceptor((_, metadata) =>
        {
            metadata.Add("authorization", "Bearer " + token);
            return Task.CompletedTask;
        });
        return GrpcChannel.ForAddress(address, new GrpcChannelOptions
        {
            Credentials = ChannelCredentials.Create(ChannelCredentials.Insecure, credentials),
            UnsafeUseInsecureChannelCallCredentials = true,
        });
    }

    public static GrpcChannel Channel(string address, AccessGrant grant) => Channel(address, Token(grant));
}
