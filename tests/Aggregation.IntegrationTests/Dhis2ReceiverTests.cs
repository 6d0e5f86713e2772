using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Aggregation.Protos.V1;
using Aggregation.Server.Reporting;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;

namespace Aggregation.IntegrationTests;

/// <summary>A server whose calendar says 20 July 2025, for the DHIS2 receiver tests (figures of their own).</summary>
public sealed class Dhis2ReceiverServerFixture : ServerFixture
{
    protected override DateTimeOffset? Today => new DateTimeOffset(2025, 7, 20, 3, 0, 0, TimeSpan.Zero);
}

/// <summary>
/// The product's DHIS2 payloads imported by <see cref="Dhis2Receiver"/>, a stand-in applying DHIS2
/// 2.40's documented import rules to the shipped mapping, programme and units: every shape is taken
/// whole, the receiver's sums are the province's figures, and its answers are judged as a DHIS2's.
/// </summary>
public sealed class Dhis2ReceiverTests(Dhis2ReceiverServerFixture server) : IClassFixture<Dhis2ReceiverServerFixture>, IAsyncLifetime
{
    private static readonly string Catalog = Path.Combine(AppContext.BaseDirectory, "catalog");
    private static readonly string[] Periods = ["2025S1", "2025", "2021-2025"];
    private static readonly string[] Levels = ["", "province"];
    private static readonly string[] CountElements =
        ["awareness_activities", "workers_reached", "complaints_received", "complaints_handled_on_time", "press_publications", "crime_cases_handled", "industrial_zone_workers_reached", "students_reached"];

    // Reported at two levels by design: local_officials and local_officials_trained are in
    // commune-staff-sixmonthly (a commune's own officials) and district-sixmonthly (the district's
    // own officials). Each is sent at the unit that reported it, once; no aggregate goes with them,
    // so the receiver's district total (its own + its communes') is the product's (test above).
    private static readonly HashSet<string> TwoLevelElements = ["local_officials", "local_officials_trained"];

