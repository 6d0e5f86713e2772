using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
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

    private SiloProcess(Process process, string address)
    {
        _process = process;
        Address = address;
        Channel = TestCredentials.Channel(address, TestCredentials.Operator);
        MinistryChannel = TestCredentials.Channel(address, TestCredentials.Ministry);
        process.OutputDataReceived += (_, e) => Keep(e.Data);
        process.ErrorDataReceived += (_, e) => Keep(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public string Address { get; }

    /// <summary>The silo's operating-system process id (its memory can be read under /proc).</summary>
    public int ProcessId => _process.Id;

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

    public static async Task<SiloProcess> StartAsync(string connectionString, string clusterId, params string[] extra)
    {
        var port = FreePort();
        var address = $"http://127.0.0.1:{port}";
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = ServerDirectory };
        foreach (var arg in new[]
        {
            Path.Combine(ServerDirectory, "Aggregation.Server.dll"),
            $"--Kestrel:Endpoints:Grpc:Url={address}",
            $"--Kestrel:Endpoints:Web:Url=http://127.0.0.1:{FreePort()}",
            $"--Orleans:SiloPort={FreePort()}",
            $"--Orleans:GatewayPort={FreePort()}",
            $"--Orleans:ClusterId={clusterId}",
            $"--Database:ConnectionString={connectionString}",
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
        }.Concat(TestCredentials.ServerArguments).Concat(extra))
        {
            start.ArgumentList.Add(arg);
        }

        var silo = new SiloProcess(Process.Start(start)!, address);
        await silo.WaitHealthyAsync(TimeSpan.FromSeconds(60));
        return silo;
    }

    /// <summary>Kills the process and its children without any shutdown: what a power cut does.</summary>
    public void Kill() => _process.Kill(entireProcessTree: true);

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

    private async Task WaitHealthyAsync(TimeSpan timeout)
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

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
