using Aggregation.Protos.V1;
using Aggregation.Server.Hosting;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Grpc.Net.Client;

namespace Aggregation.IntegrationTests;

/// <summary>Live figures over a real loopback stream: snapshot, updates, resume, coalescing, slow clients, shutdown.</summary>
public sealed class SubscriptionTests(ServerFixture server) : IClassFixture<ServerFixture>
{
    private static readonly TimeSpan MessageTimeout = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task A_subscriber_gets_a_confirmation_then_a_snapshot_equal_to_a_read()
    {
        // 2024: the province and its nine districts (2025 would add the 92 communes of the 2025-07 hierarchy).
        using var call = Subscribe(ServerFixture.ProvinceCode, children: true, "2024", "2024S1");

        var confirmation = (await NextAsync(call)).Confirmation;
        var snapshot = (await NextAsync(call)).Snapshot;

        Assert.False(confirmation.Resumed);
        Assert.Equal(confirmation.Version, snapshot.Version);
        Assert.Equal((1 + 9) * 2, snapshot.Rollups.Count);
        foreach (var rollup in snapshot.Rollups)
        {
            Assert.Equal(Comparable(await server.ReadAsync(rollup.Unit.Code, rollup.Period)), Comparable(rollup));
        }
    }

    [Fact]
    public async Task Every_accepted_report_produces_an_update_equal_to_the_rollup_read_afterwards()
    {
        using var commune = Subscribe("05452", children: false, "2024-05");
        using var province = Subscribe(ServerFixture.ProvinceCode, children: true, "2024");
        await SkipToLiveAsync(commune);
        await SkipToLiveAsync(province);

        for (var i = 1; i <= 8; i++)
        {
            await Submit("05452", "2024-05", ("complaints_received", i * 10));

            var update = await UntilAsync(commune, r => r.Update is { } u && Value(u, "05452", "complaints_received") == i * 10);
            Assert.Equal(Comparable(await server.ReadAsync("05452", "2024-05")), Comparable(update.Update.Rollups.Single()));

            var up = await UntilAsync(province, r => r.Update is { } u && u.Rollups.Any(x => x.Unit.Code == ServerFixture.ProvinceCode) && Value(u, ServerFixture.ProvinceCode, "complaints_received") == i * 10);
            Assert.Equal(Comparable(await server.ReadAsync(ServerFixture.ProvinceCode, "2024")), Comparable(up.Update.Rollups.Single(r => r.Unit.Code == ServerFixture.ProvinceCode)));
        }
    }

    [Fact]
    public async Task Reconnecting_with_the_last_version_resumes_without_a_snapshot_and_a_stale_version_gets_one()
    {
        long version;
        using (var first = Subscribe("05455", children: false, "2024"))
        {
            version = (await NextAsync(first)).Confirmation.Version;
            await NextAsync(first);
        }

        using (var resumed = Subscribe("05455", children: false, resume: version, "2024"))
        {
            var confirmation = (await NextAsync(resumed)).Confirmation;
            Assert.True(confirmation.Resumed);
            Assert.Equal(version, confirmation.Version);
            Assert.Equal(SubscribeResponse.ContentOneofCase.Heartbeat, (await NextAsync(resumed)).ContentCase);
        }

        await Submit("05455", "2024-02", ("awareness_activities", 4));
        await Eventually.WaitAsync(() => server.ReadAsync("05455", "2024"), r => r.Version != version, MessageTimeout, _ => "the unit's version did not move");

        using var stale = Subscribe("05455", children: false, resume: version, "2024");
        var staleConfirmation = (await NextAsync(stale)).Confirmation;
        Assert.False(staleConfirmation.Resumed);
        Assert.True(staleConfirmation.Version > version);
        var snapshot = (await NextAsync(stale)).Snapshot;
        Assert.Equal(4, Value(snapshot.Rollups, "05455", "awareness_activities"));
    }

