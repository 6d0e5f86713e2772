using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Npgsql;
using NpgsqlTypes;

namespace Aggregation.Storage;

/// <summary>
/// Unit checkpoints in <c>unit_checkpoints</c>, written in rounds: every checkpoint queued while a
/// round commits goes into the next one, one upsert of many units (unnest of arrays), so the ten
/// thousand idle checkpoints after a national load cost a few hundred statements rather than one
/// storage write each. A round is one statement, hence one transaction: a crash in the middle
/// leaves every unit's previous checkpoint in place, which only means a longer replay.
/// <para>
/// Checkpoints share the write-ahead log with the ledger, whose commits are what acknowledgements
/// wait for: a commit flushes the log up to its own record, so every checkpoint byte written just
/// before it is flushed first. After a national load the idle checkpoints come as a wave of about
/// 100 MB within 30 s; written 500 units (5 MB) a round, they put 100–200 ms behind acknowledgements
/// arriving meanwhile. So a round carries at most <see cref="CheckpointWriteOptions.RoundBytes"/>,
/// the rounds are paced to <see cref="CheckpointWriteOptions.BytesPerSecond"/>, and a round commits
/// without waiting for its own flush (<c>synchronous_commit = off</c>): a checkpoint is not the
/// system of record, and one lost in a database crash only lengthens the next replay.
/// </para>
/// </summary>
public sealed partial class PostgresCheckpointStore : ICheckpointStore, IAsyncDisposable
{
    /// <summary>Units per round: big enough that a wave of idle checkpoints takes few rounds, small enough to keep a round's statement short.</summary>
    private const int MaxUnitsPerRound = 500;

    // A checkpoint never replaces one of a higher sequence: two writes of a unit can be in different
    // rounds, and a round that was queued first is not necessarily the one that commits first after a retry.
    private const string UpsertSql = """
        INSERT INTO unit_checkpoints AS c (tenant_id, unit_code, applied_seq, payload, written_at)
        SELECT t, u, s, p, now() FROM unnest(@tenant, @unit, @seq, @payload) AS x(t, u, s, p)
        ON CONFLICT (tenant_id, unit_code) DO UPDATE
        SET applied_seq = excluded.applied_seq, payload = excluded.payload, written_at = excluded.written_at
        WHERE c.applied_seq <= excluded.applied_seq
        """;

    private readonly NpgsqlDataSource _dataSource;
    private readonly CheckpointWriteOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<PostgresCheckpointStore> _logger;
    private readonly Channel<Pending> _queue = Channel.CreateUnbounded<Pending>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Lazy<Task> _writer;
    private readonly CancellationTokenSource _closing = new();

    public PostgresCheckpointStore(NpgsqlDataSource dataSource, CheckpointWriteOptions options, TimeProvider time, ILogger<PostgresCheckpointStore> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        _dataSource = dataSource;
        _options = options;
        _time = time;
        _logger = logger;

        // Started by the first write: units write only once they are active, which is after the database is up.
        _writer = new Lazy<Task>(() => Task.Run(WriteLoopAsync));
    }

