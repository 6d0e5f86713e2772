using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Aggregation.Security;
using Aggregation.Storage;
using Grpc.Health.V1;
using Grpc.Net.Client;

namespace Aggregation.IntegrationTests;

/// <summary>
/// deploy/compose brought up with podman-compose, as the README tells an operator to on a machine that
/// reaches no container registry: images from deploy/images/build-local.sh (the Debian base kept in
/// podman's store, the server image rebuilt from this tree), every port chosen free on loopback, its
/// own project name (so its containers, volume and cluster are its own), torn down with its volume.
/// </summary>
internal sealed partial class ComposeDeployment : IAsyncDisposable
{
    private static readonly string Root = RepositoryRoot();
    private static readonly string ComposeFile = Path.Combine(Root, "deploy", "compose", "compose.yaml");
    private static readonly string[] Services = ["postgres", "migrate", "silo1", "silo2", "silo3", "grpc"];

    private readonly Dictionary<string, string> _environment;
    private readonly StringBuilder _log = new();

    private ComposeDeployment(string project, Dictionary<string, string> environment)
    {
        Project = project;
        _environment = environment;
        var key = ComposeSigningKey();
        Address = $"http://127.0.0.1:{environment["GRPC_PORT"]}";
        Channel = TestCredentials.Channel(Address, TokenIssuer.Issue(TestCredentials.Operator, key, TimeSpan.FromHours(2)));
        MinistryChannel = TestCredentials.Channel(Address, TokenIssuer.Issue(TestCredentials.Ministry, key, TimeSpan.FromHours(2)));
    }

    public string Project { get; }

    /// <summary>The front end (nginx), the one address clients are given.</summary>
    public string Address { get; }

    /// <summary>Calls through the front end as the tenant's operator, with a token signed by the compose file's key.</summary>
    public GrpcChannel Channel { get; }

    /// <summary>Calls through the front end as the ministry.</summary>
    public GrpcChannel MinistryChannel { get; }

    /// <summary>The deployment's PostgreSQL, as the silos reach it.</summary>
    public string ConnectionString => $"Host=127.0.0.1;Port={_environment["POSTGRES_PORT"]};Username=aggregation;Password=change-me;Database=aggregation";

    /// <summary>What was run and how long each step took, for the test's output.</summary>
    public string Log => _log.ToString();

    /// <summary>Builds the images (when missing), brings the deployment up and waits until the front end serves.</summary>
    public static async Task<ComposeDeployment> StartAsync(TimeSpan buildWithin, TimeSpan serveWithin)
    {
        var environment = new Dictionary<string, string>
        {
            ["CONTAINERS_CONF"] = Path.Combine(Root, "deploy", "images", "containers.conf"),
            ["GRPC_PORT"] = Port(),
            ["POSTGRES_PORT"] = Port(),
        };
        foreach (var silo in new[] { "SILO1", "SILO2", "SILO3" })
        {
            foreach (var port in new[] { "GRPC", "WEB", "SILO", "GATEWAY" })
            {
                environment[$"{silo}_{port}_PORT"] = Port();
            }
        }

        var deployment = new ComposeDeployment($"aggregation-test-{Guid.NewGuid():N}"[..27], environment);
        try
        {
            var build = await deployment.RunAsync(Path.Combine(Root, "deploy", "images", "build-local.sh"), [], buildWithin);
            foreach (Match assignment in ExportedVariable().Matches(build))
            {
                environment[assignment.Groups[1].Value] = assignment.Groups[2].Value;
            }

            await deployment.ComposeAsync(TimeSpan.FromMinutes(2), "up", "-d");
            var clock = Stopwatch.StartNew();
            await deployment.WaitServingAsync(deployment.Address, serveWithin);
            deployment._log.AppendLine(CultureInfo.InvariantCulture, $"front end serving {clock.Elapsed.TotalSeconds:0.0} s after up");
        }
        catch
        {
            await deployment.DisposeAsync();
            throw;
        }

        return deployment;
    }

    /// <summary>The gRPC address of one silo, bypassing the front end.</summary>
    public string SiloAddress(int silo) => $"http://127.0.0.1:{_environment[$"SILO{silo}_GRPC_PORT"]}";

    /// <summary>
    /// SIGKILL to the process a service's container runs, from the host: what a crash or the
    /// out-of-memory killer does. (`podman kill` would count as an operator's stop, which the
    /// restart policy leaves stopped.)
    /// </summary>
    public async Task KillAsync(string service)
    {
        var pid = (await PodmanAsync("inspect", "--format", "{{.State.Pid}}", Container(service))).Trim();
        using var kill = Process.Start("kill", ["-KILL", pid])!;
        await kill.WaitForExitAsync();
        Assert.True(kill.ExitCode == 0, $"kill -KILL {pid} ({service}) failed");
        _log.AppendLine(CultureInfo.InvariantCulture, $"kill -KILL {pid} ({service}'s server process)");
    }

    /// <summary>How many times the engine has restarted the service's container (its restart policy at work).</summary>
    public async Task<int> RestartCountAsync(string service) =>
        int.Parse((await PodmanAsync("inspect", "--format", "{{.RestartCount}}", Container(service))).Trim(), CultureInfo.InvariantCulture);

    /// <summary>A graceful stop (SIGTERM, then the engine's grace period), as an upgrade stops a silo.</summary>
    public Task StopAsync(string service) => PodmanAsync("stop", "--time", "30", Container(service));

    public Task StartAsync(string service) => PodmanAsync("start", Container(service));

    /// <summary>Whether the service's container is running now.</summary>
    public async Task<bool> IsRunningAsync(string service) =>
        (await PodmanAsync("inspect", "--format", "{{.State.Running}}", Container(service))).Trim() == "true";

