using Aggregation.Protos.V1;
using Aggregation.Security;
using Google.Protobuf.WellKnownTypes;
using Google.Rpc;
using Grpc.Core;
using Xunit.Abstractions;

namespace Aggregation.IntegrationTests;

/// <summary>
/// District Sông Công (165) through the second half of 2024 as a district reviewer sees it on
/// 20 January 2025, built by reporting month by month on a moving reporting clock (each report
/// received when it would have been):
/// - Lương Sơn (05506) reports everything on time, steadily, meeting its targets: nothing to look at;
/// - Châu Sơn (05509) reaches 10–13 workers a month for sixteen months, then 400 in November 2024;
/// - Mỏ Chè (05512) reaches 20 of its 50 workers every month: each month passes the rule, the half
///   (120) does not;
/// - Cải Đan (05515) sends July's report on 20 August, ten days after its deadline, and nothing else;
/// - Thắng Lợi (05518) never reports.
/// </summary>
public sealed class ReviewFindingsFixture : ServerFixture, IAsyncLifetime
{
    public const string District = "165";
    public const string Good = "05506";
    public const string Outlier = "05509";
    public const string OverStock = "05512";
    public const string Late = "05515";
    public const string Silent = "05518";

    /// <summary>When the reviewer looks: after every deadline of the half (monthly 10 January, six-monthly 16 January).</summary>
    public static readonly DateTimeOffset ReviewDay = new(2025, 1, 20, 3, 0, 0, TimeSpan.Zero);

    /// <summary>Workers reached in the half: Lương Sơn 6 × 15, Châu Sơn 13 + 10 + 11 + 12 + 400 + 10, Mỏ Chè 6 × 20.</summary>
    private const long HalfWorkersReached = 90 + 456 + 120;

    private int _sequence;

    protected override DateTimeOffset? Today => new DateTimeOffset(2023, 8, 1, 3, 0, 0, TimeSpan.Zero);

    async Task IAsyncLifetime.InitializeAsync()
    {
        await InitializeAsync();
        for (var month = new DateOnly(2023, 7, 1); month < new DateOnly(2025, 1, 1); month = month.AddMonths(1))
        {
            var period = $"{month:yyyy-MM}";
            var inHalf = month >= new DateOnly(2024, 7, 1);

            // Three days after the month ends: well within its ten days.
            Clock!.SetUtcNow(new DateTimeOffset(month.AddMonths(1).AddDays(3).ToDateTime(new TimeOnly(3, 0)), TimeSpan.Zero));
            await SubmitAsync(Good, period,
                ReportGenerator.Number("awareness_activities", 2 + (month.Month % 2)),
                ReportGenerator.Number("workers_reached", 15));
            await SubmitAsync(Good, period,
                ReportGenerator.Number("establishments_at_risk", 10),
                ReportGenerator.Number("workers_at_establishments", 100),
                ReportGenerator.Entities("establishments_inspected", $"CS-{(month.Month % 10) + 1:00}"));

            var reached = month == new DateOnly(2024, 11, 1) ? 400 : 10 + (month.Month % 4);
            await SubmitAsync(Outlier, period, ReportGenerator.Number("awareness_activities", 1), ReportGenerator.Number("workers_reached", reached));
            await SubmitAsync(Outlier, period, ReportGenerator.Number("establishments_at_risk", 20), ReportGenerator.Number("workers_at_establishments", 1000));

            if (inHalf)
            {
                await SubmitAsync(OverStock, period, ReportGenerator.Number("workers_at_establishments", 50));
                await SubmitAsync(OverStock, period, ReportGenerator.Number("workers_reached", 20));
            }

            if (month == new DateOnly(2024, 7, 1))
            {
                Clock.SetUtcNow(new DateTimeOffset(2024, 8, 20, 3, 0, 0, TimeSpan.Zero));
                await SubmitAsync(Late, period, ReportGenerator.Number("awareness_activities", 1));
            }
        }

        Clock!.SetUtcNow(new DateTimeOffset(2025, 1, 5, 3, 0, 0, TimeSpan.Zero));
        await SubmitAsync(Good, "2024S2", ReportGenerator.Number("local_officials", 5), ReportGenerator.Number("local_officials_trained", 5));
        Clock.SetUtcNow(ReviewDay);

        // Findings about targets read the district's figures, which its communes reach on a flush.
        await Eventually.WaitAsync(
            () => ReadAsync(District, "2024S2"),
            r => r.Indicators.Single(i => i.IndicatorId == "T1.1").Numerator == 3 && r.Values.Single(v => v.DataElement == "workers_reached").Value == HalfWorkersReached,
            TimeSpan.FromSeconds(30),
            r => $"district 165 reads T1.1 numerator {r.Indicators.Single(i => i.IndicatorId == "T1.1").Numerator}, workers_reached {r.Values.Single(v => v.DataElement == "workers_reached").Value}");
    }

