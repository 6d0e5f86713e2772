using System.Collections.Immutable;
using Aggregation.Periods;
using Aggregation.Rollup;
using Aggregation.Storage;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace Aggregation.IntegrationTests;

/// <summary>
/// A database that held reports before the ledger carried its audit records (schema 007): its old
/// rows keep answering reads and audit queries with the same records and ids, and reports accepted
/// after the upgrade follow them with higher ids, so an auditor paging with AfterId misses nothing.
/// </summary>
public sealed class LedgerAuditMigrationTests
{
    private const string Tenant = "tenant-a";
    private static readonly Submitter Officer = new("commune-05446-system", "client-certificate", "10.0.0.7:50000");

    [Fact]
    public async Task Records_written_before_the_upgrade_answer_the_same_queries_and_new_ones_follow_them()
    {
        var db = await TestPostgres.CreateDatabaseAsync();
        await MigrateUpToAsync(db, "006_approvals");
        await using var dataSource = NpgsqlDataSource.Create(db);
        var trail = new PostgresAuditTrail(dataSource);

        // As the ledger wrote before: a jsonb row per report and its records in audit_trail; a rejection beside them.
        await WriteOldReportAsync(dataSource, "old-1", 1, "complaints_received", null, "2");
        await WriteOldReportAsync(dataSource, "old-2", 2, "complaints_received", "2", "3");
        await trail.RecordAsync([Record("old-3", null, AuditAction.Rejected, null, null) with { Reason = "values[0].number: must not be negative" }]);
        var before = await ReadAuditTrailAsync(db);

        var applied = await DatabaseMigrator.MigrateAsync(db, NullLogger.Instance);
        Assert.Equal("007_ledger_audit", applied[0]);

        // The old records answer as they did, same ids and fields, whatever the filter.
        Assert.Equal(before, await trail.QueryAsync(new AuditQuery(Tenant)));
        Assert.Equal(before.Where(r => r.DataElement == "complaints_received"), await trail.QueryAsync(new AuditQuery(Tenant, DataElement: "complaints_received")));
        Assert.Equal(before.Where(r => r.Action == AuditAction.Corrected), await trail.QueryAsync(new AuditQuery(Tenant, Subject: Officer.Subject, Action: AuditAction.Corrected)));

        // Reports accepted after the upgrade, and a rejection, come after every old record.
        await using var ledger = new PostgresReportLedger(dataSource, NullLogger<PostgresReportLedger>.Instance);
        ledger.Start();
        var report = Report("new-1", ("complaints_received", 4), ("workers_reached", 7));
        var audit = new List<AuditRecord>
        {
            Record("new-1", "complaints_received", AuditAction.Corrected, "3", "4"),
            Record("new-1", "workers_reached", AuditAction.Accepted, null, "7"),
        };
        Assert.Equal([LedgerOutcome.Inserted], await ledger.AppendAsync([new LedgerEntry(Tenant, "05446", 3, "hash-new-1", report, audit)]));
        await trail.RecordAsync([Record("new-2", null, AuditAction.Rejected, null, null) with { Reason = "unknown data element" }]);

        var all = await trail.QueryAsync(new AuditQuery(Tenant));
        Assert.Equal(before, all.Take(before.Count));
        Assert.Equal(
            [("new-1", "complaints_received", AuditAction.Corrected, "3", "4"), ("new-1", "workers_reached", AuditAction.Accepted, null, "7"), ("new-2", null, AuditAction.Rejected, null, null)],
            all.Skip(before.Count).Select(r => (r.IdempotencyKey, r.DataElement, r.Action, r.OldValue, r.NewValue)));
        Assert.True(all.Zip(all.Skip(1)).All(p => p.First.Id < p.Second.Id), "ids increase in recording order");
        Assert.All(all.Skip(before.Count).Take(2), r => Assert.Equal(Officer, r.Submitter));

        // Paging from the last old record gives exactly the new ones; a page of one walks them in order.
        Assert.Equal(all.Skip(before.Count), await trail.QueryAsync(new AuditQuery(Tenant, AfterId: before[^1].Id)));
        var walked = new List<AuditRecord>();
        for (var page = await trail.QueryAsync(new AuditQuery(Tenant, Limit: 1)); page.Count > 0; page = await trail.QueryAsync(new AuditQuery(Tenant, AfterId: page[^1].Id, Limit: 1)))
        {
            walked.AddRange(page);
        }

        Assert.Equal(all, walked);
        Assert.Equal(
            [("old-1", AuditAction.Accepted), ("old-2", AuditAction.Corrected), ("new-1", AuditAction.Corrected)],
            (await trail.QueryAsync(new AuditQuery(Tenant, UnitCode: "05446", DataElement: "complaints_received"))).Select(r => (r.IdempotencyKey, r.Action)));

        // The old rows still replay with their values, and their keys still make a retry a duplicate.
        var replayed = new List<LedgerEntry>();
        await foreach (var entry in ledger.ReadUnitAsync(Tenant, "05446", 0))
        {
            replayed.Add(entry);
        }

        Assert.Equal([("old-1", 2L), ("old-2", 3L), ("new-1", 4L)], replayed.Select(e => (e.Report.IdempotencyKey, e.Report.Values[0].Number)));
        Assert.Equal([LedgerOutcome.Duplicate], await ledger.AppendAsync([new LedgerEntry(Tenant, "05446", 4, "hash-old-2", Report("old-2", ("complaints_received", 3)))]));
    }

