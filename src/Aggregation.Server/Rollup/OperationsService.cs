using Aggregation.Hierarchy;
using Aggregation.Protos.V1;
using Aggregation.Rollup;
using Aggregation.Server.Errors;
using Aggregation.Security;
using Aggregation.Server.Security;
using Grpc.Core;

namespace Aggregation.Server.Rollup;

/// <summary>gRPC <c>aggregation.v1.Operations</c>: rebuild from the ledger and audit.</summary>
public sealed class OperationsService(Hierarchy.Catalog catalog, RollupMaintenance maintenance, AccessControl access) : Operations.OperationsBase
{
    public override async Task<RebuildRollupsResponse> RebuildRollups(RebuildRollupsRequest request, ServerCallContext context)
    {
        var (_, tenant) = access.Authorize(context, Roles.Admin);
        var roots = new List<UnitKey>();
        if (string.IsNullOrEmpty(request.UnitCode))
        {
            roots.AddRange(tenant.ProvinceCodes.Select(p => new UnitKey(tenant.Id, p)));
        }
        else if (catalog.UnitsWithCode(tenant.Id, request.UnitCode).ToList() is { Count: > 0 } units)
        {
            // Every unit the code has named (codes were reused by the 2025-07 hierarchy): rebuilding is idempotent.
            roots.AddRange(units.Select(u => u.Key));
        }
        else
        {
            throw RpcErrors.InvalidArgument(new FieldError("unit_code", $"unknown unit '{RpcErrors.Clip(request.UnitCode)}' in tenant {tenant.Id}"));
        }

        var response = new RebuildRollupsResponse();
        foreach (var root in roots)
        {
            var (units, replayed) = await maintenance.RebuildAsync(root, context.CancellationToken);
            response.UnitsRebuilt += units;
            response.ReportsReplayed += replayed;
        }

        return response;
    }

    public override async Task<AuditRollupsResponse> AuditRollups(AuditRollupsRequest request, ServerCallContext context)
    {
        var (caller, tenant) = access.Authorize(context, Roles.Admin, Roles.Ministry);
        var result = await maintenance.AuditAsync(tenant, includeNation: caller.IsMinistry, context.CancellationToken);
        var response = new AuditRollupsResponse { UnitsChecked = result.UnitsChecked, LedgerReports = result.LedgerReports };
        response.Differences.AddRange(result.Differences.Select(d => new RollupDifference
        {
            UnitCode = d.Unit.Code,
            ProgrammeId = d.ProgrammeId,
            Figure = d.Figure,
            Live = d.Live,
            Expected = d.Expected,
            DifferingFigures = d.DifferingFigures,
        }));
        return response;
    }
}
