using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Aggregation.Protos.V1;
using Aggregation.Security;
using Aggregation.Server.Hosting;
using Google.Rpc;
using Grpc.Core;
using Microsoft.AspNetCore.Builder;
using Npgsql;

namespace Aggregation.IntegrationTests;

/// <summary>
/// Review and sign-off over gRPC on a real server and PostgreSQL: a district approver approves its
/// communes, the province approves the district after it, approved figures refuse changes until the
/// approval is withdrawn with a reason, and every refusal names what stands in the way and changes nothing.
/// </summary>
public sealed class ApprovalTests(ServerFixture server) : IClassFixture<ServerFixture>
{
    private static readonly AccessGrant DistrictApprover = new("approver-164", TestCredentials.Tenant, [Roles.Approver], ["164"]);
    private static readonly AccessGrant ProvinceApprover = new("dolisa-approver", TestCredentials.Tenant, [Roles.Approver], ["19"]);
    private static readonly AccessGrant CommuneSubmitter = new("commune-system", TestCredentials.Tenant, [Roles.Submitter], ["164"]);

    [Fact]
    public async Task A_district_approval_locks_a_commune_s_half_until_it_is_withdrawn_with_a_reason()
    {
        var generator = new ReportGenerator(seed: 71);
        using var submitter = server.ChannelFor(CommuneSubmitter);
        var ingestion = new Ingestion.IngestionClient(submitter);
        await ingestion.SubmitReportAsync(new SubmitReportRequest { Report = generator.New("05443", "2025-03", ReportGenerator.Number("awareness_activities", 3)) });

        using var approverChannel = server.ChannelFor(DistrictApprover);
        var approvals = new Approvals.ApprovalsClient(approverChannel);
        var approved = (await approvals.ApproveAsync(Approve("05443", "commune-monthly", "2025S1", ApprovalLevel.District, "Checked against the commune's registers"))).Approval;
        Assert.Equal("approver-164", approved.ApprovedBy);
        Assert.Equal("Checked against the commune's registers", approved.Comment);
        var name = $"approvals/{approved.Id}";

        // A correction of March, alone or in a batch, is refused naming the approval; the figure stays.
        var single = await Assert.ThrowsAsync<RpcException>(() => ingestion.SubmitReportAsync(new SubmitReportRequest { Report = generator.New("05443", "2025-03", ReportGenerator.Number("awareness_activities", 5)) }).ResponseAsync);
        Assert.Equal(StatusCode.FailedPrecondition, single.StatusCode);
        Assert.Contains(name, single.Status.Detail, StringComparison.Ordinal);
        var violation = Assert.Single(single.GetRpcStatus()!.GetDetail<PreconditionFailure>()!.Violations);
        Assert.Equal(("APPROVAL", name), (violation.Type, violation.Subject));
        Assert.Contains("district level by approver-164", violation.Description, StringComparison.Ordinal);

        var batch = await ingestion.SubmitReportsAsync(new SubmitReportsRequest { Reports = { generator.New("05443", "2025-04", ReportGenerator.Number("awareness_activities", 6)), generator.New("05443", "2024-11", ReportGenerator.Number("awareness_activities", 1)) } });
        Assert.Equal([ReportOutcome.Rejected, ReportOutcome.Accepted], batch.Results.Select(r => r.Outcome));
        Assert.Contains(batch.Results[0].Violations, v => v.Field == "reports[0].period" && v.Description.Contains(name, StringComparison.Ordinal));
        var checkOnly = await ingestion.SubmitReportsAsync(new SubmitReportsRequest { ValidateOnly = true, Reports = { generator.New("05443", "2025-05", ReportGenerator.Number("awareness_activities", 2)) } });
        Assert.Equal(ReportOutcome.Rejected, checkOnly.Results[0].Outcome);
        Assert.Equal(3, await AwarenessAsync("05443", "2025-03"));
        Assert.Equal(0, await AwarenessAsync("05443", "2025-04"));

        // Withdrawal needs a reason; without one the approval stays in force.
        var noReason = await Assert.ThrowsAsync<RpcException>(() => approvals.WithdrawApprovalAsync(new WithdrawApprovalRequest { ApprovalId = approved.Id, Reason = "  " }).ResponseAsync);
        Assert.Equal(StatusCode.InvalidArgument, noReason.StatusCode);
        Assert.Contains(noReason.GetRpcStatus()!.GetDetail<BadRequest>()!.FieldViolations, v => v.Field == "reason");
        Assert.Equal([approved.Id], (await ListAsync(approverChannel, "05443")).Select(a => a.Id));

        var withdrawn = (await approvals.WithdrawApprovalAsync(new WithdrawApprovalRequest { ApprovalId = approved.Id, Reason = "The commune found a double-counted activity" })).Approval;
        Assert.Equal(("approver-164", "The commune found a double-counted activity"), (withdrawn.WithdrawnBy, withdrawn.WithdrawalReason));
        await ingestion.SubmitReportAsync(new SubmitReportRequest { Report = generator.New("05443", "2025-03", ReportGenerator.Number("awareness_activities", 5)) });
        Assert.Equal(5, await AwarenessAsync("05443", "2025-03"));
        Assert.Empty(await ListAsync(approverChannel, "05443"));
        Assert.Single(await ListAsync(approverChannel, "05443", withdrawn: true));

        // The audit trail holds the approval, the refused write naming it and the withdrawal.
        var audit = (await new Audit.AuditClient(server.Channel).QueryAuditAsync(new QueryAuditRequest { UnitCode = "05443", PageSize = 1000 })).Records;
        var approval = Assert.Single(audit, r => r.Action == AuditAction.Approved);
        Assert.Equal(("approver-164", "commune-monthly", "2025S1", "Checked against the commune's registers"), (approval.Subject, approval.DataElement, approval.Period, approval.Reason));
        Assert.Contains(audit, r => r.Action == AuditAction.Rejected && r.Period == "2025-03" && r.Reason.Contains(name, StringComparison.Ordinal));
        Assert.Contains(audit, r => r.Action == AuditAction.Rejected && r.Period == "2025-04" && r.Reason.Contains(name, StringComparison.Ordinal));
        var withdrawal = Assert.Single(audit, r => r.Action == AuditAction.ApprovalWithdrawn);
        Assert.Equal(("approver-164", "commune-monthly", "The commune found a double-counted activity"), (withdrawal.Subject, withdrawal.DataElement, withdrawal.Reason));
    }

