using System.Diagnostics.Metrics;
using Aggregation.Protos.V1;
using Aggregation.Security;
using Aggregation.Server.Catalog;
using Aggregation.Server.Errors;
using Aggregation.Server.Rollup;
using Aggregation.Server.Security;
using Aggregation.Server.Subscriptions;
using Google.Rpc;
using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting.Internal;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Aggregation.Server.Tests;

/// <summary>
/// gRPC services called directly with a test call context, through the exception interceptor that
/// stands before every service: the status, sentence and google.rpc details a client would read.
/// Every refusal here comes before any grain is touched, so no silo is needed.
/// </summary>
public sealed class ServiceErrorTests
{
    private readonly ExceptionInterceptor _interceptor = new(NullLogger<ExceptionInterceptor>.Instance);
    private readonly AccessControl _access = new(Shipped.Catalog, Shipped.Clock());
    private readonly RollupReads _reads;
    private readonly IGrainFactory _grains;

    public ServiceErrorTests()
    {
        (_grains, _) = UnitGrainsStandIn.Create();
        _reads = new RollupReads(Shipped.Catalog, _grains, Shipped.Clock(), new Aggregation.Server.Approvals.ApprovalRegistry(Shipped.Catalog));
    }

    [Fact]
    public async Task A_viewer_reading_a_unit_outside_its_district_is_refused_without_being_told_whether_it_exists()
    {
        var service = new RollupService(_reads, _access);
        var viewer = TestCallContext.As(Shipped.Tenant, [Roles.Viewer], [Shipped.District164]);

        var refused = await Assert.ThrowsAsync<RpcException>(() => _interceptor.UnaryServerHandler(
            new GetRollupRequest { UnitCode = Shipped.CommuneOf165, ProgrammeId = Shipped.Programme, Period = "2024S1" }, viewer, service.GetRollup));

        Assert.Equal(StatusCode.PermissionDenied, refused.StatusCode);
        Assert.Equal("unit_code '05506' is outside this credential's scope.", refused.Status.Detail);
    }

    [Fact]
    public async Task A_read_naming_an_unknown_programme_and_a_malformed_period_lists_both_as_field_violations()
    {
        var service = new RollupService(_reads, _access);
        var admin = TestCallContext.As(Shipped.Tenant, [Roles.Admin]);

        var refused = await Assert.ThrowsAsync<RpcException>(() => _interceptor.UnaryServerHandler(
            new GetRollupRequest { UnitCode = Shipped.District164, ProgrammeId = "no-such-programme", Period = "2024Q9" }, admin, service.GetRollup));

        Assert.Equal(StatusCode.InvalidArgument, refused.StatusCode);
        Assert.StartsWith("The request is invalid: programme_id: unknown programme 'no-such-programme' for tenant thai-nguyen; period: ", refused.Status.Detail);
        var details = refused.GetRpcStatus()?.GetDetail<BadRequest>();
        Assert.NotNull(details);
        Assert.Equal(["programme_id", "period"], details.FieldViolations.Select(v => v.Field));
        Assert.Equal("unknown programme 'no-such-programme' for tenant thai-nguyen", details.FieldViolations[0].Description);
    }

    [Fact]
    public async Task A_unit_asked_for_as_of_a_date_not_written_yyyy_mm_dd_is_refused_on_the_as_of_field()
    {
        var service = new CatalogService(Shipped.Catalog, _access, Shipped.Clock());
        var viewer = TestCallContext.As(Shipped.Tenant, [Roles.Viewer]);

        var refused = await Assert.ThrowsAsync<RpcException>(() => _interceptor.UnaryServerHandler(
            new GetUnitRequest { Code = Shipped.District164, AsOf = "12/03/2024" }, viewer, service.GetUnit));

        Assert.Equal(StatusCode.InvalidArgument, refused.StatusCode);
        Assert.Equal("The request is invalid: as_of: '12/03/2024' is not a date (yyyy-MM-dd)", refused.Status.Detail);
        var violation = Assert.Single(refused.GetRpcStatus()!.GetDetail<BadRequest>().FieldViolations);
        Assert.Equal(("as_of", "'12/03/2024' is not a date (yyyy-MM-dd)"), (violation.Field, violation.Description));
    }

    [Fact]
    public async Task A_call_without_a_credential_is_told_one_is_required()
    {
        var service = new CatalogService(Shipped.Catalog, _access, Shipped.Clock());

        var refused = await Assert.ThrowsAsync<RpcException>(() => _interceptor.UnaryServerHandler(
            new ListProgrammesRequest(), TestCallContext.Anonymous(), service.ListProgrammes));

        Assert.Equal(StatusCode.Unauthenticated, refused.StatusCode);
        Assert.Equal("A valid access token or client certificate is required.", refused.Status.Detail);
    }

    [Fact]
    public async Task A_credential_holding_all_its_subscriptions_is_refused_another_and_told_when_to_retry()
    {
        var limits = Options.Create(new LimitOptions { Subscriptions = 1 });
        using var metrics = new ServiceCollection().AddMetrics().BuildServiceProvider();
        using var limiter = new CallLimiter(limits, metrics.GetRequiredService<IMeterFactory>(), NullLogger<CallLimiter>.Instance, new FakeTimeProvider());
        var hub = new SubscriptionHub(_grains, Options.Create(new SubscriptionOptions()), NullLogger<SubscriptionHub>.Instance);
        var service = new SubscriptionService(_reads, new SubscriptionStream(_reads, hub, Options.Create(new SubscriptionOptions())), _access, limiter, limits, new ApplicationLifetime(NullLogger<ApplicationLifetime>.Instance));
        var viewer = TestCallContext.As(Shipped.Tenant, [Roles.Viewer], [Shipped.District164]);
        using var open = limiter.EnterSubscription(_access.Authorize(viewer, AccessControl.Readers).Caller.LimitKey);

        var refused = await Assert.ThrowsAsync<RpcException>(() => _interceptor.ServerStreamingServerHandler(
            new SubscribeRequest { UnitCode = Shipped.District164, ProgrammeId = Shipped.Programme, Periods = { "2024S1" } }, new Unwritten<SubscribeResponse>(), viewer, service.Subscribe));

        Assert.Equal(StatusCode.ResourceExhausted, refused.StatusCode);
        Assert.Equal("This credential already holds 1 open subscriptions; close one (or watch several periods in one) first.", refused.Status.Detail);
        Assert.Equal(TimeSpan.FromSeconds(5), refused.GetRpcStatus()!.GetDetail<RetryInfo>().RetryDelay.ToTimeSpan());
    }

    [Fact]
    public async Task A_failure_nobody_foresaw_is_answered_as_internal_without_its_text()
    {
        var refused = await Assert.ThrowsAsync<RpcException>(() => _interceptor.UnaryServerHandler<ListProgrammesRequest, ListProgrammesResponse>(
            new ListProgrammesRequest(), TestCallContext.Anonymous(), (_, _) => throw new InvalidOperationException("Host=10.0.0.5;Password=hunter2")));

        Assert.Equal(StatusCode.Internal, refused.StatusCode);
        Assert.Equal("An internal error occurred; it has been logged.", refused.Status.Detail);
    }

    /// <summary>A response stream the refused calls never reach.</summary>
    private sealed class Unwritten<T> : IServerStreamWriter<T>
    {
        public WriteOptions? WriteOptions { get; set; }

        public Task WriteAsync(T message) => throw new InvalidOperationException("A refused call wrote a response.");
    }
}