    Task IAsyncLifetime.DisposeAsync() => DisposeAsync();

    public async Task<IReadOnlyList<Finding>> FindingsAsync(string unit, string period, string dataSet = "", Grpc.Net.Client.GrpcChannel? channel = null) =>
        (await new Review.ReviewClient(channel ?? Channel).ListFindingsAsync(new ListFindingsRequest { ProgrammeId = Programme, UnitCode = unit, Period = period, DataSet = dataSet })).Findings;

    private async Task SubmitAsync(string unit, string period, params DataValue[] values)
    {
        var report = new Report
        {
            IdempotencyKey = $"review-{unit}-{period}-{Interlocked.Increment(ref _sequence)}",
            UnitCode = unit,
            ProgrammeId = Programme,
            Period = period,
            ReportedAt = Timestamp.FromDateTimeOffset(Clock!.GetUtcNow()),
            SourceSystem = "review-tests",
        };
        report.Values.AddRange(values);
        var result = (await Ingestion.SubmitReportAsync(new SubmitReportRequest { Report = report })).Result;
        if (result.Outcome != ReportOutcome.Accepted)
        {
            throw new InvalidOperationException($"{unit} {period} was {result.Outcome}: {string.Join("; ", result.Violations.Select(v => $"{v.Field}: {v.Description}"))}");
        }
    }
}

public sealed class ReviewFindingsTests(ReviewFindingsFixture server, ITestOutputHelper output) : IClassFixture<ReviewFindingsFixture>
{
    private static readonly string[] HalfMonths = ["2024-07", "2024-08", "2024-09", "2024-10", "2024-11", "2024-12"];

    [Fact]
    public async Task A_unit_that_reports_fully_on_time_and_steadily_has_nothing_to_look_at()
    {
        var findings = await server.FindingsAsync(ReviewFindingsFixture.District, "2024S2");
        foreach (var f in findings)
        {
            output.WriteLine($"{f.UnitCode} {f.Kind} {f.DataSet} {f.DataElement}{f.IndicatorId} {f.Period}: {f.MessageEn}");
        }

        Assert.DoesNotContain(findings, f => f.UnitCode == ReviewFindingsFixture.Good);
        Assert.Equal(findings.OrderBy(f => f.UnitCode, StringComparer.Ordinal).ThenBy(f => f.Kind).Select(f => (f.UnitCode, f.Kind)), findings.Select(f => (f.UnitCode, f.Kind)));
    }

    [Fact]
    public async Task A_count_summed_over_the_half_above_its_stock_is_a_rule_violation_and_its_rate_above_100_percent_too()
    {
        var findings = await server.FindingsAsync(ReviewFindingsFixture.District, "2024S2");

        var rule = Assert.Single(findings, f => f.Kind == FindingKind.RuleViolation && f.DataElement == "workers_reached");
        Assert.Equal(ReviewFindingsFixture.OverStock, rule.UnitCode);
        Assert.Equal(120, rule.Value);
        Assert.Equal("2024S2", rule.Period);
        Assert.Contains("workers-reached-within-workers", rule.MessageEn, StringComparison.Ordinal);
        Assert.Contains("120", rule.MessageVi, StringComparison.Ordinal);

        // At the commune, not again at the district whose rate is above 100 % only if the commune's is.
        var rate = Assert.Single(findings, f => f.Kind == FindingKind.RuleViolation && f.IndicatorId == "T1.3a");
        Assert.Equal(ReviewFindingsFixture.OverStock, rate.UnitCode);
        Assert.Equal(2.4, rate.Value, 6);
        Assert.Contains("240 %", rate.MessageVi, StringComparison.Ordinal);

        // Each month alone was within the rule, and the half of a unit within it is not listed.
        Assert.DoesNotContain(findings, f => f.Kind == FindingKind.RuleViolation && f.UnitCode != ReviewFindingsFixture.OverStock);
    }

