using System.Collections.Concurrent;
using Aggregation.Hierarchy;
using Aggregation.Protos.V1;
using Aggregation.Server.Errors;
using Aggregation.Server.Security;
using Aggregation.Spreadsheets;
using Google.Protobuf.WellKnownTypes;

namespace Aggregation.Server.Ingestion;

/// <summary>Where an uploaded spreadsheet is in its life: counted, checked, then (when the officer asks) imported.</summary>
public enum ImportPhase
{
    Counting,
    Validating,
    Validated,
    Importing,
    Imported,
    Failed,
}

/// <summary>
/// One uploaded spreadsheet: the file (on disk, never held in memory), who sent it, and the
/// <see cref="SpreadsheetImport"/> that checks and imports it, with its progress for the page to poll.
/// </summary>
public sealed class ImportJob(string id, Caller caller, Tenant tenant, string path, string fileName, SpreadsheetImport import)
{
    private readonly Lock _lock = new();

    public string Id => id;

    public Caller Caller => caller;

    public Tenant Tenant => tenant;

    public string Path => path;

    public string FileName => fileName;

    public SpreadsheetImport Import => import;

    public ImportPhase Phase { get; private set; } = ImportPhase.Counting;

    /// <summary>Rows of the current step: the file's data rows while checking, the rows to import while importing.</summary>
    public int Total { get; private set; }

    /// <summary>Rows of the current step done.</summary>
    public int Done { get; private set; }

    /// <summary>Whether the import took only the valid rows of a file with errors.</summary>
    public bool ValidOnly { get; private set; }

    public SubmitReportsResponse Totals { get; } = new();

    /// <summary>Why the job stopped, when it did (a file that cannot be read, a server that could not record).</summary>
    public Said? Failure { get; private set; }

    /// <summary>When the job was last looked at or moved: it expires a while after.</summary>
    public DateTimeOffset Touched { get; private set; }

    /// <summary>Cancelled when the job expires or the server stops.</summary>
    public CancellationTokenSource Stopping { get; } = new();

    public bool Running => Phase is ImportPhase.Counting or ImportPhase.Validating or ImportPhase.Importing;

    public void Touch(DateTimeOffset now)
    {
        lock (_lock)
        {
            Touched = now;
        }
    }

    public void Enter(ImportPhase phase, int total, bool validOnly = false)
    {
        lock (_lock)
        {
            (Phase, Total, Done) = (phase, total, 0);
            ValidOnly |= validOnly;
        }
    }

    public void Progress(int done)
    {
        lock (_lock)
        {
            Done = Math.Min(done, Total);
        }
    }

    public void Add(SubmitReportsResponse batch, int rows)
    {
        lock (_lock)
        {
            Totals.Accepted += batch.Accepted;
            Totals.Duplicates += batch.Duplicates;
            Totals.Rejected += batch.Rejected;
            Done = Math.Min(Done + rows, Total);
        }
    }

    public void Fail(Said why)
    {
        lock (_lock)
        {
            (Phase, Failure) = (ImportPhase.Failed, why);
        }
    }

    /// <summary>Moves to <paramref name="phase"/> with the step complete.</summary>
    public void Finish(ImportPhase phase)
    {
        lock (_lock)
        {
            (Phase, Done) = (phase, Total);
        }
    }
}

/// <summary>
/// The uploaded spreadsheets being checked or imported, each a file in a folder of this server's own.
/// Bounded: at most <see cref="MaxJobs"/> at once (<see cref="MaxJobsPerCaller"/> per credential, a
/// finished one giving way to a new upload) and <see cref="MaxRunning"/> reading at a time; a job nobody
/// has looked at for <see cref="Expiry"/> is forgotten and its file deleted, as all are when the server stops.
/// </summary>
public sealed partial class ImportJobs : IDisposable
{
    public const int MaxJobs = 32;
    public const int MaxJobsPerCaller = 4;
    public const int MaxRunning = 2;
    public static readonly TimeSpan Expiry = TimeSpan.FromMinutes(30);

    private readonly ConcurrentDictionary<string, ImportJob> _jobs = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _running = new(MaxRunning);
    private readonly TimeProvider _time;
    private readonly ILogger<ImportJobs> _logger;
    private readonly ITimer _sweeper;

