using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Aggregation.Storage;

/// <summary>
/// A private PostgreSQL server started from the machine's installed binaries: initdb on first use
/// into a data folder that survives restarts, started on a free loopback port, stopped on dispose.
/// Works as root (as CI runs) by running the server as the <c>postgres</c> system user.
/// </summary>
/// <remarks>
/// The folder belongs to one process at a time: a lock file beside it is held for the life of the
/// process (the kernel releases it when the process dies, however it dies). A PostgreSQL found
/// running in a folder whose lock was free was left behind by a server that was killed, and is
/// stopped before a fresh start. <see cref="Supervise"/> restarts the server if it dies.
/// A server can be reserved first (<see cref="Reserve"/>: folder and port chosen, nothing started)
/// so its connection strings configure a host whose start then starts it.
/// </remarks>
public sealed partial class EmbeddedPostgres : IAsyncDisposable
{
    private const string ServiceUser = "postgres";
    private static readonly TimeSpan MaxRestartDelay = TimeSpan.FromSeconds(30);
    private string? _binDirectory;
    private readonly CancellationTokenSource _stopping = new();
    private readonly SemaphoreSlim _control = new(1, 1);
    private ILogger _logger;
    private FileStream? _lock;
    private Task _supervision = Task.CompletedTask;
    private int _postmasterPid;
    private bool _running;

    private EmbeddedPostgres(string dataDirectory, int port, ILogger logger)
    {
        DataDirectory = dataDirectory;
        Port = port;
        _logger = logger;
    }

    public string DataDirectory { get; }

    public int Port { get; }

    /// <summary>The lock file that says which process owns <see cref="DataDirectory"/>.</summary>
    public string LockFile => DataDirectory.TrimEnd('/') + ".lock";

    /// <summary>Process id of the running postmaster (0 when stopped): what a test kills to simulate a crash.</summary>
    public int PostmasterPid => Volatile.Read(ref _postmasterPid);

    public string ConnectionString(string database = "postgres") =>
        $"Host=127.0.0.1;Port={Port};Username={ServiceUser};Database={database};Pooling=true;Maximum Pool Size=150;Timeout=60";

    private static bool IsRoot => Environment.UserName == "root";

