using Aggregation.Storage;
using Microsoft.Extensions.Logging.Abstractions;

namespace Aggregation.IntegrationTests;

/// <summary>
/// One private PostgreSQL server for the whole test run, started from the installed binaries the
/// same way the product's default run does, in a temporary folder removed at exit. Each fixture
/// gets a database of its own.
/// </summary>
internal static class TestPostgres
{
    private static readonly Lazy<Task<EmbeddedPostgres>> Server = new(StartAsync);

    public static Task<EmbeddedPostgres> InstanceAsync => Server.Value;

    /// <summary>A fresh, empty database; returns its connection string.</summary>
    public static async Task<string> CreateDatabaseAsync()
    {
        var server = await Server.Value;
        var name = $"t_{Guid.NewGuid():N}";
        await DatabaseMigrator.EnsureDatabaseAsync(server.ConnectionString(), name);
        return server.ConnectionString(name);
    }

    private static async Task<EmbeddedPostgres> StartAsync()
    {
        if (EmbeddedPostgres.FindBinaries() is null)
        {
            throw new InvalidOperationException("PostgreSQL server binaries are missing: run the tests through tests/run.sh, which installs them.");
        }

        RemoveStaleFolders();
        var directory = Path.Combine(Path.GetTempPath(), $"aggregation-tests-{Environment.ProcessId}", "pg");
        var server = await EmbeddedPostgres.StartAsync(directory, NullLogger.Instance);
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            server.StopAsync().GetAwaiter().GetResult();
            try
            {
                Directory.Delete(Path.GetDirectoryName(directory)!, recursive: true);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // Removed by the next run (RemoveStaleFolders).
            }
        };
        return server;
    }

    /// <summary>Folders of earlier runs whose process is gone (their server was stopped at exit).</summary>
    private static void RemoveStaleFolders()
    {
        foreach (var folder in Directory.GetDirectories(Path.GetTempPath(), "aggregation-tests-*"))
        {
            if (int.TryParse(Path.GetFileName(folder)["aggregation-tests-".Length..], out var pid) && !Directory.Exists($"/proc/{pid}"))
            {
                try
                {
                    Directory.Delete(folder, recursive: true);
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                {
                }
            }
        }
    }
}
