using Aggregation.Protos.V1;
using Aggregation.Server.Rollup;
using Aggregation.Server.Security;
using Grpc.Core;
using Microsoft.Extensions.Options;

namespace Aggregation.Server.Subscriptions;

/// <summary>gRPC <c>aggregation.v1.Subscriptions</c>: a confirmation, a snapshot, then coalesced updates and heartbeats.</summary>
public sealed class SubscriptionService(
    RollupReads reads,
    SubscriptionStream stream,
    AccessControl access,
    CallLimiter limiter,
    IOptions<LimitOptions> limits,
    IHostApplicationLifetime lifetime) : Protos.V1.Subscriptions.SubscriptionsBase
{
    public override async Task Subscribe(SubscribeRequest request, IServerStreamWriter<SubscribeResponse> responseStream, ServerCallContext context)
    {
        var (caller, tenant) = access.Authorize(context, AccessControl.Readers);
        access.RequireReadable(caller, tenant, request.UnitCode, "unit_code");
        var (unit, programme, periods) = reads.Resolve(tenant, request.UnitCode, request.ProgrammeId, request.Periods, "periods", request.AsOf);
        using var slot = limiter.EnterSubscription(caller.LimitKey);

        // Ends with the call, or cleanly (status OK) when the server shuts down or the subscription
        // reaches its longest life: the client reconnects with its last version.
        using var ending = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken, lifetime.ApplicationStopping);
        ending.CancelAfter(limits.Value.SubscriptionDuration);
        try
        {
            await foreach (var message in stream.RunAsync(unit, programme, periods, request.IncludeChildren, request.ResumeFromVersion, ending.Token))
            {
                // Not the shutdown token: cancelling a write in flight aborts the HTTP/2 stream
                // (RST_STREAM), whereas ending the loop between writes closes it with status OK.
                await responseStream.WriteAsync(message, context.CancellationToken);
            }
        }
        catch (Exception ex) when ((lifetime.ApplicationStopping.IsCancellationRequested && ex is OperationCanceledException or OrleansException or TimeoutException)
            || (ex is OperationCanceledException && ending.IsCancellationRequested && !context.CancellationToken.IsCancellationRequested))
        {
            // The server is stopping, or the subscription reached its longest life: end the stream
            // normally, whatever the silo was doing meanwhile.
        }
    }
}
