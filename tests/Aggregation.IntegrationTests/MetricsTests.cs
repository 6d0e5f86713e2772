using System.Diagnostics.Metrics;
using System.Text.RegularExpressions;
using Aggregation.Telemetry;
using Aggregation.Protos.V1;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;

namespace Aggregation.IntegrationTests;

/// <summary>
/// What an operator's monitoring sees: the server's own instruments at /metrics on the web port,
/// with no unit code or credential in them, and a real Prometheus scraping a server under load
/// and answering the dashboard's queries.
/// </summary>
public sealed partial class MetricsTests(ServerFixture server) : IClassFixture<ServerFixture>
{
    // Communes of Thái Nguyên (province 19).
    private static readonly string[] Communes = ["05431", "05434", "05437", "05440", "05443", "05446", "05449", "05452", "05455", "05458", "05461", "05464"];

    [Fact]
    public async Task Metrics_list_the_products_instruments_and_no_unit_code_or_token()
    {
        var accepted = Report(Communes[0], "metrics-listed-1", 4);
        await server.Ingestion.SubmitReportAsync(new SubmitReportRequest { Report = accepted });
        await server.Ingestion.SubmitReportAsync(new SubmitReportRequest { Report = accepted });
        var invalid = Report(Communes[1], "metrics-listed-2", 1);
        invalid.Values.Add(new DataValue { DataElement = "complaints_handled_on_time", Number = 3 });
        await Assert.ThrowsAsync<RpcException>(() => server.Ingestion.SubmitReportAsync(new SubmitReportRequest { Report = invalid }).ResponseAsync);

        string[] instruments =
        [
            "aggregation_reports_received_total",
            "aggregation_reports_accepted_total",
            "aggregation_reports_duplicate_total",
            "aggregation_reports_rejected_total",
            "aggregation_reports_acknowledgement_duration_seconds_bucket",
            "aggregation_ledger_round_size_bucket",
            "aggregation_ledger_commit_duration_seconds_bucket",
            "aggregation_rollup_flush_lag_seconds_bucket",
            "aggregation_outbox_pending",
            "aggregation_outbox_failed",
            "aggregation_outbox_circuit_open",
        ];
        using var http = new HttpClient { BaseAddress = new Uri(server.WebAddress) };
        var text = await Eventually.WaitAsync(
            () => http.GetStringAsync(new Uri("/metrics", UriKind.Relative)),
            metrics => instruments.All(i => metrics.Contains(i, StringComparison.Ordinal)),
            TimeSpan.FromSeconds(30),
            metrics => "missing: " + string.Join(", ", instruments.Where(i => !metrics.Contains(i, StringComparison.Ordinal))));

        Assert.Matches(RejectedInvalid(), text);
        Assert.Contains("otel_scope_name=\"Microsoft.Orleans\"", text, StringComparison.Ordinal);
        var labelValues = LabelValue().Matches(text).Select(m => m.Groups[1].Value).ToHashSet(StringComparer.Ordinal);
        Assert.Empty(labelValues.Intersect(Communes));
        Assert.DoesNotContain(TestCredentials.Token(TestCredentials.Operator), text, StringComparison.Ordinal);
        Assert.DoesNotContain("metrics-listed-1", text, StringComparison.Ordinal);
    }

    [Fact]
    public void The_dashboard_queries_only_metrics_the_server_exports()
    {
        var exported = ExportedMetrics();
        var queried = MetricsNamedIn(Path.Combine("deploy", "grafana", "aggregation.json"));

        var withoutPanel = exported.Except(queried).ToList();
        Assert.Empty(queried.Except(exported));
        Assert.Empty(withoutPanel);
    }

    [Fact]
    public void The_alert_rules_name_only_metrics_the_server_exports()
    {
        var named = MetricsNamedIn(AlertRules);

        Assert.NotEmpty(named);
        Assert.Empty(named.Except(ExportedMetrics()));
    }

    [Fact]
    public async Task Prometheus_loads_the_alert_rules_and_evaluates_every_one_against_a_running_server()
    {
        var target = new Uri(server.WebAddress).Authority;
        await using var prometheus = await PrometheusServer.StartAsync(target, Path.Combine(RepositoryRoot(), AlertRules));

        // Evaluated once every second: each rule's health turns from "unknown" to "ok", or to "err"
        // with the reason when its query cannot run.
        var rules = await Eventually.WaitAsync(
            prometheus.RulesAsync,
            loaded => loaded.Count > 0 && loaded.All(r => r.Health != "unknown"),
            TimeSpan.FromSeconds(30),
            loaded => $"{loaded.Count} rules: " + string.Join("; ", loaded.Select(r => $"{r.Name} {r.Health}")));

        Assert.Equal(10, rules.Count);
        Assert.All(rules, r => Assert.True(r.Health == "ok", $"{r.Name}: {r.Health} {r.Error}"));
    }

