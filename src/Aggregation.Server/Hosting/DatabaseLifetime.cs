using Aggregation.Server.Resilience;
using Aggregation.Storage;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Aggregation.Server.Hosting;

/// <summary>
/// The PostgreSQL this server uses: the connection string the silo, the ledger and the outbox are
/// configured with, and the private server behind it when none was configured (reserved, not yet
/// started: <see cref="DatabaseLifetime"/> starts it with the host).
/// </summary>
public sealed record DatabaseEndpoint(string ConnectionString, EmbeddedPostgres? Embedded);

/// <summary>
/// The database's part of the server's life, framing every other hosted service. Before any of
/// them starts (the silo, whose storage, membership and reminders read the schema, included): the
/// private PostgreSQL is started (its binaries installed when allowed) and watched, the schema is
/// migrated, the ledger's writers start. After all of them have stopped: the ledger's queue is
/// drained, then the private PostgreSQL stops within <see cref="ShutdownOptions.DatabaseShare"/>.
/// </summary>
public sealed partial class DatabaseLifetime(
    DatabaseEndpoint endpoint,
    PostgresReportLedger ledger,
    StorageAvailability availability,
    IOptions<DatabaseOptions> options,
    ShutdownOptions shutdown,
    ILoggerFactory loggers) : IHostedLifecycleService, IAsyncDisposable
{
    /// <summary>The database the private server holds the schema in.</summary>
    public const string PrivateDatabase = "aggregation";

    // The category operators already filter on for the database's start and supervision.
    private readonly ILogger _logger = loggers.CreateLogger("Aggregation.Database");

    /// <exception cref="PostgresUnavailableException">The database cannot be had: the server does not start.</exception>
    public async Task StartingAsync(CancellationToken cancellationToken)
    {
        var settings = options.Value;
        try
        {
            if (endpoint.Embedded is { } embedded)
            {
                var binaries = settings.InstallServer
                    ? await PostgresInstaller.EnsureBinariesAsync(settings.ServerBinaries, _logger, cancellationToken)
                    : settings.ServerBinaries;
                await embedded.StartAsync(_logger, binaries, cancellationToken: cancellationToken);
                embedded.Supervise(_logger, down: () => availability.ReportDown("the private PostgreSQL server died"), restarted: NpgsqlConnection.ClearAllPools);
                await DatabaseMigrator.EnsureDatabaseAsync(embedded.ConnectionString(), PrivateDatabase, cancellationToken);
            }

            if (settings.Migrate)
            {
                await DatabaseMigrator.MigrateAsync(endpoint.ConnectionString, _logger, cancellationToken: cancellationToken);
            }
        }
        catch (Exception ex) when (StorageAvailability.IsUnreachable(ex))
        {
            throw PostgresUnavailableException.Unreachable(endpoint.ConnectionString, ex);
        }

        ledger.Start();
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>
    /// Runs once every hosted service has stopped, so nothing is mid-write when the server goes.
    /// The host's share of Shutdown:Timeout may be spent by then (a slow silo stop), so the drain
    /// and the private server's stop are bounded by the database's share instead.
    /// </summary>
    public async Task StoppedAsync(CancellationToken cancellationToken)
    {
        try
        {
            // Milliseconds in practice: the silo has stopped, so nothing appends any more.
            await ledger.StopAsync().WaitAsync(shutdown.DatabaseShare, CancellationToken.None);
        }
        catch (TimeoutException)
        {
            // Those appends fail when the server goes; the grains that made them are gone already.
            LogLedgerNotDrained(_logger);
        }

        if (endpoint.Embedded is { } embedded)
        {
            await embedded.StopAsync(shutdown.DatabaseShare);
        }
    }

    /// <summary>A start that failed after the private server was up (the silo's, say) stops it too.</summary>
    public async ValueTask DisposeAsync()
    {
        if (endpoint.Embedded is { } embedded)
        {
            await embedded.StopAsync(shutdown.DatabaseShare);
        }
    }

    [LoggerMessage(EventId = 4011, Level = LogLevel.Warning, Message = "The ledger's queue was not drained within the shutdown budget; its pending reports are not acknowledged")]
    private static partial void LogLedgerNotDrained(ILogger logger);
}