    [Fact]
    public async Task A_flood_of_reports_is_coalesced_into_fewer_updates_that_end_in_the_final_state()
    {
        const string district = "172";
        var communes = (await server.Catalog.GetUnitAsync(new GetUnitRequest { Code = district })).Children.Select(c => c.Code).ToList();
        using var call = Subscribe(district, children: true, "2023");
        await SkipToLiveAsync(call);

        // One report per commune and month, sent while the subscriber is not reading.
        var generator = new ReportGenerator(seed: 9);
        var reports = Enumerable.Range(0, communes.Count * 12).Select(i => generator.New(communes[i % communes.Count], $"2023-{i / communes.Count + 1:D2}", ReportGenerator.Number("complaints_received", 1))).ToList();
        var sent = new ResilientSender([server.Channel]);
        await sent.SendAsync(reports, clients: 4, batchSize: 1);
        Assert.Equal(reports.Count, sent.Acknowledged.Count);

        var updates = 0;
        await UntilAsync(call, r =>
        {
            updates += r.Update is null ? 0 : 1;
            return r.Update is { } u && u.Rollups.Any(x => x.Unit.Code == district) && Value(u, district, "complaints_received") == reports.Count;
        });
        // Messages the transport buffered before the client stopped reading arrive; the rest coalesced.
        Assert.InRange(updates, 1, reports.Count / 4);
        Assert.Equal(reports.Count, (await server.ReadAsync(district, "2023")).Values.Single(v => v.DataElement == "complaints_received").Value);
    }

    [Fact]
    public async Task A_subscriber_that_never_reads_does_not_hold_up_submissions_or_other_subscribers()
    {
        // Opened and never read: its HTTP/2 window fills and the server's writes to it block.
        using var stuck = Subscribe(ServerFixture.ProvinceCode, children: true, "2022", "2022S1", "2022S2", "2021-2025");
        using var reader = Subscribe(ServerFixture.ProvinceCode, children: false, "2022");
        await SkipToLiveAsync(reader);

        var generator = new ReportGenerator(seed: 10);
        var communes = (await server.Catalog.ListUnitsAsync(new ListUnitsRequest { Level = "commune", AncestorCode = ServerFixture.ProvinceCode, PageSize = 1000, AsOf = "2022-06-01" })).Units.Select(u => u.Code).ToList();
        var reports = Enumerable.Range(0, 1500).Select(i => generator.New(communes[i % communes.Count], $"2022-{i / communes.Count % 12 + 1:D2}", ReportGenerator.Number("awareness_activities", 1))).ToList();
        var sender = new ResilientSender([server.Channel]);
        await sender.SendAsync(reports, clients: 3, batchSize: 10);

        Assert.Equal(reports.Count, sender.Acknowledged.Count);
        await UntilAsync(reader, r => r.Update is { } u && Value(u, ServerFixture.ProvinceCode, "awareness_activities") == reports.Count);
    }

    [Fact]
    public async Task Heartbeats_arrive_while_nothing_changes()
    {
        using var call = Subscribe("05458", children: false, "2021");
        await NextAsync(call);
        var snapshotVersion = (await NextAsync(call)).Snapshot.Version;

        var heartbeat = (await NextAsync(call)).Heartbeat;

        Assert.NotNull(heartbeat);
        Assert.Equal(snapshotVersion, heartbeat.Version);
    }

