using System.Diagnostics;
using Aggregation.Protos.V1;
using Npgsql;

namespace Aggregation.IntegrationTests;

/// <summary>
/// A server on 1 February 2026 (every half and year of the plan is due) delivering to a ministry
/// endpoint that is not up yet, with short delivery timings so that retries, backoff and the
/// circuit breaker play out within seconds.
/// </summary>
public sealed class DeliveryServerFixture : ServerFixture
{
    public MinistryReceiver Receiver { get; } = new();

    protected override DateTimeOffset? Today => new DateTimeOffset(2026, 2, 1, 6, 0, 0, TimeSpan.Zero);

    // Thái Nguyên sends provisional figures: delivery is tested without approving the reports first.
    protected override IEnumerable<string> ExtraArguments =>
    [
        $"--Catalog:Directory={CatalogCopy.WithProvisionalReports}",
        $"--Delivery:Endpoint={Receiver.Url}",
        $"--Delivery:CompletenessEndpoint={Receiver.RegistrationsUrl}",
        "--Delivery:PollInterval=00:00:00.100",
        "--Delivery:AttemptTimeout=00:00:00.300",
        "--Delivery:Retries=2",
        "--Delivery:RetryDelay=00:00:00.020",
        "--Delivery:Backoff=00:00:00.100",
        "--Delivery:MaxBackoff=00:00:00.400",
        "--Delivery:BreakerMinimumThroughput=4",
        "--Delivery:BreakerSampling=00:00:05",
        "--Delivery:BreakDuration=00:00:01",
        "--Delivery:BatchSize=5",
        "--Reporting:CheckInterval=00:00:01",
    ];

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        await Receiver.DisposeAsync();
    }
}

