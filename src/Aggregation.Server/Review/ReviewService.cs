using Aggregation.Protos.V1;
using Aggregation.Security;
using Aggregation.Server.Security;
using Grpc.Core;

namespace Aggregation.Server.Review;

/// <summary>gRPC <c>aggregation.v1.Review</c>: the findings a reviewer looks at before approving an area's figures.</summary>
public sealed class ReviewService(ReviewFindings findings, AccessControl access) : global::Aggregation.Protos.V1.Review.ReviewBase
{
    /// <summary>Who may read findings: whoever reads the figures, and the approvers who act on them.</summary>
    public static readonly string[] Reviewers = [Roles.Approver, Roles.Viewer, Roles.Admin, Roles.Ministry];

    public override async Task<ListFindingsResponse> ListFindings(ListFindingsRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(context);
        var (caller, tenant) = access.Authorize(context, Reviewers);
        access.RequireReadable(caller, tenant, request.UnitCode, "unit_code");
        var (unit, programme, period, dataSet) = findings.Resolve(tenant, request.ProgrammeId, request.UnitCode, request.Period, request.DataSet);
        var response = new ListFindingsResponse();
        response.Findings.AddRange(await findings.FindAsync(tenant, programme, unit, period, dataSet, context.CancellationToken));
        return response;
    }
}
