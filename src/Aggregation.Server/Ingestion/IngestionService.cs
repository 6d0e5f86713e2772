using Aggregation.Protos.V1;
using Aggregation.Rollup;
using Aggregation.Server.Errors;
using Aggregation.Server.Security;
using Grpc.Core;

namespace Aggregation.Server.Ingestion;

/// <summary>gRPC <c>aggregation.v1.Ingestion</c>: single, batched and streamed reports.</summary>
public sealed class IngestionService(SubmissionPipeline pipeline, TenantResolver tenants) : Protos.V1.Ingestion.IngestionBase
{
    public override async Task<SubmitReportResponse> SubmitReport(SubmitReportRequest request, ServerCallContext context)
    {
        var tenant = tenants.Resolve(context);
        if (request.Report is null)
        {
            throw RpcErrors.InvalidArgument(new FieldError("report", "is required"));
        }

        var outcome = (await pipeline.SubmitAsync(tenant, [request.Report], batchPaths: false))[0];
        var errors = outcome.Result.Violations.Select(v => new FieldError(v.Field, v.Description)).ToList();
        return outcome.Rejection switch
        {
            SubmissionPipeline.Rejection.None => new SubmitReportResponse { Result = outcome.Result },
            SubmissionPipeline.Rejection.KeyConflict => throw RpcErrors.AlreadyExists(errors[0]),
            _ => throw RpcErrors.InvalidArgument(errors),
        };
    }

    public override async Task<SubmitReportsResponse> SubmitReports(SubmitReportsRequest request, ServerCallContext context)
    {
        var tenant = tenants.Resolve(context);
        return await SubmitBatchAsync(tenant, request);
    }

    public override async Task StreamReports(IAsyncStreamReader<SubmitReportsRequest> requestStream, IServerStreamWriter<SubmitReportsResponse> responseStream, ServerCallContext context)
    {
        var tenant = tenants.Resolve(context);
        await foreach (var request in requestStream.ReadAllAsync(context.CancellationToken))
        {
            await responseStream.WriteAsync(await SubmitBatchAsync(tenant, request), context.CancellationToken);
        }
    }

    private async Task<SubmitReportsResponse> SubmitBatchAsync(Hierarchy.Tenant tenant, SubmitReportsRequest request)
    {
        if (request.Reports.Count == 0)
        {
            throw RpcErrors.InvalidArgument(new FieldError("reports", "the batch is empty; send at least one report"));
        }

        if (request.Reports.Count > SubmissionPipeline.MaxBatchSize)
        {
            throw RpcErrors.InvalidArgument(new FieldError("reports", $"{request.Reports.Count} reports exceed the batch limit of {SubmissionPipeline.MaxBatchSize}; split the batch"));
        }

        var outcomes = await pipeline.SubmitAsync(tenant, request.Reports, batchPaths: true);
        var response = new SubmitReportsResponse();
        foreach (var outcome in outcomes)
        {
            response.Results.Add(outcome.Result);
            switch (outcome.Result.Outcome)
            {
                case ReportOutcome.Accepted: response.Accepted++; break;
                case ReportOutcome.Duplicate: response.Duplicates++; break;
                default: response.Rejected++; break;
            }
        }

        return response;
    }
}
