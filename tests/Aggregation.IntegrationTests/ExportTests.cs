using System.Text;
using System.Xml.Linq;
using Aggregation.Protos.V1;
using Google.Protobuf.WellKnownTypes;
using Google.Rpc;
using Grpc.Core;

namespace Aggregation.IntegrationTests;

/// <summary>A server whose calendar says 20 July 2025: the first half of 2025 is over.</summary>
public sealed class AfterFirstHalfServerFixture : ServerFixture
{
    public static readonly DateTimeOffset Now = new(2025, 7, 20, 3, 0, 0, TimeSpan.Zero);

    protected override DateTimeOffset? Today => Now;
}

/// <summary>Thái Nguyên with a mapping that lacks codes: no unit pattern, two units, and neither awareness_activities nor commune-monthly.</summary>
public sealed class IncompleteMappingServerFixture : ServerFixture
{
    private static readonly Lazy<string> Directory = new(() => CatalogCopy.Create(target => File.WriteAllText(
        Path.Combine(target, "mappings", "thai-nguyen.json"),
        """
        {
          "receiver": "test",
          "units": { "codes": { "19": "TN", "164": "TN-TP" } },
          "dataElements": { "workers_reached": "WR" },
          "dataSets": { "commune-police-monthly": "POL" }
        }
        """)));

    protected override IEnumerable<string> ExtraArguments => [$"--Catalog:Directory={Directory.Value}"];
}

/// <summary>
/// Exports of the province's first half of 2025 in ADX and DHIS2 form, compared with golden files
/// checked by hand, and the ADX validated against the official IHE ADX schema (adx_loose.xsd).
/// </summary>
public sealed class ExportTests(AfterFirstHalfServerFixture server) : IClassFixture<AfterFirstHalfServerFixture>, IAsyncLifetime
{
    public async Task InitializeAsync()
    {
        var reportedAt = Timestamp.FromDateTimeOffset(new DateTimeOffset(2025, 7, 1, 9, 0, 0, TimeSpan.Zero));
        Report Make(string unit, string period, params DataValue[] values)
        {
            var report = new Report { IdempotencyKey = $"export-{unit}-{period}", UnitCode = unit, ProgrammeId = ServerFixture.Programme, Period = period, ReportedAt = reportedAt, SourceSystem = "export-test" };
            report.Values.AddRange(values);
            return report;
        }

        var request = new SubmitReportsRequest
        {
            Reports =
            {
                Make("05443", "2025-03", ReportGenerator.Number("awareness_activities", 2), ReportGenerator.Number("workers_reached", 15), ReportGenerator.Number("complaints_received", 3), ReportGenerator.Number("complaints_handled_on_time", 2)),
                Make("05443", "2025-04", ReportGenerator.Number("establishments_at_risk", 4), ReportGenerator.Entities("establishments_inspected", "CS-01", "CS-07")),
                Make("05446", "2025-05", ReportGenerator.Number("awareness_activities", 1), ReportGenerator.Number("workers_reached", 6)),
                Make("05506", "2025-02", ReportGenerator.Number("awareness_activities", 3)),
                Make("164", "2025S1", ReportGenerator.Flag("district_plan_adopted", true), ReportGenerator.Number("local_officials", 12), ReportGenerator.Number("local_officials_trained", 9)),
                Make("19", "2025-01", ReportGenerator.Number("press_publications", 5)),
            },
        };
        var response = await server.Ingestion.SubmitReportsAsync(request);
        Assert.Equal(0, response.Rejected);
        await Eventually.WaitAsync(
            () => server.ReadAsync(ServerFixture.ProvinceCode, "2025S1"),
            r => r.Values.Single(v => v.DataElement == "workers_reached").Value == 21 && r.Values.Single(v => v.DataElement == "local_officials").Value == 12,
            TimeSpan.FromSeconds(10),
            r => $"the province holds {r.Values.Single(v => v.DataElement == "workers_reached").Value} workers reached");
    }

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task The_provinces_first_half_in_adx_matches_the_golden_file_and_the_adx_schema()
    {
        var response = await ExportAsync(ExportFormat.Adx, "2025S1");

        var xml = Encoding.UTF8.GetString(response.Content.Span);
        AssertGolden("export-19-2025S1.adx.xml", xml);
        Assert.Empty(OfficialAdxSchema.Validate(response.Content.ToByteArray()));
        Assert.Equal("thai-nguyen_19_2025S1_all.adx.xml", response.FileName);
        var document = XDocument.Parse(xml);
        XNamespace adx = "urn:ihe:qrph:adx:2015";
        Assert.All(document.Descendants(adx + "group"), g => Assert.Equal("2025-01-01/P6M", (string?)g.Attribute("period")));
    }

    [Fact]
    public async Task The_provinces_first_half_as_a_dhis2_data_value_set_matches_the_golden_file()
    {
        var response = await ExportAsync(ExportFormat.Dhis2Json, "2025S1");

        AssertGolden("export-19-2025S1.dhis2.json", Encoding.UTF8.GetString(response.Content.Span));
    }