    [Fact]
    public async Task A_value_far_from_the_units_last_twelve_reported_months_is_an_outlier_shown_with_that_history()
    {
        var findings = await server.FindingsAsync(ReviewFindingsFixture.District, "2024S2");

        var outlier = Assert.Single(findings, f => f.Kind == FindingKind.Outlier);
        Assert.Equal(ReviewFindingsFixture.Outlier, outlier.UnitCode);
        Assert.Equal("workers_reached", outlier.DataElement);
        Assert.Equal("commune-monthly", outlier.DataSet);
        Assert.Equal("2024-11", outlier.Period);
        Assert.Equal(400, outlier.Value);
        Assert.Equal(12, outlier.History.Count);
        Assert.Equal("2023-11", outlier.History[0].Period);
        Assert.Equal("2024-10", outlier.History[^1].Period);

        // 10 + month % 4 over November 2023 to October 2024: 13,10,11,12,13,10,11,12,13,10,11,12.
        Assert.Equal(11.5, outlier.Median);
        Assert.Equal(1, outlier.Mad);
        Assert.Contains("400", outlier.MessageVi, StringComparison.Ordinal);

        // December's 12 is back in line, though its history now holds the 400.
        Assert.DoesNotContain(findings, f => f.Kind == FindingKind.Outlier && f.Period == "2024-12");
    }

    [Fact]
    public async Task A_commune_that_never_reported_is_missing_and_one_that_reported_after_the_deadline_is_late()
    {
        var findings = await server.FindingsAsync(ReviewFindingsFixture.District, "2024S2");

        var silent = findings.Where(f => f.UnitCode == ReviewFindingsFixture.Silent && f.Kind == FindingKind.MissingReport).ToList();
        Assert.Equal(HalfMonths, silent.Where(f => f.DataSet == "commune-monthly").Select(f => f.Period));
        Assert.Equal(6, silent.Count(f => f.DataSet == "commune-police-monthly"));
        Assert.Single(silent, f => f.DataSet == "commune-staff-sixmonthly" && f.Period == "2024S2");
        Assert.Contains("hạn gửi là 11/08/2024 07:00 (giờ Việt Nam)", silent[0].MessageVi, StringComparison.Ordinal);

        var late = Assert.Single(findings, f => f.Kind == FindingKind.LateReport);
        Assert.Equal(ReviewFindingsFixture.Late, late.UnitCode);
        Assert.Equal("commune-monthly", late.DataSet);
        Assert.Equal("2024-07", late.Period);
        Assert.Equal(10, late.Value);
        Assert.Contains("20/08/2024 10:00", late.MessageVi, StringComparison.Ordinal);

        // The late commune's later months were never sent: missing, not late.
        Assert.Contains(findings, f => f.UnitCode == ReviewFindingsFixture.Late && f.Kind == FindingKind.MissingReport && f.Period == "2024-08" && f.DataSet == "commune-monthly");
        Assert.DoesNotContain(findings, f => f.UnitCode == ReviewFindingsFixture.Late && f.Kind == FindingKind.MissingReport && f.Period == "2024-07" && f.DataSet == "commune-monthly");
    }

    [Fact]
    public async Task A_month_whose_deadline_has_not_passed_is_not_missing_yet()
    {
        // 20 January 2025: January is still being reported (due 10 February); December was due on the 10th.
        var january = await server.FindingsAsync(ReviewFindingsFixture.District, "2025-01");
        var december = await server.FindingsAsync(ReviewFindingsFixture.District, "2024-12");

        Assert.DoesNotContain(january, f => f.Kind == FindingKind.MissingReport);
        Assert.Contains(december, f => f.Kind == FindingKind.MissingReport && f.UnitCode == ReviewFindingsFixture.Silent && f.DataSet == "commune-monthly");
    }