    [Fact]
    public async Task The_province_approves_a_district_only_after_its_district_approval_and_the_rollup_shows_the_level()
    {
        var generator = new ReportGenerator(seed: 72);
        using var submitter = server.ChannelFor(CommuneSubmitter);
        await new Ingestion.IngestionClient(submitter).SubmitReportAsync(new SubmitReportRequest { Report = generator.New("05446", "2025-02", ReportGenerator.Number("establishments_at_risk", 4)) });
        using var provinceChannel = server.ChannelFor(ProvinceApprover);
        using var districtChannel = server.ChannelFor(DistrictApprover);
        var province = new Approvals.ApprovalsClient(provinceChannel);
        var district = new Approvals.ApprovalsClient(districtChannel);

        var early = await Assert.ThrowsAsync<RpcException>(() => province.ApproveAsync(Approve("164", "commune-police-monthly", "2025S1", ApprovalLevel.Province)).ResponseAsync);
        Assert.Equal(StatusCode.FailedPrecondition, early.StatusCode);
        Assert.Contains("before its district approval", early.Status.Detail, StringComparison.Ordinal);
        Assert.Equal("APPROVAL_MISSING", Assert.Single(early.GetRpcStatus()!.GetDetail<PreconditionFailure>()!.Violations).Type);
        Assert.Empty(await ListAsync(provinceChannel, "164", children: true, dataSet: "commune-police-monthly"));
        Assert.Equal(ApprovalLevel.Unspecified, await LevelAsync("164", "2025S1", "commune-police-monthly"));

        var first = (await district.ApproveAsync(Approve("164", "commune-police-monthly", "2025S1", ApprovalLevel.District))).Approval;
        Assert.Equal(ApprovalLevel.District, await LevelAsync("164", "2025S1", "commune-police-monthly"));
        var second = (await province.ApproveAsync(Approve("164", "commune-police-monthly", "2025S1", ApprovalLevel.Province, "Consolidated by DOLISA"))).Approval;

        // Rollups: the district and its communes' months read as province-approved; the province itself is provisional.
        Assert.Equal(ApprovalLevel.Province, await LevelAsync("164", "2025S1", "commune-police-monthly"));
        Assert.Equal(ApprovalLevel.Province, await LevelAsync("05446", "2025-02", "commune-police-monthly"));
        Assert.Equal(ApprovalLevel.Unspecified, await LevelAsync("164", "2025S1", "commune-staff-sixmonthly"));
        Assert.Equal(ApprovalLevel.Unspecified, await LevelAsync(ServerFixture.ProvinceCode, "2025S1", "commune-police-monthly"));
        var rollup = await server.ReadAsync("164", "2025S1");
        var state = Assert.Single(rollup.Approvals, a => a.DataSet == "commune-police-monthly");
        Assert.Equal((second.Id, "dolisa-approver"), (state.ApprovalId, state.ApprovedBy));

        // The district approval cannot go while the province's stands on it.
        var blocked = await Assert.ThrowsAsync<RpcException>(() => district.WithdrawApprovalAsync(new WithdrawApprovalRequest { ApprovalId = first.Id, Reason = "recount" }).ResponseAsync);
        Assert.Equal(StatusCode.FailedPrecondition, blocked.StatusCode);
        Assert.Equal($"approvals/{second.Id}", Assert.Single(blocked.GetRpcStatus()!.GetDetail<PreconditionFailure>()!.Violations).Subject);
        Assert.Equal(2, (await ListAsync(provinceChannel, "164", dataSet: "commune-police-monthly")).Count);

        // A district approver cannot withdraw the province's approval either.
        var above = await Assert.ThrowsAsync<RpcException>(() => district.WithdrawApprovalAsync(new WithdrawApprovalRequest { ApprovalId = second.Id, Reason = "recount" }).ResponseAsync);
        Assert.Equal(StatusCode.PermissionDenied, above.StatusCode);
    }

