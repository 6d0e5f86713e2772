using System.ComponentModel.DataAnnotations;
using System.Diagnostics;
using Aggregation.Protos.V1;
using Aggregation.Security;
using Aggregation.Server.Security;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Grpc.Health.V1;
using Grpc.Net.Client;
using Microsoft.Extensions.DependencyInjection;

namespace Aggregation.IntegrationTests;

/// <summary>
/// Two tenants with tiny shared limits, so that a handful of calls reaches them: three calls in
/// flight per tenant, a burst of 40 calls per tenant refilled at one a second, five calls in flight
/// on the silo and 192 KiB of request messages.
/// </summary>
public sealed class SharedLimitServerFixture : TwoTenantServerFixture
{
    public const int TenantCalls = 3;
    public const int TenantBurst = 40;
    public const int TenantCallsPerSecond = 1;
    public const int SiloCalls = 5;
    public const int RequestBytes = 192 * 1024;

    protected override IEnumerable<string> ExtraArguments =>
    [
        .. base.ExtraArguments,
        $"--Security:Limits:TenantConcurrentCalls={TenantCalls}",
        $"--Security:Limits:TenantBurst={TenantBurst}",
        $"--Security:Limits:TenantCallsPerSecond={TenantCallsPerSecond}",
        $"--Security:Limits:SiloConcurrentCalls={SiloCalls}",
        $"--Security:Limits:SiloInFlightRequestBytes={RequestBytes}",
        "--Security:Limits:MaxRequestBytes=131072",
    ];
}

/// <summary>
/// Limits shared by many credentials: a tenant's, whatever the number of its subjects, and the
/// silo's, whatever the number of tenants. Every caller below is a subject of its own, so no
/// per-caller limit is ever reached. Calls are held in flight by open subscriptions (a stream counts
/// while open), and each test waits until the server has released every call before it ends.
/// The tenants' buckets are shared by the tests: Thái Nguyên and Bắc Kạn make far fewer calls than
/// the burst, and only the rate test spends the ministry's.
/// </summary>
public sealed class SharedLimitTests(SharedLimitServerFixture server) : IClassFixture<SharedLimitServerFixture>, IAsyncLifetime
{
    private const string BacKan = TwoTenantServerFixture.OtherTenant;

    private CallLimiter Limiter => server.Services.GetRequiredService<CallLimiter>();

    public Task InitializeAsync() => WaitUntilIdleAsync();

    public Task DisposeAsync() => WaitUntilIdleAsync();

    [Fact]
    public async Task A_tenant_at_its_limit_of_calls_in_flight_refuses_its_next_subject_and_other_tenants_are_still_admitted()
    {
        await using (var held = new Held())
        {
            for (var i = 0; i < SharedLimitServerFixture.TenantCalls; i++)
            {
                await held.SubscribeAsync(server, Viewer(BacKan, $"bac-kan-officer-{i}"), "06");
            }

            var refused = await ReadAsync(Viewer(BacKan, "bac-kan-officer-next"), "06");
            AssertExhausted(refused, "this tenant", "3 calls in flight");
            Assert.Equal(StatusCode.OK, (await ReadAsync(Viewer(TestCredentials.Tenant, "thai-nguyen-officer"), "19")).Status);
        }

        // Once its calls end, the tenant is admitted again.
        await WaitUntilIdleAsync();
        Assert.Equal(StatusCode.OK, (await ReadAsync(Viewer(BacKan, "bac-kan-officer-next"), "06")).Status);
    }

    [Fact]
    public async Task A_tenant_past_its_rate_refuses_its_next_subjects_and_other_tenants_are_still_admitted()
    {
        // One call each from ever new subjects of the ministry (one tenant, '*'), one after another.
        var clock = Stopwatch.StartNew();
        var admitted = 0;
        (StatusCode Status, RpcException? Error) last = default;
        for (var i = 0; i < 200; i++)
        {
            last = await ReadAsync(new AccessGrant($"ministry-analyst-{i:D3}", AccessClaims.AllTenants, [Roles.Ministry]), "VN");
            if (last.Status != StatusCode.OK)
            {
                break;
            }

            admitted++;
        }

        var elapsed = clock.Elapsed;
        AssertExhausted(last, "this tenant", "calls per second");
        Assert.InRange(admitted, SharedLimitServerFixture.TenantBurst, SharedLimitServerFixture.TenantBurst + (int)Math.Ceiling(elapsed.TotalSeconds * SharedLimitServerFixture.TenantCallsPerSecond) + 1);
        Assert.Equal(StatusCode.OK, (await ReadAsync(Viewer(TestCredentials.Tenant, "thai-nguyen-officer"), "19")).Status);
    }

