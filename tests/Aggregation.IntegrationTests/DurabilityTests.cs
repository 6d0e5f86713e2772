using Aggregation.Protos.V1;
using Aggregation.Server.Hosting;
using Aggregation.Storage;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace Aggregation.IntegrationTests;

/// <summary>
/// PostgreSQL is the system of record: figures survive restarts, a killed silo and a database
/// outage; nothing acknowledged is lost and nothing is counted twice.
/// </summary>
public sealed class DurabilityTests
{
    private static readonly DateOnly Today = DateOnly.FromDateTime(DateTime.UtcNow);

    [Fact]
    public async Task Every_figure_is_the_same_after_the_server_restarts()
    {
        var db = await TestPostgres.CreateDatabaseAsync();
        var (reports, oracle) = await GenerateAsync(seed: 3, months: 4);
        List<UnitRollup> before;
        await using (var first = await InProcessServer.StartAsync(db))
        {
            await new ResilientSender([first.Channel]).SendAsync(reports, clients: 2, batchSize: 200);
            await WaitForOracleAsync(first.MinistryChannel, oracle);
            before = await ReadAllAsync(first.MinistryChannel);
        }

        await using var second = await InProcessServer.StartAsync(db);
        var after = await ReadAllAsync(second.MinistryChannel);

        Assert.Equal(Figures(before), Figures(after));
        foreach (var rollup in after)
        {
            oracle.AssertMatches(rollup, Today);
        }
    }