/// <summary>Reports reach the ministry exactly once each, whatever the endpoint does meanwhile.</summary>
public sealed class DeliveryTests(DeliveryServerFixture server) : IClassFixture<DeliveryServerFixture>
{
    [Fact]
    public async Task Every_report_arrives_once_through_refusals_timeouts_and_500s_and_ingestion_is_unaffected_meanwhile()
    {
        var reporting = new Protos.V1.Reporting.ReportingClient(server.Channel);

        // A commune reports March and September of every year (Phường Phan Đình Phùng, 05443 from 1 July 2025).
        var reports = new ReportGenerator(seed: 7);
        foreach (var year in Enumerable.Range(2021, 5))
        {
            foreach (var month in new[] { 3, 9 })
            {
                var accepted = await server.Ingestion.SubmitReportAsync(new SubmitReportRequest { Report = reports.New("05443", $"{year}-{month:D2}", ReportGenerator.Number("awareness_activities", 1)) });
                Assert.Equal(ReportOutcome.Accepted, accepted.Result.Outcome);
            }
        }

        // Down: nothing listens. The reminder produces the fifteen reports of 2021-2025, each an ADX
        // document and its completeness registrations; attempts fail and the circuit opens.
        var down = await Eventually.WaitAsync(
            () => reporting.ListDeliveriesAsync(new ListDeliveriesRequest()).ResponseAsync,
            d => d.Deliveries.Count(x => x.PayloadKind == PayloadKind.Adx) == 15 && d.Deliveries.Count(x => x.PayloadKind == PayloadKind.Dhis2Registrations) == 15 && d.CircuitOpenings >= 1 && d.Deliveries.Any(x => x.LastError.Length > 0),
            TimeSpan.FromSeconds(30),
            d => $"{d.Deliveries.Count} deliveries, circuit opened {d.CircuitOpenings} times");
        Assert.All(down.Deliveries, d => Assert.Equal(DeliveryStatus.Pending, d.Status));

        // Ingestion does not wait for the ministry.
        var generator = new ReportGenerator(seed: 11);
        var slowest = TimeSpan.Zero;
        for (var i = 0; i < 20; i++)
        {
            var clock = Stopwatch.StartNew();
            var result = await server.Ingestion.SubmitReportAsync(new SubmitReportRequest { Report = generator.New("05443", $"2025-{1 + (i % 12):D2}", ReportGenerator.Number("awareness_activities", i + 1)) });
            slowest = TimeSpan.FromTicks(Math.Max(slowest.Ticks, clock.Elapsed.Ticks));
            Assert.Equal(ReportOutcome.Accepted, result.Result.Outcome);
        }

        Assert.True(slowest < TimeSpan.FromSeconds(2), $"a submission took {slowest} while the ministry was down");

        // Slow: attempts time out.
        server.Receiver.Mode = MinistryReceiver.Behaviour.Slow;
        await server.Receiver.StartAsync();
        await Eventually.WaitAsync(
            () => reporting.ListDeliveriesAsync(new ListDeliveriesRequest()).ResponseAsync,
            d => d.Deliveries.Any(x => x.LastError.StartsWith("no answer within", StringComparison.Ordinal)),
            TimeSpan.FromSeconds(30),
            d => $"{server.Receiver.Requests} requests, circuit {d.Circuit}: " + string.Join("; ", d.Deliveries.Select(x => $"{x.Attempts} {x.LastError} next {x.NextAttemptAt}").Distinct()));

        // Failing: 500s.
        server.Receiver.Mode = MinistryReceiver.Behaviour.Failing;
        await Eventually.WaitAsync(
            () => reporting.ListDeliveriesAsync(new ListDeliveriesRequest()).ResponseAsync,
            d => d.Deliveries.Any(x => x.LastError.StartsWith("HTTP 500", StringComparison.Ordinal)),
            TimeSpan.FromSeconds(30),
            d => string.Join("; ", d.Deliveries.Select(x => x.LastError).Distinct()));
        Assert.Empty(server.Receiver.Received);

        // Healthy: everything arrives, each report once, and the circuit closes.
        server.Receiver.Mode = MinistryReceiver.Behaviour.Healthy;
        var done = await Eventually.WaitAsync(
            () => reporting.ListDeliveriesAsync(new ListDeliveriesRequest { Limit = 1000 }).ResponseAsync,
            d => d.Deliveries.All(x => x.Status == DeliveryStatus.Sent) && d.Circuit == CircuitState.Closed,
            TimeSpan.FromSeconds(60),
            d => $"{d.Deliveries.Count(x => x.Status == DeliveryStatus.Sent)} of {d.Deliveries.Count} sent, circuit {d.Circuit}");

        var keys = done.Deliveries.Select(d => d.IdempotencyKey).Order().ToList();
        // Bắc Kạn (its own tenant until 2025-06-30) delivers too; these are Thái Nguyên's.
        Assert.Equal(keys, ThaiNguyens(server.Receiver.Received.Keys).Order().ToList());
        Assert.Equal(ThaiNguyens(await OutboxKeysAsync()), keys);
        Assert.All(server.Receiver.Received.Where(r => !r.Key.Contains("dhis2-registrations", StringComparison.Ordinal)), r => Assert.Empty(OfficialAdxSchema.Validate(r.Value)));
        Assert.All(server.Receiver.Received.Where(r => r.Key.Contains("dhis2-registrations", StringComparison.Ordinal)), r => Assert.Contains("\"completeDataSetRegistrations\"", System.Text.Encoding.UTF8.GetString(r.Value), StringComparison.Ordinal));
        Assert.True(server.Receiver.Requests > keys.Count, "the endpoint should have seen failed attempts before the successful ones");

        // An operator re-sends a delivered report: same key, so the receiver still holds it once.
        var key = keys[0];
        var requests = server.Receiver.Requests;
        await reporting.ResendDeliveryAsync(new ResendDeliveryRequest { IdempotencyKey = key });
        await Eventually.WaitAsync(
            () => reporting.ListDeliveriesAsync(new ListDeliveriesRequest { Limit = 1000 }).ResponseAsync,
            d => d.Deliveries.Single(x => x.IdempotencyKey == key).Status == DeliveryStatus.Sent && server.Receiver.Requests > requests,
            TimeSpan.FromSeconds(30),
            d => d.Deliveries.Single(x => x.IdempotencyKey == key).Status.ToString());
        Assert.Equal(keys.Count, ThaiNguyens(server.Receiver.Received.Keys).Count());
        var missing = await Assert.ThrowsAsync<Grpc.Core.RpcException>(() => reporting.ResendDeliveryAsync(new ResendDeliveryRequest { IdempotencyKey = "nope" }).ResponseAsync);
        Assert.Equal(Grpc.Core.StatusCode.NotFound, missing.StatusCode);
    }

    private static IEnumerable<string> ThaiNguyens(IEnumerable<string> keys) => keys.Where(k => k.StartsWith("thai-nguyen:", StringComparison.Ordinal));

    private async Task<List<string>> OutboxKeysAsync()
    {
        await using var connection = new NpgsqlConnection(server.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT idempotency_key FROM delivery_outbox ORDER BY idempotency_key", connection);
        var keys = new List<string>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            keys.Add(reader.GetString(0));
        }

        return [.. keys.Order()];
    }
}
