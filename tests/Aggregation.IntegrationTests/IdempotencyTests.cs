using Aggregation.Protos.V1;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Google.Rpc;
using Grpc.Core;

namespace Aggregation.IntegrationTests;

/// <summary>Client idempotency keys: a retried report counts once; a reused key with other content is refused.</summary>
public sealed class IdempotencyTests(ServerFixture server) : IClassFixture<ServerFixture>
{
    [Fact]
    public async Task The_same_report_sent_twice_is_acknowledged_as_a_duplicate_and_counted_once()
    {
        var report = Report("05497", "idem-twice", 5);

        var first = await server.Ingestion.SubmitReportAsync(new SubmitReportRequest { Report = report });
        var second = await server.Ingestion.SubmitReportAsync(new SubmitReportRequest { Report = report });
        var third = await server.Ingestion.SubmitReportsAsync(new SubmitReportsRequest { Reports = { report, report } });

        Assert.Equal(ReportOutcome.Accepted, first.Result.Outcome);
        Assert.Equal(ReportOutcome.Duplicate, second.Result.Outcome);
        Assert.Equal(2, third.Duplicates);
        await Eventually.WaitAsync(
            () => server.ReadAsync(ServerFixture.ProvinceCode, "2024"),
            r => r.Values.Single(v => v.DataElement == "complaints_received").Value == 5,
            TimeSpan.FromSeconds(10),
            r => $"province complaints_received = {r.Values.Single(v => v.DataElement == "complaints_received").Value}");
        Assert.Equal(5, (await server.ReadAsync("05497", "2024")).Values.Single(v => v.DataElement == "complaints_received").Value);
    }

    [Fact]
    public async Task A_key_reused_for_a_different_report_is_refused_and_the_first_report_stands()
    {
        await server.Ingestion.SubmitReportAsync(new SubmitReportRequest { Report = Report("05500", "idem-reused", 2) });

        var ex = await Assert.ThrowsAsync<RpcException>(() => server.Ingestion.SubmitReportAsync(new SubmitReportRequest { Report = Report("05500", "idem-reused", 9) }).ResponseAsync);
        var otherUnit = await Assert.ThrowsAsync<RpcException>(() => server.Ingestion.SubmitReportAsync(new SubmitReportRequest { Report = Report("05503", "idem-reused", 2) }).ResponseAsync);

        Assert.Equal(StatusCode.AlreadyExists, ex.StatusCode);
        Assert.Equal(StatusCode.AlreadyExists, otherUnit.StatusCode);
        Assert.Contains(ex.GetRpcStatus()!.GetDetail<BadRequest>()!.FieldViolations, v => v.Field == "idempotency_key");
        Assert.Equal(2, (await server.ReadAsync("05500", "2024")).Values.Single(v => v.DataElement == "complaints_received").Value);
        Assert.Equal(0, (await server.ReadAsync("05503", "2024")).Values.Single(v => v.DataElement == "complaints_received").Value);
    }

    [Fact]
    public async Task A_rejected_report_does_not_use_up_its_key()
    {
        var bad = Report("05506", "idem-fixed", 1);
        bad.Values.Add(new DataValue { DataElement = "complaints_handled_on_time", Number = 3 });
        await Assert.ThrowsAsync<RpcException>(() => server.Ingestion.SubmitReportAsync(new SubmitReportRequest { Report = bad }).ResponseAsync);

        var fixedReport = Report("05506", "idem-fixed", 3);
        fixedReport.Values.Add(new DataValue { DataElement = "complaints_handled_on_time", Number = 3 });
        var response = await server.Ingestion.SubmitReportAsync(new SubmitReportRequest { Report = fixedReport });

        Assert.Equal(ReportOutcome.Accepted, response.Result.Outcome);
    }

    [Fact]
    public async Task A_retry_with_values_and_entity_ids_reordered_another_source_system_and_a_newer_clients_field_is_a_duplicate()
    {
        var first = PoliceReport("05509", "idem-reordered");
        first.SourceSystem = "district-system";
        var retry = PoliceReport("05509", "idem-reordered");
        retry.Values.Clear();
        retry.Values.Add(new DataValue { DataElement = "establishments_inspected", Entities = new EntityIds { Ids = { "HOTEL-2", "HOTEL-1" } } });
        retry.Values.Add(new DataValue { DataElement = "workers_at_establishments", Number = 12 });
        retry.Values.Add(new DataValue { DataElement = "establishments_at_risk", Number = 4 });
        retry.SourceSystem = "district-system-retry-queue";

        // Field 999, a varint this server's proto does not know: what a client built on a newer proto sends.
        var fromNewerClient = Protos.V1.Report.Parser.ParseFrom([.. retry.ToByteArray(), 0xB8, 0x3E, 0x01]);

        var accepted = await server.Ingestion.SubmitReportAsync(new SubmitReportRequest { Report = first });
        var reordered = await server.Ingestion.SubmitReportAsync(new SubmitReportRequest { Report = retry });
        var newer = await server.Ingestion.SubmitReportAsync(new SubmitReportRequest { Report = fromNewerClient });

        Assert.NotEqual(first.ToByteArray(), retry.ToByteArray());
        Assert.Equal(ReportOutcome.Accepted, accepted.Result.Outcome);
        Assert.Equal(ReportOutcome.Duplicate, reordered.Result.Outcome);
        Assert.Equal(ReportOutcome.Duplicate, newer.Result.Outcome);
        var unit = await server.ReadAsync("05509", "2024");
        Assert.Equal(2, unit.Values.Single(v => v.DataElement == "establishments_inspected").Value);
        Assert.Equal(4, unit.Values.Single(v => v.DataElement == "establishments_at_risk").Value);
    }

    [Fact]
    public async Task A_retry_that_changes_one_entity_id_under_the_same_key_is_refused()
    {
        await server.Ingestion.SubmitReportAsync(new SubmitReportRequest { Report = PoliceReport("05512", "idem-entity") });
        var changed = PoliceReport("05512", "idem-entity");
        changed.Values.Single(v => v.DataElement == "establishments_inspected").Entities.Ids[1] = "HOTEL-3";

        var ex = await Assert.ThrowsAsync<RpcException>(() => server.Ingestion.SubmitReportAsync(new SubmitReportRequest { Report = changed }).ResponseAsync);

        Assert.Equal(StatusCode.AlreadyExists, ex.StatusCode);
    }

    private static Report PoliceReport(string unit, string key) => new()
    {
        IdempotencyKey = key,
        UnitCode = unit,
        ProgrammeId = ServerFixture.Programme,
        Period = "2024-06",
        ReportedAt = Timestamp.FromDateTimeOffset(new DateTimeOffset(2024, 7, 2, 9, 0, 0, TimeSpan.Zero)),
        Values =
        {
            new DataValue { DataElement = "establishments_at_risk", Number = 4 },
            new DataValue { DataElement = "workers_at_establishments", Number = 12 },
            new DataValue { DataElement = "establishments_inspected", Entities = new EntityIds { Ids = { "HOTEL-1", "HOTEL-2" } } },
        },
    };

    private static Report Report(string unit, string key, double complaints) => new()
    {
        IdempotencyKey = key,
        UnitCode = unit,
        ProgrammeId = ServerFixture.Programme,
        Period = "2024-06",
        ReportedAt = Timestamp.FromDateTimeOffset(new DateTimeOffset(2024, 7, 2, 9, 0, 0, TimeSpan.Zero)),
        Values = { new DataValue { DataElement = "complaints_received", Number = complaints } },
    };
}
