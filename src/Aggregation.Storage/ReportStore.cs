using Npgsql;

namespace Aggregation.Storage;

/// <summary>What a delivery carries, and so where it goes.</summary>
public static class Payloads
{
    /// <summary>An IHE ADX document (to Delivery:Endpoint).</summary>
    public const string Adx = "adx";

    /// <summary>A DHIS2 data value set (to Delivery:Endpoint).</summary>
    public const string Dhis2DataValues = "dhis2-data-values";

    /// <summary>DHIS2 complete data set registrations (to Delivery:CompletenessEndpoint).</summary>
    public const string Dhis2Registrations = "dhis2-registrations";
}

/// <summary>A consolidated report's payload ready to be recorded (and sent) if its figures changed.</summary>
public sealed record ReportDraft(string Tenant, string ProgrammeId, string UnitCode, string Period, string ContentHash, string ContentType, byte[] Content, string Payload = Payloads.Adx);

/// <summary>One report in the outbox, as the sender claims it.</summary>
public sealed record OutboxItem(long Id, string IdempotencyKey, int Attempts, string ContentType, byte[] Content, int Revision, string Payload = Payloads.Adx);

/// <summary>A delivery as operators see it.</summary>
public sealed record DeliveryRow(
    string IdempotencyKey,
    string ProgrammeId,
    string UnitCode,
    string Period,
    int Revision,
    string Payload,
    string State,
    int Attempts,
    DateTimeOffset CreatedAt,
    DateTimeOffset? NextAttemptAt,
    DateTimeOffset? SentAt,
    string? LastError);

/// <summary>
/// Reports to the ministry and their outbox in PostgreSQL (the server's MinistryReports records
/// them, its OutboxSender sends them). A new revision and its outbox row commit together, so a
/// report is never decided on without being queued, nor queued twice.
/// </summary>
public sealed class ReportStore(NpgsqlDataSource dataSource)
{
    /// <summary>Records the draft as a new revision, with its outbox row, unless the latest revision has the same figures.</summary>
    public async Task<bool> RecordIfChangedAsync(ReportDraft draft, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(draft);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        // ADX keeps the identity (and idempotency keys) it had before payloads existed.
        var identity = $"{draft.Tenant}|{draft.ProgrammeId}|{draft.UnitCode}|{draft.Period}" + (draft.Payload == Payloads.Adx ? "" : $"|{draft.Payload}");
        await using (var lockCommand = new NpgsqlCommand("SELECT pg_advisory_xact_lock(hashtextextended(@k, 0))", connection, transaction))
        {
            lockCommand.Parameters.AddWithValue("k", identity);
            await lockCommand.ExecuteNonQueryAsync(cancellationToken);
        }

        var revision = 0;
        string? hash = null;
        await using (var latest = new NpgsqlCommand("SELECT revision, content_hash FROM ministry_reports WHERE tenant_id = @t AND programme_id = @p AND unit_code = @u AND period = @d AND payload = @payload ORDER BY revision DESC LIMIT 1", connection, transaction))
        {
            Bind(latest, draft);
            await using var reader = await latest.ExecuteReaderAsync(cancellationToken);
            if (await reader.ReadAsync(cancellationToken))
            {
                revision = reader.GetInt32(0);
                hash = reader.GetString(1);
            }
        }

        if (hash == draft.ContentHash)
        {
            return false;
        }

        revision++;
        await using (var insert = new NpgsqlCommand(
            """
            WITH report AS (
                INSERT INTO ministry_reports (tenant_id, programme_id, unit_code, period, payload, revision, content_hash, content_type, content)
                VALUES (@t, @p, @u, @d, @payload, @r, @h, @ct, @c) RETURNING report_id)
            INSERT INTO delivery_outbox (report_id, idempotency_key, state) SELECT report_id, @key, 'pending' FROM report
            """,
            connection,
            transaction))
        {
            Bind(insert, draft);
            insert.Parameters.AddWithValue("r", revision);
            insert.Parameters.AddWithValue("h", draft.ContentHash);
            insert.Parameters.AddWithValue("ct", draft.ContentType);
            insert.Parameters.AddWithValue("c", draft.Content);
            insert.Parameters.AddWithValue("key", $"{identity.Replace('|', ':')}:r{revision}");
            await insert.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        return true;
    }

    /// <summary>
    /// Claims up to <paramref name="max"/> due reports for <paramref name="lease"/>: another sender
    /// (another silo) skips them until then, and a sender that dies mid-way releases them by expiry.
    /// </summary>
    public async Task<IReadOnlyList<OutboxItem>> ClaimDueAsync(int max, TimeSpan lease, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            """
            UPDATE delivery_outbox o SET next_attempt_at = now() + @lease, attempts = o.attempts + 1
            FROM (SELECT outbox_id FROM delivery_outbox WHERE state = 'pending' AND next_attempt_at <= now()
                  ORDER BY outbox_id LIMIT @max FOR UPDATE SKIP LOCKED) due, ministry_reports r
            WHERE o.outbox_id = due.outbox_id AND r.report_id = o.report_id
            RETURNING o.outbox_id, o.idempotency_key, o.attempts, r.content_type, r.content, r.revision, r.payload
            """);
        command.Parameters.AddWithValue("lease", lease);
        command.Parameters.AddWithValue("max", max);
        var items = new List<OutboxItem>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            items.Add(new OutboxItem(reader.GetInt64(0), reader.GetString(1), reader.GetInt32(2), reader.GetString(3), (byte[])reader[4], reader.GetInt32(5), reader.GetString(6)));
        }

