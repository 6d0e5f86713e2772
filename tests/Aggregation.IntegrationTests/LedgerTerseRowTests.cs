using System.Collections.Immutable;
using Aggregation.Periods;
using Aggregation.Rollup;
using Aggregation.Storage;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace Aggregation.IntegrationTests;

/// <summary>
/// Since schema 009 a ledger row stores its values in a terse text form and its audit records point
/// at those values instead of repeating them. What a user sees must not change: a unit replays the
/// same values, an auditor reads the same records with the same ids through <c>Audit.QueryAudit</c>
/// and the view <c>audit_records</c>, and rows written in the former form answer as before.
/// </summary>
public sealed class LedgerTerseRowTests
{
    private const string Tenant = "tenant-a";
    private const string Unit = "05446";
    private static readonly Submitter Officer = new("commune-05446-system", "client-certificate", "10.0.0.7:50000");

    [Fact]
    public async Task A_row_written_before_009_replays_and_audits_the_same_after_it()
    {
        var db = await TestPostgres.CreateDatabaseAsync();
        await MigrateUpToAsync(db, "008_checkpoints");
        await using var dataSource = NpgsqlDataSource.Create(db);

        // As schema 007/008's ledger wrote: values as JSON text (compact, and with jsonb's spacing for
        // rows converted by 007) and every audit record with its five fields.
        await WriteRowAsync(dataSource, "old-1", 1, """[{"e":"complaints_received","k":0,"n":4},{"e":"district_plan_adopted","k":1,"n":1},{"e":"establishments_at_risk","k":2,"ids":["est-1","est-2"]}]""",
            Detail(["1", "complaints_received", "", "4", ""], ["1", "district_plan_adopted", "", "yes", ""], ["1", "establishments_at_risk", "", "2: est-1,est-2", ""]));
        await WriteRowAsync(dataSource, "old-2", 2, """[{"e": "complaints_received", "k": 0, "n": 5}, {"e": "workers_reached", "k": 3}]""",
            Detail(["2", "complaints_received", "4", "5", ""], ["3", "workers_reached", "9", "", ""]));
        await WriteRowAsync(dataSource, "old-3", 3, """[{"e":"workers_reached","k":0,"n":7}]""",
            Detail(["4", "workers_reached", "", "7", "a report with a later reported_at holds this value"]));
        var before = await ReadViewAsync(dataSource);
        Assert.Equal(6, before.Count);

        Assert.Equal(["009_ledger_terse_rows"], await DatabaseMigrator.MigrateAsync(db, NullLogger.Instance));

        // Same records, same ids, from the view and from the audit query, filtered or not.
        var trail = new PostgresAuditTrail(dataSource);
        Assert.Equal(before, await ReadViewAsync(dataSource));
        Assert.Equal(before, await trail.QueryAsync(new AuditQuery(Tenant)));
        Assert.Equal(before.Where(r => r.DataElement == "complaints_received"), await trail.QueryAsync(new AuditQuery(Tenant, DataElement: "complaints_received")));
        Assert.Equal(before.Where(r => r.Action == AuditAction.Withdrawn), await trail.QueryAsync(new AuditQuery(Tenant, Action: AuditAction.Withdrawn)));
        Assert.Equal(before.Skip(2), await trail.QueryAsync(new AuditQuery(Tenant, AfterId: before[1].Id)));

        // The old rows replay with their values, and a retry of one is still a duplicate.
        await using var ledger = new PostgresReportLedger(dataSource, NullLogger<PostgresReportLedger>.Instance);
        ledger.Start();
        Assert.Equal(
            [
                ("old-1", "complaints_received", ValueKind.Number, 4L, ""), ("old-1", "district_plan_adopted", ValueKind.Flag, 1L, ""), ("old-1", "establishments_at_risk", ValueKind.Entities, 2L, "est-1,est-2"),
                ("old-2", "complaints_received", ValueKind.Number, 5L, ""), ("old-2", "workers_reached", ValueKind.Withdrawn, 0L, ""),
                ("old-3", "workers_reached", ValueKind.Number, 7L, ""),
            ],
            await ReplayAsync(ledger));
        Assert.Equal([LedgerOutcome.Duplicate, LedgerOutcome.Conflict], await ledger.AppendAsync(
        [
            new LedgerEntry(Tenant, Unit, 4, "hash-old-2", Report("old-2", Number("complaints_received", 5))),
            new LedgerEntry(Tenant, Unit, 5, "hash-other", Report("old-3", Number("workers_reached", 7))),
        ]));
    }

