using System.Diagnostics;
using System.Runtime.InteropServices;
using Aggregation.Storage;
using Grpc.Health.V1;
using Grpc.Net.Client;

namespace Aggregation.IntegrationTests;

/// <summary>
/// A silo in its own process (the built server, as an operator runs it), so that a test can kill it
/// hard. Joins the cluster of its PostgreSQL database; its output is kept for failure messages.
/// </summary>
internal sealed class SiloProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly List<string> _output = [];
    private long _outputBytes;

    private SiloProcess(Process process, string address, IReadOnlyList<string> arguments)
    {
        _process = process;
        Address = address;
        Arguments = arguments;
        Channel = TestCredentials.Channel(address, TestCredentials.Operator);
        MinistryChannel = TestCredentials.Channel(address, TestCredentials.Ministry);
        process.OutputDataReceived += (_, e) => Keep(e.Data);
        process.ErrorDataReceived += (_, e) => Keep(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public string Address { get; }

    /// <summary>The command line it was started with: starting another with the same is "running the same command again".</summary>
    public IReadOnlyList<string> Arguments { get; }

    public int ProcessId => _process.Id;

    public bool HasExited => _process.HasExited;

    /// <summary>Bytes the server has written to standard output and error so far (its log).</summary>
    public long OutputBytes => Interlocked.Read(ref _outputBytes);

    /// <summary>Every line the server wrote.</summary>
    public string AllOutput
    {
        get
        {
            lock (_output)
            {
                return string.Join(Environment.NewLine, _output);
            }
        }
    }

    /// <summary>Calls as the tenant's operator.</summary>
    public GrpcChannel Channel { get; }

    /// <summary>Calls as the ministry (reads the nation).</summary>
    public GrpcChannel MinistryChannel { get; }

    public string Output
    {
        get
        {
            lock (_output)
            {
                return string.Join(Environment.NewLine, _output.TakeLast(40));
            }
        }
    }

    /// <summary>A silo on <paramref name="connectionString"/>, or, when it is null, on a private PostgreSQL in <c>--Database:DataDirectory</c> given in <paramref name="extra"/> (the README's run).</summary>
    public static Task<SiloProcess> StartAsync(string? connectionString, string clusterId, params string[] extra) =>
        StartWithAsync(CommandLine(out var address, connectionString, clusterId, extra), address);

    /// <summary>The server's command line (after <c>dotnet</c>) on free ports, with the tests' keys and timings.</summary>
    public static string[] CommandLine(out string address, string? connectionString, string clusterId, params string[] extra)
    {
        address = $"http://127.0.0.1:{LoopbackPorts.Take()}";
        return
        [
            Path.Combine(ServerDirectory, "Aggregation.Server.dll"),
            $"--Kestrel:Endpoints:Grpc:Url={address}",
            $"--Kestrel:Endpoints:Web:Url=http://127.0.0.1:{LoopbackPorts.Take()}",
            $"--Orleans:SiloPort={LoopbackPorts.Take()}",
            $"--Orleans:GatewayPort={LoopbackPorts.Take()}",
            $"--Orleans:ClusterId={clusterId}",
            .. connectionString is null ? Array.Empty<string>() : [$"--Database:ConnectionString={connectionString}"],
            "--Orleans:Membership:ProbeTimeout=00:00:01",
            "--Orleans:Membership:NumMissedProbesLimit=2",
            "--Orleans:Membership:NumVotesForDeathDeclaration=1",
            "--Orleans:Membership:IAmAliveTablePublishTimeout=00:00:05",
            "--Rollup:FlushInterval=00:00:00.010",
            "--Rollup:SweepInterval=00:00:05",
            "--Subscriptions:RenewInterval=00:00:02",
            "--Subscriptions:HeartbeatInterval=00:00:01",
            "--Logging:LogLevel:Default=Warning",
            "--Logging:LogLevel:Aggregation=Information",
            .. TestCredentials.ServerArguments,
            .. extra,
        ];
    }

    /// <summary>
    /// Runs <paramref name="program"/> with <paramref name="arguments"/> from the server's folder until it exits
    /// (a server that refuses to start), for at most a minute; its exit code and what it wrote.
    /// </summary>
    public static async Task<(int Exit, string Errors, string Output)> RunToExitAsync(IEnumerable<string> arguments, string program = "dotnet")
    {
        var start = new ProcessStartInfo(program) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false, WorkingDirectory = ServerDirectory };
        foreach (var a in arguments)
        {
            start.ArgumentList.Add(a);
        }

        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await stderr, await stdout);
    }

    /// <summary>Starts the server with exactly <paramref name="arguments"/> (another's <see cref="Arguments"/>: the same command again).</summary>
    public static async Task<SiloProcess> StartWithAsync(IReadOnlyList<string> arguments, string address, TimeSpan? healthyWithin = null, string program = "dotnet")
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = ServerDirectory };
        foreach (var arg in arguments)
        {
            start.ArgumentList.Add(arg);
        }

        var silo = new SiloProcess(Process.Start(start)!, address, arguments);
        try
        {
            await silo.WaitHealthyAsync(healthyWithin ?? TimeSpan.FromSeconds(60));
        }
        catch
        {
            await silo.DisposeAsync();
            throw;
        }

        return silo;
    }

    /// <summary>Kills the process and its children without any shutdown: what a power cut does.</summary>
    public void Kill() => _process.Kill(entireProcessTree: true);

    /// <summary>SIGKILL to the server process alone: whatever it started outside its process tree (a detached PostgreSQL) lives on.</summary>
    public async Task KillServerOnlyAsync()
    {
        _process.Kill(entireProcessTree: false);
        await _process.WaitForExitAsync();
    }

    /// <summary>SIGTERM, as systemd or Kubernetes stop a server; returns how long it took to exit (the wait is bounded by <paramref name="limit"/>).</summary>
    public async Task<TimeSpan> StopAsync(TimeSpan limit)
    {
        // Timed by a thread of its own that watches /proc: this test process may be running a load
        // that keeps its thread pool (and so the notice of a child's exit) seconds behind.
        var started = Stopwatch.StartNew();
        Assert.Equal(0, Kill(_process.Id, Sigterm));
        var exited = new TaskCompletionSource<TimeSpan>(TaskCreationOptions.RunContinuationsAsynchronously);
        var pid = _process.Id;
        new Thread(() =>
        {
            SpinWait.SpinUntil(() => !IsRunning(pid), limit);
            exited.SetResult(started.Elapsed);
        })
        {
            IsBackground = true,
        }.Start();
        var took = await exited.Task;
        if (took >= limit)
        {
            throw new TimeoutException($"The server did not exit within {limit.TotalSeconds:0} s of SIGTERM:{Environment.NewLine}{Output}");
        }

        await _process.WaitForExitAsync();
        return took;
    }

    private const int Sigterm = 15;

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);

    /// <summary>Whether the process still runs: a process that ended but is not yet reaped is a zombie ("Z").</summary>
    private static bool IsRunning(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)..].FirstOrDefault() is not ('Z' or 'X');
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException or IOException)
        {
            return false;
        }
    }

    public int ExitCode => _process.ExitCode;

    public async ValueTask DisposeAsync()
    {
        Channel.Dispose();
        MinistryChannel.Dispose();
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }

    public async Task WaitHealthyAsync(TimeSpan timeout)
    {
        var health = new Health.HealthClient(Channel);
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"The silo exited with {_process.ExitCode}:{Environment.NewLine}{Output}");
            }

            try
            {
                if ((await health.CheckAsync(new HealthCheckRequest(), deadline: DateTime.UtcNow.AddSeconds(5))).Status == HealthCheckResponse.Types.ServingStatus.Serving)
                {
                    return;
                }
            }
            catch (Grpc.Core.RpcException)
            {
                // Not listening yet.
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"The silo at {Address} did not become healthy:{Environment.NewLine}{Output}");
            }

            await Task.Delay(TimeSpan.FromMilliseconds(200));
        }
    }

    private void Keep(string? line)
    {
        if (line is null)
        {
            return;
        }

        Interlocked.Add(ref _outputBytes, System.Text.Encoding.UTF8.GetByteCount(line) + 1);
        lock (_output)
        {
            _output.Add(line);
        }
    }

    /// <summary>The server's build output, built with the same configuration as the tests.</summary>
    public static string ServerDirectory
    {
        get
        {
            var testBin = new DirectoryInfo(AppContext.BaseDirectory);
            var configuration = testBin.Parent!.Name;
            var root = testBin;
            while (root is not null && !File.Exists(Path.Combine(root.FullName, "Aggregation.sln")))
            {
                root = root.Parent;
            }

            return Path.Combine(root!.FullName, "src", "Aggregation.Server", "bin", configuration, "net10.0");
        }
    }

}
