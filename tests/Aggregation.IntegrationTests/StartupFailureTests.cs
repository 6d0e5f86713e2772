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
        var (exit, errors, output) = await SiloProcess.RunToExitAsync(arguments);

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

        var (exit, errors, output) = await SiloProcess.RunToExitAsync(arguments);

        Assert.True(exit == 1, $"exit {exit}:{Environment.NewLine}{errors}{output}");
        Assert.Contains($"127.0.0.1:{port}", errors, StringComparison.Ordinal);
        Assert.Contains("Another process holds the port", errors, StringComparison.Ordinal);
        Assert.DoesNotContain("Unhandled exception", errors, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Migrate_against_a_PostgreSQL_that_refuses_connections_exits_saying_which_server()
    {
        var port = LoopbackPorts.Take();
        var (exit, errors, output) = await SiloProcess.RunToExitAsync([Path.Combine(SiloProcess.ServerDirectory, "Aggregation.Server.dll"), "migrate", $"--Database:ConnectionString=Host=127.0.0.1;Port={port};Username=postgres;Database=aggregation"]);

        Assert.True(exit == 1, $"exit {exit}:{Environment.NewLine}{errors}{output}");
        Assert.Contains($"PostgreSQL at 127.0.0.1:{port} cannot be reached", errors, StringComparison.Ordinal);
        Assert.DoesNotContain("Unhandled exception", errors, StringComparison.Ordinal);
    }
}