    [Fact]
    public async Task An_accepted_report_adds_no_audit_trail_row_and_its_records_come_from_the_ledger_row()
    {
        var db = await TestPostgres.CreateDatabaseAsync();
        await DatabaseMigrator.MigrateAsync(db, NullLogger.Instance);
        await using var dataSource = NpgsqlDataSource.Create(db);
        await using var ledger = new PostgresReportLedger(dataSource, NullLogger<PostgresReportLedger>.Instance);
        ledger.Start();

        var audit = new List<AuditRecord>
        {
            Record("k-1", "complaints_received", AuditAction.Accepted, null, "4"),
            Record("k-1", "workers_reached", AuditAction.Superseded, null, "7") with { Reason = "a report with a later reported_at holds this value" },
        };
        await ledger.AppendAsync([new LedgerEntry(Tenant, "05446", 1, "hash-k-1", Report("k-1", ("complaints_received", 4), ("workers_reached", 7)), audit)]);

        await using var connection = await dataSource.OpenConnectionAsync();
        await using var count = new NpgsqlCommand("SELECT (SELECT count(*) FROM audit_trail), (SELECT count(*) FROM report_ledger WHERE audit_detail IS NOT NULL)", connection);
        await using (var reader = await count.ExecuteReaderAsync())
        {
            await reader.ReadAsync();
            Assert.Equal((0L, 1L), (reader.GetInt64(0), reader.GetInt64(1)));
        }

        var records = await new PostgresAuditTrail(dataSource).QueryAsync(new AuditQuery(Tenant));
        Assert.Equal(audit, records.Select(r => r with { Id = 0, RecordedAt = default }));
    }

    [Fact]
    public async Task Records_the_row_cannot_carry_are_kept_whole_in_audit_trail()
    {
        var db = await TestPostgres.CreateDatabaseAsync();
        await DatabaseMigrator.MigrateAsync(db, NullLogger.Instance);
        await using var dataSource = NpgsqlDataSource.Create(db);
        await using var ledger = new PostgresReportLedger(dataSource, NullLogger<PostgresReportLedger>.Instance);
        ledger.Start();

        // An empty text and the row's own separators cannot be told apart from NULL and from the next field.
        var audit = new List<AuditRecord>
        {
            Record("k-2", "complaints_received", AuditAction.Accepted, null, "4\u001f5") with { Reason = "" },
            Record("k-2", "workers_reached", AuditAction.Accepted, null, "7"),
        };
        await ledger.AppendAsync([new LedgerEntry(Tenant, "05446", 1, "hash-k-2", Report("k-2", ("complaints_received", 4), ("workers_reached", 7)), audit)]);

        var records = await new PostgresAuditTrail(dataSource).QueryAsync(new AuditQuery(Tenant));
        Assert.Equal(audit, records.Select(r => r with { Id = 0, RecordedAt = default }));
    }