    [Fact]
    public async Task A_silo_at_its_limit_of_calls_in_flight_refuses_any_tenant_and_still_answers_health_checks()
    {
        await using (var held = new Held())
        {
            // Thái Nguyên at its limit of three and Bắc Kạn with two: five, the silo's limit. Bắc
            // Kạn's next call is within its tenant's limit but not within the silo's.
            for (var i = 0; i < SharedLimitServerFixture.TenantCalls; i++)
            {
                await held.SubscribeAsync(server, Viewer(TestCredentials.Tenant, $"thai-nguyen-watcher-{i}"), "19");
            }

            for (var i = 0; i < SharedLimitServerFixture.SiloCalls - SharedLimitServerFixture.TenantCalls; i++)
            {
                await held.SubscribeAsync(server, Viewer(BacKan, $"bac-kan-watcher-{i}"), "06");
            }

            Assert.Equal(SharedLimitServerFixture.SiloCalls, Limiter.SiloCallsInFlight);
            var refused = await ReadAsync(Viewer(BacKan, "bac-kan-late-officer"), "06");
            AssertExhausted(refused, "The server is busy", "not a limit of your credential");

            using var probe = GrpcChannel.ForAddress(server.Address);
            for (var i = 0; i < 3; i++)
            {
                Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, (await new Health.HealthClient(probe).CheckAsync(new HealthCheckRequest())).Status);
            }
        }