    [Fact]
    public async Task A_year_and_the_whole_plan_are_adx_periods_and_dhis2_refuses_the_plan()
    {
        var year = Encoding.UTF8.GetString((await ExportAsync(ExportFormat.Adx, "2025")).Content.Span);
        Assert.Contains("period=\"2025-01-01/P1Y\"", year, StringComparison.Ordinal);
        var planExport = await ExportAsync(ExportFormat.Adx, "2021-2025");
        Assert.Contains("period=\"2021-01-01/P5Y\"", Encoding.UTF8.GetString(planExport.Content.Span), StringComparison.Ordinal);
        Assert.Empty(OfficialAdxSchema.Validate(planExport.Content.ToByteArray()));

        var ex = await Assert.ThrowsAsync<RpcException>(() => ExportAsync(ExportFormat.Dhis2Json, "2021-2025"));
        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
        Assert.Contains(ex.GetRpcStatus()!.GetDetail<BadRequest>()!.FieldViolations, v => v.Field == "period");
    }

    [Fact]
    public async Task A_district_viewer_exports_its_district_but_not_the_province()
    {
        using var channel = server.ChannelFor(new Aggregation.Security.AccessGrant("district-164-officer", TestCredentials.Tenant, [Aggregation.Security.Roles.Viewer], ["164"]));
        var client = new Exports.ExportsClient(channel);

        var district = await client.ExportAsync(new ExportRequest { UnitCode = "164", ProgrammeId = ServerFixture.Programme, Period = "2025S1", IncludeSubtree = true, Format = ExportFormat.Adx });
        Assert.DoesNotContain("orgUnit=\"19\"", Encoding.UTF8.GetString(district.Content.Span), StringComparison.Ordinal);
        var ex = await Assert.ThrowsAsync<RpcException>(() => client.ExportAsync(new ExportRequest { UnitCode = "19", ProgrammeId = ServerFixture.Programme, Period = "2025S1", Format = ExportFormat.Adx }).ResponseAsync);
        Assert.Equal(StatusCode.PermissionDenied, ex.StatusCode);
    }

    private async Task<ExportResponse> ExportAsync(ExportFormat format, string period) =>
        await new Exports.ExportsClient(server.Channel).ExportAsync(new ExportRequest { UnitCode = ServerFixture.ProvinceCode, ProgrammeId = ServerFixture.Programme, Period = period, IncludeSubtree = true, Format = format });

    /// <summary>Compares with the golden file; AGGREGATION_UPDATE_GOLDEN=1 rewrites it in the source tree for review instead.</summary>
    private static void AssertGolden(string name, string actual)
    {
        if (Environment.GetEnvironmentVariable("AGGREGATION_UPDATE_GOLDEN") == "1")
        {
            var source = Path.Combine(SiloProcess.ServerDirectory, "..", "..", "..", "..", "..", "tests", "Aggregation.IntegrationTests", "Golden", name);
            File.WriteAllText(source, actual);
            return;
        }

        Assert.Equal(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Golden", name)).ReplaceLineEndings(), actual.ReplaceLineEndings());
    }
}

/// <summary>An export whose codes the tenant's mapping lacks is refused, listing every missing code.</summary>
public sealed class ExportMappingTests(IncompleteMappingServerFixture server) : IClassFixture<IncompleteMappingServerFixture>
{
    [Fact]
    public async Task An_export_with_unmapped_codes_fails_listing_every_missing_unit_element_and_data_set()
    {
        var generator = new ReportGenerator(seed: 3);
        await server.Ingestion.SubmitReportAsync(new SubmitReportRequest { Report = generator.New("05443", "2025-03", ReportGenerator.Number("awareness_activities", 2), ReportGenerator.Number("workers_reached", 4)) });
        await Eventually.WaitAsync(() => server.ReadAsync(ServerFixture.ProvinceCode, "2025"), r => r.Values.Single(v => v.DataElement == "workers_reached").Value == 4, TimeSpan.FromSeconds(10), _ => "not rolled up");

        var ex = await Assert.ThrowsAsync<RpcException>(() => new Exports.ExportsClient(server.Channel).ExportAsync(
            new ExportRequest { UnitCode = ServerFixture.ProvinceCode, ProgrammeId = ServerFixture.Programme, Period = "2025", IncludeSubtree = true, Format = ExportFormat.Adx }).ResponseAsync);

        Assert.Equal(StatusCode.FailedPrecondition, ex.StatusCode);
        var missing = ex.GetRpcStatus()!.GetDetail<PreconditionFailure>()!.Violations.Select(v => v.Subject).ToList();
        Assert.Equal(["data element awareness_activities", "data set commune-monthly", "unit 05443"], missing);
        Assert.Contains("unit 05443", ex.Status.Detail, StringComparison.Ordinal);
    }
}
