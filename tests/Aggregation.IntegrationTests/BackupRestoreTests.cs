using System.Diagnostics;
using Aggregation.Protos.V1;
using Aggregation.Storage;
using Grpc.Net.Client;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace Aggregation.IntegrationTests;

/// <summary>
/// The README's backup procedure, run as written (deploy/backup/backup.sh and restore.sh): a dump
/// of a loaded, running server restores into a PostgreSQL that has never seen the product, and a
/// server started on it answers with the same figures and the same audit trail.
/// </summary>
public sealed class BackupRestoreTests
{
    private static readonly DateOnly Today = DateOnly.FromDateTime(DateTime.UtcNow);
    private static readonly string[] Periods = ["2025", "2025S1", "2025Q1", "2025-01", "2025-02"];

    [Fact]
    public async Task A_backup_taken_while_the_server_runs_restores_into_a_fresh_postgres_with_every_figure_and_audit_record()
    {
        var folder = Directory.CreateTempSubdirectory("aggregation-backup-");
        try
        {
            var db = await TestPostgres.CreateDatabaseAsync();
            var cluster = $"backup-{Guid.NewGuid():N}";
            var dump = Path.Combine(folder.FullName, "aggregation.dump");
            var (reports, oracle) = await DurabilityTests.GenerateAsync(seed: 17, months: 2);
            List<string> figures;
            List<string> audit;
            await using (var original = await SiloProcess.StartAsync(db, cluster))
            {
                await new ResilientSender([original.Channel]).SendAsync(reports, clients: 2, batchSize: 200);
                await DurabilityTests.WaitForOracleAsync(original.MinistryChannel, oracle);
                figures = await FiguresAsync(original.MinistryChannel, oracle);
                audit = await AuditTrailAsync(original.Channel);

                await RunScriptAsync("backup.sh", LibpqUri(db), dump);

                // Reads write no audit records, so the trail read before the dump is the one in it.
                Assert.Equal(audit.Count, (await AuditTrailAsync(original.Channel)).Count);
            }

            // A PostgreSQL of its own, as after losing the machine: no role, database or setting of the original.
            await using var fresh = await EmbeddedPostgres.StartAsync(Path.Combine(folder.FullName, "pg"), NullLogger.Instance);
            await RunScriptAsync("restore.sh", dump, LibpqUri(fresh.ConnectionString()));
            var restoredDb = fresh.ConnectionString(new NpgsqlConnectionStringBuilder(db).Database!);

            await using var restored = await SiloProcess.StartAsync(restoredDb, cluster);
            Assert.Equal(figures, await FiguresAsync(restored.MinistryChannel, oracle));
            Assert.Equal(audit, await AuditTrailAsync(restored.Channel));
            var check = await Eventually.WaitAsync(
                async () => await new Operations.OperationsClient(restored.Channel).AuditRollupsAsync(new AuditRollupsRequest()),
                a => a.Differences.Count == 0,
                TimeSpan.FromSeconds(60),
                a => string.Join("; ", a.Differences.Take(5)));
            Assert.Equal(reports.Count, check.LedgerReports);
        }
        finally
        {
            NpgsqlConnection.ClearAllPools();
            folder.Delete(recursive: true);
        }
    }

    /// <summary>
    /// Every unit the oracle knows (communes, districts, the province, the nation) for each period,
    /// as a reader sees it minus the read time and the incarnation-dependent version; each is also
    /// checked against the recomputation, so equal also means right.
    /// </summary>
    private static async Task<List<string>> FiguresAsync(GrpcChannel channel, Oracle oracle)
    {
        var client = new Rollups.RollupsClient(channel);
        var units = oracle.UnitsOfLevel("commune").Concat(oracle.UnitsOfLevel("district")).Append(ServerFixture.ProvinceCode).Append("VN").Order(StringComparer.Ordinal).ToList();
        var figures = new List<string>();
        foreach (var period in Periods)
        {
            foreach (var unit in units)
            {
                var rollup = (await client.GetRollupAsync(new GetRollupRequest { UnitCode = unit, ProgrammeId = ServerFixture.Programme, Period = period })).Rollup;
                oracle.AssertMatches(rollup, Today);
                var copy = rollup.Clone();
                copy.ReadAt = null;
                copy.Version = 0;
                figures.Add(copy.ToString());
            }
        }

        return figures;
    }

    /// <summary>The tenant's whole audit trail, every page.</summary>
    private static async Task<List<string>> AuditTrailAsync(GrpcChannel channel)
    {
        var client = new Audit.AuditClient(channel);
        var records = new List<string>();
        var request = new QueryAuditRequest { PageSize = 1000 };
        do
        {
            var page = await client.QueryAuditAsync(request);
            records.AddRange(page.Records.Select(r => r.ToString()));
            request.PageToken = page.NextPageToken;
        }
        while (request.PageToken.Length > 0);

        Assert.NotEmpty(records);
        return records;
    }

    /// <summary>The Npgsql connection string as the URI the PostgreSQL tools (libpq) take.</summary>
    private static string LibpqUri(string connectionString)
    {
        var b = new NpgsqlConnectionStringBuilder(connectionString);
        return $"postgresql://{Uri.EscapeDataString(b.Username!)}@{b.Host}:{b.Port}/{Uri.EscapeDataString(b.Database!)}";
    }

    private static async Task RunScriptAsync(string script, params string[] arguments)
    {
        var start = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(Path.Combine(RepositoryRoot(), "deploy", "backup", script));
        foreach (var a in arguments)
        {
            start.ArgumentList.Add(a);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        await process.WaitForExitAsync(timeout.Token);
        Assert.True(process.ExitCode == 0, $"{script} failed ({process.ExitCode}): {await stderr}{await stdout}");
    }

    private static string RepositoryRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Aggregation.sln")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException($"No Aggregation.sln above {AppContext.BaseDirectory}");
    }
}
