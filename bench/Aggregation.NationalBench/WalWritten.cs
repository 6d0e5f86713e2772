using Npgsql;

/// <summary>
/// The write-ahead log PostgreSQL wrote between two moments of the run (pg_stat_wal: bytes, full-page
/// images, and the checkpoints it started by WAL volume or by time). Printed at every phase, it shows
/// what each phase costs the commits that share the log, such as the units' idle checkpoints after the load.
/// </summary>
internal sealed class WalWritten(string connectionString)
{
    private (long Bytes, long FullPages, long WalCheckpoints, long TimedCheckpoints)? _last;

    /// <summary>Prints what was written since the previous call (or since the server started).</summary>
    public async Task PrintSinceLastAsync(string phase)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            "SELECT wal_bytes::bigint, wal_fpi, (SELECT checkpoints_req FROM pg_stat_bgwriter), (SELECT checkpoints_timed FROM pg_stat_bgwriter) FROM pg_stat_wal",
            connection);
        await using var reader = await command.ExecuteReaderAsync();
        await reader.ReadAsync();
        var now = (reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2), reader.GetInt64(3));
        var since = _last ?? (0, 0, 0, 0);
        Console.WriteLine($"  WAL written before {phase}: {(now.Item1 - since.Bytes) / 1e6:N1} MB, {now.Item2 - since.FullPages:N0} full-page images; checkpoints started by WAL volume {now.Item3 - since.WalCheckpoints}, by time {now.Item4 - since.TimedCheckpoints}");
        _last = now;
    }
}
