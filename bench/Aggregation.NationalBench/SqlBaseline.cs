using System.Diagnostics;
using Npgsql;

/// <summary>
/// The two straightforward designs the product is measured against, on the values the COPY baseline
/// loaded: figures computed by SQL at read time (the hierarchy as a table, sensible indexes), and a
/// batch rebuild of a rollup table (what batch analytics does; its rebuild time is its freshness).
/// </summary>
internal sealed class SqlBaseline
{
    private readonly string _connectionString;

    private SqlBaseline(string connectionString, double rebuildSeconds)
    {
        _connectionString = connectionString;
        RebuildSeconds = rebuildSeconds;
    }

    /// <summary>How long the batch rebuild of the country's rollup table took: that design's freshness.</summary>
    public double RebuildSeconds { get; }

    public static async Task<SqlBaseline> PrepareAsync(NationalRun run)
    {
        var catalog = run.Catalog;

        // ---- The SQL-at-read-time design: the hierarchy as a table, sensible indexes.
        await using (var connection = new NpgsqlConnection(run.ConnectionString))
        {
            await connection.OpenAsync();
            await using (var writer = await connection.BeginBinaryImportAsync("COPY bench_units (code, level, district, province) FROM STDIN (FORMAT BINARY)"))
            {
                foreach (var tenant in catalog.Tenants.Keys)
                {
                    foreach (var u in catalog.UnitsOf(tenant))
                    {
                        // Keyed by the unit's identity, not its GSO code: codes were reused by the 2025-07 version.
                        var ancestors = catalog.AncestorsOf(u.Key).ToList();
                        await writer.WriteRowAsync(default, u.Key.Code, u.Level, u.Level == "district" ? u.Key.Code : ancestors.FirstOrDefault(a => a.Level == "district")?.Key.Code, u.Level == "province" ? u.Key.Code : ancestors.FirstOrDefault(a => a.Level == "province")?.Key.Code);
                    }
                }

                await writer.CompleteAsync();
            }

            await Execute(connection, "CREATE INDEX ON bench_values (unit, period); CREATE INDEX ON bench_units (province); ANALYZE bench_values; ANALYZE bench_units;");
        }

        // ---- The batch-analytics design: rebuild the country's rollup table; its freshness is this time.
        double rebuildSeconds;
        await using (var connection = new NpgsqlConnection(run.ConnectionString))
        {
            await connection.OpenAsync();
            var rebuild = Stopwatch.StartNew();
            await Execute(connection, """
                CREATE TABLE bench_rollup AS
                SELECT u.province, u.district, left(v.period, 4) AS year, v.element, sum(v.value) AS total
                FROM bench_values v JOIN bench_units u ON u.code = v.unit
                GROUP BY GROUPING SETS ((u.province, u.district, left(v.period, 4), v.element), (u.province, left(v.period, 4), v.element), (left(v.period, 4), v.element))
                """);
            rebuildSeconds = rebuild.Elapsed.TotalSeconds;
        }

        return new SqlBaseline(run.ConnectionString, rebuildSeconds);
    }

    /// <summary>Each element's total over a year for a province (null: the nation), computed at read time.</summary>
    public async Task<Dictionary<string, long>> SqlFiguresAsync(string? province, int year)
    {
        await using var connection = new NpgsqlConnection(_connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            province is null
                ? "SELECT v.element, sum(v.value) FROM bench_values v WHERE v.period LIKE @y GROUP BY v.element"
                : "SELECT v.element, sum(v.value) FROM bench_values v JOIN bench_units u ON u.code = v.unit WHERE u.province = @p AND v.period LIKE @y GROUP BY v.element",
            connection);
        command.Parameters.AddWithValue("y", $"{year}%");
        if (province is not null)
        {
            command.Parameters.AddWithValue("p", province);
        }

        var figures = new Dictionary<string, long>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            figures[reader.GetString(0)] = (long)reader.GetDecimal(1);
        }

        return figures;
    }

    public static async Task Execute(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection) { CommandTimeout = 0 };
        await command.ExecuteNonQueryAsync();
    }
}
