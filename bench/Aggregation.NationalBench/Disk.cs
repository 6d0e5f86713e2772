using Npgsql;

/// <summary>
/// Disk per report after the load: the ledger and the audit trail with their indexes and TOAST, plus
/// the write-ahead log PostgreSQL keeps in pg_wal at that moment, divided by the reports loaded.
/// The COPY baseline's table is not counted.
/// </summary>
internal static class Disk
{
    public static async Task MeasureAsync(NationalRun run, Results results, long reports)
    {
        await using var connection = new NpgsqlConnection(run.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("""
            SELECT pg_total_relation_size('report_ledger'), pg_relation_size('report_ledger'), pg_indexes_size('report_ledger'),
                   pg_total_relation_size('audit_trail'), pg_relation_size('audit_trail'), pg_indexes_size('audit_trail'),
                   (SELECT coalesce(sum(size), 0) FROM pg_ls_waldir())::bigint,
                   (SELECT count(*) FROM audit_trail)
            """, connection);
        await using var reader = await command.ExecuteReaderAsync();
        await reader.ReadAsync();
        var (ledger, audit, wal) = (reader.GetInt64(0), reader.GetInt64(3), reader.GetInt64(6));
        Console.WriteLine($"disk: ledger {Mb(ledger)} (table {Mb(reader.GetInt64(1))}, indexes {Mb(reader.GetInt64(2))}); audit_trail {Mb(audit)} in {reader.GetInt64(7):N0} rows (table {Mb(reader.GetInt64(4))}, indexes {Mb(reader.GetInt64(5))}); pg_wal {Mb(wal)}");
        if (reports > 0)
        {
            results.Measured(new("disk per report (ledger, audit trail, indexes, pg_wal), bytes", (double)(ledger + audit + wal) / reports, null, null));
            results.Measured(new("disk per report, tables and indexes only, bytes", (double)(ledger + audit) / reports, null, null));
        }
    }

    private static string Mb(long bytes) => $"{bytes / 1e6:N1} MB";
}
