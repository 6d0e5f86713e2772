using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Aggregation.Periods;
using Aggregation.Rollup;
using Aggregation.Telemetry;
using Microsoft.Extensions.Logging;
using Npgsql;
using NpgsqlTypes;

namespace Aggregation.Storage;

/// <summary>
/// The ledger in PostgreSQL with group commit: appends from every grain of the silo queue up and
/// are written together, one transaction (synchronous_commit on) per round, so durability costs
/// one fsync per round rather than per report. A row carries its report's values
/// (<see cref="LedgerValues"/>) and audit records (<see cref="LedgerAudit"/>). A caller's task completes only after the
/// round holding its rows has committed. The writers run from <see cref="Start"/> (once the
/// database is up) to <see cref="StopAsync"/> (before it goes down), which the host calls.
/// </summary>
public sealed partial class PostgresReportLedger : IReportLedger, IAsyncDisposable
{
    private const int MaxRowsPerRound = 2000;
    private const int Writers = 2;

    /// <summary>
    /// A writer's staging table: one round's rows, gone at commit (or rollback). Temporary, so it
    /// writes no WAL; created once per writer connection.
    /// </summary>
    private const string StagingSql = """
        CREATE TEMPORARY TABLE IF NOT EXISTS ledger_round (
            ord int, tenant_id text, idempotency_key text, payload_hash text, unit_code text, unit_seq bigint,
            programme_id text, period text, reported_at timestamptz, received_at timestamptz, source_system text,
            report_values text, subject text, authenticated_by text, peer text, audit_detail text
        ) ON COMMIT DELETE ROWS
        """;

    private const string CopySql = """
        COPY ledger_round (ord, tenant_id, idempotency_key, payload_hash, unit_code, unit_seq, programme_id, period, reported_at, received_at,
            source_system, report_values, subject, authenticated_by, peer, audit_detail) FROM STDIN (FORMAT BINARY)
        """;

    private const string InsertSql = """
        INSERT INTO report_ledger (tenant_id, idempotency_key, payload_hash, unit_code, unit_seq, programme_id, period, reported_at, recorded_at,
            source_system, report_values, subject, authenticated_by, peer, audit_detail)
        SELECT tenant_id, idempotency_key, payload_hash, unit_code, unit_seq, programme_id, period, reported_at, coalesce(received_at, now()),
            source_system, report_values, subject, authenticated_by, peer, audit_detail
        FROM ledger_round ORDER BY ord
        ON CONFLICT (tenant_id, idempotency_key) DO NOTHING
        RETURNING tenant_id, idempotency_key
        """;

    /// <summary>The unique index on (tenant_id, unit_code, unit_seq): a clash means another activation of the unit wrote first.</summary>
    private const string UnitSeqIndex = "report_ledger_unit_seq";

    /// <summary>How often a round is written again without the rows whose sequence was taken before it gives up.</summary>
    private const int SequenceClashRetries = 3;

    private const string TakenSql = """
        SELECT l.tenant_id, l.unit_code, l.unit_seq
        FROM report_ledger l
        JOIN unnest(@tenant, @unit, @seq) AS s(tenant_id, unit_code, unit_seq) USING (tenant_id, unit_code, unit_seq)
        """;

    private const string ExistingSql = """
        SELECT l.tenant_id, l.idempotency_key, l.payload_hash
        FROM report_ledger l
        JOIN unnest(@tenant, @key) AS k(tenant_id, idempotency_key) USING (tenant_id, idempotency_key)
        """;

    private const string SelectColumns = "tenant_id, unit_code, unit_seq, payload_hash, idempotency_key, programme_id, period, reported_at, source_system, report_values::text, recorded_at";

    private readonly NpgsqlDataSource _dataSource;
    private readonly ILogger<PostgresReportLedger> _logger;
    private readonly StorageAvailability? _availability;
    private readonly Channel<Pending> _queue = Channel.CreateUnbounded<Pending>(new UnboundedChannelOptions { SingleWriter = false });
    private readonly Lock _lifecycle = new();
    private Task[] _writers = [];

    public PostgresReportLedger(NpgsqlDataSource dataSource, ILogger<PostgresReportLedger> logger, StorageAvailability? availability = null)
    {
        _dataSource = dataSource;
        _logger = logger;
        _availability = availability;
    }

