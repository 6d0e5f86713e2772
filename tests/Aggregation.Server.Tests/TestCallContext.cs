using System.Security.Claims;
using Aggregation.Security;
using Grpc.Core;
using Microsoft.AspNetCore.Http;

namespace Aggregation.Server.Tests;

/// <summary>
/// The call context of a gRPC call made straight to a service or interceptor, without a server:
/// the caller's claims sit on an HttpContext where grpc-dotnet's GetHttpContext() finds it.
/// </summary>
public sealed class TestCallContext : ServerCallContext
{
    private readonly Metadata _requestHeaders = [];
    private readonly Metadata _responseTrailers = [];

    private TestCallContext(string method, ClaimsPrincipal user)
    {
        MethodCore = method;
        UserState["__HttpContext"] = new DefaultHttpContext { User = user };
    }

    /// <summary>A call by an authenticated credential of <paramref name="tenant"/> with these roles, scoped to <paramref name="units"/> (none: the whole tenant).</summary>
    public static TestCallContext As(string tenant, string[] roles, string[]? units = null, string method = "/aggregation.v1.Test/Call")
    {
        var claims = new List<Claim> { new(AccessClaims.Subject, "test-" + string.Join("-", roles)), new(AccessClaims.Tenant, tenant) };
        claims.AddRange(roles.Select(r => new Claim(AccessClaims.Role, r)));
        claims.AddRange((units ?? []).Select(u => new Claim(AccessClaims.Unit, u)));
        return new TestCallContext(method, new ClaimsPrincipal(new ClaimsIdentity(claims, authenticationType: "test")));
    }

    /// <summary>A call without any credential.</summary>
    public static TestCallContext Anonymous(string method = "/aggregation.v1.Test/Call") => new(method, new ClaimsPrincipal(new ClaimsIdentity()));

    protected override string MethodCore { get; }

    protected override string HostCore => "localhost";

    protected override string PeerCore => "ipv4:127.0.0.1:50000";

    protected override DateTime DeadlineCore => DateTime.MaxValue;

    protected override Metadata RequestHeadersCore => _requestHeaders;

    protected override CancellationToken CancellationTokenCore => CancellationToken.None;

    protected override Metadata ResponseTrailersCore => _responseTrailers;

    protected override Status StatusCore { get; set; }

    protected override WriteOptions? WriteOptionsCore { get; set; }

    protected override AuthContext AuthContextCore => new(null, []);

    protected override ContextPropagationToken CreatePropagationTokenCore(ContextPropagationOptions? options) =>
        throw new NotSupportedException("Calls made directly to a service propagate nothing.");

    protected override Task WriteResponseHeadersAsyncCore(Metadata responseHeaders) => Task.CompletedTask;
}
