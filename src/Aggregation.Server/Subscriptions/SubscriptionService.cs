using Aggregation.Protos.V1;
using Aggregation.Server.Rollup;
using Aggregation.Server.Security;
using Grpc.Core;

namespace Aggregation.Server.Subscriptions;

/// <summary>gRPC <c>aggregation.v1.Subscriptions</c>: a confirmation, a snapshot, then coalesced updates and heartbeats.</summary>
public sealed class SubscriptionService(
    RollupReads reads,
    SubscriptionStream stream,
    TenantResolver tenants,
    ISubscriptionAuthorizer authorizer,
    IHostApplicationLifetime lifetime) : Protos.V1.Subscriptions.SubscriptionsBase
{
    public override async Task Subscribe(SubscribeRequest request, IServerStreamWriter<SubscribeResponse> responseStream, ServerCallContext context)
    {
        var tenant = tenants.Resolve(context);
        var (unit, programme, periods) = reads.Resolve(tenant, request.UnitCode, request.ProgrammeId, request.Periods, "periods");
        await authorizer.AuthorizeAsync(context, tenant, unit);

        // Ends with the call, or cleanly (status OK) when the server shuts down: the client reconnects with its last version.
        using var ending = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken, lifetime.ApplicationStopping);
        try
        {
            await foreach (var message in stream.RunAsync(unit, programme, periods, request.IncludeChildren, request.ResumeFromVersion, ending.Token))
            {
                // Not the shutdown token: cancelling a write in flight aborts the HTTP/2 stream
                // (RST_STREAM), whereas ending the loop between writes closes it with status OK.
                await responseStream.WriteAsync(message, context.CancellationToken);
            }
        }
        catch (Exception ex) when (lifetime.ApplicationStopping.IsCancellationRequested && ex is OperationCanceledException or OrleansException or TimeoutException)
        {
            // The server is stopping: end the stream normally, whatever the silo was doing meanwhile.
        }
    }
}
