using Aggregation.Protos.V1;
using Aggregation.Server.Security;
using Grpc.Core;

namespace Aggregation.Server.Rollup;

/// <summary>gRPC <c>aggregation.v1.Rollups</c>: one-off reads of a unit's figures.</summary>
public sealed class RollupService(RollupReads reads, AccessControl access) : Rollups.RollupsBase
{
    public override async Task<GetRollupResponse> GetRollup(GetRollupRequest request, ServerCallContext context)
    {
        var (caller, tenant) = access.Authorize(context, AccessControl.Readers);
        access.RequireReadable(caller, tenant, request.UnitCode, "unit_code");
        var (unit, programme, periods) = reads.Resolve(tenant, request.UnitCode, request.ProgrammeId, [request.Period], "period", request.AsOf);
        var children = request.IncludeChildren ? reads.ChildrenOf(unit, programme, periods, request.View) : [];
        var all = await Task.WhenAll(new[] { unit }.Concat(children).Select(u => reads.ReadAsync(u, programme, periods, request.View)));
        var response = new GetRollupResponse { Rollup = all[0][0] };
        response.Children.AddRange(all.Skip(1).Select(r => r[0]));
        return response;
    }
}