        return items;
    }

    /// <summary>Reports waiting in the outbox (pending) and refused for good (failed, until re-sent), across tenants.</summary>
    public async Task<(long Pending, long Failed)> CountOutboxAsync(CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            "SELECT count(*) FILTER (WHERE state = 'pending'), count(*) FILTER (WHERE state = 'failed') FROM delivery_outbox WHERE state IN ('pending', 'failed')");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return (reader.GetInt64(0), reader.GetInt64(1));
    }

    public Task MarkSentAsync(long id, CancellationToken cancellationToken) =>
        ExecuteAsync("UPDATE delivery_outbox SET state = 'sent', sent_at = now(), last_error = NULL WHERE outbox_id = @id", id, null, null, cancellationToken);

    public Task MarkRetryAsync(long id, string error, TimeSpan after, CancellationToken cancellationToken) =>
        ExecuteAsync("UPDATE delivery_outbox SET last_error = @e, next_attempt_at = now() + @after WHERE outbox_id = @id", id, error, after, cancellationToken);

    public Task MarkFailedAsync(long id, string error, CancellationToken cancellationToken) =>
        ExecuteAsync("UPDATE delivery_outbox SET state = 'failed', last_error = @e WHERE outbox_id = @id", id, error, null, cancellationToken);

    public async Task<IReadOnlyList<DeliveryRow>> ListAsync(string tenant, int limit, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            """
            SELECT o.idempotency_key, r.programme_id, r.unit_code, r.period, r.revision, r.payload, o.state, o.attempts, o.created_at,
                   CASE WHEN o.state = 'pending' THEN o.next_attempt_at END, o.sent_at, o.last_error
            FROM delivery_outbox o JOIN ministry_reports r USING (report_id)
            WHERE r.tenant_id = @t ORDER BY o.outbox_id DESC LIMIT @n
            """);
        command.Parameters.AddWithValue("t", tenant);
        command.Parameters.AddWithValue("n", limit);
        var rows = new List<DeliveryRow>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            DateTimeOffset? At(int i) => reader.IsDBNull(i) ? null : new DateTimeOffset(reader.GetDateTime(i), TimeSpan.Zero);
            rows.Add(new DeliveryRow(
                reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetInt32(4), reader.GetString(5), reader.GetString(6), reader.GetInt32(7),
                new DateTimeOffset(reader.GetDateTime(8), TimeSpan.Zero), At(9), At(10), reader.IsDBNull(11) ? null : reader.GetString(11)));
        }

        return rows;
    }

    /// <summary>Puts a delivery of the tenant back in the queue, due now (same idempotency key). False when the tenant has no such delivery.</summary>
    public async Task<bool> ResendAsync(string tenant, string idempotencyKey, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            """
            UPDATE delivery_outbox o SET state = 'pending', next_attempt_at = now(), last_error = NULL
            FROM ministry_reports r WHERE r.report_id = o.report_id AND r.tenant_id = @t AND o.idempotency_key = @k
            """);
        command.Parameters.AddWithValue("t", tenant);
        command.Parameters.AddWithValue("k", idempotencyKey);
        return await command.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    private static void Bind(NpgsqlCommand command, ReportDraft draft)
    {
        command.Parameters.AddWithValue("t", draft.Tenant);
        command.Parameters.AddWithValue("p", draft.ProgrammeId);
        command.Parameters.AddWithValue("u", draft.UnitCode);
        command.Parameters.AddWithValue("d", draft.Period);
        command.Parameters.AddWithValue("payload", draft.Payload);
    }

    private async Task ExecuteAsync(string sql, long id, string? error, TimeSpan? after, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(sql);
        command.Parameters.AddWithValue("id", id);
        if (error is not null)
        {
            command.Parameters.AddWithValue("e", error.Length > 1000 ? error[..1000] : error);
        }

        if (after is { } delay)
        {
            command.Parameters.AddWithValue("after", delay);
        }

        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
