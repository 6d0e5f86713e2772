using Aggregation.Protos.V1;

namespace Aggregation.IntegrationTests;

/// <summary>
/// A server on 1 February 2026 delivering in DHIS2 form (profile format dhis2) to the DHIS2 stand-in,
/// with a mapping whose code for awareness_activities the receiver does not have: the stand-in
/// answers as DHIS2 does, 409 with an import summary listing the ignored value. Thái Nguyên sends
/// provisional figures, so reports go out without approvals.
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
        CatalogCopy.SendProvisionalReports(target);
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
            d => d.Deliveries.Count(x => x.UnitCode == "19") == 4 && d.Deliveries.Where(x => x.UnitCode == "19").All(x => x.Status != DeliveryStatus.Pending),
            TimeSpan.FromSeconds(30),
            d => string.Join("; ", d.Deliveries.Select(x => $"{x.Period} {x.PayloadKind} {x.Status} {x.LastError}")));

        // The half and the year: their data values refused in part (failed, with the conflict), their registrations taken whole.
        var province = done.Deliveries.Where(x => x.UnitCode == "19").ToList();
        Assert.Equal(["2025", "2025S1"], province.Where(x => x.PayloadKind == PayloadKind.Dhis2DataValues).Select(x => x.Period).Order());
        Assert.All(province.Where(x => x.PayloadKind == PayloadKind.Dhis2DataValues), x =>
        {
            Assert.Equal(DeliveryStatus.Failed, x.Status);
            Assert.Contains("WARNING", x.LastError, StringComparison.Ordinal);
            // The half's refused value, and for the year also the month the half already delivered (unchanged).
            Assert.Matches(@"[1-9]\d* ignored", x.LastError);
            Assert.Contains("E7610", x.LastError, StringComparison.Ordinal);
            Assert.Contains("AWARENESS_UNKNOWN_TO_DHIS2", x.LastError, StringComparison.Ordinal);
        });
        Assert.All(province.Where(x => x.PayloadKind == PayloadKind.Dhis2Registrations), x => Assert.Equal(DeliveryStatus.Sent, x.Status));
        Assert.Contains(server.Receiver.Registrations.Keys, k => k == ("commune-monthly", "202503", "05446"));

        // Scripts read the same listing from the CLI: the state and payload as the words they always were.
        var cli = new Dictionary<string, string?> { ["AGGREGATION_SERVER"] = server.Address, ["AGGREGATION_TOKEN"] = TestCredentials.Token(TestCredentials.Operator) };
        var json = await CliProcess.RunAsync(["deliveries", "--limit", "1000", "--output", "json"], cli);
        var csv = await CliProcess.RunAsync(["deliveries", "--limit", "1000", "--output", "csv"], cli);

        Assert.True(json.Exit == 0, json.All);
        using var listed = System.Text.Json.JsonDocument.Parse(json.Out);
        var rows = listed.RootElement.EnumerateArray()
            .Where(r => r.GetProperty("unit_code").GetString() == "19")
            .Select(r => (Payload: r.GetProperty("payload").GetString(), State: r.GetProperty("state").GetString()));
        Assert.Equal([("dhis2-data-values", "failed"), ("dhis2-data-values", "failed"), ("dhis2-registrations", "sent"), ("dhis2-registrations", "sent")], rows.Order());
        Assert.True(csv.Exit == 0, csv.All);
        // Columns: period, unit_code, revision, payload, state, …
        var lines = csv.Out.Split('\n');
        Assert.Contains(lines, l => l.StartsWith("2025S1,19,", StringComparison.Ordinal) && l.Contains(",dhis2-data-values,failed,", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith("2025S1,19,", StringComparison.Ordinal) && l.Contains(",dhis2-registrations,sent,", StringComparison.Ordinal));
    }
}
