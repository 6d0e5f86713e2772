using System.Diagnostics;
using Aggregation.Storage;

namespace Aggregation.IntegrationTests;

/// <summary>The built server, run as an operator runs it, when the PostgreSQL it is given cannot be had.</summary>
public sealed class StartupFailureTests
{
    [Fact]
    public async Task A_server_whose_configured_PostgreSQL_refuses_connections_exits_saying_which_server_and_which_setting()
    {
        var port = LoopbackPorts.Take();
        var arguments = SiloProcess.CommandLine(out _, $"Host=127.0.0.1;Port={port};Username=postgres;Database=aggregation", "refused");
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

        var errors = await stderr;
        Assert.True(process.ExitCode == 1, $"exit {process.ExitCode}:{Environment.NewLine}{errors}{await stdout}");
        Assert.Contains($"PostgreSQL at 127.0.0.1:{port} cannot be reached", errors, StringComparison.Ordinal);
        Assert.Contains("Database:ConnectionString", errors, StringComparison.Ordinal);
        Assert.DoesNotContain("Unhandled exception", errors, StringComparison.Ordinal);
    }
}