    [Fact]
    public async Task The_communes_with_no_awareness_activity_in_the_half_are_those_holding_back_T1_1()
    {
        var findings = await server.FindingsAsync(ReviewFindingsFixture.District, "2024S2");

        var heldBack = findings.Where(f => f.Kind == FindingKind.TargetHeldBack && f.IndicatorId == "T1.1").ToList();

        // Ten communes, three with an activity (30 % against 70 %): the other seven.
        Assert.Equal(7, heldBack.Count);
        Assert.Contains(heldBack, f => f.UnitCode == ReviewFindingsFixture.Silent);
        Assert.Contains(heldBack, f => f.UnitCode == ReviewFindingsFixture.OverStock);
        Assert.DoesNotContain(heldBack, f => f.UnitCode is ReviewFindingsFixture.Good or ReviewFindingsFixture.Outlier or ReviewFindingsFixture.Late);
        Assert.All(heldBack, f => Assert.Contains("30 %, mục tiêu 70 %", f.MessageVi, StringComparison.Ordinal));

        // A rate: the commune whose own share of workers reached is below target (Châu Sơn, 456 of 1.000).
        var rate = Assert.Single(findings, f => f.Kind == FindingKind.TargetHeldBack && f.IndicatorId == "T1.3a");
        Assert.Equal(ReviewFindingsFixture.Outlier, rate.UnitCode);
        Assert.Contains("456/1.000", rate.MessageVi, StringComparison.Ordinal);
        Assert.Contains("456/1,000", rate.MessageEn, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_province_review_covers_the_communes_of_every_district()
    {
        var findings = await server.FindingsAsync(ServerFixture.ProvinceCode, "2024S2");

        // The same outlier, two levels down; districts and communes that never reported, all nine districts' worth.
        var outlier = Assert.Single(findings, f => f.Kind == FindingKind.Outlier);
        Assert.Equal(ReviewFindingsFixture.Outlier, outlier.UnitCode);
        Assert.Contains(findings, f => f.Kind == FindingKind.MissingReport && f.UnitCode == "173" && f.DataSet == "district-sixmonthly");
        Assert.Contains(findings, f => f.Kind == FindingKind.MissingReport && f.UnitCode == "05431" && f.DataSet == "commune-monthly");
        Assert.Contains(findings, f => f.Kind == FindingKind.TargetHeldBack && f.IndicatorId == "T1.1" && f.UnitCode == "05431");
        Assert.DoesNotContain(findings, f => f.UnitCode == ReviewFindingsFixture.Good);
    }

    [Fact]
    public async Task Findings_for_one_data_set_leave_out_the_others()
    {
        var police = await server.FindingsAsync(ReviewFindingsFixture.District, "2024S2", "commune-police-monthly");

        Assert.NotEmpty(police);
        Assert.All(police.Where(f => f.DataSet.Length > 0), f => Assert.Equal("commune-police-monthly", f.DataSet));
        Assert.DoesNotContain(police, f => f.IndicatorId == "T1.1");
        Assert.Contains(police, f => f.Kind == FindingKind.RuleViolation && f.DataElement == "workers_reached");
    }

    [Fact]
    public async Task A_district_approver_reviews_its_own_district_and_may_not_list_another()
    {
        using var approver = server.ChannelFor(new AccessGrant("district-165-approver", TestCredentials.Tenant, [Roles.Approver], Units: [ReviewFindingsFixture.District]));
        using var submitter = server.ChannelFor(new AccessGrant("district-165-submitter", TestCredentials.Tenant, [Roles.Submitter], Units: [ReviewFindingsFixture.District]));

        var own = await server.FindingsAsync(ReviewFindingsFixture.District, "2024S2", channel: approver);
        var other = await Assert.ThrowsAsync<RpcException>(() => server.FindingsAsync("164", "2024S2", channel: approver));
        var province = await Assert.ThrowsAsync<RpcException>(() => server.FindingsAsync("19", "2024S2", channel: approver));
        var notAReader = await Assert.ThrowsAsync<RpcException>(() => server.FindingsAsync(ReviewFindingsFixture.District, "2024S2", channel: submitter));

        Assert.NotEmpty(own);
        Assert.Equal(StatusCode.PermissionDenied, other.StatusCode);
        Assert.Equal(StatusCode.PermissionDenied, province.StatusCode);
        Assert.Equal(StatusCode.PermissionDenied, notAReader.StatusCode);
    }

    [Fact]
    public async Task An_unknown_unit_period_and_data_set_are_refused_naming_each_field()
    {
        var ex = await Assert.ThrowsAsync<RpcException>(() => server.FindingsAsync("99999", "2024S9", "no-such-set"));
        var badPeriod = await Assert.ThrowsAsync<RpcException>(() => server.FindingsAsync(ReviewFindingsFixture.District, "2030S1"));
        var badSet = await Assert.ThrowsAsync<RpcException>(() => server.FindingsAsync(ReviewFindingsFixture.District, "2024S2", "commune-yearly"));

        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
        var fields = ex.GetRpcStatus()!.GetDetail<BadRequest>()!.FieldViolations.Select(v => v.Field).ToList();
        Assert.Contains("unit_code", fields);
        Assert.Contains("period", fields);
        Assert.Contains("data_set", fields);
        Assert.Equal("period", Assert.Single(badPeriod.GetRpcStatus()!.GetDetail<BadRequest>()!.FieldViolations).Field);
        var set = Assert.Single(badSet.GetRpcStatus()!.GetDetail<BadRequest>()!.FieldViolations);
        Assert.Equal("data_set", set.Field);
        Assert.Contains("commune-monthly", set.Description, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_nation_is_too_large_to_review_at_once_and_is_refused_saying_so()
    {
        var ex = await Assert.ThrowsAsync<RpcException>(() => server.FindingsAsync("VN", "2024S2", channel: server.MinistryChannel));

        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
        var violation = Assert.Single(ex.GetRpcStatus()!.GetDetail<BadRequest>()!.FieldViolations);
        Assert.Equal("unit_code", violation.Field);
        Assert.Contains("review a province", violation.Description, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_review_page_gets_the_same_findings_over_http_and_field_errors_in_both_languages()
    {
        using var http = new HttpClient { BaseAddress = new Uri(server.WebAddress) };
        http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", TestCredentials.Token(TestCredentials.Operator));

        var answer = await http.GetAsync(new Uri($"/api/review?unit={ReviewFindingsFixture.District}&period=2024S2", UriKind.Relative));
        var bad = await http.GetAsync(new Uri($"/api/review?unit={ReviewFindingsFixture.District}&period=2024S2&dataSet=nope", UriKind.Relative));

        Assert.Equal(System.Net.HttpStatusCode.OK, answer.StatusCode);
        var parsed = ListFindingsResponse.Parser.ParseJson(await answer.Content.ReadAsStringAsync());
        Assert.Equal((await server.FindingsAsync(ReviewFindingsFixture.District, "2024S2")).Count, parsed.Findings.Count);
        Assert.Contains(parsed.Findings, f => f.Kind == FindingKind.Outlier && f.History.Count == 12);

        Assert.Equal(System.Net.HttpStatusCode.BadRequest, bad.StatusCode);
        using var error = System.Text.Json.JsonDocument.Parse(await bad.Content.ReadAsStringAsync());
        var field = Assert.Single(error.RootElement.GetProperty("fields").EnumerateArray());
        Assert.Equal("dataSet", field.GetProperty("field").GetString());
        Assert.Contains("bộ dữ liệu", field.GetProperty("vi").GetString(), StringComparison.Ordinal);
        Assert.Contains("unknown data set", field.GetProperty("en").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_review_command_lists_the_findings_in_vietnamese_and_as_csv()
    {
        var environment = new Dictionary<string, string?>
        {
            ["AGGREGATION_SERVER"] = server.Address,
            ["AGGREGATION_TOKEN"] = TestCredentials.Token(TestCredentials.Operator),
            ["XDG_DATA_HOME"] = Directory.CreateTempSubdirectory("cli-review-").FullName,
        };

        var table = await CliProcess.RunAsync(["review", "--unit", ReviewFindingsFixture.District, "--period", "2024S2"], environment);
        var csv = await CliProcess.RunAsync(["review", "--unit", ReviewFindingsFixture.District, "--period", "2024S2", "--output", "csv"], environment);
        var english = await CliProcess.RunAsync(["review", "--unit", ReviewFindingsFixture.District, "--period", "2024S2", "--en"], environment);
        var wrong = await CliProcess.RunAsync(["review", "--unit", ReviewFindingsFixture.District, "--period", "2024S9", "--en"], environment);

        Assert.True(table.Exit == 0, table.All);
        Assert.Contains("khác thường", table.Out, StringComparison.Ordinal);
        Assert.Contains("chưa báo cáo", table.Out, StringComparison.Ordinal);
        Assert.Contains("điểm cần xem lại", table.Out, StringComparison.Ordinal);

        Assert.True(csv.Exit == 0, csv.All);
        var lines = csv.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("unit_code,unit_name,kind,data_set,subject,period,value,history,message", lines[0], StringComparison.Ordinal);
        Assert.Contains(lines, l => l.StartsWith($"{ReviewFindingsFixture.Outlier},", StringComparison.Ordinal) && l.Contains(",OUTLIER,", StringComparison.Ordinal) && l.Contains("2023-11=13;2023-12=10", StringComparison.Ordinal));
        Assert.Equal((await server.FindingsAsync(ReviewFindingsFixture.District, "2024S2")).Count, lines.Length - 1);

        Assert.True(english.Exit == 0, english.All);
        Assert.Contains("outlier", english.Out, StringComparison.Ordinal);
        Assert.Contains("findings", english.Out, StringComparison.Ordinal);

        Assert.Equal(1, wrong.Exit);
        Assert.Contains("period", wrong.Err, StringComparison.Ordinal);
    }
}
