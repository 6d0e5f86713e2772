using Aggregation.Server.Hosting;
using Aggregation.Storage;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Aggregation.Server.Resilience;

/// <summary>
/// Probes PostgreSQL on a connection of its own (one, never shared with ingestion, so a probe does
/// not queue behind a bulk load) and keeps <see cref="StorageAvailability"/> true to what it sees:
/// a refused connection is an outage at once; a database that accepts connections but answers
/// neither probe nor commit for <see cref="DatabaseOptions.UnreachableAfter"/> is one too.
/// </summary>
public sealed partial class StorageMonitor : BackgroundService
{
    private readonly StorageAvailability _availability;
    private readonly DatabaseOptions _options;
    private readonly ILogger<StorageMonitor> _logger;
    private readonly NpgsqlDataSource _probe;

    public StorageMonitor(StorageAvailability availability, IOptions<DatabaseOptions> options, ProbeConnection connection, NpgsqlDataSource ledger, ILogger<StorageMonitor> logger)
    {
        ArgumentNullException.ThrowIfNull(ledger);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(connection);
        _availability = availability;
        _options = options.Value;
        _logger = logger;
        var timeout = Math.Max(1, (int)Math.Ceiling(_options.ProbeTimeout.TotalSeconds));
        _probe = new NpgsqlDataSourceBuilder(connection.ConnectionString)
        {
            ConnectionStringBuilder =
            {
                MaxPoolSize = 1,
                MinPoolSize = 0,
                Timeout = timeout,
                CommandTimeout = timeout,
                ApplicationName = "aggregation-health",
                KeepAlive = 5,
            },
        }.Build();
        availability.Changed += up =>
        {
            // Pooled connections (the ledger's, and Orleans' storage, membership and reminders') point
            // at a server that went away; drop them rather than fail each once.
            ledger.Clear();
            NpgsqlConnection.ClearAllPools();
            if (up)
            {
                LogReachable(_logger);
            }
            else
            {
                LogUnreachable(_logger, availability.Outage.Reason);
            }
        };
    }

    public override void Dispose()
    {
        _probe.Dispose();
        base.Dispose();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(_options.ProbeInterval);
        do
        {
            await ProbeAsync(stoppingToken);
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    /// <summary>One probe: <c>SELECT 1</c>, bounded by <see cref="DatabaseOptions.ProbeTimeout"/>.</summary>
    public async Task ProbeAsync(CancellationToken cancellationToken)
    {
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(_options.ProbeTimeout);
            await using var command = _probe.CreateCommand("SELECT 1");
            await command.ExecuteScalarAsync(timeout.Token);
            _availability.ReportUp();
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested && ex is NpgsqlException or TimeoutException or OperationCanceledException or IOException)
        {
            if (StorageAvailability.IsUnreachable(ex))
            {
                // Connections held by the pool are dead too: the next probe opens a new one.
                _probe.Clear();
                _availability.ReportDown(ex.Message);
            }
            else if (_availability.SinceLastSuccess > _options.UnreachableAfter)
            {
                _probe.Clear();
                _availability.ReportDown($"no answer for {_availability.SinceLastSuccess.TotalSeconds:0} s ({ex.Message})");
            }
        }
    }

    [LoggerMessage(EventId = 4201, Level = LogLevel.Error, Message = "PostgreSQL is unreachable ({Reason}); calls that need it are refused with UNAVAILABLE until it answers again")]
    private static partial void LogUnreachable(ILogger logger, string reason);

    [LoggerMessage(EventId = 4202, Level = LogLevel.Warning, Message = "PostgreSQL answers again; serving")]
    private static partial void LogReachable(ILogger logger);
}

/// <summary>The connection string the probe uses (the same database as the silo).</summary>
public sealed record ProbeConnection(string ConnectionString);
