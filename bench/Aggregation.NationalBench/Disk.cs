using System.Globalization;
using System.Text;
using Npgsql;

/// <summary>
/// Disk per report after the load: the ledger and the audit trail with their indexes and TOAST, plus
/// the write-ahead log PostgreSQL keeps in pg_wal at that moment, divided by the reports loaded.
/// The COPY baseline's table is not counted. Also prints where a ledger row's bytes go (stored size
/// of each column, row with header, each index), which is what a change to the row's format moves.
/// </summary>
internal static class Disk
{
    public static async Task MeasureAsync(NationalRun run, Results results, long reports)
    {
        await using var connection = new NpgsqlConnection(run.ConnectionString);
        await connection.OpenAsync();
        await using (var command = new NpgsqlCommand("""
            SELECT pg_total_relation_size('report_ledger'), pg_relation_size('report_ledger'), pg_indexes_size('report_ledger'),
                   pg_total_relation_size('audit_trail'), pg_relation_size('audit_trail'), pg_indexes_size('audit_trail'),
                   (SELECT coalesce(sum(size), 0) FROM pg_ls_waldir())::bigint,
                   (SELECT count(*) FROM audit_trail)
            """, connection))
        await using (var reader = await command.ExecuteReaderAsync())
        {
            await reader.ReadAsync();
            var (ledger, audit, wal) = (reader.GetInt64(0), reader.GetInt64(3), reader.GetInt64(6));
            Console.WriteLine($"disk: ledger {Mb(ledger)} (table {Mb(reader.GetInt64(1))}, indexes {Mb(reader.GetInt64(2))}); audit_trail {Mb(audit)} in {reader.GetInt64(7):N0} rows (table {Mb(reader.GetInt64(4))}, indexes {Mb(reader.GetInt64(5))}); pg_wal {Mb(wal)}");
            if (reports > 0)
            {
                results.Measured(new("disk per report (ledger, audit trail, indexes, pg_wal), bytes", (double)(ledger + audit + wal) / reports, null, null));
                results.Measured(new("disk per report, tables and indexes only, bytes", (double)(ledger + audit) / reports, null, null));
            }
        }

        await PrintLedgerRowAsync(connection, reports);
    }

    /// <summary>Average stored bytes per ledger row: each column (pg_column_size, compressed where PostgreSQL compressed it), the whole tuple, TOAST, and each index.</summary>
    private static async Task PrintLedgerRowAsync(NpgsqlConnection connection, long reports)
    {
        var columns = new List<string>();
        await using (var list = new NpgsqlCommand("SELECT column_name FROM information_schema.columns WHERE table_name = 'report_ledger' AND table_schema = current_schema() ORDER BY ordinal_position", connection))
        await using (var reader = await list.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                columns.Add(reader.GetString(0));
            }
        }

        var sql = new StringBuilder("SELECT count(*), avg(pg_column_size(l.*))");
        foreach (var c in columns)
        {
            sql.Append(CultureInfo.InvariantCulture, $", avg(coalesce(pg_column_size(l.\"{c}\"), 0))");
        }

        sql.Append(" FROM report_ledger l");
        var line = new StringBuilder("ledger row, average stored bytes:");
        await using (var sizes = new NpgsqlCommand(sql.ToString(), connection))
        await using (var reader = await sizes.ExecuteReaderAsync())
        {
            await reader.ReadAsync();
            line.Append(CultureInfo.InvariantCulture, $" {reader.GetInt64(0):N0} rows; tuple {reader.GetDecimal(1):F1} (with its 23-byte header and padding; plus 4 of line pointer)");
            for (var i = 0; i < columns.Count; i++)
            {
                line.Append(CultureInfo.InvariantCulture, $"; {columns[i]} {(reader.IsDBNull(i + 2) ? 0 : reader.GetDecimal(i + 2)):F1}");
            }
        }

        Console.WriteLine(line);
        if (reports <= 0)
        {
            return;
        }

        var relations = new StringBuilder("ledger relations, bytes per report:");
        await using (var command = new NpgsqlCommand("""
            SELECT 'table', pg_relation_size('report_ledger')
            UNION ALL SELECT 'toast', pg_total_relation_size('report_ledger') - pg_relation_size('report_ledger') - pg_indexes_size('report_ledger')
            UNION ALL SELECT i.indexrelid::regclass::text, pg_relation_size(i.indexrelid) FROM pg_index i WHERE i.indrelid = 'report_ledger'::regclass
            """, connection))
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                relations.Append(CultureInfo.InvariantCulture, $" {reader.GetString(0)} {(double)reader.GetInt64(1) / reports:F1};");
            }
        }

        Console.WriteLine(relations);
    }

    private static string Mb(long bytes) => $"{bytes / 1e6:N1} MB";
}