    [Fact]
    public async Task Approving_a_period_without_data_or_beyond_the_caller_s_authority_is_refused_and_records_nothing()
    {
        using var districtChannel = server.ChannelFor(DistrictApprover);
        var district = new Approvals.ApprovalsClient(districtChannel);
        using var submitterChannel = server.ChannelFor(CommuneSubmitter);

        var empty = await Assert.ThrowsAsync<RpcException>(() => district.ApproveAsync(Approve("164", "district-sixmonthly", "2024S2", ApprovalLevel.District)).ResponseAsync);
        Assert.Equal(StatusCode.FailedPrecondition, empty.StatusCode);
        Assert.Equal("NO_DATA", Assert.Single(empty.GetRpcStatus()!.GetDetail<PreconditionFailure>()!.Violations).Type);
        Assert.Contains("nothing to approve", empty.Status.Detail, StringComparison.Ordinal);

        var refusals = new (AccessGrant? As, ApproveRequest Request, StatusCode Code, string? Field)[]
        {
            (null, Approve("164", "district-sixmonthly", "2025S1", ApprovalLevel.Province), StatusCode.PermissionDenied, null),
            (null, Approve("05506", "commune-monthly", "2025S1", ApprovalLevel.District), StatusCode.PermissionDenied, null),
            (CommuneSubmitter, Approve("05443", "commune-monthly", "2025S1", ApprovalLevel.District), StatusCode.PermissionDenied, null),
            (null, Approve("05443", "commune-monthly", "2025S1", ApprovalLevel.Unspecified), StatusCode.InvalidArgument, "level"),
            (null, Approve("05443", "commune-staff-sixmonthly", "2025-03", ApprovalLevel.District), StatusCode.InvalidArgument, "period"),
            (null, Approve("05443", "commune-monthly", "2026S1", ApprovalLevel.District), StatusCode.InvalidArgument, "period"),
            (null, Approve("05443", "district-sixmonthly", "2025S1", ApprovalLevel.District), StatusCode.InvalidArgument, "data_set"),
            (null, Approve("05443", "commune-monthly", "2025S1", ApprovalLevel.Province), StatusCode.InvalidArgument, "level"),
        };
        foreach (var (grant, request, code, field) in refusals)
        {
            using var channel = grant is null ? null : server.ChannelFor(grant);
            var client = channel is null ? district : new Approvals.ApprovalsClient(channel);
            var ex = await Assert.ThrowsAsync<RpcException>(() => client.ApproveAsync(request).ResponseAsync);
            Assert.Equal(code, ex.StatusCode);
            if (field is not null)
            {
                Assert.Contains(ex.GetRpcStatus()!.GetDetail<BadRequest>()!.FieldViolations, v => v.Field == field);
            }
        }

        Assert.Empty(await ListAsync(server.Channel, ServerFixture.ProvinceCode, children: true, withdrawn: true, dataSet: "district-sixmonthly"));
        var audit = await new Audit.AuditClient(server.Channel).QueryAuditAsync(new QueryAuditRequest { Action = AuditAction.Approved, Subject = "approver-164", PageSize = 1000 });
        Assert.DoesNotContain(audit.Records, r => r.DataElement == "district-sixmonthly");
    }