        await WaitUntilIdleAsync();
        Assert.Equal(StatusCode.OK, (await ReadAsync(Viewer(BacKan, "bac-kan-late-officer"), "06")).Status);
    }

    [Fact]
    public async Task Request_bytes_in_flight_refuse_a_large_request_while_the_budget_is_taken()
    {
        const int Large = 100 * 1024;
        await using (var held = new Held())
        {
            // A subscription holds its request for as long as it is open.
            await held.SubscribeAsync(server, Viewer(TestCredentials.Tenant, "bytes-watcher"), "19", padding: Large);
            Assert.InRange(Limiter.SiloRequestBytesInFlight, Large, Large + 1024);

            AssertExhausted(await ReadAsync(Viewer(TestCredentials.Tenant, "bytes-reader"), "19", padding: Large), "The server is busy");
            Assert.Equal(StatusCode.OK, (await ReadAsync(Viewer(TestCredentials.Tenant, "bytes-reader"), "19")).Status);

            // A stream's messages count while each is processed: a large batch is refused and ends the stream.
            using var channel = server.ChannelFor(new AccessGrant("bytes-district-system", TestCredentials.Tenant, [Roles.Submitter]));
            using var stream = new Ingestion.IngestionClient(channel).StreamReports();
            await stream.RequestStream.WriteAsync(Padded(new SubmitReportsRequest { Reports = { Report() } }, Large));
            var error = await Assert.ThrowsAsync<RpcException>(() => stream.ResponseStream.MoveNext());
            AssertExhausted((error.StatusCode, error), "The server is busy");
        }

        await WaitUntilIdleAsync();
        Assert.Equal(StatusCode.OK, (await ReadAsync(Viewer(TestCredentials.Tenant, "bytes-reader"), "19", padding: Large)).Status);
    }

    [Fact]
    public void A_budget_of_request_bytes_smaller_than_the_largest_request_is_refused_at_start()
    {
        var options = new LimitOptions { MaxRequestBytes = 4 * 1024 * 1024, SiloInFlightRequestBytes = 1024 * 1024 };
        var errors = new List<ValidationResult>();

        Assert.False(Validator.TryValidateObject(options, new ValidationContext(options), errors, validateAllProperties: true));
        var error = Assert.Single(errors);
        Assert.Contains("Security:Limits:SiloInFlightRequestBytes", error.ErrorMessage, StringComparison.Ordinal);
        Assert.Contains("Security:Limits:MaxRequestBytes", error.ErrorMessage, StringComparison.Ordinal);
    }

    private static AccessGrant Viewer(string tenant, string subject) => new(subject, tenant, [Roles.Viewer]);

    /// <summary>RESOURCE_EXHAUSTED with a retry delay, and a message that says which limit (each of <paramref name="phrases"/>).</summary>
    private static void AssertExhausted((StatusCode Status, RpcException? Error) result, params string[] phrases)
    {
        Assert.Equal(StatusCode.ResourceExhausted, result.Status);
        var error = Assert.IsType<RpcException>(result.Error);
        foreach (var phrase in phrases)
        {
            Assert.Contains(phrase, error.Status.Detail, StringComparison.Ordinal);
        }

        var retry = error.GetRpcStatus()?.GetDetail<Google.Rpc.RetryInfo>();
        Assert.True(retry?.RetryDelay?.ToTimeSpan() > TimeSpan.Zero, $"no retry delay: {error.Status.Detail}");
    }

    /// <summary>A read of <paramref name="unit"/> for 2024 (the ministry's nation, or a tenant's province).</summary>
    private async Task<(StatusCode Status, RpcException? Error)> ReadAsync(AccessGrant grant, string unit, int padding = 0)
    {
        using var channel = server.ChannelFor(grant);
        try
        {
            await new Rollups.RollupsClient(channel).GetRollupAsync(Padded(new GetRollupRequest { UnitCode = unit, ProgrammeId = ServerFixture.Programme, Period = "2024" }, padding));
            return (StatusCode.OK, null);
        }
        catch (RpcException ex)
        {
            return (ex.StatusCode, ex);
        }
    }

    /// <summary>Every call's leases are released when its handler ends, which for a cancelled stream is shortly after the client lets go.</summary>
    private Task WaitUntilIdleAsync() =>
        Eventually.WaitAsync(
            () => Task.FromResult((Limiter.SiloCallsInFlight, Limiter.SiloRequestBytesInFlight)),
            inFlight => inFlight == (0, 0),
            TimeSpan.FromSeconds(10),
            inFlight => $"{inFlight.Item1} calls and {inFlight.Item2} request bytes still in flight");

    /// <summary>
    /// <paramref name="message"/> with <paramref name="bytes"/> more of an unknown field: the server's
    /// parser keeps unknown fields, so they are held and counted like any other bytes of the request.
    /// </summary>
    private static T Padded<T>(T message, int bytes)
        where T : IMessage<T>
    {
        if (bytes == 0)
        {
            return message;
        }

        using var buffer = new MemoryStream();
        message.WriteTo(buffer);
        var output = new CodedOutputStream(buffer, leaveOpen: true);
        output.WriteTag(1000, WireFormat.WireType.LengthDelimited);
        output.WriteBytes(ByteString.CopyFrom(new byte[bytes]));
        output.Flush();
        return (T)message.Descriptor.Parser.ParseFrom(buffer.ToArray());
    }

    private static Report Report() => new()
    {
        IdempotencyKey = Guid.NewGuid().ToString("N"),
        UnitCode = "05443",
        ProgrammeId = ServerFixture.Programme,
        Period = "2024-03",
        ReportedAt = Timestamp.FromDateTime(DateTime.UtcNow.AddMinutes(-1)),
        SourceSystem = "limit-test",
        Values = { ReportGenerator.Number("awareness_activities", 1) },
    };

    /// <summary>Open subscriptions (each a call in flight until disposed) and their channels.</summary>
    private sealed class Held : IAsyncDisposable
    {
        private readonly List<(GrpcChannel Channel, AsyncServerStreamingCall<SubscribeResponse> Call)> _open = [];

        /// <summary>Opens a subscription and waits for its confirmation: from then on the server holds the call.</summary>
        public async Task SubscribeAsync(ServerFixture server, AccessGrant grant, string unit, int padding = 0)
        {
            var channel = server.ChannelFor(grant);
            var call = new Protos.V1.Subscriptions.SubscriptionsClient(channel).Subscribe(Padded(new SubscribeRequest { UnitCode = unit, ProgrammeId = ServerFixture.Programme, Periods = { "2024" } }, padding));
            _open.Add((channel, call));
            Assert.True(await call.ResponseStream.MoveNext(), $"the subscription of {grant.Subject} ended at once");
        }

        public ValueTask DisposeAsync()
        {
            foreach (var (channel, call) in _open)
            {
                call.Dispose();
                channel.Dispose();
            }

            return ValueTask.CompletedTask;
        }
    }
}
