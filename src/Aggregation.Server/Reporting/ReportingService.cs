using Aggregation.Protos.V1;
using Aggregation.Reporting;
using Aggregation.Rollup;
using Aggregation.Security;
using Aggregation.Server.Errors;
using Aggregation.Server.Security;
using Aggregation.Storage;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;

namespace Aggregation.Server.Reporting;

/// <summary>gRPC <c>aggregation.v1.Reporting</c>: deliveries to the ministry, re-sending, producing now.</summary>
public sealed class ReportingService(AccessControl access, IServiceProvider services, IGrainFactory grains) : Protos.V1.Reporting.ReportingBase
{
    public override async Task<ListDeliveriesResponse> ListDeliveries(ListDeliveriesRequest request, ServerCallContext context)
    {
        var (_, tenant) = access.Authorize(context, Roles.Admin);
        if (request.Limit is < 0 or > 1000)
        {
            throw RpcErrors.InvalidArgument(new FieldError("limit", "must be between 0 and 1000"));
        }

        var (store, sender) = Outbox();
        var response = new ListDeliveriesResponse { Circuit = Circuit(sender), CircuitOpenings = sender?.CircuitOpenings ?? 0 };
        foreach (var row in await store.ListAsync(tenant.Id, request.Limit == 0 ? 100 : request.Limit, context.CancellationToken))
        {
            response.Deliveries.Add(new Delivery
            {
                IdempotencyKey = row.IdempotencyKey,
                ProgrammeId = row.ProgrammeId,
                UnitCode = row.UnitCode,
                Period = row.Period,
                Revision = row.Revision,
                PayloadKind = PayloadKindOf(row.Payload),
                Status = StatusOf(row.State),
                Attempts = row.Attempts,
                CreatedAt = Timestamp.FromDateTimeOffset(row.CreatedAt),
                NextAttemptAt = row.NextAttemptAt is { } next ? Timestamp.FromDateTimeOffset(next) : null,
                SentAt = row.SentAt is { } sent ? Timestamp.FromDateTimeOffset(sent) : null,
                LastError = row.LastError ?? "",
            });
        }

        return response;
    }

    public override async Task<ResendDeliveryResponse> ResendDelivery(ResendDeliveryRequest request, ServerCallContext context)
    {
        var (_, tenant) = access.Authorize(context, Roles.Admin);
        var (store, _) = Outbox();
        return await store.ResendAsync(tenant.Id, request.IdempotencyKey, context.CancellationToken)
            ? new ResendDeliveryResponse()
            : throw new RpcException(new Grpc.Core.Status(StatusCode.NotFound, $"No delivery '{RpcErrors.Clip(request.IdempotencyKey)}' in tenant {tenant.Id}."));
    }

    public override async Task<ProduceReportsResponse> ProduceReports(ProduceReportsRequest request, ServerCallContext context)
    {
        var (_, tenant) = access.Authorize(context, Roles.Admin);
        Outbox();
        var run = await grains.GetGrain<IReportingGrain>(tenant.Id).ProduceDueAsync();
        var response = new ProduceReportsResponse { Produced = run.Produced };
        response.Waiting.AddRange(run.Waiting.Select(w => new Protos.V1.WaitingReport { ProgrammeId = w.ProgrammeId, UnitCode = w.UnitCode, Period = w.Period, Reason = w.Reason }));
        return response;
    }

    // A server without a sender (none started yet) holds nothing back: its circuit is closed.
    private static CircuitState Circuit(OutboxSender? sender) => sender?.CircuitState switch
    {
        null or Polly.CircuitBreaker.CircuitState.Closed => CircuitState.Closed,
        Polly.CircuitBreaker.CircuitState.HalfOpen => CircuitState.HalfOpen,
        // Open, or isolated by hand: either way nothing is being sent.
        _ => CircuitState.Open,
    };

    // The outbox's CHECK constraints (deploy/sql/004, 005) hold these columns to the values below;
    // another value means the schema moved without the contract, which no listing should hide.
    private static DeliveryStatus StatusOf(string state) => state switch
    {
        "pending" => DeliveryStatus.Pending,
        "sent" => DeliveryStatus.Sent,
        "failed" => DeliveryStatus.Failed,
        _ => throw new InvalidOperationException($"The outbox holds a delivery state the contract does not know: '{state}'."),
    };

    private static PayloadKind PayloadKindOf(string payload) => payload switch
    {
        Payloads.Adx => PayloadKind.Adx,
        Payloads.Dhis2DataValues => PayloadKind.Dhis2DataValues,
        Payloads.Dhis2Registrations => PayloadKind.Dhis2Registrations,
        _ => throw new InvalidOperationException($"The outbox holds a payload the contract does not know: '{payload}'."),
    };

    private (ReportStore Store, OutboxSender? Sender) Outbox() =>
        services.GetService<ReportStore>() is { } store
            ? (store, services.GetServices<IHostedService>().OfType<OutboxSender>().FirstOrDefault())
            : throw RpcErrors.FailedPrecondition("Reports to the ministry need PostgreSQL; this server runs with Database:Mode=Memory.", ["database"]);
}