    [Fact]
    public async Task The_review_page_s_api_approves_lists_and_withdraws_and_answers_refusals_in_both_languages()
    {
        var generator = new ReportGenerator(seed: 74);
        await server.Ingestion.SubmitReportAsync(new SubmitReportRequest { Report = generator.New(ServerFixture.ProvinceCode, "2025-01", ReportGenerator.Number("press_publications", 2)) });
        using var http = new HttpClient { BaseAddress = new Uri(server.WebAddress) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", TestCredentials.Token(ProvinceApprover));
        const string press = "{\"unitCode\":\"19\",\"dataSet\":\"province-press-monthly\",\"period\":\"2025-01\",\"level\":\"APPROVAL_LEVEL_PROVINCE\"";

        using var approved = await http.PostAsync("/api/approvals", Json(press + ",\"comment\":\"Khớp với sổ theo dõi\"}"));
        Assert.Equal(HttpStatusCode.Created, approved.StatusCode);
        var id = JsonDocument.Parse(await approved.Content.ReadAsStringAsync()).RootElement.GetProperty("approval").GetProperty("id").GetString();

        var listed = JsonDocument.Parse(await http.GetStringAsync("/api/approvals?unit=19")).RootElement.GetProperty("approvals");
        Assert.Contains(listed.EnumerateArray(), a => a.GetProperty("id").GetString() == id && a.GetProperty("comment").GetString() == "Khớp với sổ theo dõi");

        // Field errors come with a sentence in each language, beside the field they concern.
        using var noReason = await http.PostAsync($"/api/approvals/{id}/withdraw", Json("{\"reason\":\"\"}"));
        Assert.Equal(HttpStatusCode.BadRequest, noReason.StatusCode);
        var field = Assert.Single(JsonDocument.Parse(await noReason.Content.ReadAsStringAsync()).RootElement.GetProperty("fields").EnumerateArray());
        Assert.Equal("reason", field.GetProperty("field").GetString());
        Assert.Contains("lý do", field.GetProperty("vi").GetString(), StringComparison.Ordinal);
        Assert.Contains("required", field.GetProperty("en").GetString(), StringComparison.Ordinal);

        // A conflict names the approval in both languages.
        using var twice = await http.PostAsync("/api/approvals", Json(press + "}"));
        Assert.Equal(HttpStatusCode.BadRequest, twice.StatusCode);
        var conflict = JsonDocument.Parse(await twice.Content.ReadAsStringAsync()).RootElement;
        Assert.Contains($"approvals/{id}", conflict.GetProperty("en").GetString(), StringComparison.Ordinal);
        Assert.Contains("phê duyệt cấp tỉnh", conflict.GetProperty("vi").GetString(), StringComparison.Ordinal);

        using var withdrawn = await http.PostAsync($"/api/approvals/{id}/withdraw", Json("{\"reason\":\"Sở TT&TT gửi bổ sung một tin bài\"}"));
        Assert.Equal(HttpStatusCode.OK, withdrawn.StatusCode);
        Assert.Empty(await ListAsync(server.Channel, ServerFixture.ProvinceCode, dataSet: "province-press-monthly"));
    }

    [Fact]
    public async Task The_cli_approves_lists_and_explains_a_refusal_in_vietnamese()
    {
        var generator = new ReportGenerator(seed: 75);
        using var submitter = server.ChannelFor(CommuneSubmitter);
        await new Ingestion.IngestionClient(submitter).SubmitReportAsync(new SubmitReportRequest { Report = generator.New("05446", "2025S1", ReportGenerator.Number("local_officials", 9)) });
        var environment = new Dictionary<string, string?> { ["AGGREGATION_SERVER"] = server.Address, ["AGGREGATION_TOKEN"] = TestCredentials.Token(DistrictApprover), ["COLUMNS"] = null };

        var approved = await CliProcess.RunAsync(["approve", "--unit", "05446", "--dataset", "commune-staff-sixmonthly", "--period", "2025S1", "--level", "district", "--comment", "đã đối chiếu"], environment);
        Assert.Equal(0, approved.Exit);
        Assert.Contains("Đã phê duyệt cấp huyện", approved.Out, StringComparison.Ordinal);
        var id = (await ListAsync(server.Channel, "05446", dataSet: "commune-staff-sixmonthly")).Single().Id;

        var listed = await CliProcess.RunAsync(["approvals", "--unit", "164", "--children", "--output", "csv", "--en"], environment);
        Assert.Equal(0, listed.Exit);
        Assert.Contains($"{id},05446,commune-staff-sixmonthly,2025S1,district,approver-164", listed.Out, StringComparison.Ordinal);

        var noReason = await CliProcess.RunAsync(["withdraw-approval", "--id", id.ToString(System.Globalization.CultureInfo.InvariantCulture), "--reason", " "], environment);
        Assert.Equal(1, noReason.Exit);
        Assert.Contains("Hãy ghi lý do rút phê duyệt", noReason.Err, StringComparison.Ordinal);
        Assert.Single(await ListAsync(server.Channel, "05446", dataSet: "commune-staff-sixmonthly"));

        var locked = await CliProcess.RunAsync(["approve", "--unit", "05446", "--dataset", "commune-staff-sixmonthly", "--period", "2025S1", "--level", "district"], environment);
        Assert.Equal(1, locked.Exit);
        Assert.Contains($"approvals/{id}", locked.Err, StringComparison.Ordinal);
        Assert.Contains("đã được phê duyệt cấp huyện", locked.Err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_approval_still_locks_after_the_server_restarts()
    {
        var database = await TestPostgres.CreateDatabaseAsync();
        var generator = new ReportGenerator(seed: 73);
        long id;
        await using (var first = await Restartable.StartAsync(database))
        {
            using var submitter = TestCredentials.Channel(first.Address, CommuneSubmitter);
            await new Ingestion.IngestionClient(submitter).SubmitReportAsync(new SubmitReportRequest { Report = generator.New("05443", "2025S1", ReportGenerator.Number("local_officials", 12)) });
            using var approver = TestCredentials.Channel(first.Address, DistrictApprover);
            id = (await new Approvals.ApprovalsClient(approver).ApproveAsync(Approve("05443", "commune-staff-sixmonthly", "2025S1", ApprovalLevel.District))).Approval.Id;
        }

        await using var second = await Restartable.StartAsync(database);
        using var again = TestCredentials.Channel(second.Address, CommuneSubmitter);
        var ex = await Assert.ThrowsAsync<RpcException>(() => new Ingestion.IngestionClient(again).SubmitReportAsync(new SubmitReportRequest { Report = generator.New("05443", "2025S1", ReportGenerator.Number("local_officials", 13)) }).ResponseAsync);
        Assert.Equal(StatusCode.FailedPrecondition, ex.StatusCode);
        Assert.Contains($"approvals/{id}", ex.Status.Detail, StringComparison.Ordinal);
    }

    private static StringContent Json(string body) => new(body, System.Text.Encoding.UTF8, "application/json");

    private static ApproveRequest Approve(string unit, string dataSet, string period, ApprovalLevel level, string comment = "") => new()
    {
        ProgrammeId = ServerFixture.Programme,
        UnitCode = unit,
        DataSet = dataSet,
        Period = period,
        Level = level,
        Comment = comment,
    };

    private static async Task<List<Approval>> ListAsync(Grpc.Net.Client.GrpcChannel channel, string unit, bool children = false, bool withdrawn = false, string? dataSet = null)
    {
        var response = await new Approvals.ApprovalsClient(channel).ListApprovalsAsync(new ListApprovalsRequest { ProgrammeId = ServerFixture.Programme, UnitCode = unit, IncludeChildren = children, IncludeWithdrawn = withdrawn });
        return [.. response.Approvals.Where(a => dataSet is null || a.DataSet == dataSet)];
    }

    private async Task<long?> AwarenessAsync(string unit, string period)
    {
        var value = (await server.ReadAsync(unit, period)).Values.Single(v => v.DataElement == "awareness_activities");
        return value.HasValue ? value.Value : null;
    }

    private async Task<ApprovalLevel> LevelAsync(string unit, string period, string dataSet) =>
        (await server.ReadAsync(unit, period)).Approvals.Single(a => a.DataSet == dataSet).Level;

    /// <summary>A server on a database of the test's own, stopped gracefully on dispose.</summary>
    private sealed class Restartable(WebApplication app, string address) : IAsyncDisposable
    {
        public string Address => address;

        public static async Task<Restartable> StartAsync(string connectionString)
        {
            var app = await AggregationApp.BuildAsync(ServerFixture.Arguments(out var address, connectionString));
            await app.StartAsync();
            return new Restartable(app, address);
        }

        public async ValueTask DisposeAsync()
        {
            await app.StopAsync();
            await app.DisposeAsync();
            NpgsqlConnection.ClearAllPools();
        }
    }
}
