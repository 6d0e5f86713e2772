using System.Diagnostics;
using Aggregation.Protos.V1;
using Aggregation.Storage;
using Google.Rpc;
using Grpc.Core;
using Grpc.Health.V1;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using Xunit.Abstractions;

namespace Aggregation.IntegrationTests;

/// <summary>
/// Recovery without a person at the console: servers in their own processes, started as the README
/// starts them, killed, starved of their database and stopped during an outage.
/// </summary>
public sealed class RecoveryTests(ITestOutputHelper output)
{
    private static readonly HealthCheckResponse.Types.ServingStatus Serving = HealthCheckResponse.Types.ServingStatus.Serving;

    [Fact]
    public async Task A_server_killed_with_SIGKILL_serves_again_when_the_same_command_is_run_and_keeps_what_it_acknowledged()
    {
        await using var folder = new PrivateFolder();
        var first = await SiloProcess.StartAsync(null, "kill9", folder.Argument);
        var report = new ReportGenerator(seed: 31).New("05443", "2025-03", ReportGenerator.Number("awareness_activities", 4));
        Assert.Equal(ReportOutcome.Accepted, (await new Ingestion.IngestionClient(first.Channel).SubmitReportAsync(new SubmitReportRequest { Report = report })).Result.Outcome);
        var postgres = folder.PostmasterPid();

        await first.KillServerOnlyAsync();
        await first.DisposeAsync();
        Assert.True(PrivateFolder.IsAlive(postgres), "the killed server's PostgreSQL should outlive it (that is the situation under test)");

        await using var second = await SiloProcess.StartWithAsync(first.Arguments, first.Address);
        Assert.Contains($"A PostgreSQL (pid {postgres}) left running", second.AllOutput, StringComparison.Ordinal);
        Assert.Equal(4, await ReadAsync(second, "05443", "2025-03", "awareness_activities"));
        await Eventually.WaitAsync(() => ReadAsync(second, ServerFixture.ProvinceCode, "2025S1", "awareness_activities"), v => v == 4, TimeSpan.FromSeconds(10), v => $"the province holds {v}");
        Assert.Equal(ReportOutcome.Duplicate, (await new Ingestion.IngestionClient(second.Channel).SubmitReportAsync(new SubmitReportRequest { Report = report })).Result.Outcome);
        await folder.StopAsync(second);
    }

    [Fact]
    public async Task The_private_PostgreSQL_killed_under_load_is_restarted_and_nothing_acknowledged_is_lost()
    {
        await using var folder = new PrivateFolder();
        await using var server = await SiloProcess.StartAsync(null, "pgkill", folder.Argument);
        var (reports, oracle) = await DurabilityTests.GenerateAsync(seed: 32, months: 3);
        var sender = new ResilientSender([server.Channel]);
        var sending = sender.SendAsync(reports, clients: 2, batchSize: 10);

        await Eventually.WaitAsync(() => Task.FromResult(sender.AcknowledgedCount), n => n >= reports.Count / 4, TimeSpan.FromSeconds(60), n => $"{n} acknowledged");
        var killed = folder.PostmasterPid();
        Process.Start("kill", ["-KILL", killed.ToString(System.Globalization.CultureInfo.InvariantCulture)])!.WaitForExit();
        var clock = Stopwatch.StartNew();
        await Eventually.WaitAsync(() => HealthAsync(server), s => s != Serving, TimeSpan.FromSeconds(10), s => $"health {s} after the database was killed");
        await Eventually.WaitAsync(() => HealthAsync(server), s => s == Serving, TimeSpan.FromSeconds(30), s => $"health {s} {clock.Elapsed.TotalSeconds:0} s after the database was killed");
        output.WriteLine($"serving again {clock.Elapsed.TotalSeconds:0.0} s after the database was killed");
        Assert.NotEqual(killed, folder.PostmasterPid());
        await sending;

        Assert.All(sender.Failures, code => Assert.Contains(code, new[] { StatusCode.Unavailable, StatusCode.DeadlineExceeded }));
        Assert.Equal(reports.Count, sender.Acknowledged.Count);
        Assert.Equal(reports.Select(r => r.IdempotencyKey).Order(StringComparer.Ordinal), (await DurabilityTests.LedgerKeysAsync(folder.ConnectionString())).Order(StringComparer.Ordinal));
        await DurabilityTests.WaitForOracleAsync(server.MinistryChannel, oracle);
        Assert.Empty((await new Operations.OperationsClient(server.Channel).AuditRollupsAsync(new AuditRollupsRequest())).Differences);
        await folder.StopAsync(server);
    }