    [Fact]
    public async Task Subscribing_to_an_unknown_unit_or_without_a_period_is_rejected_naming_the_fields()
    {
        using var call = server.Subscriptions.Subscribe(new SubscribeRequest { UnitCode = "99999", ProgrammeId = ServerFixture.Programme });

        var ex = await Assert.ThrowsAsync<RpcException>(() => call.ResponseStream.MoveNext());

        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
        Assert.Contains("unit_code", ex.Status.Detail, StringComparison.Ordinal);
        Assert.Contains("periods", ex.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Shutting_the_server_down_ends_open_streams_cleanly()
    {
        var db = await TestPostgres.CreateDatabaseAsync();
        var app = await AggregationApp.BuildAsync(ServerFixture.Arguments(out var address, db));
        await app.StartAsync();
        using var channel = TestCredentials.Channel(address, TestCredentials.Operator);
        using var call = new Protos.V1.Subscriptions.SubscriptionsClient(channel).Subscribe(new SubscribeRequest { UnitCode = ServerFixture.ProvinceCode, ProgrammeId = ServerFixture.Programme, Periods = { "2025" } });
        Assert.True(await call.ResponseStream.MoveNext());
        Assert.True(await call.ResponseStream.MoveNext());

        var stopping = app.StopAsync();
        var ended = await DrainAsync(call);
        await stopping;
        await app.DisposeAsync();

        Assert.True(ended, "the stream should end normally when the server stops");
        Assert.Equal(StatusCode.OK, call.GetStatus().StatusCode);
    }

    private static async Task<bool> DrainAsync(AsyncServerStreamingCall<SubscribeResponse> call)
    {
        using var timeout = new CancellationTokenSource(MessageTimeout * 3);
        while (await call.ResponseStream.MoveNext(timeout.Token))
        {
        }

        return true;
    }

    private AsyncServerStreamingCall<SubscribeResponse> Subscribe(string unit, bool children, params string[] periods) =>
        Subscribe(unit, children, 0, periods);

    private AsyncServerStreamingCall<SubscribeResponse> Subscribe(string unit, bool children, long resume, params string[] periods) =>
        server.Subscriptions.Subscribe(new SubscribeRequest { UnitCode = unit, ProgrammeId = ServerFixture.Programme, Periods = { periods }, IncludeChildren = children, ResumeFromVersion = resume });

    private static async Task<SubscribeResponse> NextAsync(AsyncServerStreamingCall<SubscribeResponse> call)
    {
        using var timeout = new CancellationTokenSource(MessageTimeout);
        Assert.True(await call.ResponseStream.MoveNext(timeout.Token), "the stream ended");
        return call.ResponseStream.Current;
    }

    private static async Task SkipToLiveAsync(AsyncServerStreamingCall<SubscribeResponse> call)
    {
        Assert.NotNull((await NextAsync(call)).Confirmation);
        Assert.NotNull((await NextAsync(call)).Snapshot);
    }

    /// <summary>Reads messages until one satisfies the condition, for at most 30 seconds.</summary>
    private static async Task<SubscribeResponse> UntilAsync(AsyncServerStreamingCall<SubscribeResponse> call, Func<SubscribeResponse, bool> done)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        SubscribeResponse? last = null;
        while (DateTime.UtcNow < deadline)
        {
            last = await NextAsync(call);
            if (done(last))
            {
                return last;
            }
        }

        throw new TimeoutException($"No message satisfied the condition within 30 s; the last was {last}");
    }

    private async Task Submit(string unit, string period, params (string Element, double Value)[] values)
    {
        var report = new Report
        {
            IdempotencyKey = Guid.NewGuid().ToString("N"),
            UnitCode = unit,
            ProgrammeId = ServerFixture.Programme,
            Period = period,
            ReportedAt = Timestamp.FromDateTime(DateTime.UtcNow),
        };
        report.Values.AddRange(values.Select(v => ReportGenerator.Number(v.Element, v.Value)));
        Assert.Equal(ReportOutcome.Accepted, (await server.Ingestion.SubmitReportAsync(new SubmitReportRequest { Report = report })).Result.Outcome);
    }

    private static long? Value(SubscriptionUpdate update, string unit, string element) => Value(update.Rollups, unit, element);

    private static long? Value(IEnumerable<UnitRollup> rollups, string unit, string element) =>
        rollups.FirstOrDefault(r => r.Unit.Code == unit)?.Values.Single(v => v.DataElement == element).Value;

    private static string Comparable(UnitRollup rollup)
    {
        var copy = rollup.Clone();
        copy.ReadAt = null;
        return copy.ToString();
    }
}
