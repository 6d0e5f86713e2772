using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Aggregation.Storage;

namespace Aggregation.IntegrationTests;

/// <summary>The built server, run as an operator runs it, when what it needs cannot be had: the PostgreSQL it is given, or its port.</summary>
public sealed class StartupFailureTests
{
    [Fact]
    public async Task A_server_whose_configured_PostgreSQL_refuses_connections_exits_saying_which_server_and_which_setting()
    {
        var port = LoopbackPorts.Take();
        var arguments = SiloProcess.CommandLine(out _, $"Host=127.0.0.1;Port={port};Username=postgres;Database=aggregation", "refused");
        var (exit, errors, output) = await RunAsync(arguments);

        Assert.True(exit == 1, $"exit {exit}:{Environment.NewLine}{errors}{output}");
        Assert.Contains($"PostgreSQL at 127.0.0.1:{port} cannot be reached", errors, StringComparison.Ordinal);
        Assert.Contains("Database:ConnectionString", errors, StringComparison.Ordinal);
        Assert.DoesNotContain("Unhandled exception", errors, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_server_whose_grpc_port_another_process_holds_exits_saying_so()
    {
        var arguments = SiloProcess.CommandLine(out var address, await TestPostgres.CreateDatabaseAsync(), "port-held");
        var port = new Uri(address).Port;
        using var holder = new TcpListener(IPAddress.Loopback, port);
        holder.Start();

        var (exit, errors, output) = await RunAsync(arguments);

        Assert.True(exit == 1, $"exit {exit}:{Environment.NewLine}{errors}{output}");
        Assert.Contains($"127.0.0.1:{port}", errors, StringComparison.Ordinal);
        Assert.Contains("Another process holds the port", errors, StringComparison.Ordinal);
        Assert.DoesNotContain("Unhandled exception", errors, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Migrate_against_a_PostgreSQL_that_refuses_connections_exits_saying_which_server()
    {
        var port = LoopbackPorts.Take();
        var (exit, errors, output) = await RunAsync([Path.Combine(SiloProcess.ServerDirectory, "Aggregation.Server.dll"), "migrate", $"--Database:ConnectionString=Host=127.0.0.1;Port={port};Username=postgres;Database=aggregation"]);

        Assert.True(exit == 1, $"exit {exit}:{Environment.NewLine}{errors}{output}");
        Assert.Contains($"PostgreSQL at 127.0.0.1:{port} cannot be reached", errors, StringComparison.Ordinal);
        Assert.DoesNotContain("Unhandled exception", errors, StringComparison.Ordinal);
    }

    /// <summary>Runs <c>dotnet</c> with <paramref name="arguments"/> until it exits (at most a minute).</summary>
    private static async Task<(int Exit, string Errors, string Output)> RunAsync(IEnumerable<string> arguments)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false, WorkingDirectory = SiloProcess.ServerDirectory };
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
}
