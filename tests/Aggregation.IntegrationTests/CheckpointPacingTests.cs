using Aggregation.Storage;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Npgsql;

namespace Aggregation.IntegrationTests;

/// <summary>
/// A wave of checkpoints is written in small rounds at a bounded pace, so that it never puts a
/// long log flush in front of the ledger commits acknowledgements wait for; closing the store
/// still writes everything queued at once.
/// </summary>
public sealed class CheckpointPacingTests
{
    private const int PayloadBytes = 100_000;

    [Fact]
    public async Task Checkpoints_beyond_a_rounds_bytes_wait_for_the_pace_and_are_all_stored_once_it_allows()
    {
        var db = await TestPostgres.CreateDatabaseAsync();
        await DatabaseMigrator.MigrateAsync(db, NullLogger.Instance);
        await using var dataSource = NpgsqlDataSource.Create(db);
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);

        // One checkpoint per round (the round is full after its first payload), 100 kB per second.
        var options = new CheckpointWriteOptions { RoundBytes = PayloadBytes, BytesPerSecond = PayloadBytes };
        await using var store = new PostgresCheckpointStore(dataSource, options, time, NullLogger<PostgresCheckpointStore>.Instance);
        var writes = Enumerable.Range(0, 3).Select(i => store.WriteAsync(Checkpoint($"{i:D5}"))).ToList();

        await writes[0];
        Assert.Equal(1, await RowsAsync(dataSource));
        Assert.False(writes[1].IsCompleted, "the second round waits for the pace");

        // The pause after a round is the round's bytes over the pace: one second of the fake clock.
        await AdvanceUntilAsync(time, writes[1]);
        Assert.Equal(2, await RowsAsync(dataSource));
        Assert.False(writes[2].IsCompleted, "the third round waits for the pace again");

        await AdvanceUntilAsync(time, writes[2]);
        Assert.Equal(3, await RowsAsync(dataSource));
    }

    [Fact]
    public async Task Closing_the_store_writes_every_queued_checkpoint_without_waiting_for_the_pace()
    {
        var db = await TestPostgres.CreateDatabaseAsync();
        await DatabaseMigrator.MigrateAsync(db, NullLogger.Instance);
        await using var dataSource = NpgsqlDataSource.Create(db);
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var options = new CheckpointWriteOptions { RoundBytes = PayloadBytes, BytesPerSecond = PayloadBytes };
        var store = new PostgresCheckpointStore(dataSource, options, time, NullLogger<PostgresCheckpointStore>.Instance);
        var writes = Enumerable.Range(0, 4).Select(i => store.WriteAsync(Checkpoint($"{i:D5}"))).ToList();
        await writes[0];

        // The fake clock never moves: only closing can release the rounds still waiting.
        await store.DisposeAsync();

        await Task.WhenAll(writes);
        Assert.Equal(4, await RowsAsync(dataSource));
    }

    private static StoredCheckpoint Checkpoint(string unit) => new("tenant", unit, 1, new byte[PayloadBytes]);

    /// <summary>
    /// Moves the fake clock on by one round's pause and waits for the write. The round's start was
    /// read before the previous write completed, so the pause is over whether the round's delay was
    /// already armed (it fires) or not yet (it finds nothing left to wait).
    /// </summary>
    private static async Task AdvanceUntilAsync(FakeTimeProvider time, Task write)
    {
        time.Advance(TimeSpan.FromSeconds(1));
        await write.WaitAsync(TimeSpan.FromSeconds(30));
    }

    private static async Task<long> RowsAsync(NpgsqlDataSource dataSource)
    {
        await using var command = dataSource.CreateCommand("SELECT count(*) FROM unit_checkpoints");
        return (long)(await command.ExecuteScalarAsync())!;
    }
}
