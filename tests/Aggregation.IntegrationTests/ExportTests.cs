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
    public async Task The_provinces_first_half_in_adx_sends_each_data_set_at_its_reporting_units_in_its_collection_period_and_matches_the_golden_file()
    {
        var response = await ExportAsync(ExportFormat.Adx, "2025S1");

        var xml = Encoding.UTF8.GetString(response.Content.Span);
        AssertGolden("export-19-2025S1.adx.xml", xml);
        Assert.Empty(OfficialAdxSchema.Validate(response.Content.ToByteArray()));
        Assert.Equal("thai-nguyen_19_2025S1_all.adx.xml", response.FileName);
        XNamespace adx = "urn:ihe:qrph:adx:2015";
        var groups = XDocument.Parse(xml).Descendants(adx + "group").ToList();

        // Monthly data sets carry months, the six-monthly one its half; each at the level that reports it.
        Assert.All(groups.Where(g => ((string)g.Attribute("dataSet")!).EndsWith("-monthly", StringComparison.Ordinal)), g => Assert.EndsWith("/P1M", (string)g.Attribute("period")!, StringComparison.Ordinal));
        Assert.Equal(["164"], groups.Where(g => (string?)g.Attribute("dataSet") == "district-sixmonthly").Select(g => (string)g.Attribute("orgUnit")!));
        Assert.Equal("2025-01-01/P6M", (string?)groups.Single(g => (string?)g.Attribute("dataSet") == "district-sixmonthly").Attribute("period"));
        Assert.DoesNotContain(groups, g => (string?)g.Attribute("orgUnit") == "19" && ((string)g.Attribute("dataSet")!).StartsWith("commune", StringComparison.Ordinal));

        // No element and period is sent at two levels: the receiver aggregates.
        var sent = groups.SelectMany(g => g.Elements(adx + "dataValue").Select(v => ((string)v.Attribute("dataElement")!, (string)g.Attribute("period")!, (string)g.Attribute("orgUnit")!))).ToList();
        // (GSO codes tell the level by their length: 2 digits a province, 3 a district, 5 a commune.)
        Assert.All(sent.GroupBy(x => (x.Item1, x.Item2)), g => Assert.Single(g.Select(x => x.Item3.Length).Distinct()));
        Assert.DoesNotContain(sent, x => x.Item3 is "19" or "164" && x.Item1 is "awareness_activities" or "workers_reached");

        // Phường Trưng Vương's code 05443 was taken by Phường Phan Đình Phùng on 1 July 2025: it goes
        // under the mapping's retired pattern; 05446 and 05506, whose codes nobody took, keep theirs.
        Assert.Contains(groups, g => (string?)g.Attribute("orgUnit") == "05443-2021-2025");
        Assert.DoesNotContain(groups, g => (string?)g.Attribute("orgUnit") == "05443");

        // A yes/no stays a yes/no: a DHIS2 reads a BOOLEAN from the annotation.
        var plan = groups.SelectMany(g => g.Elements(adx + "dataValue")).Single(v => (string?)v.Attribute("dataElement") == "district_plan_adopted");
        Assert.Equal("true", plan.Element(adx + "annotation")?.Value);
    }

    [Fact]
    public async Task The_provinces_first_half_as_a_dhis2_data_value_set_declares_its_id_scheme_and_matches_the_golden_file()
    {
        var response = await ExportAsync(ExportFormat.Dhis2Json, "2025S1");

        var json = Encoding.UTF8.GetString(response.Content.Span);
        AssertGolden("export-19-2025S1.dhis2.json", json);
        using var document = System.Text.Json.JsonDocument.Parse(json);
        Assert.Equal("CODE", document.RootElement.GetProperty("dataElementIdScheme").GetString());
        Assert.Equal("CODE", document.RootElement.GetProperty("orgUnitIdScheme").GetString());
        var values = document.RootElement.GetProperty("dataValues").EnumerateArray().ToList();
        Assert.Equal("true", values.Single(v => v.GetProperty("dataElement").GetString() == "district_plan_adopted").GetProperty("value").GetString());
        Assert.DoesNotContain(values, v => v.GetProperty("dataElement").GetString()!.Contains("REPORTS", StringComparison.Ordinal));
        Assert.Equal(["202502", "202503", "202505"], values.Where(v => v.GetProperty("dataElement").GetString() == "awareness_activities").Select(v => v.GetProperty("period").GetString()).Order());
    }

    [Fact]
    public async Task Reports_received_go_as_completeness_registrations_of_the_units_that_reported()
    {
        var response = await ExportAsync(ExportFormat.Dhis2CompletenessJson, "2025S1");

        using var document = System.Text.Json.JsonDocument.Parse(response.Content.Memory);
        var registrations = document.RootElement.GetProperty("completeDataSetRegistrations").EnumerateArray()
            .Select(r => $"{r.GetProperty("dataSet").GetString()} {r.GetProperty("period").GetString()} {r.GetProperty("organisationUnit").GetString()} {r.GetProperty("completed").GetBoolean()}")
            .Order().ToList();
        Assert.Equal(
        [
            "commune-monthly 202502 05506 True",
            "commune-monthly 202503 05443-2021-2025 True",
            "commune-monthly 202505 05446 True",
            "commune-police-monthly 202504 05443-2021-2025 True",
            "district-sixmonthly 2025S1 164 True",
            "province-press-monthly 202501 19 True",
        ], registrations);
    }

    [Fact]
    public async Task A_year_and_the_whole_plan_send_months_for_monthly_data_sets_in_adx_and_dhis2()
    {
        var year = await ExportAsync(ExportFormat.Adx, "2025");
        Assert.Contains("period=\"2025-03-01/P1M\"", Encoding.UTF8.GetString(year.Content.Span), StringComparison.Ordinal);
        Assert.Empty(OfficialAdxSchema.Validate(year.Content.ToByteArray()));
        var planExport = await ExportAsync(ExportFormat.Adx, "2021-2025");
        Assert.DoesNotContain("/P5Y", Encoding.UTF8.GetString(planExport.Content.Span), StringComparison.Ordinal);
        Assert.Empty(OfficialAdxSchema.Validate(planExport.Content.ToByteArray()));

        var dhis2 = Encoding.UTF8.GetString((await ExportAsync(ExportFormat.Dhis2Json, "2021-2025")).Content.Span);
        Assert.Contains("\"period\": \"202503\"", dhis2, StringComparison.Ordinal);
        Assert.Contains("\"period\": \"2025S1\"", dhis2, StringComparison.Ordinal);
    }

    [Fact]
    public async Task At_the_province_level_the_province_sends_its_totals_by_month_and_no_yes_no_of_the_districts()
    {
        var response = await new Exports.ExportsClient(server.Channel).ExportAsync(new ExportRequest { UnitCode = ServerFixture.ProvinceCode, ProgrammeId = ServerFixture.Programme, Period = "2025S1", IncludeSubtree = true, Format = ExportFormat.Dhis2Json, OrgUnitLevel = "province" });

        using var document = System.Text.Json.JsonDocument.Parse(response.Content.Memory);
        var values = document.RootElement.GetProperty("dataValues").EnumerateArray().ToList();
        Assert.All(values, v => Assert.Equal("19", v.GetProperty("orgUnit").GetString()));
        Assert.DoesNotContain(values, v => v.GetProperty("dataElement").GetString() == "district_plan_adopted");
        var workers = values.Where(v => v.GetProperty("dataElement").GetString() == "workers_reached").ToDictionary(v => v.GetProperty("period").GetString()!, v => v.GetProperty("value").GetString());
        Assert.Equal(new Dictionary<string, string?> { ["202503"] = "15", ["202505"] = "6" }, workers);
        Assert.Contains(values, v => v.GetProperty("dataElement").GetString() == "local_officials" && v.GetProperty("period").GetString() == "2025S1" && v.GetProperty("value").GetString() == "12");

        foreach (var period in new[] { "2025S1", "2025", "2021-2025" })
        {
            var adx = await new Exports.ExportsClient(server.Channel).ExportAsync(new ExportRequest { UnitCode = ServerFixture.ProvinceCode, ProgrammeId = ServerFixture.Programme, Period = period, IncludeSubtree = true, Format = ExportFormat.Adx, OrgUnitLevel = "province" });
            Assert.Empty(OfficialAdxSchema.Validate(adx.Content.ToByteArray()));
            Assert.DoesNotContain("orgUnit=\"164\"", Encoding.UTF8.GetString(adx.Content.Span), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task A_unit_and_period_without_data_is_not_found_and_no_document_is_written()
    {
        var adx = await Assert.ThrowsAsync<RpcException>(() => ExportAsync(ExportFormat.Adx, "2021S1"));
        var dhis2 = await Assert.ThrowsAsync<RpcException>(() => ExportAsync(ExportFormat.Dhis2CompletenessJson, "2021S1"));

        Assert.Equal(StatusCode.NotFound, adx.StatusCode);
        Assert.Equal(StatusCode.NotFound, dhis2.StatusCode);
        Assert.Contains("Nothing to export", adx.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_level_the_hierarchy_does_not_have_or_a_unit_below_the_level_is_refused_with_the_field()
    {
        var client = new Exports.ExportsClient(server.Channel);

        var unknown = await Assert.ThrowsAsync<RpcException>(() => client.ExportAsync(new ExportRequest { UnitCode = "19", ProgrammeId = ServerFixture.Programme, Period = "2025S1", IncludeSubtree = true, Format = ExportFormat.Adx, OrgUnitLevel = "region" }).ResponseAsync);
        var below = await Assert.ThrowsAsync<RpcException>(() => client.ExportAsync(new ExportRequest { UnitCode = "05443", ProgrammeId = ServerFixture.Programme, Period = "2025S1", Format = ExportFormat.Adx, OrgUnitLevel = "district" }).ResponseAsync);

        Assert.Equal(StatusCode.InvalidArgument, unknown.StatusCode);
        Assert.Contains(unknown.GetRpcStatus()!.GetDetail<BadRequest>()!.FieldViolations, v => v.Field == "org_unit_level" && v.Description.Contains("lowest", StringComparison.Ordinal));
        Assert.Equal(StatusCode.InvalidArgument, below.StatusCode);
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

/// <summary>Thái Nguyên with the shipped mapping but no pattern for units whose code a later unit took: reused GSO codes pass through.</summary>
public sealed class PassThroughMappingServerFixture : ServerFixture
{
    private static readonly Lazy<string> Directory = new(() => CatalogCopy.Create(target =>
    {
        var path = Path.Combine(target, "mappings", "thai-nguyen.json");
        var shipped = File.ReadAllLines(path).Where(line => !line.TrimStart().StartsWith("\"retired\"", StringComparison.Ordinal));
        File.WriteAllLines(path, shipped);
    }));

    protected override IEnumerable<string> ExtraArguments => [$"--Catalog:Directory={Directory.Value}"];
}

/// <summary>A receiver code that would name two units in one document is refused, naming both.</summary>
public sealed class ExportCodeClashTests(PassThroughMappingServerFixture server) : IClassFixture<PassThroughMappingServerFixture>
{
    [Fact]
    public async Task A_year_spanning_1_July_2025_with_a_reused_gso_code_under_a_code_pattern_is_refused_naming_both_units()
    {
        var generator = new ReportGenerator(seed: 5);
        foreach (var period in new[] { "2025-03", "2025-09" })
        {
            var result = await server.Ingestion.SubmitReportAsync(new SubmitReportRequest { Report = generator.New("05443", period, ReportGenerator.Number("awareness_activities", 1)) });
            Assert.Equal(ReportOutcome.Accepted, result.Result.Outcome);
        }

        await Eventually.WaitAsync(() => server.ReadAsync(ServerFixture.ProvinceCode, "2025"), r => r.Values.Single(v => v.DataElement == "awareness_activities").Value == 2, TimeSpan.FromSeconds(10), _ => "not rolled up");
        var client = new Exports.ExportsClient(server.Channel);

        var ex = await Assert.ThrowsAsync<RpcException>(() => client.ExportAsync(new ExportRequest { UnitCode = ServerFixture.ProvinceCode, ProgrammeId = ServerFixture.Programme, Period = "2025", IncludeSubtree = true, Format = ExportFormat.Adx }).ResponseAsync);

        Assert.Equal(StatusCode.FailedPrecondition, ex.StatusCode);
        Assert.Contains("receiver code 05443 names", ex.Status.Detail, StringComparison.Ordinal);
        Assert.Contains("Phường Trưng Vương", ex.Status.Detail, StringComparison.Ordinal);
        Assert.Contains("Phường Phan Đình Phùng", ex.Status.Detail, StringComparison.Ordinal);

        // Each half alone names one unit per code: exported.
        Assert.NotEmpty((await client.ExportAsync(new ExportRequest { UnitCode = ServerFixture.ProvinceCode, ProgrammeId = ServerFixture.Programme, Period = "2025S2", IncludeSubtree = true, Format = ExportFormat.Adx })).Content);
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
