using Aggregation.Rollup;
using Aggregation.Server.Catalog;
using Aggregation.Server.Errors;
using Aggregation.Server.Ingestion;
using Aggregation.Server.Rollup;
using Aggregation.Server.Security;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Aggregation.Server.Hosting;

/// <summary>Builds the server: one process that is an Orleans silo and the gRPC endpoint in front of it.</summary>
public static class AggregationApp
{
    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            Args = args,
            ContentRootPath = AppContext.BaseDirectory,
        });
        configure?.Invoke(builder);

        builder.AddCatalog();
        builder.AddSilo();
        builder.Services.AddAggregationGrpc();

        var app = builder.Build();
        app.MapAggregationGrpc();
        return app;
    }

    /// <summary>Loads tenants, hierarchy and programmes once at start; a bad file stops the start with every error listed.</summary>
    public static WebApplicationBuilder AddCatalog(this WebApplicationBuilder builder)
    {
        builder.Services.AddOptions<CatalogOptions>().BindConfiguration(CatalogOptions.Section);
        builder.Services.AddSingleton(sp =>
        {
            var options = sp.GetRequiredService<IOptions<CatalogOptions>>().Value;
            var directory = Path.GetFullPath(options.Directory, AppContext.BaseDirectory);
            return Hierarchy.Catalog.Load(directory, options.AllProvinces);
        });
        builder.Services.TryAddSingleton(new ReportingClock(TimeProvider.System));
        return builder;
    }

    public static WebApplicationBuilder AddSilo(this WebApplicationBuilder builder)
    {
        var silo = builder.Configuration.GetSection(SiloOptions.Section).Get<SiloOptions>() ?? new SiloOptions();
        builder.Services.AddOptions<RollupOptions>().BindConfiguration(RollupOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        builder.UseOrleans(orleans =>
        {
            // Single-silo, in-memory until durable storage and clustering on PostgreSQL land:
            // a restart loses the figures.
            orleans.UseLocalhostClustering(silo.SiloPort, silo.GatewayPort, serviceId: silo.ServiceId, clusterId: silo.ClusterId);
        });
        return builder;
    }

    public static IServiceCollection AddAggregationGrpc(this IServiceCollection services)
    {
        services.AddGrpc(options =>
        {
            options.Interceptors.Add<ExceptionInterceptor>();
            options.EnableDetailedErrors = false;
        });
        services.AddGrpcHealthChecks().AddCheck<SiloHealthCheck>("silo");
        services.AddGrpcReflection();
        services.AddSingleton<TenantResolver>();
        services.AddSingleton<ReportValidator>();
        services.AddSingleton<SubmissionPipeline>();
        return services;
    }

    public static WebApplication MapAggregationGrpc(this WebApplication app)
    {
        app.MapGrpcService<IngestionService>();
        app.MapGrpcService<RollupService>();
        app.MapGrpcService<CatalogService>();
        app.MapGrpcHealthChecksService();
        app.MapGrpcReflectionService();
        app.MapGet("/", () => "Aggregation gRPC server. Use a gRPC client (see README).");
        return app;
    }
}
