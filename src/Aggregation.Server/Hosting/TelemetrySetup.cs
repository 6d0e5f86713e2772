using Aggregation.Telemetry;
using Npgsql;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Aggregation.Server.Hosting;

/// <summary>
/// Telemetry settings (section <c>Telemetry</c>). The OTLP exporter is configured the standard way,
/// by <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> (and the other <c>OTEL_*</c> variables), not here.
/// </summary>
public sealed class TelemetryOptions
{
    public const string Section = "Telemetry";

    /// <summary>
    /// Serves Prometheus' text format at <c>/metrics</c> on the web port, without a credential: it
    /// holds counts and latencies tagged by tenant, never unit codes, figures or tokens. On by
    /// default, since a scrape endpoint is what an operator looks for first; turn it off where the
    /// web port faces the public and nothing scrapes it.
    /// </summary>
    public bool Prometheus { get; set; } = true;
}

/// <summary>
/// OpenTelemetry for the server: the product's meter (<see cref="AggregationTelemetry"/>) beside
/// Orleans', ASP.NET Core's, gRPC's, Npgsql's and the runtime's; scraped by Prometheus at
/// <c>/metrics</c> and pushed over OTLP when <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set. Traces
/// (the gRPC call, the grain call, the unit's ledger commit and the SQL under it) are only
/// recorded when there is somewhere to send them: OTLP.
/// </summary>
public static class TelemetrySetup
{
    /// <summary>The service name traces and metrics carry (<c>service.name</c>), unless <c>OTEL_SERVICE_NAME</c> says otherwise.</summary>
    public const string ServiceName = "aggregation";

    /// <summary>The standard variable (read through configuration, so a command-line setting works too) that turns on OTLP.</summary>
    public const string OtlpEndpointSetting = "OTEL_EXPORTER_OTLP_ENDPOINT";

    /// <summary>Whether traces are recorded: only with an OTLP endpoint to send them to.</summary>
    public static bool TracesEnabled(IConfiguration configuration) =>
        !string.IsNullOrWhiteSpace(configuration[OtlpEndpointSetting]);

    public static WebApplicationBuilder AddTelemetry(this WebApplicationBuilder builder)
    {
        var options = builder.Configuration.GetSection(TelemetryOptions.Section).Get<TelemetryOptions>() ?? new TelemetryOptions();
        builder.Services.AddOptions<TelemetryOptions>().BindConfiguration(TelemetryOptions.Section);
        var otlp = TracesEnabled(builder.Configuration);
        if (!options.Prometheus && !otlp)
        {
            // Nothing would read the measurements: without a listener, recording them costs next to nothing.
            return builder;
        }

        var telemetry = builder.Services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService(ServiceName, serviceVersion: typeof(AggregationTelemetry).Assembly.GetName().Version?.ToString()))
            .WithMetrics(metrics =>
            {
                metrics
                    .AddMeter(AggregationTelemetry.Name)
                    .AddMeter("Microsoft.Orleans")
                    .AddMeter("Grpc.AspNetCore.Server")
                    .AddMeter("System.Runtime")
                    .AddAspNetCoreInstrumentation()
                    .AddNpgsqlInstrumentation();
                if (options.Prometheus)
                {
                    metrics.AddPrometheusExporter();
                }
            });
        if (otlp)
        {
            telemetry.WithTracing(tracing => tracing
                .AddSource(AggregationTelemetry.Name)
                .AddSource("Microsoft.Orleans.Application")
                .AddAspNetCoreInstrumentation(o => o.Filter = context => !context.Request.Path.StartsWithSegments("/metrics", StringComparison.Ordinal))
                .AddNpgsql());
            telemetry.UseOtlpExporter();
        }

        return builder;
    }

    /// <summary>Maps <c>/metrics</c> when the Prometheus endpoint is on; it needs no credential (see <see cref="TelemetryOptions.Prometheus"/>).</summary>
    public static WebApplication MapTelemetry(this WebApplication app)
    {
        var options = app.Configuration.GetSection(TelemetryOptions.Section).Get<TelemetryOptions>() ?? new TelemetryOptions();
        if (options.Prometheus)
        {
            app.MapPrometheusScrapingEndpoint().AllowAnonymous();
        }

        return app;
    }
}
