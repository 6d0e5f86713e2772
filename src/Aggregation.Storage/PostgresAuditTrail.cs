using System.Text;
using Npgsql;
using NpgsqlTypes;

namespace Aggregation.Storage;

/// <summary>
/// The audit trail in PostgreSQL. Accepted reports carry their records in their ledger row
/// (<see cref="LedgerAudit"/>); rejections, approvals and records written before schema 007 are rows
/// of <c>audit_trail</c>. Both tables are append-only by trigger and read together through the
/// view <c>audit_records</c>, whose ids increase in recording order across both.
/// </summary>
public sealed class PostgresAuditTrail(NpgsqlDataSource dataSource) : IAuditTrail
{
    private const string InsertSql = """
        INSERT INTO audit_trail (tenant_id, subject, authenticated_by, peer, source_system, idempotency_key, unit_code, programme_id, period, data_element, action, old_value, new_value, reason)
        SELECT * FROM unnest(@tenant, @subject, @via, @peer, @source, @key, @unit, @programme, @period, @element, @action, @old, @new, @reason)
        """;

    private const string Columns = "audit_id, recorded_at, tenant_id, subject, authenticated_by, peer, source_system, idempotency_key, unit_code, programme_id, period, data_element, action, old_value, new_value, reason";

    // A ledger row's records (either form of LedgerAudit's), as the view audit_records reads them.
    private const string LedgerColumns = """
        (l.ledger_id << 10) + r.k AS audit_id, l.recorded_at, l.tenant_id, l.subject, l.authenticated_by, l.peer, l.source_system, l.idempotency_key,
        l.unit_code, l.programme_id, l.period, r.data_element, r.action, r.old_value, r.new_value, r.reason
        """;

    public async Task RecordAsync(IReadOnlyList<AuditRecord> records, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(records);
        if (records.Count == 0)
        {
            return;
        }

        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await InsertAsync(connection, null, records, cancellationToken);
    }

    /// <summary>Inserts records on an open connection, inside the caller's transaction when given (the ledger's).</summary>
    public static async Task InsertAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, IReadOnlyList<AuditRecord> records, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(records);
        await using var command = new NpgsqlCommand(InsertSql, connection, transaction);
        command.Parameters.Add(Text("tenant", records.Select(r => r.Tenant)));
        command.Parameters.Add(Text("subject", records.Select(r => r.Submitter.Subject)));
        command.Parameters.Add(Text("via", records.Select(r => r.Submitter.AuthenticatedBy)));
        command.Parameters.Add(Text("peer", records.Select(r => r.Submitter.Peer)));
        command.Parameters.Add(Text("source", records.Select(r => r.SourceSystem)));
        command.Parameters.Add(Text("key", records.Select(r => r.IdempotencyKey)));
        command.Parameters.Add(Text("unit", records.Select(r => r.UnitCode)));
        command.Parameters.Add(Text("programme", records.Select(r => r.ProgrammeId)));
        command.Parameters.Add(Text("period", records.Select(r => r.Period)));
        command.Parameters.Add(Text("element", records.Select(r => r.DataElement)));
        command.Parameters.Add(new NpgsqlParameter("action", NpgsqlDbType.Array | NpgsqlDbType.Smallint) { Value = records.Select(r => (short)r.Action).ToArray() });
        command.Parameters.Add(Text("old", records.Select(r => r.OldValue)));
        command.Parameters.Add(Text("new", records.Select(r => r.NewValue)));
        command.Parameters.Add(Text("reason", records.Select(r => r.Reason)));
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<IReadOnlyList<AuditRecord>> QueryAsync(AuditQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        await using var command = dataSource.CreateCommand();
        command.Parameters.AddWithValue("tenant", query.Tenant);
        command.Parameters.AddWithValue("after", query.AfterId);
        command.Parameters.AddWithValue("limit", query.Limit);

        // The same filters on both sources: columns of the row, and for the ledger's records the
        // element and action as ledger_audit_records (schema 009) reads them from the record.
        var table = new StringBuilder();
        var ledger = new StringBuilder();
        void Filter(string column, string ledgerColumn, string name, object? value)
        {
            if (value is not null)
            {
                table.Append(" AND ").Append(column).Append(" = @").Append(name);
                ledger.Append(" AND ").Append(ledgerColumn).Append(" = @").Append(name);
                command.Parameters.AddWithValue(name, value);
            }
        }

        Filter("unit_code", "l.unit_code", "unit", query.UnitCode);
        Filter("period", "l.period", "period", query.Period);
        Filter("data_element", "r.data_element", "element", query.DataElement);
        Filter("subject", "l.subject", "subject", query.Subject);
        Filter("action", "r.action", "action", query.Action is { } a ? (short)a : null);

        // Each source gives its first page in id order (the ledger's by the partial index on
        // (tenant_id, ledger_id), stopping as soon as the page is full), then the two are merged.
        // Ordering by (ledger_id, k) rather than by the computed id lets the index give the order.
        command.CommandText = $"""
            (SELECT {Columns} FROM audit_trail WHERE tenant_id = @tenant AND audit_id > @after{table} ORDER BY audit_id LIMIT @limit)
            UNION ALL
            (SELECT {LedgerColumns}
             FROM report_ledger l CROSS JOIN LATERAL ledger_audit_records(l.report_values, l.audit_detail) AS r
             WHERE l.tenant_id = @tenant AND l.audit_detail IS NOT NULL AND l.ledger_id >= @after >> 10 AND (l.ledger_id << 10) + r.k > @after{ledger}
             ORDER BY l.ledger_id, r.k LIMIT @limit)
            ORDER BY audit_id LIMIT @limit
            """;

        var records = new List<AuditRecord>();
        try
        {
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                string? Nullable(int i) => reader.IsDBNull(i) ? null : reader.GetString(i);
                records.Add(new AuditRecord(
                    reader.GetString(2),
                    new Submitter(reader.GetString(3), reader.GetString(4), reader.GetString(5)),
                    reader.GetString(6),
                    reader.GetString(7),
                    reader.GetString(8),
                    reader.GetString(9),
                    reader.GetString(10),
                    Nullable(11),
                    (AuditAction)reader.GetInt16(12),
                    Nullable(13),
                    Nullable(14),
                    Nullable(15),
                    reader.GetInt64(0),
                    new DateTimeOffset(reader.GetDateTime(1), TimeSpan.Zero)));
            }
        }
        catch (Exception ex) when (ex is NpgsqlException or TimeoutException)
        {
            throw new LedgerUnavailableException("The audit trail cannot be read: " + ex.Message, ex);
        }

        return records;
    }

    private static NpgsqlParameter Text(string name, IEnumerable<string?> values) =>
        new(name, NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = values.ToArray() };
}
