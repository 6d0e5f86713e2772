using Aggregation.Hierarchy;
using Aggregation.Programmes;
using Aggregation.Protos.V1;
using Aggregation.Server.Errors;
using Aggregation.Server.Ingestion;
using Aggregation.Server.Security;
using Aggregation.Spreadsheets;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace Aggregation.Server.Tests;

/// <summary>
/// The upload page's jobs and sentences without a server: an upload expires with its file, belongs to
/// its credential alone, gives way when finished, and the server's common refusals read in Vietnamese.
/// </summary>
public sealed class UploadJobTests : IDisposable
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 3, 2, 0, 0, TimeSpan.Zero));
    private readonly Lifetime _lifetime = new();
    private readonly ImportJobs _jobs;

    public UploadJobTests() => _jobs = new ImportJobs(_time, NullLogger<ImportJobs>.Instance, _lifetime);

    [Fact]
    public void An_upload_left_alone_for_half_an_hour_is_forgotten_and_its_file_deleted()
    {
        var officer = Officer("district-164");
        var job = Uploaded(officer);
        _time.Advance(TimeSpan.FromMinutes(29));
        Assert.Same(job, _jobs.Get(officer, job.Id));

        _time.Advance(ImportJobs.Expiry + TimeSpan.FromMinutes(1));

        var gone = Assert.Throws<NotFoundException>(() => _jobs.Get(officer, job.Id));
        Assert.Contains("Upload the file again", gone.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(job.Path));
    }

    [Fact]
    public void Another_credentials_upload_is_as_unknown_as_one_never_made()
    {
        var job = Uploaded(Officer("district-164"));

        Assert.Throws<NotFoundException>(() => _jobs.Get(Officer("district-165"), job.Id));
    }

    [Fact]
    public void A_finished_upload_gives_way_to_a_new_one_when_the_credential_holds_as_many_as_it_may()
    {
        var officer = Officer("district-164");
        var first = Uploaded(officer);
        first.Finish(ImportPhase.Validated);
        for (var i = 1; i < ImportJobs.MaxJobsPerCaller; i++)
        {
            _time.Advance(TimeSpan.FromSeconds(1));
            Uploaded(officer);
        }

        var next = Uploaded(officer);

        Assert.Throws<NotFoundException>(() => _jobs.Get(officer, first.Id));
        Assert.Same(next, _jobs.Get(officer, next.Id));
        Assert.False(File.Exists(first.Path));
    }

    [Fact]
    public void A_credential_whose_uploads_are_all_still_running_is_asked_to_wait()
    {
        var officer = Officer("district-164");
        for (var i = 0; i < ImportJobs.MaxJobsPerCaller; i++)
        {
            Uploaded(officer);
        }

        var refused = Assert.Throws<LimitReachedException>(() => _jobs.Reserve(officer, ".csv"));
        Assert.Contains("4 per credential", refused.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("unknown unit '5458' in tenant thai-nguyen", "không có đơn vị mã '5458' trong tỉnh thai-nguyen")]
    [InlineData("'99999' is not a unit this credential may report for", "'99999' không phải đơn vị mà tài khoản này được báo cáo")]
    [InlineData("complaints_handled_on_time (5) may not exceed complaints_received (2) for the same unit and period (rule R2)", "complaints_handled_on_time (5) không được lớn hơn complaints_received (2) của cùng đơn vị và kỳ báo cáo (quy tắc R2)")]
    [InlineData("2027-01 has not started yet (today is 2026-12-03)", "kỳ 2027-01 chưa bắt đầu (hôm nay là 2026-12-03)")]
    [InlineData("'2025-01' is not a yearly period of the programme", "'2025-01' không phải kỳ năm của chương trình")]
    [InlineData("unit 164 (Thành phố Thái Nguyên) is not in force in 2025-09: it ended on 2025-07-01", "đơn vị 164 (Thành phố Thái Nguyên) không còn hiệu lực trong kỳ 2025-09: đã kết thúc ngày 2025-07-01")]
    [InlineData("unit 05443 (Phường Quán Triều) is not in force in 2025-09: it ended on 2025-07-01; report for 05440 (Phường Quan Triều), which took it over", "đơn vị 05443 (Phường Quán Triều) không còn hiệu lực trong kỳ 2025-09: đã kết thúc ngày 2025-07-01; hãy báo cáo cho 05440 (Phường Quan Triều), đơn vị đã tiếp nhận")]
    public void The_servers_common_refusals_read_in_vietnamese_beside_their_english(string english, string vietnamese)
    {
        var said = ViolationText.Explain(english);

        Assert.Equal(vietnamese, said.Vi);
        Assert.Equal(english, said.En);
    }

    [Fact]
    public void A_sentence_not_known_is_shown_as_the_server_wrote_it_in_either_language()
    {
        var said = ViolationText.Explain("at most 200 values per report");

        Assert.Equal(Said.Same("at most 200 values per report"), said);
    }

    public void Dispose()
    {
        _jobs.Dispose();
        _lifetime.Dispose();
    }

    private ImportJob Uploaded(Caller caller)
    {
        var path = _jobs.Reserve(caller, ".csv");
        File.WriteAllText(path, "unit_code,period,awareness_activities\n05446,2024-05,1\n");
        var import = new SpreadsheetImport(new Protos.V1.Programme { Id = "p" }, path, "test", new Google.Protobuf.WellKnownTypes.Timestamp(), NumberFormat.Vi, 500, new NoSink());
        var job = new ImportJob(Guid.NewGuid().ToString("N"), caller, new Tenant("thai-nguyen", new LocalizedText("Thái Nguyên", "Thai Nguyen"), ["19"], ["p"]), path, "upload.csv", import);
        _jobs.Add(job);
        return job;
    }

    private static Caller Officer(string subject) =>
        new(subject, "thai-nguyen", new HashSet<string> { Aggregation.Security.Roles.Submitter }, ["164"], null, "token", "127.0.0.1:1");

    private sealed class NoSink : IReportSink
    {
        public Task<SubmitReportsResponse> SubmitAsync(IReadOnlyList<Report> reports, bool validateOnly, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<string?> UnitNameAsync(string code, string asOf, CancellationToken cancellationToken) => Task.FromResult<string?>(null);
    }

    private sealed class Lifetime : IHostApplicationLifetime, IDisposable
    {
        private readonly CancellationTokenSource _stopping = new();

        public CancellationToken ApplicationStarted => CancellationToken.None;

        public CancellationToken ApplicationStopping => _stopping.Token;

        public CancellationToken ApplicationStopped => CancellationToken.None;

        public void StopApplication() => _stopping.Cancel();

        public void Dispose() => _stopping.Dispose();
    }
}
