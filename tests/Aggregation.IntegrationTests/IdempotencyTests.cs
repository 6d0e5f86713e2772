using Aggregation.Protos.V1;
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