    [Fact]
    public async Task A_60_second_database_outage_under_load_fails_calls_fast_logs_under_1_MB_and_shutdown_keeps_its_budget()
    {
        var budget = TimeSpan.FromSeconds(15);
        await using var postgres = await EmbeddedPostgres.StartAsync(Path.Combine(Path.GetTempPath(), $"aggregation-tests-{Environment.ProcessId}", $"outage60-{Guid.NewGuid():N}"), NullLogger.Instance);
        await DatabaseMigrator.EnsureDatabaseAsync(postgres.ConnectionString(), "outage");
        var db = postgres.ConnectionString("outage");
        await using var server = await SiloProcess.StartAsync(db, "outage60", $"--Shutdown:Timeout={budget}");
        var communes = new Oracle(Oracle.ShippedProgramme(), ServerFixture.ProvinceCode).UnitsOfLevel("commune").ToList();
        using var stopLoad = new CancellationTokenSource();
        var load = new Load();
        var submitters = Enumerable.Range(0, 4).Select(c => (Generator: new ReportGenerator(seed: 330 + c), Client: c)).Select(x => load.RunAsync(async () =>
        {
            var generator = x.Generator;
            var report = generator.CommuneMonthly(communes[Random.Shared.Next(communes.Count)], $"2025-{Random.Shared.Next(1, 7):D2}");
            var result = await new Ingestion.IngestionClient(server.Channel).SubmitReportAsync(new SubmitReportRequest { Report = report }, deadline: DateTime.UtcNow.AddSeconds(10));
            return result.Result.Outcome == ReportOutcome.Accepted ? report.IdempotencyKey : null;
        }, stopLoad.Token)).ToList();
        var readers = Enumerable.Range(0, 2).Select(c => load.RunAsync(async () =>
        {
            await new Rollups.RollupsClient(server.Channel).GetRollupAsync(new GetRollupRequest { UnitCode = communes[Random.Shared.Next(communes.Count)], ProgrammeId = ServerFixture.Programme, Period = "2025S1" }, deadline: DateTime.UtcNow.AddSeconds(10));
            return null;
        }, stopLoad.Token)).ToList();
        await Eventually.WaitAsync(() => Task.FromResult(load.Acknowledged.Count), n => n >= 50, TimeSpan.FromSeconds(60), n => $"{n} acknowledged before the outage");

        await postgres.StopAsync();
        var logBefore = server.OutputBytes;
        await Eventually.WaitAsync(() => HealthAsync(server), s => s != Serving, TimeSpan.FromSeconds(10), s => $"health {s} with the database stopped");
        Assert.Equal(Serving, await HealthAsync(server, "liveness"));
        var refusedBefore = load.Unavailable;

        // The outage itself: sixty seconds of callers retrying against a server without its database.
        await Task.Delay(TimeSpan.FromSeconds(60));
        var logged = server.OutputBytes - logBefore;
        output.WriteLine($"60 s outage: {load.Unavailable - refusedBefore:N0} calls refused, {logged:N0} bytes logged");
        Assert.True(load.Unavailable - refusedBefore > 1000, $"only {load.Unavailable - refusedBefore} calls were refused during the outage: the load did not run");
        Assert.True(logged < 1_000_000, $"{logged:N0} bytes of log during a 60 s outage:{Environment.NewLine}{server.Output}");
        Assert.True(load.WithoutRetryInfo == 0, $"{load.WithoutRetryInfo} UNAVAILABLE answers carried no RetryInfo");
        Assert.Empty(load.Unexpected);

        var took = await server.StopAsync(budget + TimeSpan.FromSeconds(10));
        await stopLoad.CancelAsync();
        await Task.WhenAll(submitters.Concat(readers));
        output.WriteLine($"shutdown during the outage: {took.TotalSeconds:0.0} s (budget {budget.TotalSeconds} s)");
        Assert.True(took <= budget + TimeSpan.FromSeconds(2), $"shutdown during the outage took {took.TotalSeconds:0.0} s, budget {budget.TotalSeconds} s:{Environment.NewLine}{server.Output}");
        Assert.DoesNotContain("crit:", server.AllOutput, StringComparison.Ordinal);

        await postgres.RestartAsync();
        var ledger = (await DurabilityTests.LedgerKeysAsync(db)).ToHashSet(StringComparer.Ordinal);
        Assert.All(load.Acknowledged, key => Assert.Contains(key, ledger));
    }

