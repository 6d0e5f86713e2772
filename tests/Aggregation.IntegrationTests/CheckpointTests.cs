using Aggregation.Protos.V1;
using Npgsql;
using Xunit.Abstractions;

namespace Aggregation.IntegrationTests;

/// <summary>
/// Unit checkpoints (unit_checkpoints) only shorten a start: a server restarted after a crash
/// starts its units from the checkpoints and the ledger entries after them, read for every unit at
/// once, and shows every acknowledged report, including those a checkpoint round was writing when
/// the process died.
/// </summary>
public sealed class CheckpointTests(ITestOutputHelper output)
{
    private const string QuickCheckpoints = "--Rollup:CheckpointWhenIdle=00:00:01";

    [Fact]
    public async Task A_server_restarted_after_a_crash_starts_from_the_checkpoints_and_the_ledger_entries_after_them_with_every_figure()
    {
        var db = await TestPostgres.CreateDatabaseAsync();
        var (reports, oracle) = await DurabilityTests.GenerateAsync(seed: 21, months: 4);
        var (early, late) = Split(reports);

        // The early reports end up in checkpoints; the late ones are sent to a server that has no
        // time to checkpoint them (the default 30 s idle time) before it is killed.
        await using (var first = await SiloProcess.StartAsync(db, $"ckpt-{Guid.NewGuid():N}", QuickCheckpoints))
        {
            await new ResilientSender([first.Channel]).SendAsync(early, clients: 2, batchSize: 50);
            await WaitUntilEveryUnitIsCheckpointedAsync(db);
            first.Kill();
        }

        await using (var second = await SiloProcess.StartAsync(db, $"ckpt-{Guid.NewGuid():N}"))
        {
            await WithLogOnFailure(second, () => new ResilientSender([second.Channel]).SendAsync(late, clients: 2, batchSize: 50));
            second.Kill();
        }

        var (checkpoints, tail) = await CheckpointsAndTailAsync(db);
        Assert.True(tail > 0, "the late reports are in the ledger after the checkpoints");

        await using var third = await SiloProcess.StartAsync(db, $"ckpt-{Guid.NewGuid():N}");
        await WithLogOnFailure(third, () => DurabilityTests.WaitForOracleAsync(third.MinistryChannel, oracle));

        // One read of every checkpoint and of every ledger entry after them, not one per unit.
        Assert.Contains($"{checkpoints} checkpoints", third.AllOutput, StringComparison.Ordinal);
        Assert.Contains($"{tail} ledger entries after them", third.AllOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Reports_acknowledged_while_a_checkpoint_round_waits_survive_a_crash_in_the_middle_of_the_round()
    {
        var db = await TestPostgres.CreateDatabaseAsync();
        var (reports, oracle) = await DurabilityTests.GenerateAsync(seed: 22, months: 4);
        var (early, late) = Split(reports);
        await using (var first = await SiloProcess.StartAsync(db, $"ckpt-{Guid.NewGuid():N}", QuickCheckpoints))
        {
            await new ResilientSender([first.Channel]).SendAsync(early, clients: 2, batchSize: 50);
            await WaitUntilEveryUnitIsCheckpointedAsync(db);
            var before = await CheckpointRowsAsync(db);

            // Reads go on, writes wait: the next round blocks in the middle of its statement.
            await using var blocker = new NpgsqlConnection(db);
            await blocker.OpenAsync();
            await using var transaction = await blocker.BeginTransactionAsync();
            await using (var command = new NpgsqlCommand("LOCK TABLE unit_checkpoints IN EXCLUSIVE MODE", blocker, transaction))
            {
                await command.ExecuteNonQueryAsync();
            }

            // Acknowledgements do not wait for checkpoints.
            var sender = new ResilientSender([first.Channel]);
            await sender.SendAsync(late, clients: 2, batchSize: 50);
            Assert.Equal(late.Count, sender.Acknowledged.Count);
            await Eventually.WaitAsync(() => WaitingRoundsAsync(db), n => n > 0, TimeSpan.FromSeconds(30), n => $"{n} checkpoint rounds waiting");

            // The process dies with its round unfinished; the database ends the round's statement too
            // (otherwise it would still run once the lock is released, as if the round had finished).
            first.Kill();
            await TerminateWaitingRoundsAsync(db);
            await transaction.RollbackAsync();
            Assert.Equal(before, await CheckpointRowsAsync(db));
        }

        await using var second = await SiloProcess.StartAsync(db, $"ckpt-{Guid.NewGuid():N}");
        await WithLogOnFailure(second, () => DurabilityTests.WaitForOracleAsync(second.MinistryChannel, oracle));
    }

    /// <summary>Runs <paramref name="step"/>; if it fails, the server's log goes to the test's output.</summary>
    private async Task WithLogOnFailure(SiloProcess server, Func<Task> step)
    {
        try
        {
            await step();
        }
        catch
        {
            output.WriteLine(server.AllOutput);
            throw;
        }
    }

    /// <summary>Reports of January and February, then the rest (later months and the districts' half-year reports).</summary>
    private static (List<Report> Early, List<Report> Late) Split(List<Report> reports) =>
        (reports.Where(r => string.CompareOrdinal(r.Period, "2025-03") < 0).ToList(), reports.Where(r => string.CompareOrdinal(r.Period, "2025-03") >= 0).ToList());

    /// <summary>Until every unit with reports has a checkpoint at its last ledger sequence.</summary>
    private static Task WaitUntilEveryUnitIsCheckpointedAsync(string db) =>
        Eventually.WaitAsync(
            () => ScalarAsync(db, """
                SELECT count(*) FROM (SELECT tenant_id, unit_code, max(unit_seq) AS last FROM report_ledger GROUP BY 1, 2) l
                LEFT JOIN unit_checkpoints c USING (tenant_id, unit_code)
                WHERE c.applied_seq IS DISTINCT FROM l.last
                """),
            behind => behind == 0,
            TimeSpan.FromSeconds(60),
            behind => $"{behind} units not checkpointed at their last report");

    private static async Task<(long Checkpoints, long Tail)> CheckpointsAndTailAsync(string db) =>
        (await ScalarAsync(db, "SELECT count(*) FROM unit_checkpoints"),
         await ScalarAsync(db, "SELECT count(*) FROM report_ledger l LEFT JOIN unit_checkpoints c USING (tenant_id, unit_code) WHERE l.unit_seq > coalesce(c.applied_seq, 0)"));

    private static Task<long> WaitingRoundsAsync(string db) =>
        ScalarAsync(db, "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE 'INSERT INTO unit_checkpoints%'");

    private static Task<long> TerminateWaitingRoundsAsync(string db) =>
        ScalarAsync(db, "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE query LIKE 'INSERT INTO unit_checkpoints%' AND pid <> pg_backend_pid()");

    private static async Task<List<string>> CheckpointRowsAsync(string db)
    {
        await using var connection = new NpgsqlConnection(db);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT tenant_id || '/' || unit_code || ' ' || applied_seq || ' ' || md5(payload) FROM unit_checkpoints ORDER BY 1", connection);
        var rows = new List<string>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            rows.Add(reader.GetString(0));
        }

        return rows;
    }

    private static async Task<long> ScalarAsync(string db, string sql)
    {
        // Unpooled: a killed server's database may have closed pooled connections.
        await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(db) { Pooling = false }.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return (long)(await command.ExecuteScalarAsync())!;
    }
}
