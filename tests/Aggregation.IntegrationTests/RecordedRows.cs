using Npgsql;

namespace Aggregation.IntegrationTests;

/// <summary>What a refused request must never change: rows in the ledger and audit records of accepted values (rejections are recorded too, so they are left out).</summary>
public static class RecordedRows
{
    public static async Task<(long Ledger, long Accepted)> CountAsync(string connectionString)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT (SELECT count(*) FROM report_ledger), (SELECT count(*) FROM audit_records WHERE action <> 5)", connection);
        await using var reader = await command.ExecuteReaderAsync();
        await reader.ReadAsync();
        return (reader.GetInt64(0), reader.GetInt64(1));
    }
}
