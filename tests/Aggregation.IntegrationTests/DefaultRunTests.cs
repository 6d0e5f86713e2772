namespace Aggregation.IntegrationTests;

/// <summary>
/// The README's run command on a machine without PostgreSQL's binaries and without a connection
/// string. The machine is simulated by a mount namespace whose /usr/lib/postgresql is an empty
/// folder: the binaries are gone, the links to them dangle, and dpkg still lists the package, so
/// the server must notice the files are missing and bring them back itself.
/// </summary>
public sealed class DefaultRunTests
{
    [Fact]
    public async Task On_a_machine_without_PostgreSQL_binaries_the_run_command_installs_them_says_so_and_serves()
    {
        RequireRoot();
        var root = Directory.CreateTempSubdirectory("aggregation-no-postgres-");
        try
        {
            var arguments = SiloProcess.CommandLine(out var address, null, "fresh-machine", $"--Database:DataDirectory={Path.Combine(root.FullName, "pg")}");
            await using var server = await SiloProcess.StartWithAsync(WithoutPostgres(arguments), address, healthyWithin: TimeSpan.FromMinutes(5), program: "unshare");

            Assert.Contains("installing Debian's postgresql package", server.AllOutput, StringComparison.Ordinal);
            Assert.Contains("PostgreSQL's server binaries are in /usr/lib/postgresql/", server.AllOutput, StringComparison.Ordinal);
            var units = await new Protos.V1.Catalog.CatalogClient(server.Channel).ListUnitsAsync(new Protos.V1.ListUnitsRequest { AncestorCode = ServerFixture.ProvinceCode, AsOf = "2025-06-30", PageSize = 500 });
            Assert.NotEmpty(units.Units);
            await server.StopAsync(TimeSpan.FromSeconds(60));
            Assert.False(File.Exists(Path.Combine(root.FullName, "pg", "postmaster.pid")), "the private PostgreSQL outlived the server");
        }
        finally
        {
            root.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task Without_PostgreSQL_binaries_and_installing_turned_off_the_server_exits_saying_what_to_install()
    {
        RequireRoot();
        var root = Directory.CreateTempSubdirectory("aggregation-no-postgres-");
        try
        {
            var arguments = SiloProcess.CommandLine(out _, null, "no-install", $"--Database:DataDirectory={Path.Combine(root.FullName, "pg")}", "--Database:InstallServer=false");
            var (exit, errors, output) = await SiloProcess.RunToExitAsync(WithoutPostgres(arguments), program: "unshare");

            Assert.Equal(1, exit);
            var message = errors + output;
            Assert.Contains("apt-get install postgresql", message, StringComparison.Ordinal);
            Assert.Contains("Database:ConnectionString", message, StringComparison.Ordinal);
        }
        finally
        {
            root.Delete(recursive: true);
        }
    }

    /// <summary><c>unshare</c> arguments that run <c>dotnet</c> with <paramref name="arguments"/> where /usr/lib/postgresql is empty.</summary>
    private static string[] WithoutPostgres(IEnumerable<string> arguments) =>
        ["--mount", "--propagation", "private", "--", "sh", "-c", "mount -t tmpfs aggregation-test /usr/lib/postgresql && exec dotnet \"$@\"", "sh", .. arguments];

    private static void RequireRoot() =>
        Assert.True(Environment.UserName == "root", "These tests hide PostgreSQL in a mount namespace and let the server install it, which needs root (CI runs as root).");
}