    public ImportJobs(TimeProvider time, ILogger<ImportJobs> logger, IHostApplicationLifetime lifetime)
    {
        ArgumentNullException.ThrowIfNull(lifetime);
        _time = time;
        _logger = logger;
        // A folder of this instance's own: it is deleted whole when the server stops, and another server
        // in the same process (the tests run several) must not lose its files with it.
        Folder = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"aggregation-uploads-{Environment.ProcessId}-{Guid.NewGuid():N}");
        _sweeper = time.CreateTimer(_ => Sweep(), null, TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(1));
        lifetime.ApplicationStopping.Register(Dispose);
    }

    /// <summary>Where uploaded files are kept while their job lives.</summary>
    public string Folder { get; }

    /// <summary>A new file's path with the extension the reader goes by; refused when the server holds as many uploads as it may.</summary>
    public string Reserve(Caller caller, string extension)
    {
        ArgumentNullException.ThrowIfNull(caller);
        Sweep();

        // A finished upload is kept for the page to show until it expires, but gives way to a new one:
        // the caller's oldest finished first, then anyone's. Running ones are never dropped.
        MakeRoom(_jobs.Values.Where(j => j.Caller.LimitKey == caller.LimitKey).ToList(), MaxJobsPerCaller);
        MakeRoom(_jobs.Values.ToList(), MaxJobs);
        if (_jobs.Count >= MaxJobs || _jobs.Values.Count(j => j.Caller.LimitKey == caller.LimitKey) >= MaxJobsPerCaller)
        {
            throw new LimitReachedException($"The server holds as many uploaded spreadsheets as it may ({MaxJobsPerCaller} per credential, {MaxJobs} in all); try again when one has been imported or in a few minutes.", TimeSpan.FromMinutes(1));
        }

        Directory.CreateDirectory(Folder);
        return System.IO.Path.Combine(Folder, Guid.NewGuid().ToString("N") + extension);
    }

    public void Add(ImportJob job)
    {
        ArgumentNullException.ThrowIfNull(job);
        job.Touch(_time.GetUtcNow());
        _jobs[job.Id] = job;
    }

    /// <summary>The caller's own job; another credential's is as unknown as one that never was.</summary>
    public ImportJob Get(Caller caller, string id)
    {
        ArgumentNullException.ThrowIfNull(caller);
        Sweep();
        if (_jobs.TryGetValue(id, out var job) && job.Caller.Subject == caller.Subject && job.Caller.TenantId == caller.TenantId)
        {
            job.Touch(_time.GetUtcNow());
            return job;
        }

        throw new NotFoundException($"No uploaded spreadsheet '{RpcErrors.Clip(id)}': it expired ({Expiry.TotalMinutes:0} minutes after it was last looked at) or was never uploaded. Upload the file again.");
    }

    /// <summary>Runs a step of the job in the background, one of at most <see cref="MaxRunning"/> at a time.</summary>
    public void Run(ImportJob job, Func<ImportJob, CancellationToken, Task> step)
    {
        ArgumentNullException.ThrowIfNull(job);
        _ = Task.Run(async () =>
        {
            var token = job.Stopping.Token;
            try
            {
                await _running.WaitAsync(token);
                try
                {
                    await step(job, token);
                }
                finally
                {
                    _running.Release();
                }
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
                job.Fail(Said.Both(l => l.T("Đã dừng: tệp hết hạn hoặc máy chủ đang tắt.", "Stopped: the upload expired or the server is stopping.")));
            }
            catch (RequestRefusedException refused)
            {
                job.Fail(Said.Same(refused.Message));
            }
            catch (Exception ex) when (ex is IOException or InvalidDataException or FormatException or UnauthorizedAccessException or CsvHelper.CsvHelperException or DocumentFormat.OpenXml.Packaging.OpenXmlPackageException or System.Xml.XmlException)
            {
                // The reader names the file by its path here, which means nothing to the officer.
                var why = ex.Message.Replace(job.Path, job.FileName, StringComparison.Ordinal);
                job.Fail(Said.Both(l => l.T($"Không đọc được tệp {job.FileName}: {why}", $"The file {job.FileName} cannot be read: {why}")));
            }
            catch (Exception ex)
            {
                LogStepFailed(_logger, ex, job.FileName, job.Caller.Subject);
                job.Fail(Said.Both(l => l.T("Máy chủ gặp lỗi khi xử lý tệp; chưa nhập gì thêm. Hãy thử lại.", "The server failed while handling the file; nothing more was imported. Try again.")));
            }
        });
    }

    private void MakeRoom(List<ImportJob> jobs, int limit)
    {
        foreach (var job in jobs.Where(j => !j.Running).OrderBy(j => j.Touched).Take(Math.Max(0, jobs.Count - limit + 1)))
        {
            if (_jobs.TryRemove(job.Id, out _))
            {
                Forget(job);
            }
        }
    }

    /// <summary>Forgets jobs not looked at for <see cref="Expiry"/> (a running one is stopped first) and deletes their files.</summary>
    private void Sweep()
    {
        var now = _time.GetUtcNow();
        foreach (var job in _jobs.Values.Where(j => now - j.Touched > Expiry).ToList())
        {
            if (_jobs.TryRemove(job.Id, out _))
            {
                Forget(job);
            }
        }
    }

    private static void Forget(ImportJob job)
    {
        job.Stopping.Cancel();
        try
        {
            File.Delete(job.Path);
        }
        catch (IOException)
        {
            // Still open by a step that is stopping: the folder goes with the server.
        }
    }

    public void Dispose()
    {
        _sweeper.Dispose();
        foreach (var job in _jobs.Values)
        {
            Forget(job);
        }

        _jobs.Clear();
        try
        {
            if (Directory.Exists(Folder))
            {
                Directory.Delete(Folder, recursive: true);
            }
        }
        catch (IOException)
        {
        }
    }

    [LoggerMessage(EventId = 4711, Level = LogLevel.Error, Message = "An uploaded spreadsheet {FileName} of {Subject} failed")]
    private static partial void LogStepFailed(ILogger logger, Exception exception, string fileName, string subject);
}
