using Aggregation.Protos.V1;
using Aggregation.Security;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Grpc.Net.Client;

namespace Aggregation.IntegrationTests;

/// <summary>
/// Every RPC × every kind of credential × a unit inside the credential's scope, outside it, and in
/// another tenant, on a deployment serving two tenants. The table below is the access policy; each
/// case checks the status, and that a refused call left the ledger and the audit of accepted values
/// as they were.
/// </summary>
public sealed class AuthorizationTests(TwoTenantServerFixture server) : IClassFixture<TwoTenantServerFixture>
{
    private const string InScope = "05443";      // commune of district 164, Thái Nguyên
    private const string OutOfScope = "05506";   // commune of district 165, Thái Nguyên
    private const string OtherTenant = "01834";  // commune of district 058, Bắc Kạn

    private static readonly Dictionary<string, AccessGrant?> Credentials = new()
    {
        ["anonymous"] = null,
        ["submitter of district 164"] = new("district-164-system", TestCredentials.Tenant, [Roles.Submitter], ["164"]),
        ["viewer of district 164"] = new("district-164-dashboard", TestCredentials.Tenant, [Roles.Viewer], ["164"]),
        ["approver of district 164"] = new("district-164-approver", TestCredentials.Tenant, [Roles.Approver], ["164"]),
        ["admin of Thái Nguyên"] = new("thai-nguyen-admin", TestCredentials.Tenant, [Roles.Admin]),
        ["ministry"] = TestCredentials.Ministry,
        ["submitter of Bắc Kạn district 058"] = new("bac-kan-058-system", TwoTenantServerFixture.OtherTenant, [Roles.Submitter], ["058"]),
        ["admin of Bắc Kạn"] = new("bac-kan-admin", TwoTenantServerFixture.OtherTenant, [Roles.Admin]),
    };

    /// <summary>The policy: who may call what, and whether the unit named must lie inside the caller's units.</summary>
    private static readonly Dictionary<string, (string[] Roles, Scope Scope, Func<GrpcChannel, string, Task> Call)> Rpcs = new()
    {
        ["Ingestion.SubmitReport"] = ([Roles.Submitter], Scope.Units, (c, unit) => new Ingestion.IngestionClient(c).SubmitReportAsync(new SubmitReportRequest { Report = Report(unit) }).ResponseAsync),
        ["Ingestion.SubmitReports"] = ([Roles.Submitter], Scope.Units, (c, unit) => new Ingestion.IngestionClient(c).SubmitReportsAsync(new SubmitReportsRequest { Reports = { Report(unit) } }).ResponseAsync),
        ["Ingestion.StreamReports"] = ([Roles.Submitter], Scope.Units, StreamAsync),
        ["Rollups.GetRollup"] = (AccessControlReaders, Scope.Units, (c, unit) => new Rollups.RollupsClient(c).GetRollupAsync(new GetRollupRequest { UnitCode = unit, ProgrammeId = ServerFixture.Programme, Period = "2025" }).ResponseAsync),
        ["Subscriptions.Subscribe"] = (AccessControlReaders, Scope.Units, SubscribeAsync),
        ["Exports.Export"] = (AccessControlReaders, Scope.Units, ExportAllowedAsync),
        ["Review.ListFindings"] = ([Roles.Approver, .. AccessControlReaders], Scope.Units, (c, unit) => new Review.ReviewClient(c).ListFindingsAsync(new ListFindingsRequest { UnitCode = unit, ProgrammeId = ServerFixture.Programme, Period = "2025" }).ResponseAsync),
        ["Catalog.ListProgrammes"] = ([.. Roles.All], Scope.None, (c, _) => new Catalog.CatalogClient(c).ListProgrammesAsync(new ListProgrammesRequest()).ResponseAsync),
        ["Catalog.GetUnit"] = ([.. Roles.All], Scope.Tenant, (c, unit) => new Catalog.CatalogClient(c).GetUnitAsync(new GetUnitRequest { Code = unit }).ResponseAsync),
        ["Catalog.ListUnits"] = ([.. Roles.All], Scope.Tenant, (c, unit) => new Catalog.CatalogClient(c).ListUnitsAsync(new ListUnitsRequest { AncestorCode = unit }).ResponseAsync),
        ["Operations.RebuildRollups"] = ([Roles.Admin], Scope.Tenant, (c, unit) => new Operations.OperationsClient(c).RebuildRollupsAsync(new RebuildRollupsRequest { UnitCode = unit }).ResponseAsync),
        ["Operations.AuditRollups"] = ([Roles.Admin, Roles.Ministry], Scope.None, (c, _) => new Operations.OperationsClient(c).AuditRollupsAsync(new AuditRollupsRequest()).ResponseAsync),
        ["Audit.QueryAudit"] = ([Roles.Admin], Scope.None, (c, unit) => new Audit.AuditClient(c).QueryAuditAsync(new QueryAuditRequest { UnitCode = unit }).ResponseAsync),
        ["Approvals.Approve"] = ([Roles.Approver, Roles.Admin], Scope.Units, ApproveAllowedAsync),
        ["Approvals.ListApprovals"] = (AccessControlReaders, Scope.Units, (c, unit) => new Approvals.ApprovalsClient(c).ListApprovalsAsync(new ListApprovalsRequest { ProgrammeId = ServerFixture.Programme, UnitCode = unit }).ResponseAsync),
        ["Credentials.IssueToken"] = ([Roles.Admin], Scope.Tenant, (c, unit) => new Protos.V1.Credentials.CredentialsClient(c).IssueTokenAsync(new IssueTokenRequest { Subject = "commune-system", Roles = { Roles.Submitter }, UnitCodes = { unit } }).ResponseAsync),
    };

