using System.Net;
using Aggregation.Reporting;
using Aggregation.Rollup;
using Aggregation.Server.Approvals;
using Aggregation.Server.Catalog;
using Aggregation.Server.Dashboard;
using Aggregation.Server.Errors;
using Aggregation.Server.Export;
using Aggregation.Server.Reporting;
using Aggregation.Server.Resilience;
using Aggregation.Server.Review;
using Aggregation.Server.Ingestion;
using Aggregation.Server.Rollup;
using Aggregation.Server.Security;
using Aggregation.Server.Subscriptions;
using Aggregation.Storage;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Aggregation.Server.Hosting;

/// <summary>Builds the server: one process that is an Orleans silo and the gRPC endpoint in front of it.</summary>
public static partial class AggregationApp
{
    /// <summary>ADO.NET invariant name of Npgsql, as the Orleans providers expect it.</summary>
    public const string AdoNetInvariant = "Npgsql";

    /// <summary>The gRPC health service name that checks the silo only (Kubernetes' liveness probe).</summary>
    public const string LivenessService = "liveness";

    /// <summary>
    /// The server, configured and not started: nothing runs until the host starts (the database
    /// first, see <see cref="DatabaseLifetime"/>), so building touches neither PostgreSQL nor the silo.
    /// </summary>
    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            Args = args,
            ContentRootPath = AppContext.BaseDirectory,
            WebRootPath = Path.Combine(AppContext.BaseDirectory, "wwwroot"),
        });
        configure?.Invoke(builder);

        builder.AddShutdownBudget();
        builder.AddTelemetry();
        builder.AddCatalog();
        builder.AddAggregationSecurity();
        var connectionString = builder.AddDatabase();
        builder.AddSilo(connectionString);
        builder.AddApprovals(withDatabase: connectionString is not null);
        builder.Services.AddAggregationGrpc(builder.Configuration);
        builder.AddLogThrottling();

        var app = builder.Build();
        if (connectionString is null)
        {
            LogMemoryDatabase(app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Aggregation.Database"));
        }

        // A bad catalog or mapping file stops the start, every problem listed, rather than the first request.
        app.Services.GetRequiredService<Hierarchy.Catalog>();
        app.Services.GetRequiredService<ExportMappings>();
        app.MapAggregationGrpc();
        app.MapTelemetry();
        app.LogWhereToStart();
        return app;
    }

    /// <summary>The server, as <see cref="Build"/> makes it, for callers that await building.</summary>
    public static Task<WebApplication> BuildAsync(string[] args, Action<WebApplicationBuilder>? configure = null) =>
        Task.FromResult(Build(args, configure));

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
        builder.Services.TryAddSingleton(TimeProvider.System);
        return builder;
    }

    /// <summary>
    /// Registers the system of record: the configured PostgreSQL, or a private one started from the
    /// installed binaries; or, when asked for, memory only. Nothing is started or migrated here:
    /// <see cref="DatabaseLifetime"/> does that when the host starts, before the silo.
    /// </summary>
    /// <returns>The connection string the silo uses, or null in memory mode.</returns>
    public static string? AddDatabase(this WebApplicationBuilder builder)
    {
        var options = builder.Configuration.GetSection(DatabaseOptions.Section).Get<DatabaseOptions>() ?? new DatabaseOptions();
        builder.Services.AddOptions<DatabaseOptions>().BindConfiguration(DatabaseOptions.Section);
        builder.Services.TryAddSingleton(new StorageAvailability(TimeProvider.System));
        if (options.Mode == DatabaseMode.Memory)
        {
            builder.Services.AddSingleton<InMemoryAuditTrail>();
            builder.Services.AddSingleton<IAuditTrail>(sp => sp.GetRequiredService<InMemoryAuditTrail>());
            builder.Services.AddSingleton<IReportLedger, InMemoryReportLedger>();
            builder.Services.AddSingleton<ICheckpointStore, InMemoryCheckpointStore>();
            return null;
        }

        // The private server's port is chosen now, its folder and process left alone: the silo's
        // providers are configured with the connection string before the host starts the server.
        var embedded = string.IsNullOrWhiteSpace(options.ConnectionString)
            ? EmbeddedPostgres.Reserve(options.DataDirectory ?? EmbeddedPostgres.DefaultDataDirectory())
            : null;
        var connectionString = embedded?.ConnectionString(DatabaseLifetime.PrivateDatabase) ?? options.ConnectionString!;
        builder.Services.AddSingleton(new DatabaseEndpoint(connectionString, embedded));

        // Registered before every other hosted service; as a lifecycle service it starts before and
        // stops after all of them whatever their order.
        builder.Services.AddHostedService<DatabaseLifetime>();
        builder.Services.AddSingleton(_ => NpgsqlDataSource.Create(connectionString));
        builder.Services.AddSingleton(new ProbeConnection(connectionString));
        builder.Services.AddHostedService<StorageMonitor>();
        builder.Services.AddSingleton<PostgresReportLedger>();
        builder.Services.AddSingleton<IReportLedger>(sp => sp.GetRequiredService<PostgresReportLedger>());
        builder.Services.AddSingleton<IAuditTrail, PostgresAuditTrail>();
        builder.Services.AddSingleton(builder.Configuration.GetSection(CheckpointWriteOptions.Section).Get<CheckpointWriteOptions>() ?? new CheckpointWriteOptions());
        builder.Services.AddSingleton<ICheckpointStore, PostgresCheckpointStore>();

        // Reports to the ministry need the outbox: PostgreSQL only.
        builder.Services.AddSingleton<ReportStore>();
        builder.Services.AddOptions<DeliveryOptions>().BindConfiguration(DeliveryOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddHostedService<OutboxSender>();
        builder.Services.AddHostedService<ReportingScheduler>();
        return connectionString;
    }

    public static WebApplicationBuilder AddSilo(this WebApplicationBuilder builder, string? connectionString)
    {
        var silo = builder.Configuration.GetSection(SiloOptions.Section).Get<SiloOptions>() ?? new SiloOptions();
        builder.Services.AddOptions<RollupOptions>().BindConfiguration(RollupOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddOptions<ReportingOptions>().BindConfiguration(ReportingOptions.Section);
        builder.Services.AddSingleton<ProvinceSignOff>();
        builder.Services.AddSingleton<IReportProducer, MinistryReports>();
        var reporting = builder.Configuration.GetSection(ReportingOptions.Section).Get<ReportingOptions>() ?? new ReportingOptions();
        builder.UseOrleans(orleans =>
        {
            if (TelemetrySetup.TracesEnabled(builder.Configuration))
            {
                // A trace goes on from the gRPC call into the unit grain (and its ledger commit).
                orleans.AddActivityPropagation();
            }

            if (connectionString is null)
            {
                orleans.UseLocalhostClustering(silo.SiloPort, silo.GatewayPort, serviceId: silo.ServiceId, clusterId: silo.ClusterId);
                orleans.UseInMemoryReminderService();
                return;
            }

            orleans.Configure<Orleans.Configuration.ClusterOptions>(o =>
            {
                o.ServiceId = silo.ServiceId;
                o.ClusterId = silo.ClusterId;
            });
            if (silo.Kubernetes)
            {
                // Pod IP, names and the cluster/service ids come from the pod (see deploy/kubernetes).
                orleans.UseKubernetesHosting();
            }
            else
            {
                orleans.ConfigureEndpoints(silo.ResolveAdvertisedAddress(), silo.SiloPort, silo.GatewayPort, listenOnAnyHostAddress: silo.ListenOnAnyAddress);
            }

            // Reminders tick at most once a minute by default; a shorter reporting check (tests) lowers the floor.
            orleans.Configure<Orleans.Hosting.ReminderOptions>(o => o.MinimumReminderPeriod = TimeSpan.FromTicks(Math.Min(o.MinimumReminderPeriod.Ticks, reporting.CheckInterval.Ticks)));

            // Failure-detection timings (ProbeTimeout, NumMissedProbesLimit, ...) can be tuned under Orleans:Membership.
            orleans.Configure<Orleans.Configuration.ClusterMembershipOptions>(builder.Configuration.GetSection("Orleans:Membership"));
            orleans.UseAdoNetClustering(o =>
            {
                o.Invariant = AdoNetInvariant;
                o.ConnectionString = connectionString;
            });
            orleans.UseAdoNetReminderService(o =>
            {
                o.Invariant = AdoNetInvariant;
                o.ConnectionString = connectionString;
            });
        });
        // Unit checkpoints are not Orleans grain state: they are written many units per statement
        // and read all at once at start (ICheckpointStore, UnitStartCache), registered with the database.
        builder.Services.AddSingleton<UnitStartCache>();
        builder.Services.AddHostedService<RollupRecoveryService>();
        return builder;
    }

    public static IServiceCollection AddAggregationGrpc(this IServiceCollection services, IConfiguration configuration)
    {
        var limits = configuration.GetSection(SecurityOptions.Section + ":Limits").Get<LimitOptions>() ?? new LimitOptions();
        services.AddGrpc(options =>
        {
            options.Interceptors.Add<ExceptionInterceptor>();
            options.Interceptors.Add<StorageGateInterceptor>();
            options.Interceptors.Add<CallLimitInterceptor>();
            options.MaxReceiveMessageSize = limits.MaxRequestBytes;
            // Exception text never reaches clients; RpcErrors says what a caller needs to know.
            options.EnableDetailedErrors = false;
        });
        // The whole service ("") is readiness: an active silo with a reachable database. "liveness"
        // is the silo alone, so an orchestrator does not restart silos for a database outage.
        services.AddGrpcHealthChecks(o => o.Services.Map(LivenessService, c => c.Tags.Contains(LivenessService)))
            .AddCheck<SiloHealthCheck>("silo", tags: [LivenessService])
            .AddCheck<DatabaseHealthCheck>("database");
        services.AddGrpcReflection();
        DecodingServiceMethodProvider.Register(services);
        services.AddSingleton<ReportValidator>();
        services.AddSingleton<SubmissionPipeline>();
        services.AddSingleton<RollupMaintenance>();
        services.AddSingleton<RollupReads>();
        services.AddSingleton<ExportBuilder>();
        services.AddSingleton<ReviewFindings>();
        services.AddSingleton(sp =>
        {
            var catalog = sp.GetRequiredService<Hierarchy.Catalog>();
            var directory = Path.GetFullPath(sp.GetRequiredService<IOptions<CatalogOptions>>().Value.Directory, AppContext.BaseDirectory);
            return ExportMappings.Load(directory, catalog.Tenants.Keys, catalog.DefaultTenant);
        });
        services.AddOptions<SubscriptionOptions>().BindConfiguration(SubscriptionOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<SubscriptionHub>();
        services.AddSingleton<SubscriptionStream>();
        services.AddHostedService(sp => sp.GetRequiredService<SubscriptionHub>());
        services.AddImportJobs();
        return services;
    }

    public static WebApplication MapAggregationGrpc(this WebApplication app)
    {
        app.UseAuthentication();
        app.UseAuthorization();

        // Every service needs an authenticated caller; what each caller may do is AccessControl's
        // business inside the call. Health stays open for load balancers and probes.
        app.MapGrpcService<IngestionService>().RequireAuthorization();
        app.MapGrpcService<RollupService>().RequireAuthorization();
        app.MapGrpcService<CatalogService>().RequireAuthorization();
        app.MapGrpcService<OperationsService>().RequireAuthorization();
        app.MapGrpcService<SubscriptionService>().RequireAuthorization();
        app.MapGrpcService<CredentialsService>().RequireAuthorization();
        app.MapGrpcService<AuditService>().RequireAuthorization();
        app.MapGrpcService<ExportService>().RequireAuthorization();
        app.MapGrpcService<ReportingService>().RequireAuthorization();
        app.MapGrpcService<ApprovalsService>().RequireAuthorization();
        app.MapGrpcService<ReviewService>().RequireAuthorization();
        app.MapGrpcReflectionService().RequireAuthorization();
        app.MapGrpcHealthChecksService().AllowAnonymous();
        app.MapDashboard();
        app.MapReview();
        app.MapImport();
        app.MapDataEntry();
        return app;
    }

    [LoggerMessage(EventId = 4505, Level = LogLevel.Warning, Message = "Database:Mode is Memory: reports and figures live in this process only and are lost when it stops")]
    private static partial void LogMemoryDatabase(ILogger logger);
}