    /// <summary>Waits until the health service at <paramref name="address"/> answers SERVING.</summary>
    public async Task WaitServingAsync(string address, TimeSpan within)
    {
        using var channel = GrpcChannel.ForAddress(address);
        var health = new Health.HealthClient(channel);
        try
        {
            await Eventually.WaitAsync(
                async () => (await health.CheckAsync(new HealthCheckRequest(), deadline: DateTime.UtcNow.AddSeconds(5))).Status,
                s => s == HealthCheckResponse.Types.ServingStatus.Serving,
                within,
                s => $"health {s}");
        }
        catch (TimeoutException ex)
        {
            throw new TimeoutException($"{address} did not serve within {within.TotalSeconds:0} s ({ex.Message}).{Environment.NewLine}{await ContainerLogsAsync()}", ex);
        }
    }

    /// <summary>The last lines of every container's output and its state, for failure messages.</summary>
    public async Task<string> ContainerLogsAsync()
    {
        var text = new StringBuilder();
        foreach (var service in Services)
        {
            try
            {
                var name = Container(service);
                var state = await RunAsync("podman", ["inspect", "--format", "{{.State.Status}} exit {{.State.ExitCode}} restarts {{.RestartCount}}", name], TimeSpan.FromSeconds(30), log: false);
                var logs = await RunAsync("podman", ["logs", "--tail", "15", name], TimeSpan.FromSeconds(30), log: false);
                text.AppendLine(CultureInfo.InvariantCulture, $"--- {service} ({state.Trim()})").AppendLine(logs.Trim());
            }
            catch (Exception ex) when (ex is InvalidOperationException or TimeoutException)
            {
                text.AppendLine(CultureInfo.InvariantCulture, $"--- {service}: {ex.Message}");
            }
        }

        return text.ToString();
    }

    public async ValueTask DisposeAsync()
    {
        Channel.Dispose();
        MinistryChannel.Dispose();
        try
        {
            await ComposeAsync(TimeSpan.FromMinutes(2), "down", "-v", "-t", "10");

            // podman-compose 1.0.3 declares the project's (unused) bridge network and leaves it behind.
            await PodmanAsync("network", "rm", "-f", $"{Project}_default");
        }
        catch (Exception ex) when (ex is InvalidOperationException or TimeoutException)
        {
            // Whatever stays behind carries this project's name and never the next run's ports.
            _log.AppendLine(CultureInfo.InvariantCulture, $"down failed: {ex.Message}");
        }
    }

    private string Container(string service) => $"{Project}_{service}_1";

    private Task<string> ComposeAsync(TimeSpan within, params string[] arguments) =>
        RunAsync("podman-compose", ["--podman-path", Path.Combine(Root, "deploy", "compose", "podman-host-network"), "-p", Project, "-f", ComposeFile, .. arguments], within);

    private Task<string> PodmanAsync(params string[] arguments) => RunAsync("podman", arguments, TimeSpan.FromMinutes(1));

    /// <summary>Runs a program from the repository root with the deployment's variables; its output, or an exception saying why it failed.</summary>
    private async Task<string> RunAsync(string program, IEnumerable<string> arguments, TimeSpan within, bool log = true)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = Root };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var (name, value) in _environment)
        {
            start.Environment[name] = value;
        }

        var command = $"{program} {string.Join(' ', start.ArgumentList)}";
        var clock = Stopwatch.StartNew();
        Process process;
        try
        {
            process = Process.Start(start)!;
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            throw new InvalidOperationException($"'{program}' could not be started ({ex.Message}): tests/run.sh installs podman, podman-compose, runc and debootstrap from Debian's packages.", ex);
        }

        using (process)
        {
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            using var timeout = new CancellationTokenSource(within);
            try
            {
                await process.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                throw new TimeoutException($"'{command}' did not finish within {within.TotalSeconds:0} s:{Environment.NewLine}{Tail(await stderr)}");
            }

            if (log)
            {
                _log.AppendLine(CultureInfo.InvariantCulture, $"{command}: {clock.Elapsed.TotalSeconds:0.0} s");
                if (program.EndsWith(".sh", StringComparison.Ordinal))
                {
                    _log.AppendLine((await stderr).Split('\n').Where(l => l.StartsWith("build-local:", StringComparison.Ordinal)).Aggregate(string.Empty, (a, l) => a + l + Environment.NewLine).TrimEnd());
                }
            }

            if (process.ExitCode != 0)
            {
                throw new InvalidOperationException($"'{command}' failed (exit {process.ExitCode}):{Environment.NewLine}{Tail(await stderr)}{Environment.NewLine}{Tail(await stdout)}");
            }

            return await stdout;
        }
    }

    private static string Tail(string text) => string.Join(Environment.NewLine, text.Split('\n').TakeLast(30));

    private static string Port() => LoopbackPorts.Take().ToString(CultureInfo.InvariantCulture);

    /// <summary>The key the compose file gives every silo: tokens an operator issues with it are accepted.</summary>
    private static SigningKey ComposeSigningKey()
    {
        var compose = File.ReadAllText(ComposeFile);
        var id = SettingValue().Matches(compose).Single(m => m.Groups[1].Value == "Id").Groups[2].Value;
        var secret = SettingValue().Matches(compose).Single(m => m.Groups[1].Value == "Secret").Groups[2].Value;
        return new SigningKey(id, Convert.FromBase64String(secret));
    }

    [GeneratedRegex("Security__Jwt__SigningKeys__0__(Id|Secret): \"([^\"]+)\"")]
    private static partial Regex SettingValue();

    [GeneratedRegex("""([A-Z_]+)='([^']*)'""")]
    private static partial Regex ExportedVariable();

    private static string RepositoryRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Aggregation.sln")))
        {
            dir = dir.Parent;
        }

        return dir!.FullName;
    }
}
