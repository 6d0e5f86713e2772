using Aggregation.Protos.V1;
using Aggregation.Security;
using Google.Protobuf.WellKnownTypes;
using Google.Rpc;
using Grpc.Core;

namespace Aggregation.IntegrationTests;

/// <summary>
/// Each kind of bad report gets INVALID_ARGUMENT with a google.rpc.BadRequest naming the bad field,
/// and changes nothing. The server's reporting calendar says 15 June 2025, so that later 2025
/// periods are "in the future".
/// </summary>
public sealed class BadInputTests(MidPlanServerFixture server) : IClassFixture<MidPlanServerFixture>
{
    private const string Commune = "05443";
    private const string District = "164";

    public static TheoryData<string, string, string> Cases => new()
    {
        // case name, field expected in the violations, description fragment
        { "unknown unit", "unit_code", "unknown unit" },
        { "unknown programme", "programme_id", "unknown programme" },
        { "unknown data element", "values[0].data_element", "unknown data element" },
        { "malformed period", "period", "not a period code" },
        { "period before the programme", "period", "outside the programme" },
        { "period in the future", "period", "has not started" },
        { "a span of years as a period", "period", "not a span" },
        { "data set of another level", "values[0].data_element", "not by a district" },
        { "element of another frequency", "values[0].data_element", "reported sixMonthly" },
        { "negative count", "values[0].number", "negative" },
        { "non-integer count", "values[0].number", "not a whole number" },
        { "NaN", "values[0].number", "finite" },
        { "positive infinity", "values[0].number", "finite" },
        { "negative infinity", "values[0].number", "finite" },
        { "absurdly large count", "values[0].number", "exceeds" },
        { "numerator above denominator", "values[1].number", "may not exceed" },
        { "flag sent for a count", "values[0]", "send 'number'" },
        { "value missing", "values[0]", "a value is required" },
        { "no values", "values", "at least one value" },
        { "element twice in one report", "values[1].data_element", "appears twice" },
        { "missing idempotency key", "idempotency_key", "is required" },
        { "idempotency key with spaces", "idempotency_key", "printable ASCII" },
        { "NUL in the source system", "source_system", "control characters" },
        { "duplicate establishment id", "values[0].entities.ids[1]", "listed twice" },
        { "reported_at in the future", "reported_at", "in the future" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task A_bad_report_is_rejected_naming_the_field_and_changes_nothing(string name, string field, string description)
    {
        var before = await VersionsAsync();

        var ex = await Assert.ThrowsAsync<RpcException>(() => server.Ingestion.SubmitReportAsync(new SubmitReportRequest { Report = Bad(name) }).ResponseAsync);

        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
        var violations = ex.GetRpcStatus()!.GetDetail<BadRequest>()!.FieldViolations;
        Assert.Contains(violations, v => v.Field == field && v.Description.Contains(description, StringComparison.Ordinal));
        Assert.Equal(before, await VersionsAsync());
    }

    /// <summary>
    /// Spellings of a period other than its canonical one. The ledger, the audit trail and reports to
    /// the ministry key rows by the period's text, so the server takes only the canonical spelling and
    /// trims or case-folds nothing.
    /// </summary>
    private static readonly Dictionary<string, string> NonCanonicalPeriods = new()
    {
        ["a leading space"] = " 2025-03",
        ["a trailing space"] = "2025-03 ",
        ["a tab"] = "2025-03\t",
        ["a NUL"] = "2025-03\0",
        ["a lowercase quarter"] = "2025q1",
        ["a lowercase half"] = "2025s1",
        ["a month without its leading zero"] = "2025-3",
        ["full-width digits"] = "２０２５-０３",
    };

    private static readonly string[] PeriodRpcs = ["SubmitReport", "SubmitReports", "GetRollup", "Export", "Subscribe"];

    public static TheoryData<string, string> NonCanonicalPeriodCases()
    {
        var data = new TheoryData<string, string>();
        foreach (var rpc in PeriodRpcs)
        {
            foreach (var spelling in NonCanonicalPeriods.Keys)
            {
                data.Add(rpc, spelling);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(NonCanonicalPeriodCases))]
    public async Task A_period_not_in_its_canonical_form_is_refused_naming_the_field_and_changes_nothing(string rpc, string spelling)
    {
        var period = NonCanonicalPeriods[spelling];
        var before = await StateAsync();

        var (field, violations) = rpc switch
        {
            "SubmitReport" => ("period", await RefusedAsync(() => Submit(Report(period, ReportGenerator.Number("awareness_activities", 1))))),
            "SubmitReports" => ("reports[1].period", await RejectedInBatchAsync(1, Report("2025-03", ReportGenerator.Number("awareness_activities", -1)), Report(period, ReportGenerator.Number("awareness_activities", 1)))),
            "GetRollup" => ("period", await RefusedAsync(() => server.Rollups.GetRollupAsync(new GetRollupRequest { UnitCode = District, ProgrammeId = ServerFixture.Programme, Period = period }).ResponseAsync)),
            "Export" => ("period", await RefusedAsync(() => new Exports.ExportsClient(server.Channel).ExportAsync(new ExportRequest { UnitCode = District, ProgrammeId = ServerFixture.Programme, Period = period, Format = ExportFormat.Adx }).ResponseAsync)),
            "Subscribe" => ("periods[0]", await RefusedAsync(() => FirstMessageAsync(new SubscribeRequest { UnitCode = District, ProgrammeId = ServerFixture.Programme, Periods = { period } }))),
            _ => throw new ArgumentException(rpc),
        };

        Assert.Contains(violations, v => v.Field == field && v.Description.Contains("not a period code", StringComparison.Ordinal));
        Assert.Equal(before, await StateAsync());
    }

    /// <summary>Other identifier fields: each must be sent exactly as the catalog or the caller spells it.</summary>
    public static TheoryData<string, string, string> NonCanonicalIdentifierCases => new()
    {
        // case name, field expected in the violations, description fragment
        { "a unit code with surrounding spaces", "unit_code", "printable ASCII" },
        { "a unit code with surrounding spaces from a district's own system", "unit_code", "printable ASCII" },
        { "a unit code with a trailing space read by a district's viewer", "unit_code", "printable ASCII" },
        { "a programme id with a trailing newline", "programme_id", "printable ASCII" },
        { "a data element id with a trailing space", "values[0].data_element", "printable ASCII" },
        { "an idempotency key with a trailing space", "idempotency_key", "printable ASCII" },
        { "an as-of date with a trailing space", "as_of", "not a date" },
        { "an as-of date with a one-digit month", "as_of", "not a date" },
        { "a page token with a leading plus", "page_token", "not a token" },
        { "a page token with a leading space", "page_token", "not a token" },
    };

    [Theory]
    [MemberData(nameof(NonCanonicalIdentifierCases))]
    public async Task An_identifier_not_in_its_canonical_form_is_refused_naming_the_field_and_changes_nothing(string name, string field, string description)
    {
        var before = await StateAsync();
        var district = new AccessGrant("district-164", TestCredentials.Tenant, [Roles.Submitter, Roles.Viewer], [District]);
        var report = Report("2025-03", ReportGenerator.Number("awareness_activities", 1));
        GetRollupRequest Read(string unit, string asOf = "") => new() { UnitCode = unit, ProgrammeId = ServerFixture.Programme, Period = "2025S1", AsOf = asOf };

        using var districtChannel = server.ChannelFor(district);
        var violations = name switch
        {
            "a unit code with surrounding spaces" => await RefusedAsync(() => Submit(With(report, r => r.UnitCode = $" {Commune} "))),
            "a unit code with surrounding spaces from a district's own system" =>
                await RefusedAsync(() => new Ingestion.IngestionClient(districtChannel).SubmitReportAsync(new SubmitReportRequest { Report = With(report, r => r.UnitCode = $" {Commune} ") }).ResponseAsync),
            "a unit code with a trailing space read by a district's viewer" =>
                await RefusedAsync(() => new Rollups.RollupsClient(districtChannel).GetRollupAsync(Read(District + " ")).ResponseAsync),
            "a programme id with a trailing newline" => await RefusedAsync(() => Submit(With(report, r => r.ProgrammeId = ServerFixture.Programme + "\n"))),
            "a data element id with a trailing space" => await RefusedAsync(() => Submit(With(report, r => r.Values[0].DataElement = "awareness_activities "))),
            "an idempotency key with a trailing space" => await RefusedAsync(() => Submit(With(report, r => r.IdempotencyKey += " "))),
            "an as-of date with a trailing space" => await RefusedAsync(() => server.Rollups.GetRollupAsync(Read(District, "2025-06-30 ")).ResponseAsync),
            "an as-of date with a one-digit month" => await RefusedAsync(() => server.Rollups.GetRollupAsync(Read(District, "2025-6-30")).ResponseAsync),
            "a page token with a leading plus" => await RefusedAsync(() => server.Catalog.ListUnitsAsync(new ListUnitsRequest { AncestorCode = District, PageToken = "+10" }).ResponseAsync),
            "a page token with a leading space" => await RefusedAsync(() => new Audit.AuditClient(server.Channel).QueryAuditAsync(new QueryAuditRequest { PageToken = " 10" }).ResponseAsync),
            _ => throw new ArgumentException(name),
        };

        Assert.Contains(violations, v => v.Field == field && v.Description.Contains(description, StringComparison.Ordinal));
        Assert.Equal(before, await StateAsync());
    }

    [Fact]
    public async Task A_numerator_above_the_stored_denominator_is_rejected_and_the_stored_values_stay()
    {
        await Submit(Report("2025-02", ReportGenerator.Number("complaints_received", 4), ReportGenerator.Number("complaints_handled_on_time", 4)));
        await Eventually.WaitAsync(
            () => server.ReadAsync(District, "2025-02"),
            r => r.Values.Single(v => v.DataElement == "complaints_received").Value == 4,
            TimeSpan.FromSeconds(10),
            r => "the district never received the commune's report");
        var before = await VersionsAsync();

        var correction = Report("2025-02", ReportGenerator.Number("complaints_handled_on_time", 6));
        correction.ReportedAt = Timestamp.FromDateTimeOffset(MidPlanServerFixture.Now);
        var ex = await Assert.ThrowsAsync<RpcException>(() => Submit(correction));

        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
        Assert.Contains(ex.GetRpcStatus()!.GetDetail<BadRequest>()!.FieldViolations, v => v.Field == "values[0].number" && v.Description.Contains("complaints_received (4)", StringComparison.Ordinal));
        Assert.Equal(before, await VersionsAsync());
    }

    [Fact]
    public async Task One_bad_report_in_a_batch_does_not_drop_the_good_ones()
    {
        var good1 = Report("2025-03", ReportGenerator.Number("awareness_activities", 2));
        var bad = Report("2025-03", ReportGenerator.Number("awareness_activities", -1));
        bad.UnitCode = "05446";
        var good2 = Report("2025-04", ReportGenerator.Number("awareness_activities", 1));

        var response = await server.Ingestion.SubmitReportsAsync(new SubmitReportsRequest { Reports = { good1, bad, good2 } });

        Assert.Equal([ReportOutcome.Accepted, ReportOutcome.Rejected, ReportOutcome.Accepted], response.Results.Select(r => r.Outcome));
        Assert.Equal((2, 0, 1), (response.Accepted, response.Duplicates, response.Rejected));
        Assert.Contains(response.Results[1].Violations, v => v.Field == "reports[1].values[0].number");
        var commune = await server.ReadAsync(Commune, "2025S1");
        Assert.Equal(3, commune.Values.Single(v => v.DataElement == "awareness_activities").Value);
        Assert.False((await server.ReadAsync("05446", "2025S1")).Values.Single(v => v.DataElement == "awareness_activities").Value > 0);
    }

    [Fact]
    public async Task An_empty_batch_is_rejected()
    {
        var ex = await Assert.ThrowsAsync<RpcException>(() => server.Ingestion.SubmitReportsAsync(new SubmitReportsRequest()).ResponseAsync);
        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
        Assert.Contains(ex.GetRpcStatus()!.GetDetail<BadRequest>()!.FieldViolations, v => v.Field == "reports");
    }

    [Fact]
    public async Task An_oversized_batch_is_rejected_whole_and_changes_nothing()
    {
        var before = await VersionsAsync();
        var request = new SubmitReportsRequest();
        request.Reports.AddRange(Enumerable.Range(0, 1001).Select(i => Report("2025-01", ReportGenerator.Number("awareness_activities", 1))));

        var ex = await Assert.ThrowsAsync<RpcException>(() => server.Ingestion.SubmitReportsAsync(request).ResponseAsync);

        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
        Assert.Contains(ex.GetRpcStatus()!.GetDetail<BadRequest>()!.FieldViolations, v => v.Field == "reports" && v.Description.Contains("limit of 1000", StringComparison.Ordinal));
        Assert.Equal(before, await VersionsAsync());
    }

    [Fact]
    public async Task A_tenant_credential_naming_another_tenant_in_metadata_is_refused()
    {
        var before = await VersionsAsync();
        var ex = await Assert.ThrowsAsync<RpcException>(() => server.Ingestion.SubmitReportAsync(
            new SubmitReportRequest { Report = Report("2025-01", ReportGenerator.Number("awareness_activities", 1)) },
            new Metadata { { "x-tenant-id", "bac-kan" } }).ResponseAsync);
        Assert.Equal(StatusCode.PermissionDenied, ex.StatusCode);
        Assert.Equal(before, await VersionsAsync());
    }

    [Fact]
    public async Task Reading_an_unknown_unit_or_period_is_rejected_naming_each_field()
    {
        var ex = await Assert.ThrowsAsync<RpcException>(() => server.Rollups.GetRollupAsync(new GetRollupRequest { UnitCode = "99999", ProgrammeId = ServerFixture.Programme, Period = "2025Q9" }).ResponseAsync);
        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
        var fields = ex.GetRpcStatus()!.GetDetail<BadRequest>()!.FieldViolations.Select(v => v.Field).ToList();
        Assert.Contains("unit_code", fields);
        Assert.Contains("period", fields);
    }

    private static Report Bad(string name)
    {
        var r = Report("2025-03", ReportGenerator.Number("awareness_activities", 1));
        switch (name)
        {
            case "unknown unit": r.UnitCode = "99999"; break;
            case "unknown programme": r.ProgrammeId = "drug-prevention-2021-2025"; break;
            case "unknown data element": r.Values[0].DataElement = "massages_given"; break;
            case "malformed period": r.Period = "March 2025"; break;
            case "period before the programme": r.Period = "2020-12"; break;
            case "period in the future": r.Period = "2025-09"; break;
            case "a span of years as a period": r.Period = "2021-2025"; break;
            case "data set of another level": r.UnitCode = District; break;
            case "element of another frequency": r.Values[0] = ReportGenerator.Number("local_officials", 3); break;
            case "negative count": r.Values[0].Number = -3; break;
            case "non-integer count": r.Values[0].Number = 2.5; break;
            case "NaN": r.Values[0].Number = double.NaN; break;
            case "positive infinity": r.Values[0].Number = double.PositiveInfinity; break;
            case "negative infinity": r.Values[0].Number = double.NegativeInfinity; break;
            case "absurdly large count": r.Values[0].Number = 1e15; break;
            case "numerator above denominator":
                r.Values.Clear();
                r.Values.Add(ReportGenerator.Number("complaints_received", 2));
                r.Values.Add(ReportGenerator.Number("complaints_handled_on_time", 5));
                break;
            case "flag sent for a count": r.Values[0] = ReportGenerator.Flag("awareness_activities", true); break;
            case "value missing": r.Values[0] = new DataValue { DataElement = "awareness_activities" }; break;
            case "no values": r.Values.Clear(); break;
            case "element twice in one report": r.Values.Add(ReportGenerator.Number("awareness_activities", 2)); break;
            case "missing idempotency key": r.IdempotencyKey = ""; break;
            case "idempotency key with spaces": r.IdempotencyKey = "two words"; break;
            case "NUL in the source system": r.SourceSystem = "district-system\0"; break;
            case "duplicate establishment id":
                r.Values[0] = new DataValue { DataElement = "establishments_inspected", Entities = new EntityIds { Ids = { "E1", "E1" } } };
                break;
            case "reported_at in the future": r.ReportedAt = Timestamp.FromDateTimeOffset(MidPlanServerFixture.Now.AddHours(2)); break;
            default: throw new ArgumentException(name);
        }

        return r;
    }

    private static Report Report(string period, params DataValue[] values)
    {
        var report = new Report
        {
            IdempotencyKey = Guid.NewGuid().ToString("N"),
            UnitCode = Commune,
            ProgrammeId = ServerFixture.Programme,
            Period = period,
            ReportedAt = Timestamp.FromDateTimeOffset(MidPlanServerFixture.Now.AddMinutes(-1)),
        };
        report.Values.AddRange(values);
        return report;
    }

    private async Task Submit(Report report) => await server.Ingestion.SubmitReportAsync(new SubmitReportRequest { Report = report });

    private static Report With(Report report, Action<Report> change)
    {
        change(report);
        return report;
    }

    /// <summary>The call fails with INVALID_ARGUMENT; its field violations.</summary>
    private static async Task<List<(string Field, string Description)>> RefusedAsync(Func<Task> call)
    {
        var ex = await Assert.ThrowsAsync<RpcException>(call);
        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
        return [.. ex.GetRpcStatus()!.GetDetail<BadRequest>()!.FieldViolations.Select(v => (v.Field, v.Description))];
    }

    /// <summary>A batch whose every report is rejected (a batch is answered per report); the violations of report <paramref name="index"/>.</summary>
    private async Task<List<(string Field, string Description)>> RejectedInBatchAsync(int index, params Report[] reports)
    {
        var response = await server.Ingestion.SubmitReportsAsync(new SubmitReportsRequest { Reports = { reports } });
        Assert.All(response.Results, r => Assert.Equal(ReportOutcome.Rejected, r.Outcome));
        return [.. response.Results[index].Violations.Select(v => (v.Field, v.Description))];
    }

    private async Task FirstMessageAsync(SubscribeRequest request)
    {
        using var call = server.Subscriptions.Subscribe(request);
        await call.ResponseStream.MoveNext();
    }

    /// <summary>What a refused request must not change: the ledger, the audit of accepted values and the figures of the commune and its district.</summary>
    private async Task<((long, long) Recorded, (long, long) Versions)> StateAsync() =>
        (await RecordedRows.CountAsync(server.ConnectionString), await VersionsAsync());

    private async Task<(long Commune, long District)> VersionsAsync() =>
        ((await server.ReadAsync(Commune, "2025")).Version, (await server.ReadAsync(District, "2025")).Version);
}