    [Fact]
    public async Task Health_stays_serving_through_a_bulk_load_and_while_the_ledger_is_locked()
    {
        var db = await TestPostgres.CreateDatabaseAsync();
        await using var server = await SiloProcess.StartAsync(db, "bulkhealth");
        var (reports, _) = await DurabilityTests.GenerateAsync(seed: 34, months: 12);
        var answers = new List<HealthCheckResponse.Types.ServingStatus>();
        using var stop = new CancellationTokenSource();
        var polling = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                answers.Add(await HealthAsync(server));
                await Task.Delay(TimeSpan.FromMilliseconds(100));
            }
        });

        // Bulk: 4,000+ reports in batches of 500 from four clients at once.
        await new ResilientSender([server.Channel]).SendAsync(reports, clients: 4, batchSize: 500);

        // A ledger that cannot be written (a long lock) is a busy database, not a dead one.
        await using (var connection = new NpgsqlConnection(db))
        {
            await connection.OpenAsync();
            await using var transaction = await connection.BeginTransactionAsync();
            await new NpgsqlCommand("LOCK TABLE report_ledger IN ACCESS EXCLUSIVE MODE", connection, transaction).ExecuteNonQueryAsync();
            var held = Stopwatch.StartNew();
            var blocked = new Ingestion.IngestionClient(server.Channel).SubmitReportAsync(new SubmitReportRequest { Report = new ReportGenerator(seed: 35).CommuneMonthly("05443", "2025-12") }).ResponseAsync;
            while (held.Elapsed < TimeSpan.FromSeconds(8))
            {
                Assert.Equal(Serving, await HealthAsync(server));
                await Task.Delay(TimeSpan.FromMilliseconds(200));
            }

            Assert.False(blocked.IsCompleted, "the submission should be waiting on the locked ledger");
            await transaction.RollbackAsync();
            Assert.Equal(ReportOutcome.Accepted, (await blocked).Result.Outcome);
        }

        await stop.CancelAsync();
        await polling;
        output.WriteLine($"{answers.Count} health answers during the bulk load and the lock, all SERVING");
        Assert.True(answers.Count > 20, $"only {answers.Count} health answers during the load");
        Assert.All(answers, a => Assert.Equal(Serving, a));
    }

    private static async Task<HealthCheckResponse.Types.ServingStatus> HealthAsync(SiloProcess server, string service = "")
    {
        try
        {
            return (await new Health.HealthClient(server.Channel).CheckAsync(new HealthCheckRequest { Service = service }, deadline: DateTime.UtcNow.AddSeconds(10))).Status;
        }
        catch (RpcException ex) when (ex.StatusCode == StatusCode.Unavailable)
        {
            return HealthCheckResponse.Types.ServingStatus.NotServing;
        }
    }

    private static async Task<long?> ReadAsync(SiloProcess server, string unit, string period, string element)
    {
        var r = await new Rollups.RollupsClient(server.Channel).GetRollupAsync(new GetRollupRequest { UnitCode = unit, ProgrammeId = ServerFixture.Programme, Period = period, AsOf = "2025-06-30" });
        var v = r.Rollup.Values.Single(x => x.DataElement == element);
        return v.HasValue ? v.Value : null;
    }

    /// <summary>Callers that keep calling until told to stop, counting how they were answered.</summary>
    private sealed class Load
    {
        private int _unavailable;
        private int _withoutRetryInfo;

        public List<string> Acknowledged { get; } = [];

        public List<string> Unexpected { get; } = [];

        public int Unavailable => Volatile.Read(ref _unavailable);

        public int WithoutRetryInfo => Volatile.Read(ref _withoutRetryInfo);

        public async Task RunAsync(Func<Task<string?>> call, CancellationToken stop)
        {
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    if (await call() is { } key)
                    {
                        lock (Acknowledged)
                        {
                            Acknowledged.Add(key);
                        }
                    }
                }
                catch (RpcException ex) when (ex.StatusCode == StatusCode.Unavailable)
                {
                    Interlocked.Increment(ref _unavailable);
                    if (ex.GetRpcStatus()?.GetDetail<RetryInfo>() is not { } retry)
                    {
                        // The server gone (shut down) answers without details; while it runs, every refusal says when to retry.
                        if (ex.Status.Detail.Contains("database", StringComparison.Ordinal))
                        {
                            Interlocked.Increment(ref _withoutRetryInfo);
                        }
                    }
                }
                catch (RpcException ex) when (ex.StatusCode is StatusCode.DeadlineExceeded or StatusCode.Cancelled || stop.IsCancellationRequested)
                {
                }
                catch (RpcException ex)
                {
                    lock (Unexpected)
                    {
                        Unexpected.Add($"{ex.StatusCode}: {ex.Status.Detail}");
                    }
                }
            }
        }
    }

    /// <summary>A private PostgreSQL folder as the README's run uses one, with whatever a failed test leaves running stopped at the end.</summary>
    private sealed class PrivateFolder : IAsyncDisposable
    {
        private readonly string _root = Path.Combine(Path.GetTempPath(), $"aggregation-tests-{Environment.ProcessId}", $"private-{Guid.NewGuid():N}");

        public string DataDirectory => Path.Combine(_root, "pg");

        public string Argument => $"--Database:DataDirectory={DataDirectory}";

        public int PostmasterPid() => int.Parse(File.ReadLines(Path.Combine(DataDirectory, "postmaster.pid")).First(), System.Globalization.CultureInfo.InvariantCulture);

        public string ConnectionString()
        {
            var port = File.ReadLines(Path.Combine(DataDirectory, "postmaster.pid")).ElementAt(3);
            return $"Host=127.0.0.1;Port={port};Username=postgres;Database=aggregation";
        }

        public static bool IsAlive(int pid) => File.Exists($"/proc/{pid}/stat") && !File.ReadAllText($"/proc/{pid}/stat").Split(") ")[1].StartsWith('Z');

        /// <summary>Stops the server as an operator does (SIGTERM), which stops its PostgreSQL too.</summary>
        public async Task StopAsync(SiloProcess server)
        {
            await server.StopAsync(TimeSpan.FromSeconds(60));
            Assert.False(File.Exists(Path.Combine(DataDirectory, "postmaster.pid")), $"the private PostgreSQL is still running after the server stopped:{Environment.NewLine}{server.Output}");
        }

        public async ValueTask DisposeAsync()
        {
            if (File.Exists(Path.Combine(DataDirectory, "postmaster.pid")) && PostmasterPid() is var pid && IsAlive(pid))
            {
                Process.Start("kill", ["-KILL", pid.ToString(System.Globalization.CultureInfo.InvariantCulture)])!.WaitForExit();
                for (var i = 0; i < 100 && IsAlive(pid); i++)
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(50));
                }
            }

            try
            {
                Directory.Delete(_root, recursive: true);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // Removed with the run's temporary folder.
            }
        }
    }
}
