using Aggregation.Protos.V1;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Npgsql;

namespace Aggregation.IntegrationTests;

/// <summary>
/// The PostgreSQL ledger tells a taken unit sequence number apart from a used idempotency key: the
/// first is another writer of the unit (the unit reloads; the client retries), the second the
/// client's own mistake.
/// </summary>
public sealed class LedgerSequenceTests(ServerFixture server) : IClassFixture<ServerFixture>
{
    private const string Tenant = "thai-nguyen";
    private const string Commune = "05509";

    [Fact]
    public async Task A_report_whose_unit_sequence_another_writer_took_is_unavailable_and_its_retry_is_accepted()
    {
        var first = await server.Ingestion.SubmitReportAsync(new SubmitReportRequest { Report = Report("seq-first", 2, day: 1) });
        Assert.Equal(ReportOutcome.Accepted, first.Result.Outcome);

        // Another activation of the unit (a silo that has not yet learnt it lost it) records the next sequence number.
        await InsertNextRowAsync("seq-other-writer");

        var report = Report("seq-mine", 7, day: 3);
        var clash = await Assert.ThrowsAsync<RpcException>(() => server.Ingestion.SubmitReportAsync(new SubmitReportRequest { Report = report }).ResponseAsync);
        Assert.Equal(StatusCode.Unavailable, clash.StatusCode);

        var retry = await Eventually.WaitAsync(
            async () => (await server.Ingestion.SubmitReportAsync(new SubmitReportRequest { Report = report })).Result.Outcome,
            outcome => outcome != ReportOutcome.Unspecified,
            TimeSpan.FromSeconds(20),
            outcome => outcome.ToString());
        Assert.Equal(ReportOutcome.Accepted, retry);
        Assert.Equal(7, (await server.ReadAsync(Commune, "2024")).Values.Single(v => v.DataElement == "complaints_received").Value);
    }

    private async Task InsertNextRowAsync(string key)
    {
        await using var connection = new NpgsqlConnection(server.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("""
            INSERT INTO report_ledger (tenant_id, idempotency_key, payload_hash, unit_code, unit_seq, programme_id, period, reported_at, source_system, report_values)
            SELECT @tenant, @key, 'other-writer', @unit, max(unit_seq) + 1, @programme, '2024-06', '2024-07-02T09:00:00Z', 'other-writer', '[]'
            FROM report_ledger WHERE tenant_id = @tenant AND unit_code = @unit
            """, connection);
        command.Parameters.AddWithValue("tenant", Tenant);
        command.Parameters.AddWithValue("key", key);
        command.Parameters.AddWithValue("unit", Commune);
        command.Parameters.AddWithValue("programme", ServerFixture.Programme);
        Assert.Equal(1, await command.ExecuteNonQueryAsync());
    }

    private static Report Report(string key, double complaints, int day) => new()
    {
        IdempotencyKey = key,
        UnitCode = Commune,
        ProgrammeId = ServerFixture.Programme,
        Period = "2024-06",
        ReportedAt = Timestamp.FromDateTimeOffset(new DateTimeOffset(2024, 7, day, 9, 0, 0, TimeSpan.Zero)),
        Values = { new DataValue { DataElement = "complaints_received", Number = complaints } },
    };
}