    /// <summary>Starts the writers; appends made before wait in the queue until then.</summary>
    public void Start()
    {
        lock (_lifecycle)
        {
            if (_writers.Length == 0)
            {
                _writers = Enumerable.Range(0, Writers).Select(_ => Task.Run(WriteLoopAsync)).ToArray();
            }
        }
    }

    /// <summary>
    /// Refuses further appends and waits until every queued one is committed or failed, so no
    /// caller is left without an answer; the host calls it before it stops PostgreSQL.
    /// </summary>
    public async Task StopAsync()
    {
        Task[] writers;
        lock (_lifecycle)
        {
            _queue.Writer.TryComplete();
            writers = _writers;
        }

        if (writers.Length == 0)
        {
            // Never started: nothing will write what is queued.
            while (_queue.Reader.TryRead(out var pending))
            {
                pending.Done.TrySetException(new LedgerUnavailableException("The ledger is shutting down."));
            }
        }

        await Task.WhenAll(writers);
    }

    public Task<LedgerOutcome[]> AppendAsync(IReadOnlyList<LedgerEntry> entries, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(entries);
        if (entries.Count == 0)
        {
            return Task.FromResult(Array.Empty<LedgerOutcome>());
        }

        // Not cancellable once queued: the caller must learn whether its rows were committed.
        var pending = new Pending(entries, new TaskCompletionSource<LedgerOutcome[]>(TaskCreationOptions.RunContinuationsAsynchronously));
        if (!_queue.Writer.TryWrite(pending))
        {
            throw new LedgerUnavailableException("The ledger is shutting down.");
        }

        return pending.Done.Task;
    }

    public async IAsyncEnumerable<LedgerEntry> ReadUnitAsync(string tenant, string unitCode, long afterSeq, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await using var command = _dataSource.CreateCommand($"SELECT {SelectColumns} FROM report_ledger WHERE tenant_id = @t AND unit_code = @u AND unit_seq > @s ORDER BY unit_seq");
        command.Parameters.AddWithValue("t", tenant);
        command.Parameters.AddWithValue("u", unitCode);
        command.Parameters.AddWithValue("s", afterSeq);
        await foreach (var entry in ReadAsync(command, cancellationToken))
        {
            yield return entry;
        }
    }

    public async IAsyncEnumerable<LedgerEntry> ReadUnitsAsync(IReadOnlyList<(string Tenant, string UnitCode, long AfterSeq)> units, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(units);

        // One index range scan per unit on report_ledger_unit_seq (a nested loop over the list):
        // after a shutdown most tails are empty, so this reads what is needed, not the whole ledger.
        await using var command = _dataSource.CreateCommand($"""
            SELECT {SelectColumns}
            FROM unnest(@tenant, @unit, @after) WITH ORDINALITY AS x(t, u, s, n)
            CROSS JOIN LATERAL (SELECT * FROM report_ledger l WHERE l.tenant_id = x.t AND l.unit_code = x.u AND l.unit_seq > x.s) l
            ORDER BY x.n, l.unit_seq
            """);
        command.Parameters.Add(TextArray("tenant", units.Select(u => u.Tenant)));
        command.Parameters.Add(TextArray("unit", units.Select(u => u.UnitCode)));
        command.Parameters.Add(new NpgsqlParameter("after", NpgsqlDbType.Array | NpgsqlDbType.Bigint) { Value = units.Select(u => u.AfterSeq).ToArray() });
        await foreach (var entry in ReadAsync(command, cancellationToken))
        {
            yield return entry;
        }
    }

    public async IAsyncEnumerable<LedgerEntry> ReadTenantAsync(string tenant, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await using var command = _dataSource.CreateCommand($"SELECT {SelectColumns} FROM report_ledger WHERE tenant_id = @t ORDER BY ledger_id");
        command.Parameters.AddWithValue("t", tenant);
        await foreach (var entry in ReadAsync(command, cancellationToken))
        {
            yield return entry;
        }
    }