    public async Task InitializeAsync()
    {
        var reportedAt = Timestamp.FromDateTimeOffset(new DateTimeOffset(2025, 7, 1, 9, 0, 0, TimeSpan.Zero));
        Report Make(string unit, string period, params DataValue[] values)
        {
            var report = new Report { IdempotencyKey = $"dhis2rx-{unit}-{period}", UnitCode = unit, ProgrammeId = ServerFixture.Programme, Period = period, ReportedAt = reportedAt, SourceSystem = "dhis2-receiver-test" };
            report.Values.AddRange(values);
            return report;
        }

        var request = new SubmitReportsRequest
        {
            Reports =
            {
                Make("05443", "2025-03", ReportGenerator.Number("awareness_activities", 2), ReportGenerator.Number("workers_reached", 15), ReportGenerator.Number("complaints_received", 3), ReportGenerator.Number("complaints_handled_on_time", 2)),
                Make("05443", "2025-04", ReportGenerator.Number("establishments_at_risk", 4), ReportGenerator.Entities("establishments_inspected", "CS-01", "CS-07")),
                Make("05443", "2025-05", ReportGenerator.Number("establishments_at_risk", 4), ReportGenerator.Entities("establishments_inspected", "CS-07", "CS-09")),
                Make("05446", "2025-05", ReportGenerator.Number("awareness_activities", 1), ReportGenerator.Number("workers_reached", 6)),
                Make("05446", "2025-06", ReportGenerator.Number("complaints_received", 0)),
                Make("05443", "2025S1", ReportGenerator.Number("local_officials", 5), ReportGenerator.Number("local_officials_trained", 3)),
                Make("05506", "2025-02", ReportGenerator.Number("awareness_activities", 3), ReportGenerator.Number("complaints_received", 1)),
                Make("164", "2025S1", ReportGenerator.Flag("district_plan_adopted", true), ReportGenerator.Number("local_officials", 12), ReportGenerator.Number("local_officials_trained", 9), ReportGenerator.Number("industrial_zone_workers", 100), ReportGenerator.Number("industrial_zone_workers_reached", 40)),
                Make("165", "2025S1", ReportGenerator.Flag("district_plan_adopted", false), ReportGenerator.Number("pilot_models", 1)),
                Make("19", "2025-01", ReportGenerator.Number("press_publications", 5)),
                Make("19", "2025-02", ReportGenerator.Number("crime_cases_handled", 2), ReportGenerator.Number("defendants_prosecuted", 1)),
                Make("19", "2025S1", ReportGenerator.Number("students_enrolled", 500), ReportGenerator.Number("students_reached", 300)),
            },
        };
        var response = await server.Ingestion.SubmitReportsAsync(request);
        Assert.Equal(0, response.Rejected);
        await Eventually.WaitAsync(
            () => server.ReadAsync(ServerFixture.ProvinceCode, "2025S1"),
            r => Figure(r, "workers_reached") == 21 && Figure(r, "awareness_activities") == 6 && Figure(r, "industrial_zone_workers_reached") == 40
                && Figure(r, "press_publications") == 5 && Figure(r, "students_reached") == 300 && Figure(r, "complaints_received") == 4,
            TimeSpan.FromSeconds(10),
            r => $"the province holds {Figure(r, "workers_reached")} workers reached, {Figure(r, "awareness_activities")} activities");
    }

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task Every_dhis2_data_value_set_the_product_writes_for_the_province_is_imported_whole()
    {
        var problems = new List<string>();
        var checkedShapes = 0;
        foreach (var period in Periods)
        {
            foreach (var level in Levels)
            {
                var payload = await TryExportAsync(ExportFormat.Dhis2Json, period, level);
                if (payload is null)
                {
                    problems.Add($"{period} at '{level}': not exported: {LastRefusal}");
                    continue;
                }

                var receiver = Dhis2Receiver.FromCatalog(Catalog, orgUnitLevel: level.Length == 0 ? null : level);
                var summary = receiver.Import(payload);
                var sent = DataValues(payload).Count;
                checkedShapes++;
                if (summary.Status != "SUCCESS" || summary.Ignored != 0 || summary.Conflicts.Count != 0 || summary.HttpStatusCode != 200)
                {
                    problems.Add($"{period} at '{level}': {Describe(summary)}");
                }

                Assert.True(summary.Imported > 0, $"{period} at '{level}': nothing imported of {sent} values");
            }
        }

        Assert.Equal(Periods.Length * Levels.Length, checkedShapes);
        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    [Fact]
    public async Task Every_completeness_registration_payload_the_product_writes_for_the_province_is_imported_whole()
    {
        var problems = new List<string>();
        foreach (var period in Periods)
        {
            foreach (var level in Levels)
            {
                var payload = await TryExportAsync(ExportFormat.Dhis2CompletenessJson, period, level);
                if (payload is null)
                {
                    problems.Add($"{period} at '{level}': not exported: {LastRefusal}");
                    continue;
                }

                var receiver = Dhis2Receiver.FromCatalog(Catalog, orgUnitLevel: level.Length == 0 ? null : level);
                var summary = receiver.Register(payload);
                if (summary.Status != "SUCCESS" || summary.Ignored != 0 || summary.Conflicts.Count != 0 || summary.Imported == 0)
                {
                    problems.Add($"{period} at '{level}': {Describe(summary)}");
                }

                // Read with organisationUnit: the registrations name the units that report each data set.
                Assert.All(receiver.Registrations.Keys, r => Assert.NotEqual("", r.OrgUnit));
            }
        }

        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    [Fact]
    public async Task The_sums_the_receiver_holds_of_count_elements_equal_the_provinces_figures_for_the_first_half()
    {
        var province = await server.ReadAsync(ServerFixture.ProvinceCode, "2025S1");
        foreach (var level in Levels)
        {
            var receiver = Dhis2Receiver.FromCatalog(Catalog, orgUnitLevel: level.Length == 0 ? null : level);
            var summary = receiver.Import((await TryExportAsync(ExportFormat.Dhis2Json, "2025S1", level))!);
            Assert.Equal(0, summary.Ignored);
            // Six-monthly stocks reported once in the half: the sum is the figure too (local_officials: 12 at 164 plus 5 at 05443).
            foreach (var element in CountElements.Concat(["local_officials", "local_officials_trained", "industrial_zone_workers", "students_enrolled"]))
            {
                var held = receiver.Sum(element, new DateOnly(2025, 1, 1), new DateOnly(2025, 6, 30));
                Assert.True(Figure(province, element) == held, $"at '{level}' the receiver sums {element} to {held}, the province holds {Figure(province, element)}");
            }
        }
    }

    [Fact]
    public async Task No_value_is_sent_at_a_unit_and_at_its_ancestor_in_a_lowest_level_export()
    {
        var receiver = Dhis2Receiver.FromCatalog(Catalog);
        foreach (var period in Periods)
        {
            var payload = await TryExportAsync(ExportFormat.Dhis2Json, period, "");
            Assert.NotNull(payload);
            var sent = DataValues(payload).Select(v => (Element: (string)v["dataElement"]!, Period: (string)v["period"]!, OrgUnit: (string)v["orgUnit"]!)).ToList();
            var keys = sent.ToHashSet();
            var twice = sent.Where(v => !TwoLevelElements.Contains(v.Element)).SelectMany(v => receiver.AncestorsOf(v.OrgUnit).Where(a => keys.Contains((v.Element, v.Period, a))).Select(a => $"{v.Element} {v.Period} at {v.OrgUnit} and at its ancestor {a}")).ToList();
            Assert.True(twice.Count == 0, $"{period}: " + string.Join("; ", twice));
            Assert.Equal(sent.Count, keys.Count);
        }
    }

    [Fact]
    public async Task A_yes_no_answer_goes_as_true_or_false_at_the_district_and_not_in_a_province_level_export()
    {
        var lowest = DataValues((await TryExportAsync(ExportFormat.Dhis2Json, "2025S1", ""))!);
        var flags = lowest.Where(v => (string?)v["dataElement"] == "district_plan_adopted").ToDictionary(v => (string)v["orgUnit"]!, v => v["value"]!);
        Assert.Equal("true", (string?)flags["164"]);
        Assert.Equal("false", (string?)flags["165"]);
        Assert.All(flags.Values, v => Assert.Equal(System.Text.Json.JsonValueKind.String, v.GetValueKind()));
        Assert.All(flags.Keys, unit => Assert.Equal("district", UnitLevel(unit)));
        var receiver = Dhis2Receiver.FromCatalog(Catalog);
        Assert.Equal("SUCCESS", receiver.Import((await TryExportAsync(ExportFormat.Dhis2Json, "2025S1", ""))!).Status);
        Assert.Empty(receiver.NormalisedBooleans);
        Assert.Equal("true", receiver.Values[new Dhis2Receiver.Key("district_plan_adopted", "2025S1", "164")]);

        var provinceLevel = DataValues((await TryExportAsync(ExportFormat.Dhis2Json, "2025S1", "province"))!);
        Assert.DoesNotContain(provinceLevel, v => (string?)v["dataElement"] is "district_plan_adopted" or "district_programme_integrated");
        Assert.All(provinceLevel, v => Assert.Equal("19", (string?)v["orgUnit"]));
    }

    [Fact]
    public async Task A_value_the_receiver_ignores_gets_409_warning_and_the_delivery_is_refused_naming_the_conflict_code()
    {
        await using var receiver = Dhis2Receiver.FromCatalog(Catalog);
        await receiver.StartAsync();
        var payload = JsonNode.Parse((await TryExportAsync(ExportFormat.Dhis2Json, "2025S1", ""))!)!.AsObject();
        payload["dataValues"]!.AsArray().Add(new JsonObject { ["dataElement"] = "not_a_data_element", ["period"] = "202503", ["orgUnit"] = "05443", ["value"] = "1" });

        var (status, body) = await PostAsync(receiver.DataValueSetsUrl, Encoding.UTF8.GetBytes(payload.ToJsonString()));

        Assert.Equal(HttpStatusCode.Conflict, status);
        var answer = JsonNode.Parse(body)!;
        Assert.Equal("WARNING", (string?)answer["status"]);
        Assert.Equal("WARNING", (string?)answer["response"]!["status"]);
        Assert.Equal(1, (int)answer["response"]!["importCount"]!["ignored"]!);
        Assert.Equal("E7610", (string?)answer["response"]!["conflicts"]![0]!["errorCode"]);
        var (verdict, reason) = ReceiverAnswer.Judge(status, body);
        Assert.Equal(DeliveryVerdict.Refused, verdict);
        Assert.Contains("E7610", reason, StringComparison.Ordinal);
        Assert.Contains("not_a_data_element", reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_products_own_payloads_are_delivered_by_the_receivers_answer()
    {
        await using var receiver = Dhis2Receiver.FromCatalog(Catalog);
        await receiver.StartAsync();

        var (status, body) = await PostAsync(receiver.DataValueSetsUrl, (await TryExportAsync(ExportFormat.Dhis2Json, "2025S1", ""))!);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal((DeliveryVerdict.Delivered, (string?)null), ReceiverAnswer.Judge(status, body));

        var (registered, registrationBody) = await PostAsync(receiver.RegistrationsUrl, (await TryExportAsync(ExportFormat.Dhis2CompletenessJson, "2025S1", ""))!);
        Assert.Equal(HttpStatusCode.OK, registered);
        Assert.Equal((DeliveryVerdict.Delivered, (string?)null), ReceiverAnswer.Judge(registered, registrationBody));
    }

    [Fact]
    public async Task A_payload_declaring_no_id_scheme_or_uid_finds_nothing_and_is_refused()
    {
        var payload = (await TryExportAsync(ExportFormat.Dhis2Json, "2025S1", ""))!;
        var count = DataValues(payload).Count;
        foreach (var scheme in new string?[] { null, "UID" })
        {
            var changed = JsonNode.Parse(payload)!.AsObject();
            foreach (var key in new[] { "idScheme", "dataElementIdScheme", "orgUnitIdScheme", "dataSetIdScheme" })
            {
                changed.Remove(key);
                if (scheme is not null)
                {
                    changed[key] = scheme;
                }
            }

            var summary = Dhis2Receiver.FromCatalog(Catalog).Import(Encoding.UTF8.GetBytes(changed.ToJsonString()));

            Assert.Equal("WARNING", summary.Status);
            Assert.Equal(409, summary.HttpStatusCode);
            Assert.Equal(0, summary.Imported);
            Assert.Equal(count, summary.Ignored);
            Assert.All(summary.Conflicts, c => Assert.Equal("E7610", c.ErrorCode));
            var (verdict, reason) = ReceiverAnswer.Judge(HttpStatusCode.Conflict, summary.ToWebMessageJson());
            Assert.Equal(DeliveryVerdict.Refused, verdict);
            Assert.Contains("E7610", reason, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void The_stand_in_refuses_what_dhis2_refuses_and_normalises_booleans_as_dhis2_does()
    {
        var receiver = Dhis2Receiver.FromCatalog(Catalog);
        var summary = receiver.Import(Encoding.UTF8.GetBytes("""
            { "idScheme": "CODE", "dataValues": [
              { "dataElement": "awareness_activities", "period": "202503", "orgUnit": "05443", "value": "2" },
              { "dataElement": "awareness_activities", "period": "2025S1", "orgUnit": "05443", "value": "2" },
              { "dataElement": "district_plan_adopted", "period": "2025S1", "orgUnit": "05443", "value": "true" },
              { "dataElement": "awareness_activities", "period": "202503", "orgUnit": "99999", "value": "2" },
              { "dataElement": "workers_reached", "period": "202503", "orgUnit": "05443", "value": "1.5" },
              { "dataElement": "district_plan_adopted", "period": "2025S1", "orgUnit": "164", "value": "1" },
              { "dataElement": "district_plan_adopted", "period": "2025S1", "orgUnit": "165", "value": "yes" },
              { "dataElement": "complaints_received", "period": "202503", "orgUnit": "05443", "value": "0" },
              { "dataElement": "awareness_activities", "period": "2025-03", "orgUnit": "05443", "value": "2" }
            ] }
            """));

        Assert.Equal("WARNING", summary.Status);
        Assert.Equal(409, summary.HttpStatusCode);
        Assert.Equal(2, summary.Imported);
        Assert.Equal(6, summary.Ignored);
        Assert.Equal(["E7632", "E7636", "E7612", "E7619", "E7619", "E7611"], summary.Conflicts.Select(c => c.ErrorCode));
        Assert.Equal("true", receiver.Values[new Dhis2Receiver.Key("district_plan_adopted", "2025S1", "164")]);
        Assert.Equal("1", receiver.NormalisedBooleans[new Dhis2Receiver.Key("district_plan_adopted", "2025S1", "164")]);
        Assert.False(receiver.Values.ContainsKey(new Dhis2Receiver.Key("complaints_received", "202503", "05443")));

        var registrations = receiver.Register(Encoding.UTF8.GetBytes("""
            { "idScheme": "CODE", "completeDataSetRegistrations": [
              { "dataSet": "commune-monthly", "period": "202503", "orgUnit": "05443" },
              { "dataSet": "commune-monthly", "period": "202503", "organisationUnit": "05443" },
              { "dataSet": "commune-monthly", "period": "2025S1", "organisationUnit": "05443" },
              { "dataSet": "commune-monthly", "period": "202503", "organisationUnit": "164" }
            ] }
            """));
        Assert.Equal("SUCCESS", registrations.Status);
        Assert.Equal(1, registrations.Imported);
        Assert.Equal(3, registrations.Ignored);
        Assert.Equal("ERROR", receiver.Register(Encoding.UTF8.GetBytes("{}")).Status);
    }

    private static long Figure(UnitRollup rollup, string element) => rollup.Values.SingleOrDefault(v => v.DataElement == element)?.Value is { } v ? (long)v : 0;

    private static List<JsonObject> DataValues(byte[] payload) =>
        [.. (JsonNode.Parse(payload)!["dataValues"] as JsonArray ?? []).Select(v => v!.AsObject())];

    private static string UnitLevel(string code) =>
        File.ReadLines(Path.Combine(Catalog, "units-2021-2025.csv")).Select(l => l.Split(',')).First(f => f[0] == code)[2];

    private static string Describe(Dhis2ImportSummary s) =>
        $"{s.Status} {s.Imported} imported, {s.Updated} updated, {s.Ignored} ignored; " + string.Join("; ", s.Conflicts.Take(8).Select(c => $"{c.ErrorCode} {c.Value} (x{c.Indexes.Count})"));

    private static async Task<(HttpStatusCode Status, string Body)> PostAsync(Uri url, byte[] payload)
    {
        using var http = new HttpClient();
        using var content = new ByteArrayContent(payload);
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        using var response = await http.PostAsync(url, content);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    /// <summary>The product's export of the province with its subtree, or null when the product refuses it (the reason kept in <see cref="LastRefusal"/>).</summary>
    private async Task<byte[]?> TryExportAsync(ExportFormat format, string period, string level)
    {
        try
        {
            var response = await new Exports.ExportsClient(server.Channel).ExportAsync(new ExportRequest
            {
                UnitCode = ServerFixture.ProvinceCode, ProgrammeId = ServerFixture.Programme, Period = period, IncludeSubtree = true, Format = format, OrgUnitLevel = level,
            });
            return response.Content.ToByteArray();
        }
        catch (RpcException ex)
        {
            LastRefusal = $"{ex.StatusCode}: {ex.Status.Detail}";
            return null;
        }
    }

    private string? LastRefusal { get; set; }
}