    [Fact]
    public async Task Every_kind_of_value_and_record_reads_back_as_it_was_written()
    {
        var (dataSource, ledger) = await StartLedgerAsync();
        await using var _ = dataSource;
        await using var __ = ledger;

        // Numbers, a flag, entities and a withdrawal; records accepted, corrected (old value),
        // withdrawn (no new value), superseded (a reason, and recorded after the written values, so
        // out of the values' order), and one whose element is not among the values.
        var report = Report(
            "k-1",
            Number("complaints_received", 12),
            Number("workers_reached", 0),
            new ValueCommand("district_plan_adopted", ValueKind.Flag, 1, []),
            new ValueCommand("establishments_at_risk", ValueKind.Entities, 2, ["est-1", "est 2"]),
            new ValueCommand("students_reached", ValueKind.Withdrawn, 0, []),
            Number("press_publications", 3),
            Number("crime_cases_handled", -1),
            new ValueCommand("establishments_inspected", ValueKind.Entities, 2, ["est-9", "est-3"]),
            new ValueCommand("district_programme_integrated", ValueKind.Flag, 2, []));
        List<AuditRecord> audit =
        [
            Record("k-1", "complaints_received", AuditAction.Corrected, "10", "12"),
            Record("k-1", "district_plan_adopted", AuditAction.Accepted, null, "yes"),
            Record("k-1", "establishments_at_risk", AuditAction.Accepted, null, "2: est-1,est 2"),
            Record("k-1", "students_reached", AuditAction.Withdrawn, "5", null),
            Record("k-1", "press_publications", AuditAction.Accepted, null, "3"),
            Record("k-1", "crime_cases_handled", AuditAction.Accepted, null, "-1"),
            // Described otherwise than the value as sent (ids in another order): the record keeps its own text.
            Record("k-1", "establishments_inspected", AuditAction.Accepted, null, "2: est-3,est-9"),
            Record("k-1", "district_programme_integrated", AuditAction.Corrected, "no", "yes"),
            Record("k-1", "workers_reached", AuditAction.Superseded, null, "0") with { Reason = "a report with a later reported_at holds this value" },
            Record("k-1", "pilot_models", AuditAction.Accepted, "1", "2"),
        ];
        Assert.Equal([LedgerOutcome.Inserted], await ledger.AppendAsync([new LedgerEntry(Tenant, Unit, 1, "hash-k-1", report, audit)]));

        var trail = new PostgresAuditTrail(dataSource);
        var read = await trail.QueryAsync(new AuditQuery(Tenant));
        Assert.Equal(audit, read.Select(r => r with { Id = 0, RecordedAt = default }));
        Assert.Equal(read, await ReadViewAsync(dataSource));
        Assert.Equal(read.Where(r => r.DataElement == "workers_reached"), await trail.QueryAsync(new AuditQuery(Tenant, DataElement: "workers_reached")));
        Assert.Equal(read.Where(r => r.Action == AuditAction.Accepted), await trail.QueryAsync(new AuditQuery(Tenant, Action: AuditAction.Accepted)));
        Assert.Equal(read.Skip(5), await trail.QueryAsync(new AuditQuery(Tenant, AfterId: read[4].Id)));

        Assert.Equal(report.Values.Select(Shape), (await ReplayAsync(ledger)).Select(v => (v.Element, v.Kind, v.Number, v.Entities)));
    }

    [Fact]
    public async Task An_accepted_report_does_not_store_its_elements_and_numbers_twice()
    {
        var (dataSource, ledger) = await StartLedgerAsync();
        await using var _ = dataSource;
        await using var __ = ledger;

        var report = Report("k-2", Number("complaints_received", 4), Number("workers_reached", 7), Number("press_publications", 1));
        List<AuditRecord> audit = [.. report.Values.Select(v => Record("k-2", v.Element, AuditAction.Accepted, null, v.Number.ToString(System.Globalization.CultureInfo.InvariantCulture)))];
        await ledger.AppendAsync([new LedgerEntry(Tenant, Unit, 1, "hash-k-2", report, audit)]);

        await using var command = dataSource.CreateCommand("SELECT report_values, audit_detail FROM report_ledger");
        await using var reader = await command.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        var (values, detail) = (reader.GetString(0), reader.GetString(1));
        Assert.All(report.Values, v => Assert.Contains(v.Element, values, StringComparison.Ordinal));
        Assert.All(report.Values, v => Assert.DoesNotContain(v.Element, detail, StringComparison.Ordinal));
        // Beyond its element, a small number costs a few characters (JSON spent about 20 more).
        Assert.True(values.Length <= report.Values.Sum(v => v.Element.Length + 3), $"values stored in {values.Length} characters: {values}");
    }

    [Fact]
    public async Task Values_the_terse_form_cannot_hold_are_stored_whole_and_read_back_the_same()
    {
        var (dataSource, ledger) = await StartLedgerAsync();
        await using var _ = dataSource;
        await using var __ = ledger;

        // An entity id with the form's own separator, and an element that begins like JSON.
        var report = Report(
            "k-3",
            new ValueCommand("[odd]", ValueKind.Number, 4, []),
            new ValueCommand("establishments_at_risk", ValueKind.Entities, 1, ["est\u001e1"]));
        List<AuditRecord> audit =
        [
            Record("k-3", "[odd]", AuditAction.Accepted, null, "4"),
            Record("k-3", "establishments_at_risk", AuditAction.Accepted, null, "1"),
        ];
        await ledger.AppendAsync([new LedgerEntry(Tenant, Unit, 1, "hash-k-3", report, audit)]);

        Assert.Equal(audit, (await new PostgresAuditTrail(dataSource).QueryAsync(new AuditQuery(Tenant))).Select(r => r with { Id = 0, RecordedAt = default }));
        Assert.Equal(report.Values.Select(Shape), (await ReplayAsync(ledger)).Select(v => (v.Element, v.Kind, v.Number, v.Entities)));
    }