    /// <summary>The default data folder: under /var/lib when root (root's home is not traversable by postgres), else the user's data folder.</summary>
    public static string DefaultDataDirectory() => IsRoot
        ? "/var/lib/aggregation/postgres"
        : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData, Environment.SpecialFolderOption.Create), "aggregation", "postgres");

    /// <summary>
    /// The folder holding initdb and pg_ctl, or null when PostgreSQL is not installed: the
    /// <paramref name="preferred"/> folder (or <c>AGGREGATION_PG_BIN</c>) first, then Debian's
    /// /usr/lib/postgresql/NN/bin (newest first), then PATH.
    /// </summary>
    public static string? FindBinaries(string? preferred = null)
    {
        preferred ??= Environment.GetEnvironmentVariable("AGGREGATION_PG_BIN");
        if (!string.IsNullOrEmpty(preferred) && HasServer(preferred))
        {
            return preferred;
        }

        const string debianRoot = "/usr/lib/postgresql";
        if (Directory.Exists(debianRoot))
        {
            var newest = Directory.GetDirectories(debianRoot)
                .Select(d => Path.Combine(d, "bin"))
                .Where(HasServer)
                .OrderByDescending(d => int.TryParse(Path.GetFileName(Path.GetDirectoryName(d)), out var v) ? v : 0)
                .FirstOrDefault();
            if (newest is not null)
            {
                return newest;
            }
        }

        return (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').FirstOrDefault(d => d.Length > 0 && HasServer(d));
    }

    private static bool HasServer(string folder) =>
        Present(Path.Combine(folder, "initdb")) && Present(Path.Combine(folder, "pg_ctl")) && Present(Path.Combine(folder, "postgres"));

    /// <summary>The file exists, following links (File.Exists is true for a link whose target is gone, as /usr/local/bin links are when the package is removed).</summary>
    private static bool Present(string path)
    {
        var file = new FileInfo(path);
        return file.Exists && (file.LinkTarget is null || file.ResolveLinkTarget(returnFinalTarget: true) is { Exists: true });
    }

    /// <summary>
    /// Takes the data folder (waiting up to <paramref name="lockWait"/> for a previous owner that is
    /// still stopping), stops a PostgreSQL left running in it by a killed server, and starts it.
    /// </summary>
    public static async Task<EmbeddedPostgres> StartAsync(string dataDirectory, ILogger logger, TimeSpan? lockWait = null, string? binaries = null, CancellationToken cancellationToken = default)
    {
        var server = Reserve(dataDirectory);
        await server.StartAsync(logger, binaries, lockWait, cancellationToken);
        return server;
    }

    /// <summary>
    /// A server for <paramref name="dataDirectory"/> on a free loopback port, not started: its
    /// <see cref="ConnectionString"/> is known at once, touching neither the folder nor PostgreSQL.
    /// </summary>
    public static EmbeddedPostgres Reserve(string dataDirectory) =>
        new(Path.GetFullPath(dataDirectory), LoopbackPorts.Take(), NullLogger.Instance);

    /// <summary>
    /// Starts a server made by <see cref="Reserve"/>: takes the data folder (waiting up to
    /// <paramref name="lockWait"/> for a previous owner that is still stopping), stops a PostgreSQL
    /// left running in it by a killed server, and starts it with the binaries of
    /// <paramref name="binaries"/> (or those <see cref="FindBinaries"/> finds).
    /// </summary>
    /// <exception cref="PostgresUnavailableException">No binaries, the folder held by another server, or the server did not start.</exception>
    public async Task StartAsync(ILogger logger, string? binaries = null, TimeSpan? lockWait = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(logger);
        _logger = logger;
        _binDirectory = FindBinaries(binaries) ?? throw new PostgresUnavailableException(
            "No PostgreSQL server binaries were found (initdb, pg_ctl). Install them (Debian: apt-get install postgresql) " +
            "or set Database:ConnectionString to a running server.");
        try
        {
            await TakeFolderAsync(lockWait ?? TimeSpan.FromSeconds(60), cancellationToken);
            await InitializeAsync(cancellationToken);
            await StopLeftoverAsync(cancellationToken);
            await StartServerAsync(cancellationToken);
        }
        catch (Exception ex) when (ex is not PostgresUnavailableException and (InvalidOperationException or IOException))
        {
            ReleaseFolder();
            throw new PostgresUnavailableException($"The private PostgreSQL server of {DataDirectory} did not start ({ex.Message.Trim()}); its log is {Path.Combine(DataDirectory, "server.log")}.", ex);
        }
        catch
        {
            ReleaseFolder();
            throw;
        }
    }

    /// <summary>
    /// Watches the server until <see cref="StopAsync"/>: when it dies it is started again with a
    /// doubling delay (1 s up to 30 s). <paramref name="down"/> is told when it is found dead,
    /// <paramref name="restarted"/> when it runs again.
    /// </summary>
    public void Supervise(ILogger logger, Action down, Action restarted)
    {
        _logger = logger;
        _supervision = Task.Run(() => SuperviseAsync(down, restarted));
    }

    /// <summary>Stops the server (fast shutdown, then immediate if it does not finish within <paramref name="budget"/>) and releases the folder.</summary>
    public async Task StopAsync(TimeSpan? budget = null)
    {
        await _stopping.CancelAsync();
        await _supervision;
        await _control.WaitAsync();
        try
        {
            if (!_running)
            {
                return;
            }

            _running = false;
            var pid = PostmasterPid;
            var seconds = ((int)Math.Ceiling((budget ?? TimeSpan.FromSeconds(60)).TotalSeconds)).ToString(CultureInfo.InvariantCulture);
            if (pid != 0 && !IsAlive(pid))
            {
                LogAlreadyDead(_logger, DataDirectory);
            }
            else if (!await TryRunAsync("pg_ctl", ["-D", DataDirectory, "-m", "fast", "-w", "-t", seconds, "stop"]))
            {
                LogImmediateStop(_logger, DataDirectory);
                await TryRunAsync("pg_ctl", ["-D", DataDirectory, "-m", "immediate", "-w", "-t", "10", "stop"]);
            }

            Volatile.Write(ref _postmasterPid, 0);
            LogStopped(_logger, DataDirectory);
        }
        finally
        {
            _control.Release();
            ReleaseFolder();
        }
    }

    /// <summary>Starts the server again after <see cref="StopAsync"/> on the same port (tests of a database outage).</summary>
    public async Task RestartAsync(CancellationToken cancellationToken = default)
    {
        await TakeFolderAsync(TimeSpan.FromSeconds(10), cancellationToken);
        await StartServerAsync(cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
    }

    private async Task TakeFolderAsync(TimeSpan wait, CancellationToken cancellationToken)
    {
        if (_lock is not null)
        {
            return;
        }

        Directory.CreateDirectory(Path.GetDirectoryName(LockFile)!);
        var ownerFile = LockFile + ".owner";
        var deadline = DateTime.UtcNow + wait;
        var logged = false;
        while (true)
        {
            try
            {
                // FileShare.None takes an exclusive flock, released by the kernel when this process dies.
                _lock = new FileStream(LockFile, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
                await File.WriteAllTextAsync(ownerFile, Environment.ProcessId.ToString(CultureInfo.InvariantCulture), cancellationToken);
                return;
            }
            catch (IOException)
            {
                var owner = File.Exists(ownerFile) ? (await File.ReadAllTextAsync(ownerFile, cancellationToken)).Trim() : "unknown";
                if (DateTime.UtcNow > deadline)
                {
                    throw new PostgresUnavailableException(
                        $"Another Aggregation server (pid {owner}) is using the PostgreSQL data folder {DataDirectory}; stop it first, or give this one its own Database:DataDirectory.");
                }

                if (!logged)
                {
                    LogWaitingForOwner(_logger, owner, DataDirectory, wait.TotalSeconds);
                    logged = true;
                }

                await Task.Delay(TimeSpan.FromMilliseconds(250), cancellationToken);
            }
        }
    }

    private void ReleaseFolder()
    {
        _lock?.Dispose();
        _lock = null;
    }

    private async Task InitializeAsync(CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(DataDirectory);
        if (IsRoot)
        {
            // Every parent must be traversable by postgres, the data folder owned by it with mode 700.
            for (var dir = Path.GetDirectoryName(DataDirectory); dir is not null && dir != "/"; dir = Path.GetDirectoryName(dir))
            {
                var mode = File.GetUnixFileMode(dir);
                if (!mode.HasFlag(UnixFileMode.OtherExecute))
                {
                    File.SetUnixFileMode(dir, mode | UnixFileMode.OtherExecute);
                }
            }

            await RunProcessAsync("chown", ["-R", $"{ServiceUser}:{ServiceUser}", DataDirectory], asServiceUser: false, cancellationToken);
        }

        File.SetUnixFileMode(DataDirectory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        if (File.Exists(Path.Combine(DataDirectory, "PG_VERSION")))
        {
            return;
        }

        LogCreating(_logger, DataDirectory);
        await RunAsync("initdb", ["-D", DataDirectory, "-U", ServiceUser, "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8"], cancellationToken);
    }

    /// <summary>This process holds the folder's lock, so a postmaster running in it belongs to a server that died without stopping it.</summary>
    private async Task StopLeftoverAsync(CancellationToken cancellationToken)
    {
        var pid = ReadPostmasterPid();
        if (pid == 0 || !IsAlive(pid))
        {
            return;
        }

        LogStoppingLeftover(_logger, pid, DataDirectory);
        if (!await TryRunAsync("pg_ctl", ["-D", DataDirectory, "-m", "fast", "-w", "-t", "30", "stop"]) && IsAlive(pid))
        {
            await TryRunAsync("pg_ctl", ["-D", DataDirectory, "-m", "immediate", "-w", "-t", "10", "stop"]);
        }

        for (var i = 0; i < 100 && IsAlive(pid); i++)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(100), cancellationToken);
        }

        if (IsAlive(pid))
        {
            throw new PostgresUnavailableException($"The PostgreSQL (pid {pid}) left running in {DataDirectory} did not stop; stop it by hand (pg_ctl -D {DataDirectory} stop).");
        }
    }

    private async Task StartServerAsync(CancellationToken cancellationToken)
    {
        await _control.WaitAsync(cancellationToken);
        try
        {
            // WAL kept between checkpoints is bounded by max_wal_size (PostgreSQL's default 1 GB is ~0.8 KB per
            // report of a national load); 256 MB keeps it a fifth of that, and lz4 compression of full-page
            // images cuts the WAL written after each checkpoint (docs/benchmarks.md, "Disk").
            var options = $"-p {Port} -k {DataDirectory} -c listen_addresses=127.0.0.1 -c max_connections=400 -c synchronous_commit=on -c fsync=on -c max_wal_size=256MB -c min_wal_size=64MB -c wal_compression=lz4";
            await RunAsync("pg_ctl", ["-D", DataDirectory, "-w", "-t", "60", "-l", Path.Combine(DataDirectory, "server.log"), "-o", options, "start"], cancellationToken);
            Volatile.Write(ref _postmasterPid, ReadPostmasterPid());
            _running = true;
            LogStarted(_logger, Port, DataDirectory, PostmasterPid);
        }
        finally
        {
            _control.Release();
        }
    }

    private async Task SuperviseAsync(Action down, Action restarted)
    {
        var stopping = _stopping.Token;
        try
        {
            using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(250));
            while (await timer.WaitForNextTickAsync(stopping))
            {
                var pid = PostmasterPid;
                if (pid == 0 || IsAlive(pid))
                {
                    continue;
                }

                LogDied(_logger, pid, DataDirectory);
                down();
                var delay = TimeSpan.FromSeconds(1);
                while (true)
                {
                    // Backends of the dead postmaster exit by themselves within moments; until they
                    // have, a new postmaster refuses to start on their shared memory.
                    await Task.Delay(delay, stopping);
                    try
                    {
                        await StartServerAsync(stopping);
                        restarted();
                        break;
                    }
                    catch (Exception ex) when (ex is InvalidOperationException or IOException)
                    {
                        LogRestartFailed(_logger, delay.TotalSeconds, ex.Message);
                        delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, MaxRestartDelay.Ticks));
                    }
                }
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
        }
    }

    private int ReadPostmasterPid()
    {
        try
        {
            var first = File.ReadLines(Path.Combine(DataDirectory, "postmaster.pid")).FirstOrDefault();
            return int.TryParse(first, NumberStyles.None, CultureInfo.InvariantCulture, out var pid) ? pid : 0;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return 0;
        }
    }

    /// <summary>A postgres process with that id exists and is not a zombie (an orphaned postmaster is not our child, so nobody here reaps it).</summary>
    private static bool IsAlive(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var close = stat.LastIndexOf(')');
            var name = stat[(stat.IndexOf('(', StringComparison.Ordinal) + 1)..close];
            var state = stat.Length > close + 2 ? stat[close + 2] : 'X';
            return name.StartsWith("postgres", StringComparison.Ordinal) && state is not ('Z' or 'X');
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    private Task RunAsync(string tool, IReadOnlyList<string> args, CancellationToken cancellationToken) =>
        RunProcessAsync(Path.Combine(_binDirectory ?? throw new InvalidOperationException("The server has not been started."), tool), args, asServiceUser: IsRoot, cancellationToken);

    private async Task<bool> TryRunAsync(string tool, IReadOnlyList<string> args)
    {
        try
        {
            await RunAsync(tool, args, CancellationToken.None);
            return true;
        }
        catch (InvalidOperationException ex)
        {
            LogToolFailed(_logger, tool, ex.Message);
            return false;
        }
    }

    private static async Task RunProcessAsync(string file, IReadOnlyList<string> args, bool asServiceUser, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(asServiceUser ? "runuser" : file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (asServiceUser)
        {
            start.ArgumentList.Add("-u");
            start.ArgumentList.Add(ServiceUser);
            start.ArgumentList.Add("--");
            start.ArgumentList.Add(file);
        }

        foreach (var a in args)
        {
            start.ArgumentList.Add(a);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {file}.");
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{Path.GetFileName(file)} {string.Join(' ', args)} failed ({process.ExitCode}): {await stderr}{await stdout}");
        }
    }


    [LoggerMessage(EventId = 5101, Level = LogLevel.Information, Message = "Started a private PostgreSQL server on 127.0.0.1:{Port} with data in {DataDirectory} (pid {Pid})")]
    private static partial void LogStarted(ILogger logger, int port, string dataDirectory, int pid);

    [LoggerMessage(EventId = 4002, Level = LogLevel.Information, Message = "Stopped the private PostgreSQL server of {DataDirectory}")]
    private static partial void LogStopped(ILogger logger, string dataDirectory);

    [LoggerMessage(EventId = 4003, Level = LogLevel.Information, Message = "Creating a PostgreSQL data folder in {DataDirectory}")]
    private static partial void LogCreating(ILogger logger, string dataDirectory);

    [LoggerMessage(EventId = 4004, Level = LogLevel.Warning, Message = "A PostgreSQL (pid {Pid}) left running by a server that did not stop cleanly holds {DataDirectory}; stopping it before starting afresh")]
    private static partial void LogStoppingLeftover(ILogger logger, int pid, string dataDirectory);

    [LoggerMessage(EventId = 4005, Level = LogLevel.Error, Message = "The private PostgreSQL server (pid {Pid}) of {DataDirectory} has died; restarting it")]
    private static partial void LogDied(ILogger logger, int pid, string dataDirectory);

    [LoggerMessage(EventId = 4006, Level = LogLevel.Warning, Message = "The private PostgreSQL server did not start again; next attempt after {DelaySeconds} s: {Reason}")]
    private static partial void LogRestartFailed(ILogger logger, double delaySeconds, string reason);

    [LoggerMessage(EventId = 4007, Level = LogLevel.Warning, Message = "Waiting up to {Seconds} s for the Aggregation server (pid {Owner}) that holds {DataDirectory} to stop")]
    private static partial void LogWaitingForOwner(ILogger logger, string owner, string dataDirectory, double seconds);

    [LoggerMessage(EventId = 4008, Level = LogLevel.Warning, Message = "The private PostgreSQL server of {DataDirectory} did not stop in time; stopping it immediately (it recovers from its WAL on the next start)")]
    private static partial void LogImmediateStop(ILogger logger, string dataDirectory);

    [LoggerMessage(EventId = 4009, Level = LogLevel.Warning, Message = "The private PostgreSQL server of {DataDirectory} was already down at shutdown")]
    private static partial void LogAlreadyDead(ILogger logger, string dataDirectory);

    [LoggerMessage(EventId = 4010, Level = LogLevel.Warning, Message = "{Tool} failed: {Reason}")]
    private static partial void LogToolFailed(ILogger logger, string tool, string reason);
}