    [Fact]
    public async Task Prometheus_scraping_a_server_under_load_sees_the_report_rate_and_the_acknowledgement_latency()
    {
        var target = new Uri(server.WebAddress).Authority;
        await using var prometheus = await PrometheusServer.StartAsync(target);
        using var load = new CancellationTokenSource();
        var sending = SendUntilCancelledAsync(load.Token);
        try
        {
            var (rate, _) = await Eventually.WaitAsync(
                async () => (Rate: await prometheus.QueryAsync("sum(rate(aggregation_reports_received_total[10s]))"), Target: await prometheus.TargetHealthAsync()),
                read => read.Rate > 0,
                TimeSpan.FromSeconds(60),
                read => $"received rate {Text(read.Rate)}; scrape target {read.Target}");
            var p90 = await Eventually.WaitAsync(
                () => prometheus.QueryAsync("histogram_quantile(0.9, sum by (le) (rate(aggregation_reports_acknowledgement_duration_seconds_bucket[10s])))"),
                value => value is > 0 and < double.PositiveInfinity,
                TimeSpan.FromSeconds(30),
                value => $"acknowledgement p90 {Text(value)}");

            Assert.True(rate > 0);
            Assert.InRange(p90!.Value, 1e-6, 30);
        }
        finally
        {
            await load.CancelAsync();
            await sending;
        }
    }

    private static string Text(double? value) => value?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "absent";

    /// <summary>A short, steady load: small batches to a dozen communes, each report new.</summary>
    private async Task SendUntilCancelledAsync(CancellationToken cancellationToken)
    {
        for (var round = 0; !cancellationToken.IsCancellationRequested; round++)
        {
            var batch = new SubmitReportsRequest();
            batch.Reports.AddRange(Communes.Select(c => Report(c, $"metrics-load-{c}-{round}", round % 50, period: $"2023-{(round % 12) + 1:00}")));
            try
            {
                await server.Ingestion.SubmitReportsAsync(batch, cancellationToken: cancellationToken);
            }
            catch (RpcException ex) when (ex.StatusCode == StatusCode.Cancelled)
            {
                return;
            }
        }
    }

    private static Report Report(string unit, string key, double complaints, string period = "2024-06") => new()
    {
        IdempotencyKey = key,
        UnitCode = unit,
        ProgrammeId = ServerFixture.Programme,
        Period = period,
        ReportedAt = Timestamp.FromDateTimeOffset(new DateTimeOffset(2024, 7, 2, 9, 0, 0, TimeSpan.Zero)),
        Values = { new DataValue { DataElement = "complaints_received", Number = complaints } },
    };

    private static readonly string AlertRules = Path.Combine("deploy", "prometheus", "alerts.yml");

    /// <summary>
    /// The product's metrics as the Prometheus exporter names them: dots to underscores, the unit
    /// (seconds) as a suffix, _total on counters.
    /// </summary>
    private static HashSet<string> ExportedMetrics()
    {
        var exported = new HashSet<string>(StringComparer.Ordinal);
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, _) =>
        {
            if (instrument.Meter.Name == AggregationTelemetry.Name)
            {
                var name = instrument.Name.Replace('.', '_') + (instrument.Unit == "s" ? "_seconds" : "");
                exported.Add(instrument.GetType().Name.StartsWith("Counter", StringComparison.Ordinal) || instrument.GetType().Name.StartsWith("ObservableCounter", StringComparison.Ordinal) ? name + "_total" : name);
            }
        };
        _ = AggregationTelemetry.Meter;
        listener.Start();
        return exported;
    }

    /// <summary>The product's metrics a file in the repository queries (histogram series as their metric; the product's label names excluded).</summary>
    private static HashSet<string> MetricsNamedIn(string relativePath)
    {
        string[] labels = ["aggregation_tenant", "aggregation_outcome", "aggregation_rejection_reason", "aggregation_unit_level"];
        var text = File.ReadAllText(Path.Combine(RepositoryRoot(), relativePath));
        return DashboardMetric().Matches(text).Select(m => m.Value).Where(n => !labels.Contains(n))
            .Select(n => HistogramSeries().Replace(n, "")).ToHashSet(StringComparer.Ordinal);
    }

    private static string RepositoryRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Aggregation.sln")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException("The repository root (Aggregation.sln) is not above the test binaries.");
    }

    [GeneratedRegex("aggregation_[a-z_]+")]
    private static partial Regex DashboardMetric();

    [GeneratedRegex("_(bucket|count|sum)$")]
    private static partial Regex HistogramSeries();

    [GeneratedRegex("""aggregation_reports_rejected_total\{[^}]*aggregation_rejection_reason="invalid"[^}]*\} [1-9]""")]
    private static partial Regex RejectedInvalid();

    [GeneratedRegex(@"=""((?:[^""\\]|\\.)*)""")]
    private static partial Regex LabelValue();
}