    public async Task<IReadOnlyDictionary<string, string>> RecordedHashesAsync(string tenant, IReadOnlyCollection<string> keys, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(keys);
        var found = new Dictionary<string, string>(StringComparer.Ordinal);
        if (keys.Count == 0)
        {
            return found;
        }

        try
        {
            await using var command = _dataSource.CreateCommand(ExistingSql);
            command.Parameters.Add(TextArray("tenant", keys.Select(_ => tenant)));
            command.Parameters.Add(TextArray("key", keys));
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                found[reader.GetString(1)] = reader.GetString(2);
            }

            return found;
        }
        catch (Exception ex) when (ex is NpgsqlException or TimeoutException)
        {
            throw new LedgerUnavailableException("The ledger cannot be read: " + ex.Message, ex);
        }
    }

    public async Task<long> LastSeqAsync(string tenant, string unitCode, CancellationToken cancellationToken = default)
    {
        try
        {
            await using var command = _dataSource.CreateCommand("SELECT coalesce(max(unit_seq), 0) FROM report_ledger WHERE tenant_id = @t AND unit_code = @u");
            command.Parameters.AddWithValue("t", tenant);
            command.Parameters.AddWithValue("u", unitCode);
            return (long)(await command.ExecuteScalarAsync(cancellationToken))!;
        }
        catch (Exception ex) when (ex is NpgsqlException or TimeoutException)
        {
            throw new LedgerUnavailableException("The ledger cannot be read: " + ex.Message, ex);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
    }

    private static async IAsyncEnumerable<LedgerEntry> ReadAsync(NpgsqlCommand command, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        NpgsqlDataReader reader;
        try
        {
            reader = await command.ExecuteReaderAsync(cancellationToken);
        }
        catch (Exception ex) when (ex is NpgsqlException or TimeoutException)
        {
            throw new LedgerUnavailableException("The ledger cannot be read: " + ex.Message, ex);
        }

        await using (reader)
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                var report = new ReportCommand(
                    reader.GetString(4),
                    reader.GetString(5),
                    Period.Parse(reader.GetString(6)),
                    new DateTimeOffset(reader.GetDateTime(7), TimeSpan.Zero),
                    LedgerValues.FromStored(reader.GetString(9)),
                    reader.GetString(8),
                    new DateTimeOffset(reader.GetDateTime(10), TimeSpan.Zero));
                yield return new LedgerEntry(reader.GetString(0), reader.GetString(1), reader.GetInt64(2), reader.GetString(3), report);
            }
        }
    }

    private async Task WriteLoopAsync()
    {
        var reader = _queue.Reader;

        // Each writer keeps its connection, and with it its staging table, from round to round;
        // a failed round drops it and the next opens a fresh one.
        NpgsqlConnection? connection = null;
        while (await reader.WaitToReadAsync())
        {
            var round = new List<Pending>();
            var rows = 0;
            while (rows < MaxRowsPerRound && reader.TryRead(out var pending))
            {
                round.Add(pending);
                rows += pending.Entries.Count;
            }

            if (round.Count == 0)
            {
                continue;
            }

            var started = Stopwatch.GetTimestamp();
            try
            {
                connection ??= await OpenWriterAsync();
                var outcomes = await WriteRoundAsync(connection, round.SelectMany(p => p.Entries).ToList());
                AggregationTelemetry.LedgerRoundSize.Record(rows);
                AggregationTelemetry.LedgerCommitDuration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds, new KeyValuePair<string, object?>(AggregationTelemetry.OutcomeTag, "committed"));
                _availability?.ReportSuccess();
                var offset = 0;
                foreach (var p in round)
                {
                    p.Done.TrySetResult(outcomes[offset..(offset + p.Entries.Count)]);
                    offset += p.Entries.Count;
                }
            }
            catch (Exception ex)
            {
                if (StorageAvailability.IsUnreachable(ex))
                {
                    _availability?.ReportDown(ex.Message);
                }

                if (connection is not null)
                {
                    await connection.DisposeAsync();
                    connection = null;
                }

                AggregationTelemetry.LedgerCommitDuration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds, new KeyValuePair<string, object?>(AggregationTelemetry.OutcomeTag, "failed"));
                LogRoundFailed(_logger, ex, rows);
                var failure = new LedgerUnavailableException("The ledger could not be written: " + ex.Message);
                foreach (var p in round)
                {
                    p.Done.TrySetException(failure);
                }
            }
        }

        // The queue is closed and drained: the writer's connection goes back before the database stops.
        if (connection is not null)
        {
            await connection.DisposeAsync();
        }
    }

    /// <summary>
    /// Writes a round. Only the idempotency key is the conflict target, so a row whose unit sequence
    /// is taken fails the statement by the unit_seq index instead of passing for a used key: those
    /// rows are told <see cref="LedgerOutcome.SequenceTaken"/> and the others are written again.
    /// </summary>
    private async Task<LedgerOutcome[]> WriteRoundAsync(NpgsqlConnection connection, List<LedgerEntry> entries)
    {
        var outcomes = new LedgerOutcome[entries.Count];
        var remaining = Enumerable.Range(0, entries.Count).ToList();
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                var written = await InsertRoundAsync(connection, remaining.Select(i => entries[i]).ToList());
                for (var j = 0; j < remaining.Count; j++)
                {
                    outcomes[remaining[j]] = written[j];
                }

                return outcomes;
            }
            catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.UniqueViolation && ex.ConstraintName == UnitSeqIndex && attempt < SequenceClashRetries)
            {
                var taken = await TakenSequencesAsync(remaining.Select(i => entries[i]).ToList());
                LogSequencesTaken(_logger, taken.Count);
                foreach (var j in taken)
                {
                    outcomes[remaining[j]] = LedgerOutcome.SequenceTaken;
                }

                remaining = remaining.Where((_, j) => !taken.Contains(j)).ToList();
                if (remaining.Count == 0)
                {
                    return outcomes;
                }
            }
        }
    }

    /// <summary>Positions of the rows whose (tenant, unit, sequence) is in the ledger already or earlier in the same round.</summary>
    private async Task<HashSet<int>> TakenSequencesAsync(List<LedgerEntry> entries)
    {
        var recorded = new HashSet<(string, string, long)>();
        await using (var command = _dataSource.CreateCommand(TakenSql))
        {
            command.Parameters.Add(TextArray("tenant", entries.Select(e => e.Tenant)));
            command.Parameters.Add(TextArray("unit", entries.Select(e => e.UnitCode)));
            command.Parameters.Add(new NpgsqlParameter("seq", NpgsqlDbType.Array | NpgsqlDbType.Bigint) { Value = entries.Select(e => e.UnitSeq).ToArray() });
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                recorded.Add((reader.GetString(0), reader.GetString(1), reader.GetInt64(2)));
            }
        }

        var taken = new HashSet<int>();
        for (var i = 0; i < entries.Count; i++)
        {
            if (!recorded.Add((entries[i].Tenant, entries[i].UnitCode, entries[i].UnitSeq)))
            {
                taken.Add(i);
            }
        }

        return taken;
    }

    private async Task<NpgsqlConnection> OpenWriterAsync()
    {
        var connection = await _dataSource.OpenConnectionAsync();
        try
        {
            await using var create = new NpgsqlCommand(StagingSql, connection);
            await create.ExecuteNonQueryAsync();
            return connection;
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// Writes a round in one transaction: the rows go by binary COPY into the writer's staging table,
    /// then one INSERT … SELECT … ON CONFLICT moves them into the ledger in round order and says which
    /// keys were new. Against the former multi-row INSERT from unnest() of parameter arrays this
    /// costs PostgreSQL less CPU per row: COPY's binary rows need no array construction and expansion.
    /// </summary>
    private static async Task<LedgerOutcome[]> InsertRoundAsync(NpgsqlConnection connection, List<LedgerEntry> entries)
    {
        var values = entries.Select(e => LedgerValues.ToStored(e.Report.Values)).ToArray();
        var carried = entries.Select((e, i) => LedgerAudit.Carry(e, values[i].Terse)).ToArray();
        await using var transaction = await connection.BeginTransactionAsync();
        await using (var copy = await connection.BeginBinaryImportAsync(CopySql))
        {
            for (var i = 0; i < entries.Count; i++)
            {
                var e = entries[i];
                var report = e.Report;
                await copy.StartRowAsync();
                await copy.WriteAsync(i, NpgsqlDbType.Integer);
                await copy.WriteAsync(e.Tenant, NpgsqlDbType.Text);
                await copy.WriteAsync(report.IdempotencyKey, NpgsqlDbType.Text);
                await copy.WriteAsync(e.PayloadHash, NpgsqlDbType.Text);
                await copy.WriteAsync(e.UnitCode, NpgsqlDbType.Text);
                await copy.WriteAsync(e.UnitSeq, NpgsqlDbType.Bigint);
                await copy.WriteAsync(report.ProgrammeId, NpgsqlDbType.Text);
                await copy.WriteAsync(report.Period.ToString(), NpgsqlDbType.Text);
                await copy.WriteAsync(report.ReportedAt.UtcDateTime, NpgsqlDbType.TimestampTz);

                // When the server received the report (what timeliness is judged by); now() for callers that did not say.
                if (report.ReceivedAt == default)
                {
                    await copy.WriteNullAsync();
                }
                else
                {
                    await copy.WriteAsync(report.ReceivedAt.UtcDateTime, NpgsqlDbType.TimestampTz);
                }

                await copy.WriteAsync(report.Source, NpgsqlDbType.Text);
                await copy.WriteAsync(values[i].Text, NpgsqlDbType.Text);
                await WriteOrNullAsync(copy, carried[i]?.Submitter.Subject, NpgsqlDbType.Text);
                await WriteOrNullAsync(copy, carried[i]?.Submitter.AuthenticatedBy, NpgsqlDbType.Text);
                await WriteOrNullAsync(copy, carried[i]?.Submitter.Peer, NpgsqlDbType.Text);
                await WriteOrNullAsync(copy, carried[i]?.Detail, NpgsqlDbType.Text);
            }

            await copy.CompleteAsync();
        }

        var inserted = new HashSet<(string, string)>();
        await using (var insert = new NpgsqlCommand(InsertSql, connection, transaction))
        await using (var reader = await insert.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                inserted.Add((reader.GetString(0), reader.GetString(1)));
            }
        }

        var outcomes = new LedgerOutcome[entries.Count];
        var others = new List<int>();
        var written = new List<int>();
        var claimed = new HashSet<(string, string)>();
        for (var i = 0; i < entries.Count; i++)
        {
            var key = (entries[i].Tenant, entries[i].Report.IdempotencyKey);
            if (inserted.Contains(key) && claimed.Add(key))
            {
                outcomes[i] = LedgerOutcome.Inserted;
                written.Add(i);
            }
            else
            {
                others.Add(i);
            }
        }

        // A report is in the ledger if and only if its audit records are: duplicates and conflicts,
        // which were not inserted, add none. Records the row cannot carry go to audit_trail.
        var records = written.Where(i => carried[i] is null && entries[i].Audit is not null).SelectMany(i => entries[i].Audit!).ToList();
        if (records.Count > 0)
        {
            await PostgresAuditTrail.InsertAsync(connection, transaction, records);
        }

        await transaction.CommitAsync();

        if (others.Count > 0)
        {
            var hashes = new Dictionary<(string, string), string>();
            await using var existing = new NpgsqlCommand(ExistingSql, connection);
            existing.Parameters.Add(TextArray("tenant", others.Select(i => entries[i].Tenant)));
            existing.Parameters.Add(TextArray("key", others.Select(i => entries[i].Report.IdempotencyKey)));
            await using var reader = await existing.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                hashes[(reader.GetString(0), reader.GetString(1))] = reader.GetString(2);
            }

            foreach (var i in others)
            {
                outcomes[i] = hashes.TryGetValue((entries[i].Tenant, entries[i].Report.IdempotencyKey), out var hash) && entries[i].IsSameReport(hash)
                    ? LedgerOutcome.Duplicate
                    : LedgerOutcome.Conflict;
            }
        }

        return outcomes;
    }

    private static Task WriteOrNullAsync(NpgsqlBinaryImporter copy, string? value, NpgsqlDbType type) =>
        value is null ? copy.WriteNullAsync() : copy.WriteAsync(value, type);

    private static NpgsqlParameter TextArray(string name, IEnumerable<string?> values) =>
        new(name, NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = values.ToArray() };

    private sealed record Pending(IReadOnlyList<LedgerEntry> Entries, TaskCompletionSource<LedgerOutcome[]> Done);

    [LoggerMessage(EventId = 5104, Level = LogLevel.Warning, Message = "A ledger round of {Rows} rows failed; its reports are not acknowledged")]
    private static partial void LogRoundFailed(ILogger logger, Exception exception, int rows);

    [LoggerMessage(EventId = 5105, Level = LogLevel.Warning, Message = "{Count} ledger rows have a unit sequence another writer took first; their units reload")]
    private static partial void LogSequencesTaken(ILogger logger, int count);
}
