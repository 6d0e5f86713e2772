using Aggregation.Protos.V1;
using Aggregation.Server.Dashboard;
using Aggregation.Server.Errors;
using Aggregation.Server.Security;
using Google.Protobuf;

namespace Aggregation.Server.Approvals;

/// <summary>
/// The approvals for the review page, under the dashboard's <c>/api</c> with its sign-in: the gRPC
/// messages in canonical JSON, refusals through <see cref="DashboardErrors"/> (field errors with
/// their Vietnamese and English sentences).
/// </summary>
public static class ApprovalsApi
{
    private static readonly JsonFormatter Json = new(JsonFormatter.Settings.Default.WithFormatDefaultValues(true));
    private static readonly JsonParser Parser = new(JsonParser.Settings.Default.WithIgnoreUnknownFields(true));

    public static RouteGroupBuilder MapApprovals(this RouteGroupBuilder api)
    {
        ArgumentNullException.ThrowIfNull(api);

        // ?unit=&period=&children=true&withdrawn=true; the tenant's first programme unless ?programme=.
        api.MapGet("/approvals", (string? unit, string? period, bool? children, bool? withdrawn, string? programme, HttpContext http, AccessControl access, ApprovalWorkflow workflow) => Guarded(() =>
        {
            var (caller, tenant) = access.Authorize(http, http.Request.Query["tenant"], AccessControl.Readers);
            var request = new ListApprovalsRequest { ProgrammeId = programme ?? "", UnitCode = unit ?? "", Period = period ?? "", IncludeChildren = children == true, IncludeWithdrawn = withdrawn == true };
            var response = new ListApprovalsResponse();
            response.Approvals.AddRange(workflow.List(caller, tenant, request));
            return Task.FromResult(Results.Text(Json.Format(response), "application/json"));
        }));

        // Body: ApproveRequest JSON (programme_id defaults to the tenant's first programme).
        api.MapPost("/approvals", (HttpContext http, AccessControl access, ApprovalWorkflow workflow) => Guarded(async () =>
        {
            var (caller, tenant) = access.Authorize(http, null, AccessControl.Approvers);
            var request = await ReadAsync<ApproveRequest>(http);
            if (request.ProgrammeId.Length == 0)
            {
                request.ProgrammeId = tenant.ProgrammeIds[0];
            }

            var response = new ApproveResponse { Approval = await workflow.ApproveAsync(caller, tenant, request, http.RequestAborted) };
            return Results.Text(Json.Format(response), "application/json", statusCode: StatusCodes.Status201Created);
        }));

        // Body: {"reason": "…"}.
        api.MapPost("/approvals/{id:long}/withdraw", (long id, HttpContext http, AccessControl access, ApprovalWorkflow workflow) => Guarded(async () =>
        {
            var (caller, tenant) = access.Authorize(http, null, AccessControl.Approvers);
            var request = await ReadAsync<WithdrawApprovalRequest>(http);
            request.ApprovalId = id;
            var response = new WithdrawApprovalResponse { Approval = await workflow.WithdrawAsync(caller, tenant, request, http.RequestAborted) };
            return Results.Text(Json.Format(response), "application/json");
        }));

        return api;
    }

    private static async Task<T> ReadAsync<T>(HttpContext http)
        where T : IMessage<T>, new()
    {
        using var reader = new StreamReader(http.Request.Body);
        var text = await reader.ReadToEndAsync(http.RequestAborted);
        try
        {
            return string.IsNullOrWhiteSpace(text) ? new T() : Parser.Parse<T>(text);
        }
        catch (InvalidProtocolBufferException ex)
        {
            throw InvalidRequestException.Of([new LocalizedFieldError("body", "Nội dung gửi lên không phải JSON hợp lệ.", "is not valid JSON for this request: " + RpcErrors.Clip(ex.Message))]);
        }
        catch (InvalidJsonException ex)
        {
            throw InvalidRequestException.Of([new LocalizedFieldError("body", "Nội dung gửi lên không phải JSON hợp lệ.", "is not valid JSON: " + RpcErrors.Clip(ex.Message))]);
        }
    }

    private static async Task<IResult> Guarded(Func<Task<IResult>> action)
    {
        try
        {
            return await action();
        }
        catch (RequestRefusedException refused)
        {
            return DashboardErrors.ToHttp(refused);
        }
    }
}
