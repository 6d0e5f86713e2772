using Aggregation.Protos.V1;

namespace Aggregation.IntegrationTests;

/// <summary>
/// A server on 1 February 2026 delivering in DHIS2 form (profile format dhis2) to the DHIS2 stand-in,
/// with a mapping whose code for awareness_activities the receiver does not have: the stand-in
/// answers as DHIS2 does, 409 with an import summary listing the ignored value.
/// </summary>
public sealed class Dhis2DeliveryServerFixture : ServerFixture
{
    private static readonly Lazy<string> Directory = new(() => CatalogCopy.Create(target =>
    {
        var path = Path.Combine(target, "mappings", "thai-nguyen.json");
        var text = File.ReadAllText(path)
            .Replace("\"format\": \"adx\"", "\"format\": \"dhis2\"", StringComparison.Ordinal)
            .Replace("\"awareness_activities\": \"awareness_activities\"", "\"awareness_activities\": \"AWARENESS_UNKNOWN_TO_DHIS2\"", StringComparison.Ordinal);
        File.WriteAllText(path, text);
    }));

    /// <summary>The receiving DHIS2, knowing the shipped codes; started by the test.</summary>
    public Dhis2Receiver Receiver { get; } = Dhis2Receiver.FromCatalog(Path.Combine(AppContext.BaseDirectory, "catalog"));

    protected override DateTimeOffset? Today => new DateTimeOffset(2026, 2, 1, 6, 0, 0, TimeSpan.Zero);

    // Registrations go beside …/api/dataValueSets without an endpoint of their own.
    protected override IEnumerable<string> ExtraArguments =>
    [
        $"--Catalog:Directory={Directory.Value}",
        $"--Delivery:Endpoint={Receiver.DataValueSetsUrl}",
        "--Delivery:PollInterval=00:00:00.100",
        "--Delivery:Backoff=00:00:00.100",
        "--Delivery:MaxBackoff=00:00:00.400",
        "--Reporting:CheckInterval=00:00:01",
    ];

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        await Receiver.DisposeAsync();
    }
}

/// <summary>A delivery is done only when the receiving DHIS2 took every value.</summary>
public sealed class Dhis2DeliveryTests(Dhis2DeliveryServerFixture server) : IClassFixture<Dhis2DeliveryServerFixture>
{
    [Fact]
    public async Task Values_a_dhis2_ignores_leave_the_delivery_failed_with_the_conflicts_and_a_fully_imported_payload_is_sent()
    {
        var generator = new ReportGenerator(seed: 13);
        var accepted = await server.Ingestion.SubmitReportAsync(new SubmitReportRequest
        {
            Report = generator.New("05446", "2025-03", ReportGenerator.Number("awareness_activities", 2), ReportGenerator.Number("complaints_received", 3)),
        });
        Assert.Equal(ReportOutcome.Accepted, accepted.Result.Outcome);
        await server.Receiver.StartAsync();
        var reporting = new Protos.V1.Reporting.ReportingClient(server.Channel);

        var done = await Eventually.WaitAsync(
            () => reporting.ListDeliveriesAsync(new ListDeliveriesRequest { Limit = 1000 }).ResponseAsync,
            d => d.Deliveries.Count(x => x.UnitCode == "19") == 4 && d.Deliveries.Where(x => x.UnitCode == "19").All(x => x.State != "pending"),
            TimeSpan.FromSeconds(30),
            d => string.Join("; ", d.Deliveries.Select(x => $"{x.Period} {x.Payload} {x.State} {x.LastError}")));

        // The half and the year: their data values refused in part (failed, with the conflict), their registrations taken whole.
        var province = done.Deliveries.Where(x => x.UnitCode == "19").ToList();
        Assert.Equal(["2025", "2025S1"], province.Where(x => x.Payload == "dhis2-data-values").Select(x => x.Period).Order());
        Assert.All(province.Where(x => x.Payload == "dhis2-data-values"), x =>
        {
            Assert.Equal("failed", x.State);
            Assert.Contains("WARNING", x.LastError, StringComparison.Ordinal);
            // The half's refused value, and for the year also the month the half already delivered (unchanged).
            Assert.Matches(@"[1-9]\d* ignored", x.LastError);
            Assert.Contains("E7610", x.LastError, StringComparison.Ordinal);
            Assert.Contains("AWARENESS_UNKNOWN_TO_DHIS2", x.LastError, StringComparison.Ordinal);
        });
        Assert.All(province.Where(x => x.Payload == "dhis2-registrations"), x => Assert.Equal("sent", x.State));
        Assert.Contains(server.Receiver.Registrations.Keys, k => k == ("commune-monthly", "202503", "05446"));
    }
}
