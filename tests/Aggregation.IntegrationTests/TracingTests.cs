using System.Collections.Concurrent;
using System.Diagnostics;
using Aggregation.Protos.V1;
using Aggregation.Storage;
using Aggregation.Telemetry;
using Google.Protobuf.WellKnownTypes;

namespace Aggregation.IntegrationTests;

/// <summary>A server with an OTLP endpoint configured, so it records traces (the collector need not answer).</summary>
public sealed class TracingServerFixture : ServerFixture
{
    protected override IEnumerable<string> ExtraArguments => [$"--OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:{LoopbackPorts.Take()}"];
}

/// <summary>What a collector receives: one trace from the gRPC call through the unit grain to its ledger commit.</summary>
public sealed class TracingTests(TracingServerFixture server) : IClassFixture<TracingServerFixture>, IDisposable
{
    private readonly ConcurrentQueue<Activity> _stopped = new();
    private readonly ActivityListener _listener = new()
    {
        ShouldListenTo = source => source.Name is AggregationTelemetry.Name or "Microsoft.AspNetCore" or "Microsoft.Orleans.Application",
        Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
    };

    public void Dispose() => _listener.Dispose();

    [Fact]
    public async Task A_submission_is_one_trace_from_the_grpc_call_to_the_ledger_commit_naming_tenant_and_unit_but_no_value_or_key()
    {
        _listener.ActivityStopped = _stopped.Enqueue;
        ActivitySource.AddActivityListener(_listener);
        var report = new Report
        {
            IdempotencyKey = "trace-key-4711",
            UnitCode = "05467",
            ProgrammeId = ServerFixture.Programme,
            Period = "2024-03",
            ReportedAt = Timestamp.FromDateTimeOffset(new DateTimeOffset(2024, 4, 2, 9, 0, 0, TimeSpan.Zero)),
            Values = { new DataValue { DataElement = "complaints_received", Number = 4711 } },
        };

        var answer = await server.Ingestion.SubmitReportAsync(new SubmitReportRequest { Report = report });

        Assert.Equal(ReportOutcome.Accepted, answer.Result.Outcome);
        var commit = await Eventually.WaitAsync(
            () => Task.FromResult(_stopped.FirstOrDefault(a => a.OperationName == "aggregation.ledger.commit" && Equals(a.GetTagItem(AggregationTelemetry.UnitAttribute), "05467"))),
            a => a is not null && _stopped.Any(s => s.TraceId == a.TraceId && s.Source.Name == "Microsoft.AspNetCore"),
            TimeSpan.FromSeconds(10),
            _ => "recorded: " + string.Join(", ", _stopped.Select(a => $"{a.Source.Name}/{a.OperationName}")));
        var trace = _stopped.Where(a => a.TraceId == commit!.TraceId).ToList();
        var names = trace.Select(a => a.OperationName).ToList();
        Assert.Contains("aggregation.submit", names);
        Assert.Contains("aggregation.unit.apply", names);
        Assert.Contains(trace, a => a.Source.Name == "Microsoft.Orleans.Application");
        Assert.Equal(TestCredentials.Tenant, commit!.GetTagItem(AggregationTelemetry.TenantTag));
        var tagValues = trace.SelectMany(a => a.TagObjects).Select(t => Convert.ToString(t.Value, System.Globalization.CultureInfo.InvariantCulture) ?? "").ToList();
        Assert.DoesNotContain(tagValues, v => v.Contains("trace-key-4711", StringComparison.Ordinal) || v == "4711");
        Assert.DoesNotContain(tagValues, v => v.Contains(TestCredentials.Token(TestCredentials.Operator), StringComparison.Ordinal));
    }
}