    public Task WriteAsync(StoredCheckpoint checkpoint, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        var pending = new Pending(checkpoint, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        if (!_queue.Writer.TryWrite(pending))
        {
            return Task.FromException(new InvalidOperationException("The checkpoint store is shutting down."));
        }

        _ = _writer.Value;
        return pending.Done.Task.WaitAsync(cancellationToken);
    }

    public async Task<StoredCheckpoint?> ReadAsync(string tenant, string unitCode, CancellationToken cancellationToken = default)
    {
        await using var command = _dataSource.CreateCommand("SELECT tenant_id, unit_code, applied_seq, payload FROM unit_checkpoints WHERE tenant_id = @t AND unit_code = @u");
        command.Parameters.AddWithValue("t", tenant);
        command.Parameters.AddWithValue("u", unitCode);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? Read(reader) : null;
    }

    public async IAsyncEnumerable<StoredCheckpoint> ReadAllAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await using var command = _dataSource.CreateCommand("SELECT tenant_id, unit_code, applied_seq, payload FROM unit_checkpoints");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            yield return Read(reader);
        }
    }

    /// <summary>Takes no more checkpoints and waits for the queued ones to be written or to fail.</summary>
    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _closing.CancelAsync();
        if (_writer.IsValueCreated)
        {
            await _writer.Value;
        }
    }

    private static StoredCheckpoint Read(NpgsqlDataReader reader) =>
        new(reader.GetString(0), reader.GetString(1), reader.GetInt64(2), reader.GetFieldValue<byte[]>(3));

    private async Task WriteLoopAsync()
    {
        var reader = _queue.Reader;
        while (await reader.WaitToReadAsync())
        {
            var started = _time.GetTimestamp();
            var round = new List<Pending>();
            var bytes = 0L;
            while (round.Count < MaxUnitsPerRound && bytes < _options.RoundBytes && reader.TryRead(out var pending))
            {
                round.Add(pending);
                bytes += pending.Checkpoint.Payload.Length;
            }

            try
            {
                await WriteRoundAsync(round);
                foreach (var p in round)
                {
                    p.Done.TrySetResult();
                }
            }
            catch (Exception ex)
            {
                LogRoundFailed(_logger, ex, round.Count);
                foreach (var p in round)
                {
                    p.Done.TrySetException(ex);
                }
            }

            await PaceAsync(bytes, started);
        }
    }

    /// <summary>Waits until the round's bytes fit the pace; not once the store is closing, where what is queued is written at once.</summary>
    private async Task PaceAsync(long bytes, long started)
    {
        var pause = _options.BytesPerSecond <= 0
            ? TimeSpan.Zero
            : TimeSpan.FromSeconds((double)bytes / _options.BytesPerSecond) - _time.GetElapsedTime(started);
        if (pause <= TimeSpan.Zero || _closing.IsCancellationRequested)
        {
            return;
        }

        try
        {
            await Task.Delay(pause, _time, _closing.Token);
        }
        catch (OperationCanceledException)
        {
            // Closing: the rest of the queue goes out unpaced.
        }
    }

    private async Task WriteRoundAsync(List<Pending> round)
    {
        // One row per unit: an upsert may not touch a row twice in one statement, and the latest sequence wins anyway.
        var latest = round.Select(p => p.Checkpoint)
            .GroupBy(c => (c.Tenant, c.UnitCode))
            .Select(g => g.MaxBy(c => c.AppliedSeq)!)
            .ToList();
        await using var connection = await _dataSource.OpenConnectionAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        await using (var relax = new NpgsqlCommand("SET LOCAL synchronous_commit TO off", connection, transaction))
        {
            await relax.ExecuteNonQueryAsync();
        }

        await using var command = new NpgsqlCommand(UpsertSql, connection, transaction);
        command.Parameters.Add(new NpgsqlParameter("tenant", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = latest.Select(c => c.Tenant).ToArray() });
        command.Parameters.Add(new NpgsqlParameter("unit", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = latest.Select(c => c.UnitCode).ToArray() });
        command.Parameters.Add(new NpgsqlParameter("seq", NpgsqlDbType.Array | NpgsqlDbType.Bigint) { Value = latest.Select(c => c.AppliedSeq).ToArray() });
        command.Parameters.Add(new NpgsqlParameter("payload", NpgsqlDbType.Array | NpgsqlDbType.Bytea) { Value = latest.Select(c => c.Payload).ToArray() });
        await command.ExecuteNonQueryAsync();
        await transaction.CommitAsync();
    }

    private sealed record Pending(StoredCheckpoint Checkpoint, TaskCompletionSource Done);

    [LoggerMessage(EventId = 5110, Level = LogLevel.Warning, Message = "A checkpoint round of {Units} units failed; those units keep their previous checkpoints and replay more of the ledger when they start")]
    private static partial void LogRoundFailed(ILogger logger, Exception exception, int units);
}
