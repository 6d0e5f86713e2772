using Aggregation.Hierarchy;
using Aggregation.Protos.V1;
using Aggregation.Rollup;
using Aggregation.Security;
using Aggregation.Server.Errors;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Microsoft.Extensions.Options;

namespace Aggregation.Server.Security;

/// <summary>gRPC <c>aggregation.v1.Credentials</c>: a tenant admin issues tokens for its own tenant's systems and officers.</summary>
public sealed class CredentialsService(Hierarchy.Catalog catalog, AccessControl access, TokenKeys keys, IOptions<SecurityOptions> options, TimeProvider time) : Protos.V1.Credentials.CredentialsBase
{
    private static readonly string[] Issuable = [Roles.Submitter, Roles.Viewer, Roles.Approver, Roles.Admin];

    public override Task<IssueTokenResponse> IssueToken(IssueTokenRequest request, ServerCallContext context)
    {
        var (_, tenant) = access.Authorize(context, Roles.Admin);
        var errors = new List<FieldError>();
        if (request.Subject.Length is 0 or > 200 || request.Subject.Any(char.IsControl))
        {
            errors.Add(new FieldError("subject", "must be 1-200 characters without control characters"));
        }

        if (request.Roles.Count == 0)
        {
            errors.Add(new FieldError("roles", $"name at least one of {string.Join(", ", Issuable)}"));
        }

        for (var i = 0; i < request.Roles.Count; i++)
        {
            if (!Issuable.Contains(request.Roles[i]))
            {
                errors.Add(new FieldError($"roles[{i}]", $"'{RpcErrors.Clip(request.Roles[i])}' cannot be issued here (one of {string.Join(", ", Issuable)})"));
            }
        }

        for (var i = 0; i < request.UnitCodes.Count; i++)
        {
            if (!catalog.UnitsWithCode(tenant.Id, request.UnitCodes[i]).Any())
            {
                errors.Add(new FieldError($"unit_codes[{i}]", $"unknown unit '{RpcErrors.Clip(request.UnitCodes[i])}' in tenant {tenant.Id}"));
            }
        }

        var dataSets = tenant.ProgrammeIds.SelectMany(p => catalog.Programmes[p].DataSets).Select(d => d.Id).ToHashSet();
        for (var i = 0; i < request.DataSets.Count; i++)
        {
            if (!dataSets.Contains(request.DataSets[i]))
            {
                errors.Add(new FieldError($"data_sets[{i}]", $"unknown data set '{RpcErrors.Clip(request.DataSets[i])}'"));
            }
        }

        var max = options.Value.Jwt.MaxIssuedLifetime;
        var lifetime = request.Lifetime is null ? TimeSpan.FromDays(1) : request.Lifetime.ToTimeSpan();
        if (lifetime <= TimeSpan.Zero || lifetime > max)
        {
            errors.Add(new FieldError("lifetime", $"must be positive and at most {max}"));
        }

        if (errors.Count > 0)
        {
            throw RpcErrors.InvalidArgument(errors);
        }

        var grant = new AccessGrant(request.Subject, tenant.Id, [.. request.Roles.Distinct()], [.. request.UnitCodes], [.. request.DataSets]);
        var token = TokenIssuer.Issue(grant, keys.Signing[0], lifetime, keys.Issuer, keys.Audience, time);
        return Task.FromResult(new IssueTokenResponse { Token = token, ExpiresAt = Timestamp.FromDateTimeOffset(time.GetUtcNow() + lifetime) });
    }
}
