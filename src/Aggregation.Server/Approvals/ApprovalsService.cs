using Aggregation.Protos.V1;
using Aggregation.Server.Security;
using Grpc.Core;

namespace Aggregation.Server.Approvals;

/// <summary>gRPC <c>aggregation.v1.Approvals</c>: approve, withdraw, list (rules in <see cref="ApprovalWorkflow"/>).</summary>
public sealed class ApprovalsService(ApprovalWorkflow workflow, AccessControl access) : Protos.V1.Approvals.ApprovalsBase
{
    public override async Task<ApproveResponse> Approve(ApproveRequest request, ServerCallContext context)
    {
        var (caller, tenant) = access.Authorize(context, AccessControl.Approvers);
        return new ApproveResponse { Approval = await workflow.ApproveAsync(caller, tenant, request, context.CancellationToken) };
    }

    public override async Task<WithdrawApprovalResponse> WithdrawApproval(WithdrawApprovalRequest request, ServerCallContext context)
    {
        var (caller, tenant) = access.Authorize(context, AccessControl.Approvers);
        return new WithdrawApprovalResponse { Approval = await workflow.WithdrawAsync(caller, tenant, request, context.CancellationToken) };
    }

    public override Task<ListApprovalsResponse> ListApprovals(ListApprovalsRequest request, ServerCallContext context)
    {
        var (caller, tenant) = access.Authorize(context, AccessControl.Readers);
        var response = new ListApprovalsResponse();
        response.Approvals.AddRange(workflow.List(caller, tenant, request));
        return Task.FromResult(response);
    }
}
