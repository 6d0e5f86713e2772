using Aggregation.Protos.V1;
using Aggregation.Server.Hosting;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Npgsql;

namespace Aggregation.IntegrationTests;

/// <summary>
/// The reminder-driven 6-monthly and annual reports, with the reporting calendar on a fake clock:
/// each appears once its period has closed and the grace period passed (a period without data makes
/// none), a late correction makes a revision, unchanged figures make none, and the schedule outlives
/// a restart of the silo.
/// </summary>
public sealed class ScheduledReportTests
{
    [Fact]
    public async Task Half_year_and_year_reports_appear_after_their_grace_period_are_revised_on_correction_and_survive_a_restart()
    {
        var db = await TestPostgres.CreateDatabaseAsync();
        var clock = new FakeTimeProvider(new DateTimeOffset(2025, 7, 10, 8, 0, 0, TimeSpan.Zero));

        await using (var first = await ServerWithClock.StartAsync(db, clock))
        {
            // 2021-2024 are due, but nothing was reported for them: a reporting check queues no document.
            var reporting = new Protos.V1.Reporting.ReportingClient(first.Channel);
            Assert.Equal(0, (await reporting.ProduceReportsAsync(new ProduceReportsRequest())).Produced);
            Assert.Empty(await ReportsAsync(db));
            Assert.Empty((await reporting.ListDeliveriesAsync(new ListDeliveriesRequest { Limit = 1000 })).Deliveries);

            // A late report for May 2024: the first half and the year of 2024 now have data.
            await new Ingestion.IngestionClient(first.Channel).SubmitReportAsync(Report("05443", "2024-05", 1, clock.GetUtcNow()));
            await WaitForReportsAsync(db, r => r.Any(x => x.Period == "2024S1") && r.Any(x => x.Period == "2024"), "2024S1 and 2024");
            Assert.DoesNotContain(await ReportsAsync(db), r => r.Period is "2024S2" or "2023" || r.Period.StartsWith("2025", StringComparison.Ordinal));

            // 2025S1 closed on 30 June but its 15 days of grace have not passed.
            await new Ingestion.IngestionClient(first.Channel).SubmitReportAsync(March(4, clock.GetUtcNow()));
            Assert.Equal(0, (await reporting.ProduceReportsAsync(new ProduceReportsRequest())).Produced);

            clock.SetUtcNow(new DateTimeOffset(2025, 7, 16, 0, 30, 0, TimeSpan.Zero));
            await WaitForReportsAsync(db, r => r.Any(x => x.Period == "2025S1"), "2025S1 after its grace period");

            // A late correction to March changes the half: revision 2. The year is not due yet.
            await new Ingestion.IngestionClient(first.Channel).SubmitReportAsync(March(6, clock.GetUtcNow()));
            await WaitForReportsAsync(db, r => r.Count(x => x.Period == "2025S1") == 2, "a second revision of 2025S1");
            Assert.DoesNotContain(await ReportsAsync(db), r => r.Period is "2025S2" or "2025");
        }

        Assert.True(await ReminderRowsAsync(db) >= 1, "the tenant's reminder should be in the reminder table");
        clock.SetUtcNow(new DateTimeOffset(2026, 1, 20, 0, 0, 0, TimeSpan.Zero));
        await using (var second = await ServerWithClock.StartAsync(db, clock))
        {
            await WaitForReportsAsync(db, r => r.Any(x => x.Period == "2025"), "2025 after the restart");
            var reports = await ReportsAsync(db);
            Assert.Equal(2, reports.Count(x => x.Period == "2025S1"));
            Assert.Single(reports, x => x.Period == "2024");
            Assert.DoesNotContain(reports, x => x.Period == "2025S2");
            Assert.Equal(reports.Count, reports.Select(r => (r.Period, r.Revision)).Distinct().Count());

            // Each report goes out as its ADX document and its completeness registrations.
            var deliveries = (await new Protos.V1.Reporting.ReportingClient(second.Channel).ListDeliveriesAsync(new ListDeliveriesRequest { Limit = 1000 })).Deliveries;
            Assert.Equal(reports.Count, deliveries.Count(d => d.PayloadKind == PayloadKind.Adx));
            Assert.Equal(reports.Select(r => r.Period).Distinct().Order(), deliveries.Where(d => d.PayloadKind == PayloadKind.Dhis2Registrations).Select(d => d.Period).Order());
        }
    }

    private sealed record ReportRow(string Period, int Revision);

    private static SubmitReportRequest March(int awareness, DateTimeOffset reportedAt) => Report("05443", "2025-03", awareness, reportedAt);

    private static SubmitReportRequest Report(string unit, string period, int awareness, DateTimeOffset reportedAt) => new()
    {
        Report = new Report
        {
            IdempotencyKey = $"{unit}-{period}-{awareness}",
            UnitCode = unit,
            ProgrammeId = ServerFixture.Programme,
            Period = period,
            ReportedAt = Google.Protobuf.WellKnownTypes.Timestamp.FromDateTimeOffset(reportedAt),
            Values = { ReportGenerator.Number("awareness_activities", awareness) },
        },
    };

    private static async Task WaitForReportsAsync(string db, Func<List<ReportRow>, bool> done, string what) =>
        await Eventually.WaitAsync(() => ReportsAsync(db), done, TimeSpan.FromSeconds(30), r => $"waiting for {what}; have {string.Join(", ", r.Select(x => $"{x.Period} r{x.Revision}"))}");

    private static async Task<List<ReportRow>> ReportsAsync(string db)
    {
        await using var connection = new NpgsqlConnection(db);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT period, revision FROM ministry_reports WHERE tenant_id = 'thai-nguyen' AND payload = 'adx' ORDER BY report_id", connection);
        var rows = new List<ReportRow>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            rows.Add(new ReportRow(reader.GetString(0), reader.GetInt32(1)));
        }

        return rows;
    }

    private static async Task<long> ReminderRowsAsync(string db)
    {
        await using var connection = new NpgsqlConnection(db);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT count(*) FROM orleans_reminders WHERE reminder_name = 'ministry-reports'", connection);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    /// <summary>A server in this process whose reporting calendar reads <paramref name="clock"/>, checking for due reports every second.</summary>
    private sealed class ServerWithClock : IAsyncDisposable
    {
        private readonly WebApplication _app;

        private ServerWithClock(WebApplication app, string address)
        {
            _app = app;
            Channel = TestCredentials.Channel(address, TestCredentials.Operator);
        }

        public GrpcChannel Channel { get; }

        public static async Task<ServerWithClock> StartAsync(string db, FakeTimeProvider clock)
        {
            // Thái Nguyên sends provisional figures: the schedule is tested without approving each half.
            string[] args = [.. ServerFixture.Arguments(out var address, db), "--Reporting:CheckInterval=00:00:01", $"--Catalog:Directory={CatalogCopy.WithProvisionalReports}"];
            var app = await AggregationApp.BuildAsync(args, builder => builder.Services.AddSingleton(new ReportingClock(clock)));
            await app.StartAsync();
            return new ServerWithClock(app, address);
        }

        public async ValueTask DisposeAsync()
        {
            Channel.Dispose();
            await _app.StopAsync();
            await _app.DisposeAsync();
            NpgsqlConnection.ClearAllPools();
        }
    }
}
