using System.Net.Sockets;
using Npgsql;

namespace Aggregation.Storage;

/// <summary>
/// Whether this silo can reach its PostgreSQL, as last seen by the probe, the ledger and the
/// private server's supervisor. While it is down, calls that need the database are refused at the
/// edge instead of each one trying (and logging) a grain activation that cannot succeed.
/// </summary>
public sealed class StorageAvailability(TimeProvider time)
{
    private readonly Lock _lock = new();
    private long _lastSuccessTicks = time.GetUtcNow().UtcTicks;
    private DateTimeOffset? _downSince;
    private string _reason = "";

    /// <summary>Raised with true when the database becomes reachable again, false when it is found unreachable.</summary>
    public event Action<bool>? Changed;

    public bool IsAvailable
    {
        get
        {
            lock (_lock)
            {
                return _downSince is null;
            }
        }
    }

    /// <summary>When the current outage began (null while available) and why it is believed down.</summary>
    public (DateTimeOffset? Since, string Reason) Outage
    {
        get
        {
            lock (_lock)
            {
                return (_downSince, _reason);
            }
        }
    }

    /// <summary>Time since the database last answered anyone (probe or ledger round).</summary>
    public TimeSpan SinceLastSuccess => time.GetUtcNow() - new DateTimeOffset(Interlocked.Read(ref _lastSuccessTicks), TimeSpan.Zero);

    /// <summary>The database answered: a commit, a read or a probe succeeded.</summary>
    public void ReportSuccess() => Interlocked.Exchange(ref _lastSuccessTicks, time.GetUtcNow().UtcTicks);

    /// <summary>The probe connected: the outage, if any, is over.</summary>
    public void ReportUp()
    {
        ReportSuccess();
        bool changed;
        lock (_lock)
        {
            changed = _downSince is not null;
            _downSince = null;
            _reason = "";
        }

        if (changed)
        {
            Changed?.Invoke(true);
        }
    }

    /// <summary>The database is unreachable (connection refused, server gone, or no answer for too long).</summary>
    public void ReportDown(string reason)
    {
        bool changed;
        lock (_lock)
        {
            changed = _downSince is null;
            _downSince ??= time.GetUtcNow();
            _reason = reason;
        }

        if (changed)
        {
            Changed?.Invoke(false);
        }
    }

    /// <summary>
    /// True when <paramref name="exception"/> says the server cannot be reached at all (refused or
    /// broken connection, server shutting down or starting), as opposed to a slow or refused query.
    /// </summary>
    public static bool IsUnreachable(Exception exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            switch (e)
            {
                case PostgresException pg:
                    // 08: connection exceptions; 57P01-03: administrator shutdown, crash shutdown, cannot connect now.
                    return pg.SqlState.StartsWith("08", StringComparison.Ordinal) || pg.SqlState is "57P01" or "57P02" or "57P03";
                case SocketException or EndOfStreamException:
                    return true;
                case NpgsqlException { InnerException: IOException }:
                    return true;
            }
        }

        return false;
    }
}
