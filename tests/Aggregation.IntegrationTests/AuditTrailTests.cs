using Aggregation.Protos.V1;
using Aggregation.Security;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Npgsql;

namespace Aggregation.IntegrationTests;

/// <summary>
/// The audit trail a provincial admin reads when a figure is questioned: who sent each value, from
/// where, what it replaced, and why refused reports were refused.
/// </summary>
public sealed class AuditTrailTests(TwoTenantServerFixture server) : IClassFixture<TwoTenantServerFixture>
{
    private static readonly DateTime Start = new(2025, 5, 2, 8, 0, 0, DateTimeKind.Utc);

    private static readonly AccessGrant Commune = new("commune-05446-system", TestCredentials.Tenant, [Roles.Submitter], ["05446"]);

    [Fact]
    public async Task A_value_s_history_shows_who_set_corrected_and_withdrew_it_and_the_late_report_that_lost()
    {
        using var channel = server.ChannelFor(Commune);
        var client = new Ingestion.IngestionClient(channel);
        await client.SubmitReportAsync(Request(Start, ReportGenerator.Number("complaints_received", 2)));
        await client.SubmitReportAsync(Request(Start.AddDays(1), ReportGenerator.Number("complaints_received", 3)));
        await client.SubmitReportAsync(Request(Start.AddDays(2), new DataValue { DataElement = "complaints_received", Withdrawn = new Withdrawal() }));
        await client.SubmitReportAsync(Request(Start.AddHours(-1), ReportGenerator.Number("complaints_received", 9)));

        var records = (await Admin().QueryAuditAsync(new QueryAuditRequest { UnitCode = "05446", DataElement = "complaints_received" })).Records;

        Assert.Equal(
            [
                (AuditAction.Accepted, "", "2"),
                (AuditAction.Corrected, "2", "3"),
                (AuditAction.Withdrawn, "3", ""),
                (AuditAction.Superseded, "", "9"),
            ],
            records.Select(r => (r.Action, r.OldValue, r.NewValue)));
        Assert.All(records, r =>
        {
            Assert.Equal("commune-05446-system", r.Subject);
            Assert.Equal("commune-app", r.SourceSystem);
            Assert.StartsWith("127.0.0.1:", r.Peer, StringComparison.Ordinal);
            Assert.Equal("2025-04", r.Period);
            Assert.True(r.RecordedAt.ToDateTime() > DateTime.UtcNow.AddMinutes(-5));
        });
    }

    [Fact]
    public async Task A_rejected_report_is_recorded_with_the_reason_and_a_refused_one_with_the_scope_it_broke()
    {
        using var channel = server.ChannelFor(Commune);
        var client = new Ingestion.IngestionClient(channel);
        await Assert.ThrowsAsync<RpcException>(() => client.SubmitReportAsync(Request(Start, ReportGenerator.Number("workers_reached", -4))).ResponseAsync);
        var outside = Request(Start, ReportGenerator.Number("workers_reached", 4));
        outside.Report.UnitCode = "05443";
        var denied = await Assert.ThrowsAsync<RpcException>(() => client.SubmitReportAsync(outside).ResponseAsync);
        Assert.Equal(StatusCode.PermissionDenied, denied.StatusCode);

        var rejected = (await Admin().QueryAuditAsync(new QueryAuditRequest { Subject = Commune.Subject, Action = AuditAction.Rejected })).Records;

        Assert.Contains(rejected, r => r.UnitCode == "05446" && r.Reason.Contains("values[0].number", StringComparison.Ordinal));
        Assert.Contains(rejected, r => r.UnitCode == "05443" && r.Reason.StartsWith("permission denied", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Another_tenant_s_admin_sees_none_of_the_records_and_pages_are_complete()
    {
        using var channel = server.ChannelFor(Commune);
        var client = new Ingestion.IngestionClient(channel);
        for (var i = 0; i < 5; i++)
        {
            await client.SubmitReportAsync(Request(Start.AddMinutes(i), ReportGenerator.Number("support_wishing_eligible", i + 1)));
        }

        using var bacKan = server.ChannelFor(new AccessGrant("bac-kan-admin", TwoTenantServerFixture.OtherTenant, [Roles.Admin]));
        Assert.Empty((await new Audit.AuditClient(bacKan).QueryAuditAsync(new QueryAuditRequest { UnitCode = "05446" })).Records);

        var ids = new List<long>();
        var request = new QueryAuditRequest { DataElement = "support_wishing_eligible", PageSize = 2 };
        do
        {
            var page = await Admin().QueryAuditAsync(request);
            Assert.True(page.Records.Count <= 2);
            ids.AddRange(page.Records.Select(r => r.Id));
            request.PageToken = page.NextPageToken;
        }
        while (request.PageToken.Length > 0);

        Assert.Equal(5, ids.Count);
        Assert.Equal(ids.Order(), ids);
    }

    [Fact]
    public async Task The_audit_table_refuses_updates_and_deletes_even_from_the_application_s_own_connection()
    {
        await using var connection = new NpgsqlConnection(server.ConnectionString);
        await connection.OpenAsync();
        foreach (var sql in new[] { "UPDATE audit_trail SET subject = 'someone-else'", "DELETE FROM audit_trail", "TRUNCATE audit_trail" })
        {
            await using var command = new NpgsqlCommand(sql, connection);
            var ex = await Assert.ThrowsAsync<PostgresException>(() => command.ExecuteNonQueryAsync());
            Assert.Contains("append-only", ex.MessageText, StringComparison.Ordinal);
        }
    }

    private Audit.AuditClient Admin() => new(server.Channel);

    private static SubmitReportRequest Request(DateTime reportedAt, DataValue value) => new()
    {
        Report = new Report
        {
            IdempotencyKey = Guid.NewGuid().ToString("N"),
            UnitCode = "05446",
            ProgrammeId = ServerFixture.Programme,
            Period = "2025-04",
            ReportedAt = Timestamp.FromDateTime(reportedAt),
            SourceSystem = "commune-app",
            Values = { value },
        },
    };
}
