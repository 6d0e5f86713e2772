using Aggregation.Hierarchy;
using Aggregation.Rollup;
using Microsoft.Extensions.Options;
using System.Threading.Channels;
using Orleans.Runtime;

namespace Aggregation.Server.Rollup;

/// <summary>
/// Keeps every unit active, which is what recovers acknowledged reports after a silo dies: a unit
/// that lived on the dead silo is reactivated here, replays its ledger entries and pushes its total
/// to its parent. Sweeps once the silo has started, whenever a silo is declared dead, and
/// periodically as a safety net.
/// </summary>
public sealed partial class RollupRecoveryService(
    Hierarchy.Catalog catalog,
    IGrainFactory grains,
    IClusterMembershipService membership,
    IHostApplicationLifetime lifetime,
    IOptions<RollupOptions> options,
    Aggregation.Storage.StorageAvailability storage,
    UnitStartCache starts,
    ILogger<RollupRecoveryService> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Read every unit's checkpoint and ledger tail while the rest of the host starts: the sweep,
        // and any activation a request causes meanwhile, then find their units' state in memory.
        var preload = Task.Run(() => starts.LoadAsync(SweepOrder().Select(u => u.Key).ToList(), stoppingToken), CancellationToken.None);
        if (!await WaitForStartAsync(stoppingToken))
        {
            return;
        }

        await preload;
        var first = true;

        var sweep = Channel.CreateBounded<string>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
        sweep.Writer.TryWrite("start");

        // Units that could not activate during a database outage are touched as soon as it ends.
        storage.Changed += up =>
        {
            if (up)
            {
                sweep.Writer.TryWrite("database reachable again");
            }
        };
        _ = WatchMembershipAsync(sweep.Writer, stoppingToken);
        _ = TickAsync(sweep.Writer, stoppingToken);
        await foreach (var reason in sweep.Reader.ReadAllAsync(stoppingToken))
        {
            if (!storage.IsAvailable)
            {
                // Every activation would fail on storage; the sweep runs when the database is back.
                continue;
            }

            try
            {
                var started = DateTime.UtcNow;
                await SweepAsync(stoppingToken);
                LogSwept(logger, reason, catalog.UnitCount, (DateTime.UtcNow - started).TotalMilliseconds);
                if (first)
                {
                    // Every unit this silo hosts has now taken its start; what is left belongs to other silos.
                    first = false;
                    starts.Drop();
                }
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                // Includes activations the runtime cancelled (a busy cold start): never stop the host for it.
                LogSweepFailed(logger, ex, reason);
            }
        }
    }

    private async Task<bool> WaitForStartAsync(CancellationToken stoppingToken)
    {
        var started = new TaskCompletionSource();
        using var registration = lifetime.ApplicationStarted.Register(() => started.TrySetResult());
        await Task.WhenAny(started.Task, Task.Delay(Timeout.Infinite, stoppingToken)).ConfigureAwait(false);
        return !stoppingToken.IsCancellationRequested;
    }

    private async Task SweepAsync(CancellationToken cancellationToken)
    {
        // Deepest level first: a unit that activates asks its children for their totals, so touching
        // parents first would activate whole subtrees at once (a national cold start is 10,795 units)
        // and exhaust the database's connections; bottom-up, each parent finds its children ready.
        var units = SweepOrder();
        var failed = 0;
        await Parallel.ForEachAsync(units, new ParallelOptions { MaxDegreeOfParallelism = 32, CancellationToken = cancellationToken }, async (unit, _) =>
        {
            try
            {
                await grains.GetGrain<IUnitGrain>(unit.Key.GrainKey).TouchAsync();
            }
            catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
            {
                // One unit that cannot activate now (its activation timed out, the database is busy)
                // must not stop the sweep of the others; the next sweep touches it again.
                if (Interlocked.Increment(ref failed) == 1)
                {
                    LogUnitNotActivated(logger, ex, unit.Key);
                }
            }
        });

        if (failed > 0)
        {
            LogUnitsNotActivated(logger, failed, units.Count);
        }
    }

    /// <summary>Every unit, deepest level first (communes, then districts, provinces, the nation).</summary>
    private List<AdminUnit> SweepOrder()
    {
        var depth = catalog.Levels.Select((level, i) => (level, i)).ToDictionary(x => x.level, x => x.i);
        return catalog.Tenants.Values.SelectMany(t => catalog.UnitsOf(t.Id)).Append(catalog.GetUnit(UnitKey.Nation))
            .OrderByDescending(u => depth.GetValueOrDefault(u.Level)).ToList();
    }

    private async Task WatchMembershipAsync(ChannelWriter<string> sweep, CancellationToken cancellationToken)
    {
        var dead = new HashSet<SiloAddress>();
        try
        {
            await foreach (var snapshot in membership.MembershipUpdates.WithCancellation(cancellationToken))
            {
                var newlyDead = snapshot.Members.Values.Where(m => m.Status == SiloStatus.Dead && dead.Add(m.SiloAddress)).ToList();
                if (newlyDead.Count > 0)
                {
                    sweep.TryWrite($"silo {string.Join(", ", newlyDead.Select(m => m.SiloAddress))} declared dead");
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private async Task TickAsync(ChannelWriter<string> sweep, CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(options.Value.SweepInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                sweep.TryWrite("periodic");
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    [LoggerMessage(EventId = 4901, Level = LogLevel.Information, Message = "Rollup sweep ({Reason}) touched {Units} units in {Ms:0} ms")]
    private static partial void LogSwept(ILogger logger, string reason, int units, double ms);

    [LoggerMessage(EventId = 4902, Level = LogLevel.Warning, Message = "Rollup sweep ({Reason}) failed; the next one retries")]
    private static partial void LogSweepFailed(ILogger logger, Exception exception, string reason);

    [LoggerMessage(EventId = 4903, Level = LogLevel.Warning, Message = "Unit {Unit} could not be activated by the sweep")]
    private static partial void LogUnitNotActivated(ILogger logger, Exception exception, UnitKey unit);

    [LoggerMessage(EventId = 4904, Level = LogLevel.Warning, Message = "Rollup sweep could not activate {Failed} of {Units} units; the next sweep retries them")]
    private static partial void LogUnitsNotActivated(ILogger logger, int failed, int units);
}
