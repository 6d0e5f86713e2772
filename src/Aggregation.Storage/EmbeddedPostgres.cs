using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;

namespace Aggregation.Storage;

/// <summary>
/// A private PostgreSQL server started from the machine's installed binaries: initdb on first use
/// into a data folder that survives restarts, started on a free loopback port, stopped on dispose.
/// Works as root (as CI runs) by running the server as the <c>postgres</c> system user.
/// </summary>
public sealed class EmbeddedPostgres : IAsyncDisposable
{
    private const string ServiceUser = "postgres";
    private readonly string _binDirectory;
    private readonly ILogger _logger;
    private bool _running;

    private EmbeddedPostgres(string binDirectory, string dataDirectory, int port, ILogger logger)
    {
        _binDirectory = binDirectory;
        DataDirectory = dataDirectory;
        Port = port;
        _logger = logger;
    }

    public string DataDirectory { get; }

    public int Port { get; }

    public string ConnectionString(string database = "postgres") =>
        $"Host=127.0.0.1;Port={Port};Username={ServiceUser};Database={database};Pooling=true;Maximum Pool Size=150;Timeout=60";

    private static bool IsRoot => Environment.UserName == "root";

    /// <summary>The default data folder: under /var/lib when root (root's home is not traversable by postgres), else the user's data folder.</summary>
    public static string DefaultDataDirectory() => IsRoot
        ? "/var/lib/aggregation/postgres"
        : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData, Environment.SpecialFolderOption.Create), "aggregation", "postgres");

    /// <summary>The folder holding initdb and pg_ctl, or null when PostgreSQL is not installed.</summary>
    public static string? FindBinaries()
    {
        var configured = Environment.GetEnvironmentVariable("AGGREGATION_PG_BIN");
        if (!string.IsNullOrEmpty(configured))
        {
            return File.Exists(Path.Combine(configured, "pg_ctl")) ? configured : null;
        }

        const string debianRoot = "/usr/lib/postgresql";
        if (Directory.Exists(debianRoot))
        {
            var newest = Directory.GetDirectories(debianRoot)
                .Select(d => Path.Combine(d, "bin"))
                .Where(d => File.Exists(Path.Combine(d, "initdb")) && File.Exists(Path.Combine(d, "pg_ctl")))
                .OrderByDescending(d => int.TryParse(Path.GetFileName(Path.GetDirectoryName(d)), out var v) ? v : 0)
                .FirstOrDefault();
            if (newest is not null)
            {
                return newest;
            }
        }

        var onPath = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':')
            .FirstOrDefault(d => d.Length > 0 && File.Exists(Path.Combine(d, "initdb")) && File.Exists(Path.Combine(d, "pg_ctl")));
        return onPath;
    }

    public static async Task<EmbeddedPostgres> StartAsync(string dataDirectory, ILogger logger, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(logger);
        var bin = FindBinaries() ?? throw new InvalidOperationException(
            "No PostgreSQL server binaries were found (initdb, pg_ctl). Install them (Debian: apt-get install postgresql) " +
            "or set Database:ConnectionString to a running server.");
        dataDirectory = Path.GetFullPath(dataDirectory);
        var server = new EmbeddedPostgres(bin, dataDirectory, FreePort(), logger);
        await server.InitializeAsync(cancellationToken);
        await server.StartServerAsync(cancellationToken);
        return server;
    }

    public async Task StopAsync()
    {
        if (!_running)
        {
            return;
        }

        _running = false;
        await RunAsync("pg_ctl", ["-D", DataDirectory, "-m", "fast", "-w", "-t", "60", "stop"], CancellationToken.None);
        _logger.LogInformation("Stopped the private PostgreSQL server of {DataDirectory}", DataDirectory);
    }

    /// <summary>Starts the server again after <see cref="StopAsync"/> on the same port (tests of a database outage).</summary>
    public Task RestartAsync(CancellationToken cancellationToken = default) => StartServerAsync(cancellationToken);

    public async ValueTask DisposeAsync() => await StopAsync();

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

        _logger.LogInformation("Creating a PostgreSQL data folder in {DataDirectory}", DataDirectory);
        await RunAsync("initdb", ["-D", DataDirectory, "-U", ServiceUser, "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8"], cancellationToken);
    }

    private async Task StartServerAsync(CancellationToken cancellationToken)
    {
        var options = $"-p {Port} -k {DataDirectory} -c listen_addresses=127.0.0.1 -c max_connections=400 -c synchronous_commit=on -c fsync=on";
        await RunAsync("pg_ctl", ["-D", DataDirectory, "-w", "-t", "60", "-l", Path.Combine(DataDirectory, "server.log"), "-o", options, "start"], cancellationToken);
        _running = true;
        _logger.LogInformation("Started a private PostgreSQL server on 127.0.0.1:{Port} with data in {DataDirectory}", Port, DataDirectory);
    }

    private Task RunAsync(string tool, IReadOnlyList<string> args, CancellationToken cancellationToken) =>
        RunProcessAsync(Path.Combine(_binDirectory, tool), args, asServiceUser: IsRoot, cancellationToken);

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

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
