using System.Diagnostics;

namespace Aggregation.IntegrationTests;

/// <summary>The README's run command on a machine without PostgreSQL and without a connection string.</summary>
public sealed class DefaultRunTests
{
    [Fact]
    public async Task Without_postgres_binaries_or_a_connection_string_the_server_exits_saying_what_to_install()
    {
        var empty = Directory.CreateTempSubdirectory("no-postgres-");
        try
        {
            var start = new ProcessStartInfo("dotnet") { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false, WorkingDirectory = SiloProcess.ServerDirectory };
            start.ArgumentList.Add(Path.Combine(SiloProcess.ServerDirectory, "Aggregation.Server.dll"));
            start.ArgumentList.Add("--Kestrel:Endpoints:Grpc:Url=http://127.0.0.1:0");
            start.ArgumentList.Add("--Kestrel:Endpoints:Web:Url=http://127.0.0.1:0");
            start.Environment["AGGREGATION_PG_BIN"] = empty.FullName;
            using var process = Process.Start(start)!;
            var stderr = process.StandardError.ReadToEndAsync();
            var stdout = process.StandardOutput.ReadToEndAsync();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            await process.WaitForExitAsync(timeout.Token);

            Assert.Equal(1, process.ExitCode);
            var message = await stderr + await stdout;
            Assert.Contains("apt-get install postgresql", message, StringComparison.Ordinal);
            Assert.Contains("Database:ConnectionString", message, StringComparison.Ordinal);
        }
        finally
        {
            empty.Delete(recursive: true);
        }
    }
}
