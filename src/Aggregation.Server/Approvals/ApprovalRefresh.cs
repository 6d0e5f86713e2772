using Aggregation.Storage;
using Microsoft.Extensions.Options;

namespace Aggregation.Server.Approvals;

/// <summary>Configuration section <c>Approvals</c>.</summary>
public sealed class ApprovalOptions
{
    public const string Section = "Approvals";

    /// <summary>
    /// How often each silo re-reads the approvals table, and so how long another silo's approval or
    /// withdrawal may take to lock (or unlock) submissions arriving here. Changes made on this silo
    /// apply at once.
    /// </summary>
    public TimeSpan RefreshInterval { get; set; } = TimeSpan.FromSeconds(5);
}

/// <summary>
/// Loads the approvals into <see cref="ApprovalRegistry"/> when the server starts (after the
/// database is up and migrated) and re-reads them every <see cref="ApprovalOptions.RefreshInterval"/>,
/// which is how a silo sees approvals made on another. A failed read keeps what was held and is retried.
/// </summary>
public sealed partial class ApprovalRefresh(ApprovalRegistry registry, PostgresApprovalStore store, IOptions<ApprovalOptions> options, TimeProvider time, ILogger<ApprovalRefresh> logger) : BackgroundService
{
    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        // Read before the server takes calls, so no submission is checked against nothing; an
        // unreachable database leaves it to the loop (submissions are refused as unavailable until then).
        await RefreshAsync(cancellationToken);
        await base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.RefreshInterval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                await RefreshAsync(stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private async Task RefreshAsync(CancellationToken cancellationToken)
    {
        try
        {
            var changes = registry.Changes;
            registry.Load(await store.LoadAsync(cancellationToken), changes);
        }
        catch (LedgerUnavailableException ex)
        {
            LogUnread(logger, ex);
        }
    }

    [LoggerMessage(EventId = 5701, Level = LogLevel.Warning, Message = "Approvals could not be read; the approvals held are kept and the read is retried")]
    private static partial void LogUnread(ILogger logger, Exception exception);
}