    private static async Task MigrateUpToAsync(string db, string last)
    {
        var directory = Directory.CreateTempSubdirectory("schema-").FullName;
        try
        {
            foreach (var script in Directory.GetFiles(DatabaseMigrator.DefaultScriptDirectory, "*.sql").Where(f => string.CompareOrdinal(Path.GetFileNameWithoutExtension(f), last) <= 0))
            {
                File.Copy(script, Path.Combine(directory, Path.GetFileName(script)));
            }

            await DatabaseMigrator.MigrateAsync(db, NullLogger.Instance, directory);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    private static async Task WriteOldReportAsync(NpgsqlDataSource dataSource, string key, long seq, string element, string? old, string value)
    {
        await using var connection = await dataSource.OpenConnectionAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        await using (var insert = new NpgsqlCommand("""
            INSERT INTO report_ledger (tenant_id, idempotency_key, payload_hash, unit_code, unit_seq, programme_id, period, reported_at, source_system, report_values)
            VALUES (@tenant, @key, @hash, '05446', @seq, 'pl', '2025-04', '2025-05-02T08:00:00Z', 'commune-app', @values::jsonb)
            """, connection, transaction))
        {
            insert.Parameters.AddWithValue("tenant", Tenant);
            insert.Parameters.AddWithValue("key", key);
            insert.Parameters.AddWithValue("hash", "hash-" + key);
            insert.Parameters.AddWithValue("seq", seq);
            insert.Parameters.AddWithValue("values", $$"""[{"e": "{{element}}", "k": 0, "n": {{value}}}]""");
            await insert.ExecuteNonQueryAsync();
        }

        await PostgresAuditTrail.InsertAsync(connection, transaction, [Record(key, element, old is null ? AuditAction.Accepted : AuditAction.Corrected, old, value)]);
        await transaction.CommitAsync();
    }

    /// <summary>What the audit query read before the upgrade: audit_trail, oldest first.</summary>
    private static async Task<List<AuditRecord>> ReadAuditTrailAsync(string db)
    {
        await using var connection = new NpgsqlConnection(db);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT audit_id, recorded_at, idempotency_key, data_element, action, old_value, new_value, reason, subject, authenticated_by, peer FROM audit_trail ORDER BY audit_id", connection);
        await using var reader = await command.ExecuteReaderAsync();
        var records = new List<AuditRecord>();
        while (await reader.ReadAsync())
        {
            string? Text(int i) => reader.IsDBNull(i) ? null : reader.GetString(i);
            records.Add(new AuditRecord(
                Tenant, new Submitter(reader.GetString(8), reader.GetString(9), reader.GetString(10)), "commune-app", reader.GetString(2), "05446", "pl", "2025-04",
                Text(3), (AuditAction)reader.GetInt16(4), Text(5), Text(6), Text(7), reader.GetInt64(0), new DateTimeOffset(reader.GetDateTime(1), TimeSpan.Zero)));
        }

        return records;
    }

    private static ReportCommand Report(string key, params (string Element, long Number)[] values) => new(
        key, "pl", Period.Month(2025, 4), new DateTimeOffset(2025, 5, 2, 8, 0, 0, TimeSpan.Zero),
        [.. values.Select(v => new ValueCommand(v.Element, ValueKind.Number, v.Number, ImmutableArray<string>.Empty))], "commune-app");

    private static AuditRecord Record(string key, string? element, AuditAction action, string? old, string? value) =>
        new(Tenant, Officer, "commune-app", key, "05446", "pl", "2025-04", element, action, old, value, null);
}