    [Fact]
    public async Task A_silo_killed_mid_stream_loses_no_acknowledged_report_and_counts_none_twice()
    {
        var db = await TestPostgres.CreateDatabaseAsync();
        var cluster = $"crash-{Guid.NewGuid():N}";
        var (reports, oracle) = await GenerateAsync(seed: 11, months: 6, withRuleBreakers: true);
        var silos = new List<SiloProcess>();
        try
        {
            silos.Add(await SiloProcess.StartAsync(db, cluster));
            silos.AddRange(await Task.WhenAll(SiloProcess.StartAsync(db, cluster), SiloProcess.StartAsync(db, cluster)));
            var sender = new ResilientSender(silos.Select(s => s.Channel).ToList());
            var sending = sender.SendAsync(reports, clients: 3, batchSize: 25);

            await Eventually.WaitAsync(() => Task.FromResult(sender.AcknowledgedCount), n => n >= reports.Count / 3 || sending.IsCompleted, TimeSpan.FromSeconds(60), n => $"{n} acknowledged");
            silos[1].Kill();
            await sending;

            foreach (var r in sender.Acknowledged)
            {
                oracle.Record(r);
            }

            Assert.NotEmpty(sender.Rejected);
            Assert.All(sender.Rejected, r => Assert.StartsWith("breaker-", r.IdempotencyKey, StringComparison.Ordinal));
            Assert.Equal(reports.Count, sender.Acknowledged.Count + sender.Rejected.Count);
            var survivor = silos[0].MinistryChannel;
            await WaitForOracleAsync(survivor, oracle, TimeSpan.FromSeconds(90));
            var audit = await Eventually.WaitAsync(
                async () => await new Operations.OperationsClient(survivor).AuditRollupsAsync(new AuditRollupsRequest()),
                a => a.Differences.Count == 0,
                TimeSpan.FromSeconds(60),
                a => string.Join("; ", a.Differences.Take(5)));
            Assert.Equal(sender.Acknowledged.Count, audit.LedgerReports);
            foreach (var rollup in await ReadAllAsync(survivor))
            {
                oracle.AssertMatches(rollup, Today);
            }
        }
        finally
        {
            foreach (var silo in silos)
            {
                await silo.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task A_subscriber_keeps_receiving_updates_after_another_silo_dies()
    {
        var db = await TestPostgres.CreateDatabaseAsync();
        var cluster = $"subscribe-{Guid.NewGuid():N}";
        await using var first = await SiloProcess.StartAsync(db, cluster);
        await using var second = await SiloProcess.StartAsync(db, cluster);
        var generator = new ReportGenerator(seed: 12);
        var communes = new Oracle(Oracle.ShippedProgramme(), ServerFixture.ProvinceCode).UnitsOfLevel("commune").Order().ToList();

        // Spread activity over both silos, then follow the province from the first one.
        var before = communes.Take(60).Select(c => generator.New(c, "2024-07", ReportGenerator.Number("complaints_received", 1))).ToList();
        await new ResilientSender([first.Channel, second.Channel]).SendAsync(before, clients: 2, batchSize: 5);
        using var call = new Protos.V1.Subscriptions.SubscriptionsClient(first.Channel).Subscribe(new SubscribeRequest { UnitCode = ServerFixture.ProvinceCode, ProgrammeId = ServerFixture.Programme, Periods = { "2024" } });
        await Eventually.WaitAsync(async () => await NextProvinceTotalAsync(call), total => total == before.Count, TimeSpan.FromSeconds(30), total => $"province total {total}");

        second.Kill();
        var after = communes.Skip(60).Take(60).Select(c => generator.New(c, "2024-07", ReportGenerator.Number("complaints_received", 1))).ToList();
        await new ResilientSender([first.Channel]).SendAsync(after, clients: 2, batchSize: 5);

        // Units that lived on the dead silo come back from the ledger; the subscription re-registers with them.
        await Eventually.WaitAsync(async () => await NextProvinceTotalAsync(call), total => total == before.Count + after.Count, TimeSpan.FromSeconds(60), total => $"province total {total}");
    }

    /// <summary>The province's complaints in the next snapshot or update that carries it (heartbeats skipped).</summary>
    private static async Task<long?> NextProvinceTotalAsync(AsyncServerStreamingCall<SubscribeResponse> call)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(45));
        while (await call.ResponseStream.MoveNext(timeout.Token))
        {
            var m = call.ResponseStream.Current;
            var rollup = m.Snapshot?.Rollups.FirstOrDefault() ?? m.Update?.Rollups.FirstOrDefault(r => r.Unit.Code == ServerFixture.ProvinceCode);
            if (rollup is not null)
            {
                return rollup.Values.Single(v => v.DataElement == "complaints_received").Value;
            }
        }

        return null;
    }

    [Fact]
    public async Task While_PostgreSQL_is_down_submissions_fail_retryably_and_afterwards_nothing_is_lost_or_doubled()
    {
        await using var postgres = await EmbeddedPostgres.StartAsync(Path.Combine(Path.GetTempPath(), $"aggregation-tests-{Environment.ProcessId}", $"outage-{Guid.NewGuid():N}"), NullLogger.Instance);
        await DatabaseMigrator.EnsureDatabaseAsync(postgres.ConnectionString(), "outage");
        var db = postgres.ConnectionString("outage");
        var (reports, oracle) = await GenerateAsync(seed: 5, months: 3);
        await using var server = await InProcessServer.StartAsync(db);
        var sender = new ResilientSender([server.Channel]);
        var sending = sender.SendAsync(reports, clients: 2, batchSize: 10);

        await Eventually.WaitAsync(() => Task.FromResult(sender.AcknowledgedCount), n => n >= reports.Count / 4, TimeSpan.FromSeconds(60), n => $"{n} acknowledged");
        await postgres.StopAsync();
        await Eventually.WaitAsync(() => Task.FromResult(sender.Failures.Count), n => n >= 3, TimeSpan.FromSeconds(30), n => $"{n} failures seen while the database is down");
        await postgres.RestartAsync();
        await sending;

        Assert.All(sender.Failures, code => Assert.Contains(code, new[] { StatusCode.Unavailable, StatusCode.DeadlineExceeded }));
        Assert.Equal(reports.Count, sender.Acknowledged.Count);
        foreach (var r in sender.Acknowledged)
        {
            oracle.Record(r);
        }

        Assert.Equal(reports.Select(r => r.IdempotencyKey).Order(), await LedgerKeysAsync(db));
        await WaitForOracleAsync(server.MinistryChannel, oracle);
        Assert.Empty((await new Operations.OperationsClient(server.Channel).AuditRollupsAsync(new AuditRollupsRequest())).Differences);
    }

    [Fact]
    public async Task Concurrent_corrections_of_one_commune_end_with_the_last_reported_value()
    {
        var db = await TestPostgres.CreateDatabaseAsync();
        await using var server = await InProcessServer.StartAsync(db);
        var generator = new ReportGenerator(seed: 8);
        var corrections = Enumerable.Range(0, 4 * 60).Select(_ => generator.New("05443", "2025-04", ReportGenerator.Number("complaints_received", generator.Random.Next(0, 1000)))).ToList();
        var last = corrections.MaxBy(r => r.ReportedAt.ToDateTimeOffset())!;

        var sender = new ResilientSender([server.Channel]);
        await sender.SendAsync(corrections.OrderBy(_ => generator.Random.Next()).ToList(), clients: 4, batchSize: 1);

        Assert.Equal(corrections.Count, sender.Acknowledged.Count);
        var expected = (long)last.Values[0].Number;
        foreach (var unit in new[] { "05443", "164", "19", "VN" })
        {
            await Eventually.WaitAsync(
                () => ReadValueAsync(unit == "VN" ? server.MinistryChannel : server.Channel, unit, "2025-04", "complaints_received"),
                v => v == expected,
                TimeSpan.FromSeconds(10),
                v => $"{unit} holds {v}, the last report said {expected}");
        }
    }

    [Fact]
    public async Task Rebuilding_from_the_ledger_gives_exactly_the_live_rollups()
    {
        var db = await TestPostgres.CreateDatabaseAsync();
        var (reports, oracle) = await GenerateAsync(seed: 21, months: 3);
        await using var server = await InProcessServer.StartAsync(db);
        await new ResilientSender([server.Channel]).SendAsync(reports, clients: 2, batchSize: 200);
        await WaitForOracleAsync(server.MinistryChannel, oracle);
        var live = await ReadAllAsync(server.MinistryChannel);

        var rebuilt = await new Operations.OperationsClient(server.Channel).RebuildRollupsAsync(new RebuildRollupsRequest());

        // The province, its 9 districts and 172 communes of 2021-2025, the 20 communes of 2021-11 that
        // ended before them, and its 92 communes of 2025-07.
        Assert.Equal(1 + 9 + 172 + 20 + 92, rebuilt.UnitsRebuilt);
        Assert.Equal(reports.Count, rebuilt.ReportsReplayed);
        await WaitForOracleAsync(server.MinistryChannel, oracle);
        Assert.Equal(Figures(live), Figures(await ReadAllAsync(server.MinistryChannel)));
        Assert.Empty((await new Operations.OperationsClient(server.Channel).AuditRollupsAsync(new AuditRollupsRequest())).Differences);
    }

    [Fact]
    public async Task Checkpoints_of_a_commune_a_district_and_the_province_are_stored_apart_and_restored_after_a_restart()
    {
        var db = await TestPostgres.CreateDatabaseAsync();
        var generator = new ReportGenerator(seed: 4);
        Report[] reports =
        [
            generator.New("05443", "2025-03", ReportGenerator.Number("awareness_activities", 3)),
            generator.New("164", "2025S1", ReportGenerator.Flag("district_plan_adopted", true)),
            generator.New(ServerFixture.ProvinceCode, "2025-03", ReportGenerator.Number("press_publications", 7)),
        ];
        await using (var first = await InProcessServer.StartAsync(db))
        {
            await new ResilientSender([first.Channel]).SendAsync(reports, clients: 1, batchSize: 3);
        }

        // unit_checkpoints holds one row per unit, written when the units deactivated at shutdown.
        var rows = await CheckpointRowsAsync(db);
        Assert.Equal(3, rows.Count);
        foreach (var (unit, element) in new[] { ("05443", "awareness_activities"), ("164", "district_plan_adopted"), (ServerFixture.ProvinceCode, "press_publications") })
        {
            Assert.Equal([element], rows[unit].Values.Select(v => v.Element));
            Assert.Equal(1, rows[unit].AppliedSeq);
        }

        await using var second = await InProcessServer.StartAsync(db);
        Assert.Equal(3, await ReadValueAsync(second.Channel, "05443", "2025-03", "awareness_activities"));
        Assert.Equal(1, await ReadValueAsync(second.Channel, "164", "2025S1", "district_plan_adopted"));
        Assert.Equal(7, await ReadValueAsync(second.Channel, ServerFixture.ProvinceCode, "2025-03", "press_publications"));
    }

    /// <summary>Reports from every commune for a few months of 2025, and the recomputation to expect.</summary>
    internal static Task<(List<Report> Reports, Oracle Oracle)> GenerateAsync(int seed, int months, bool withRuleBreakers = false)
    {
        var oracle = new Oracle(Oracle.ShippedProgramme(), ServerFixture.ProvinceCode);
        var generator = new ReportGenerator(seed);
        var reports = new List<Report>();
        foreach (var commune in oracle.UnitsOfLevel("commune"))
        {
            for (var m = 1; m <= months; m++)
            {
                reports.Add(generator.CommuneMonthly(commune, $"2025-{m:D2}"));
                reports.Add(generator.CommunePolice(commune, $"2025-{m:D2}"));
            }

            if (withRuleBreakers && generator.Random.Next(10) == 0)
            {
                // Handled above received: must be rejected and never show anywhere.
                var breaker = generator.New(commune, "2025-01", ReportGenerator.Number("complaints_received", 1), ReportGenerator.Number("complaints_handled_on_time", 50));
                breaker.IdempotencyKey = "breaker-" + breaker.IdempotencyKey;
                reports.Add(breaker);
            }
        }

        foreach (var district in oracle.UnitsOfLevel("district"))
        {
            reports.Add(generator.District(district, "2025S1"));
        }

        if (!withRuleBreakers)
        {
            foreach (var r in reports)
            {
                oracle.Record(r);
            }
        }

        return Task.FromResult((reports, oracle));
    }

    internal static async Task WaitForOracleAsync(GrpcChannel channel, Oracle oracle, TimeSpan? timeout = null) =>
        await Eventually.WaitAsync(
            async () => (await new Rollups.RollupsClient(channel).GetRollupAsync(new GetRollupRequest { UnitCode = "VN", ProgrammeId = ServerFixture.Programme, Period = "2025" })).Rollup,
            r => !oracle.Differences(r, Today).Any(),
            timeout ?? TimeSpan.FromSeconds(30),
            r => string.Join("; ", oracle.Differences(r, Today)));

    private static async Task<List<UnitRollup>> ReadAllAsync(GrpcChannel channel)
    {
        var client = new Rollups.RollupsClient(channel);
        var all = new List<UnitRollup>();
        foreach (var period in new[] { "2025", "2025S1", "2025Q1", "2025-02" })
        {
            var province = await client.GetRollupAsync(new GetRollupRequest { UnitCode = ServerFixture.ProvinceCode, ProgrammeId = ServerFixture.Programme, Period = period, IncludeChildren = true });
            all.Add(province.Rollup);
            all.AddRange(province.Children);
            all.Add((await client.GetRollupAsync(new GetRollupRequest { UnitCode = "VN", ProgrammeId = ServerFixture.Programme, Period = period })).Rollup);
            all.Add((await client.GetRollupAsync(new GetRollupRequest { UnitCode = "05443", ProgrammeId = ServerFixture.Programme, Period = period })).Rollup);
        }

        return all;
    }

    /// <summary>What a reader sees, without the read time and the (incarnation-dependent) version.</summary>
    private static List<string> Figures(List<UnitRollup> rollups) =>
        rollups.Select(r =>
        {
            var copy = r.Clone();
            copy.ReadAt = null;
            copy.Version = 0;
            return copy.ToString();
        }).ToList();

    private static async Task<long?> ReadValueAsync(GrpcChannel channel, string unit, string period, string element)
    {
        var r = await new Rollups.RollupsClient(channel).GetRollupAsync(new GetRollupRequest { UnitCode = unit, ProgrammeId = ServerFixture.Programme, Period = period });
        var v = r.Rollup.Values.Single(x => x.DataElement == element);
        return v.HasValue ? v.Value : null;
    }

    private static async Task<Dictionary<string, Aggregation.Rollup.UnitCheckpoint>> CheckpointRowsAsync(string connectionString)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT unit_code, applied_seq, payload FROM unit_checkpoints", connection);
        var rows = new Dictionary<string, Aggregation.Rollup.UnitCheckpoint>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            rows[reader.GetString(0)] = Aggregation.Rollup.UnitCheckpoint.Decode(reader.GetInt64(1), reader.GetFieldValue<byte[]>(2))!;
        }