    private static async Task<(NpgsqlDataSource, PostgresReportLedger)> StartLedgerAsync()
    {
        var db = await TestPostgres.CreateDatabaseAsync();
        await DatabaseMigrator.MigrateAsync(db, NullLogger.Instance);
        var dataSource = NpgsqlDataSource.Create(db);
        var ledger = new PostgresReportLedger(dataSource, NullLogger<PostgresReportLedger>.Instance);
        ledger.Start();
        return (dataSource, ledger);
    }

    private static (string, ValueKind, long, string) Shape(ValueCommand v) => (v.Element, v.Kind, v.Number, string.Join(",", v.Entities));

    private static async Task<List<(string Key, string Element, ValueKind Kind, long Number, string Entities)>> ReplayAsync(PostgresReportLedger ledger)
    {
        var values = new List<(string, string, ValueKind, long, string)>();
        await foreach (var entry in ledger.ReadUnitAsync(Tenant, Unit, 0))
        {
            values.AddRange(entry.Report.Values.Select(v => (entry.Report.IdempotencyKey, v.Element, v.Kind, v.Number, string.Join(",", v.Entities))));
        }

        return values;
    }

    private static string Detail(params string[][] records) => string.Join('\u001e', records.Select(f => string.Join('\u001f', f)));

    private static async Task WriteRowAsync(NpgsqlDataSource dataSource, string key, long seq, string values, string detail)
    {
        await using var insert = dataSource.CreateCommand("""
            INSERT INTO report_ledger (tenant_id, idempotency_key, payload_hash, unit_code, unit_seq, programme_id, period, reported_at, source_system, report_values,
                subject, authenticated_by, peer, audit_detail)
            VALUES (@tenant, @key, @hash, @unit, @seq, 'pl', '2025-04', '2025-05-02T08:00:00Z', 'commune-app', @values, @subject, @via, @peer, @detail)
            """);
        insert.Parameters.AddWithValue("tenant", Tenant);
        insert.Parameters.AddWithValue("key", key);
        insert.Parameters.AddWithValue("hash", "hash-" + key);
        insert.Parameters.AddWithValue("unit", Unit);
        insert.Parameters.AddWithValue("seq", seq);
        insert.Parameters.AddWithValue("values", values);
        insert.Parameters.AddWithValue("subject", Officer.Subject);
        insert.Parameters.AddWithValue("via", Officer.AuthenticatedBy);
        insert.Parameters.AddWithValue("peer", Officer.Peer);
        insert.Parameters.AddWithValue("detail", detail);
        await insert.ExecuteNonQueryAsync();
    }

    /// <summary>The ledger's records as the view audit_records gives them, oldest first.</summary>
    private static async Task<List<AuditRecord>> ReadViewAsync(NpgsqlDataSource dataSource)
    {
        await using var command = dataSource.CreateCommand("""
            SELECT audit_id, recorded_at, tenant_id, subject, authenticated_by, peer, source_system, idempotency_key, unit_code, programme_id, period,
                   data_element, action, old_value, new_value, reason
            FROM audit_records ORDER BY audit_id
            """);
        await using var reader = await command.ExecuteReaderAsync();
        var records = new List<AuditRecord>();
        while (await reader.ReadAsync())
        {
            string? Text(int i) => reader.IsDBNull(i) ? null : reader.GetString(i);
            records.Add(new AuditRecord(
                reader.GetString(2), new Submitter(reader.GetString(3), reader.GetString(4), reader.GetString(5)), reader.GetString(6), reader.GetString(7),
                reader.GetString(8), reader.GetString(9), reader.GetString(10), Text(11), (AuditAction)reader.GetInt16(12), Text(13), Text(14), Text(15),
                reader.GetInt64(0), new DateTimeOffset(reader.GetDateTime(1), TimeSpan.Zero)));
        }

        return records;
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

    private static ValueCommand Number(string element, long number) => new(element, ValueKind.Number, number, []);

    private static ReportCommand Report(string key, params ValueCommand[] values) => new(
        key, "pl", Period.Month(2025, 4), new DateTimeOffset(2025, 5, 2, 8, 0, 0, TimeSpan.Zero), [.. values], "commune-app");

    private static AuditRecord Record(string key, string? element, AuditAction action, string? old, string? value) =>
        new(Tenant, Officer, "commune-app", key, Unit, "pl", "2025-04", element, action, old, value, null);
}
