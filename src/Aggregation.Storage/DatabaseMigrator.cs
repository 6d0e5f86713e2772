using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Aggregation.Storage;

/// <summary>
/// Applies the project's schema (deploy/sql/NNN_name.sql, copied beside the binaries as sql/) in
/// order, each once, recorded in <c>schema_migrations</c>. Silos starting together serialise on an
/// advisory lock; the scripts themselves are idempotent too. The server, the tests and deploy/ all
/// use this one step.
/// </summary>
public static partial class DatabaseMigrator
{
    private const long LockId = 0x4147_4752_4547_4154; // "AGGREGAT"

    public static string DefaultScriptDirectory => Path.Combine(AppContext.BaseDirectory, "sql");

    public static async Task<IReadOnlyList<string>> MigrateAsync(string connectionString, ILogger logger, string? scriptDirectory = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(logger);
        var scripts = Directory.GetFiles(scriptDirectory ?? DefaultScriptDirectory, "*.sql")
            .OrderBy(f => Path.GetFileName(f), StringComparer.Ordinal)
            .ToList();
        if (scripts.Count == 0)
        {
            throw new InvalidOperationException($"No schema scripts in {scriptDirectory ?? DefaultScriptDirectory}.");
        }

        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(cancellationToken);
        await Execute(connection, $"SELECT pg_advisory_lock({LockId})", cancellationToken);
        var applied = new List<string>();
        try
        {
            await Execute(connection, """
                CREATE TABLE IF NOT EXISTS schema_migrations (
                    version    text PRIMARY KEY,
                    checksum   text NOT NULL,
                    applied_at timestamptz NOT NULL DEFAULT now())
                """, cancellationToken);
            var done = new Dictionary<string, string>(StringComparer.Ordinal);
            await using (var read = new NpgsqlCommand("SELECT version, checksum FROM schema_migrations", connection))
            await using (var reader = await read.ExecuteReaderAsync(cancellationToken))
            {
                while (await reader.ReadAsync(cancellationToken))
                {
                    done[reader.GetString(0)] = reader.GetString(1);
                }
            }

            foreach (var script in scripts)
            {
                var version = Path.GetFileNameWithoutExtension(script);
                var sql = await File.ReadAllTextAsync(script, cancellationToken);
                var checksum = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(sql)));
                if (done.TryGetValue(version, out var recorded))
                {
                    if (recorded != checksum)
                    {
                        LogScriptChanged(logger, version);
                    }

                    continue;
                }

                await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
                await using (var apply = new NpgsqlCommand(sql, connection, transaction))
                {
                    await apply.ExecuteNonQueryAsync(cancellationToken);
                }

                await using (var record = new NpgsqlCommand("INSERT INTO schema_migrations (version, checksum) VALUES (@v, @c)", connection, transaction))
                {
                    record.Parameters.AddWithValue("v", version);
                    record.Parameters.AddWithValue("c", checksum);
                    await record.ExecuteNonQueryAsync(cancellationToken);
                }

                await transaction.CommitAsync(cancellationToken);
                applied.Add(version);
                LogApplied(logger, version);
            }
        }
        finally
        {
            await Execute(connection, $"SELECT pg_advisory_unlock({LockId})", CancellationToken.None);
        }

        return applied;
    }

    /// <summary>Creates a database if it does not exist (connect to the server's maintenance database).</summary>
    public static async Task EnsureDatabaseAsync(string maintenanceConnectionString, string database, CancellationToken cancellationToken = default)
    {
        await using var connection = new NpgsqlConnection(maintenanceConnectionString);
        await connection.OpenAsync(cancellationToken);
        await using var exists = new NpgsqlCommand("SELECT 1 FROM pg_database WHERE datname = @d", connection);
        exists.Parameters.AddWithValue("d", database);
        if (await exists.ExecuteScalarAsync(cancellationToken) is null)
        {
            await Execute(connection, $"CREATE DATABASE \"{database.Replace("\"", "\"\"", StringComparison.Ordinal)}\"", cancellationToken);
        }
    }

    private static async Task Execute(NpgsqlConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    [LoggerMessage(EventId = 5102, Level = LogLevel.Warning, Message = "Schema script {Version} changed after it was applied; add a new script instead of editing an applied one")]
    private static partial void LogScriptChanged(ILogger logger, string version);

    [LoggerMessage(EventId = 5103, Level = LogLevel.Information, Message = "Applied schema script {Version}")]
    private static partial void LogApplied(ILogger logger, string version);
}