        return rows;
    }

    internal static async Task<List<string>> LedgerKeysAsync(string connectionString)
    {
        // Unpooled: the pool may still hold connections from before the database restarted.
        await using var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(connectionString) { Pooling = false }.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT idempotency_key FROM report_ledger ORDER BY idempotency_key COLLATE \"C\"", connection);
        var keys = new List<string>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            keys.Add(reader.GetString(0));
        }

        return keys;
    }

    /// <summary>A server in this process on a given database, stopped gracefully on dispose.</summary>
    private sealed class InProcessServer : IAsyncDisposable
    {
        private readonly WebApplication _app;

        private InProcessServer(WebApplication app, string address)
        {
            _app = app;
            Channel = TestCredentials.Channel(address, TestCredentials.Operator);
            MinistryChannel = TestCredentials.Channel(address, TestCredentials.Ministry);
        }

        public GrpcChannel Channel { get; }

        public GrpcChannel MinistryChannel { get; }

        public static async Task<InProcessServer> StartAsync(string connectionString)
        {
            var args = ServerFixture.Arguments(out var address, connectionString);
            var app = await AggregationApp.BuildAsync(args);
            await app.StartAsync();
            return new InProcessServer(app, address);
        }

        public async ValueTask DisposeAsync()
        {
            Channel.Dispose();
            MinistryChannel.Dispose();
            await _app.StopAsync();
            await _app.DisposeAsync();
            NpgsqlConnection.ClearAllPools();
        }
    }
}