    private static string[] AccessControlReaders => [Roles.Viewer, Roles.Approver, Roles.Admin, Roles.Ministry];

    private enum Scope
    {
        /// <summary>The call names no unit.</summary>
        None,

        /// <summary>The unit must be of the caller's tenant (an unknown code there is INVALID_ARGUMENT).</summary>
        Tenant,

        /// <summary>The unit must be at or below one of the caller's units (PERMISSION_DENIED otherwise, existing or not).</summary>
        Units,
    }

    public static TheoryData<string, string, string> Cases()
    {
        var data = new TheoryData<string, string, string>();
        foreach (var rpc in Rpcs.Keys)
        {
            foreach (var credential in Credentials.Keys)
            {
                foreach (var target in new[] { InScope, OutOfScope, OtherTenant })
                {
                    data.Add(rpc, credential, target);
                }
            }
        }

        return data;
    }

    /// <summary>An export; NOT_FOUND (the unit holds nothing for the year) comes after the call was allowed, so it counts as allowed.</summary>
    private static async Task ExportAllowedAsync(GrpcChannel channel, string unit)
    {
        try
        {
            await new Exports.ExportsClient(channel).ExportAsync(new ExportRequest { UnitCode = unit, ProgrammeId = ServerFixture.Programme, Period = "2025", Format = ExportFormat.Adx });
        }
        catch (RpcException ex) when (ex.StatusCode == StatusCode.NotFound)
        {
        }
    }

