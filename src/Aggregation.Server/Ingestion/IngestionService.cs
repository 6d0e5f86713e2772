using Aggregation.Protos.V1;
using Aggregation.Rollup;
using Aggregation.Security;
using Aggregation.Server.Approvals;
using Aggregation.Server.Errors;
using Aggregation.Server.Security;
using Grpc.Core;
using Microsoft.Extensions.Options;

namespace Aggregation.Server.Ingestion;

/// <summary>gRPC <c>aggregation.v1.Ingestion</c>: single, batched and streamed reports.</summary>
public sealed class IngestionService(SubmissionPipeline pipeline, AccessControl access, IOptions<LimitOptions> limits) : Protos.V1.Ingestion.IngestionBase
{
    public override async Task<SubmitReportResponse> SubmitReport(SubmitReportRequest request, ServerCallContext context)
    {
        var (caller, tenant) = access.Authorize(context, Roles.Submitter);
        if (request.Report is null)
        {
            throw RpcErrors.InvalidArgument(new FieldError("report", "is required"));
        }

        var outcome = (await pipeline.SubmitAsync(caller, tenant, [request.Report], batchPaths: false, context.Deadline, context.CancellationToken))[0];
        var errors = outcome.Result.Violations.Select(v => new FieldError(v.Field, v.Description)).ToList();
        return outcome.Rejection switch
        {
            SubmissionPipeline.Rejection.None => new SubmitReportResponse { Result = outcome.Result },
            SubmissionPipeline.Rejection.KeyConflict => throw RpcErrors.AlreadyExists(errors[0]),
            SubmissionPipeline.Rejection.Locked when outcome.LockedBy is { } approval => throw RpcErrors.FailedPrecondition(
                $"The report was refused: {errors[0].Description}.",
                [new PreconditionViolation("APPROVAL", ApprovalWorkflow.Subject(approval.Id), ApprovalWorkflow.Describe(approval))]),
            _ => throw RpcErrors.InvalidArgument(errors),
        };
    }

    public override async Task<SubmitReportsResponse> SubmitReports(SubmitReportsRequest request, ServerCallContext context)
    {
        var (caller, tenant) = access.Authorize(context, Roles.Submitter);
        return await SubmitBatchAsync(caller, tenant, request, context.Deadline, context.CancellationToken);
    }

    public override async Task StreamReports(IAsyncStreamReader<SubmitReportsRequest> requestStream, IServerStreamWriter<SubmitReportsResponse> responseStream, ServerCallContext context)
    {
        var (caller, tenant) = access.Authorize(context, Roles.Submitter);
        var limit = limits.Value;
        using var open = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken);
        open.CancelAfter(limit.StreamDuration);
        var count = 0;
        try
        {
            await foreach (var request in requestStream.ReadAllAsync(open.Token))
            {
                if (++count > limit.StreamMessages)
                {
                    throw RpcErrors.ResourceExhausted($"A stream carries at most {limit.StreamMessages} batches; the earlier ones were answered. Open a new stream for the rest.");
                }

                await responseStream.WriteAsync(await SubmitBatchAsync(caller, tenant, request, context.Deadline, open.Token), context.CancellationToken);
            }
        }
        catch (OperationCanceledException) when (open.IsCancellationRequested && !context.CancellationToken.IsCancellationRequested)
        {
            throw RpcErrors.ResourceExhausted($"A stream stays open at most {limit.StreamDuration}; every batch answered was recorded. Open a new stream for the rest.");
        }
    }

    private async Task<SubmitReportsResponse> SubmitBatchAsync(Caller caller, Hierarchy.Tenant tenant, SubmitReportsRequest request, DateTime deadline, CancellationToken cancellationToken)
    {
        if (request.Reports.Count == 0)
        {
            throw RpcErrors.InvalidArgument(new FieldError("reports", "the batch is empty; send at least one report"));
        }

        if (request.Reports.Count > SubmissionPipeline.MaxBatchSize)
        {
            throw RpcErrors.InvalidArgument(new FieldError("reports", $"{request.Reports.Count} reports exceed the batch limit of {SubmissionPipeline.MaxBatchSize}; split the batch"));
        }

        var outcomes = await pipeline.SubmitAsync(caller, tenant, request.Reports, batchPaths: true, deadline, cancellationToken, request.ValidateOnly);
        var response = new SubmitReportsResponse();
        foreach (var outcome in outcomes)
        {
            response.Results.Add(outcome.Result);
            switch (outcome.Result.Outcome)
            {
                case ReportOutcome.Accepted or ReportOutcome.Valid: response.Accepted++; break;
                case ReportOutcome.Duplicate: response.Duplicates++; break;
                default: response.Rejected++; break;
            }
        }

        return response;
    }
}