    /// <summary>
    /// An approval of a half nobody reported: FAILED_PRECONDITION (nothing to approve) comes after the
    /// call was allowed, so it counts as allowed, and no figure of the other cases is locked.
    /// </summary>
    private static async Task ApproveAllowedAsync(GrpcChannel channel, string unit)
    {
        try
        {
            await new Approvals.ApprovalsClient(channel).ApproveAsync(new ApproveRequest { ProgrammeId = ServerFixture.Programme, UnitCode = unit, DataSet = "commune-staff-sixmonthly", Period = "2021S1", Level = ApprovalLevel.District });
        }
        catch (RpcException ex) when (ex.StatusCode == StatusCode.FailedPrecondition)
        {
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Each_call_is_answered_as_the_credentials_role_scope_and_tenant_allow(string rpc, string credential, string target)
    {
        var (roles, scope, call) = Rpcs[rpc];
        var grant = Credentials[credential];
        var expected = Expected(grant, roles, scope, target);
        var before = await StateAsync();
        using var channel = TestCredentials.Channel(server.Address, grant is null ? null : TestCredentials.Token(grant));

        var actual = StatusCode.OK;
        try
        {
            await call(channel, target);
        }
        catch (RpcException ex)
        {
            actual = ex.StatusCode;
        }

        Assert.Equal(expected, actual);
        if (expected != StatusCode.OK)
        {
            Assert.Equal(before, await StateAsync());
        }
    }

    [Fact]
    public async Task A_unit_of_another_tenant_gets_the_same_answer_as_a_code_that_exists_nowhere()
    {
        foreach (var grant in new[] { Credentials["viewer of district 164"]!, Credentials["admin of Thái Nguyên"]! })
        {
            using var channel = server.ChannelFor(grant);
            var client = new Rollups.RollupsClient(channel);
            var elsewhere = await Assert.ThrowsAsync<RpcException>(() => client.GetRollupAsync(new GetRollupRequest { UnitCode = OtherTenant, ProgrammeId = ServerFixture.Programme, Period = "2025" }).ResponseAsync);
            var nowhere = await Assert.ThrowsAsync<RpcException>(() => client.GetRollupAsync(new GetRollupRequest { UnitCode = "99999", ProgrammeId = ServerFixture.Programme, Period = "2025" }).ResponseAsync);

            Assert.Equal(nowhere.StatusCode, elsewhere.StatusCode);
            Assert.Equal(nowhere.Status.Detail.Replace("99999", "?", StringComparison.Ordinal), elsewhere.Status.Detail.Replace(OtherTenant, "?", StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task The_nation_is_read_by_the_ministry_only_and_the_ministry_reads_any_tenant_it_names()
    {
        var nation = new GetRollupRequest { UnitCode = "VN", ProgrammeId = ServerFixture.Programme, Period = "2025" };
        using var admin = server.ChannelFor(Credentials["admin of Thái Nguyên"]!);
        var denied = await Assert.ThrowsAsync<RpcException>(() => new Rollups.RollupsClient(admin).GetRollupAsync(nation).ResponseAsync);
        Assert.Equal(StatusCode.PermissionDenied, denied.StatusCode);

        var ministry = new Rollups.RollupsClient(server.MinistryChannel);
        Assert.Equal("VN", (await ministry.GetRollupAsync(nation)).Rollup.Unit.Code);
        var bacKan = await ministry.GetRollupAsync(
            new GetRollupRequest { UnitCode = "06", ProgrammeId = ServerFixture.Programme, Period = "2025" },
            new Metadata { { "x-tenant-id", TwoTenantServerFixture.OtherTenant } });
        Assert.Equal("Tỉnh Bắc Kạn", bacKan.Rollup.Unit.Name);
    }

    [Fact]
    public async Task A_submitter_limited_to_the_police_data_set_cannot_send_the_communes_awareness_figures()
    {
        var police = new AccessGrant("commune-police-164", TestCredentials.Tenant, [Roles.Submitter], ["164"], ["commune-police-monthly"]);
        using var channel = server.ChannelFor(police);
        var client = new Ingestion.IngestionClient(channel);
        var before = await StateAsync();

        var denied = await Assert.ThrowsAsync<RpcException>(() => client.SubmitReportAsync(new SubmitReportRequest { Report = Report(InScope) }).ResponseAsync);
        Assert.Equal(StatusCode.PermissionDenied, denied.StatusCode);
        Assert.Contains("awareness_activities", denied.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(before, await StateAsync());

        var inspected = Report(InScope);
        inspected.Values.Clear();
        inspected.Values.Add(ReportGenerator.Entities("establishments_inspected", "est-1"));
        Assert.Equal(ReportOutcome.Accepted, (await client.SubmitReportAsync(new SubmitReportRequest { Report = inspected })).Result.Outcome);
    }

    [Fact]
    public async Task One_report_outside_the_scope_refuses_the_whole_batch()
    {
        using var channel = server.ChannelFor(Credentials["submitter of district 164"]!);
        var before = await StateAsync();

        var ex = await Assert.ThrowsAsync<RpcException>(() => new Ingestion.IngestionClient(channel).SubmitReportsAsync(new SubmitReportsRequest { Reports = { Report(InScope), Report(OutOfScope), Report(InScope) } }).ResponseAsync);

        Assert.Equal(StatusCode.PermissionDenied, ex.StatusCode);
        Assert.Contains("reports[1].unit_code", ex.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(before, await StateAsync());
    }

    private static StatusCode Expected(AccessGrant? grant, string[] roles, Scope scope, string target)
    {
        if (grant is null)
        {
            return StatusCode.Unauthenticated;
        }

        if (!grant.Roles.Intersect(roles).Any())
        {
            return StatusCode.PermissionDenied;
        }

        // The ministry acts in the default tenant (Thái Nguyên) unless it names another.
        var actingTenant = grant.Tenant == AccessClaims.AllTenants ? TestCredentials.Tenant : grant.Tenant;
        var targetTenant = target == OtherTenant ? TwoTenantServerFixture.OtherTenant : TestCredentials.Tenant;
        var scoped = grant.Units is { Count: > 0 } && !grant.Roles.Contains(Roles.Admin);
        var underUnits = grant.Units is { } units && units.Contains(target switch { InScope => "164", OutOfScope => "165", _ => "058" });
        return scope switch
        {
            Scope.None => StatusCode.OK,
            Scope.Units when scoped && !(underUnits && targetTenant == actingTenant) => StatusCode.PermissionDenied,
            _ when targetTenant != actingTenant => StatusCode.InvalidArgument,
            _ => StatusCode.OK,
        };
    }

    /// <summary>What a refused call must not change: the ledger and the audit of accepted values.</summary>
    private Task<(long Ledger, long Accepted)> StateAsync() => RecordedRows.CountAsync(server.ConnectionString);

    private static Report Report(string unit) => new()
    {
        IdempotencyKey = Guid.NewGuid().ToString("N"),
        UnitCode = unit,
        ProgrammeId = ServerFixture.Programme,
        Period = "2025-03",
        ReportedAt = Timestamp.FromDateTime(DateTime.UtcNow),
        Values = { ReportGenerator.Number("awareness_activities", 1) },
    };

    private static async Task StreamAsync(GrpcChannel channel, string unit)
    {
        using var call = new Ingestion.IngestionClient(channel).StreamReports();
        try
        {
            await call.RequestStream.WriteAsync(new SubmitReportsRequest { Reports = { Report(unit) } });
            await call.RequestStream.CompleteAsync();
        }
        catch (Exception ex) when (ex is RpcException or InvalidOperationException)
        {
            // The server may end the call (refusing it) before the client has finished writing: then the
            // write fails on its own, and the call's answer is read from the response below.
        }

        while (await call.ResponseStream.MoveNext())
        {
        }
    }

    private static async Task SubscribeAsync(GrpcChannel channel, string unit)
    {
        using var call = new Protos.V1.Subscriptions.SubscriptionsClient(channel).Subscribe(new SubscribeRequest { UnitCode = unit, ProgrammeId = ServerFixture.Programme, Periods = { "2025" } });
        Assert.True(await call.ResponseStream.MoveNext());
        Assert.Equal(SubscribeResponse.ContentOneofCase.Confirmation, call.ResponseStream.Current.ContentCase);
    }
}
