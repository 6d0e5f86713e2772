using Aggregation.Protos.V1;
using Aggregation.Security;
using Grpc.Core;

namespace Aggregation.IntegrationTests;

/// <summary>What an operator reads in the server's log: where to start, and who was refused.</summary>
public sealed class ServerLogTests
{
    [Fact]
    public async Task The_start_log_names_the_dashboard_the_key_file_and_the_command_for_a_token_and_refusals_are_logged_rate_limited_without_the_token()
    {
        var db = await TestPostgres.CreateDatabaseAsync();
        var keyFile = Path.Combine(Directory.CreateTempSubdirectory("keys-").FullName, "signing-keys.json");
        var arguments = SiloProcess.CommandLine(out var address, db, "start-log-" + Guid.NewGuid().ToString("N"))
            .Where(a => !a.StartsWith("--Security:Jwt:SigningKeys", StringComparison.Ordinal))
            .Concat([$"--Security:Jwt:KeyFile={keyFile}", "--Logging:Throttle:Interval=00:10:00"])
            .ToList();
        var web = arguments.Single(a => a.StartsWith("--Kestrel:Endpoints:Web:Url=", StringComparison.Ordinal)).Split('=', 2)[1];

        await using var silo = await SiloProcess.StartWithAsync(arguments, address);
        var startLog = await WaitForLogAsync(silo, "Signing-key file");

        Assert.Contains($"Dashboard: {web}/", startLog, StringComparison.Ordinal);
        Assert.Contains($"Signing-key file: {keyFile}", startLog, StringComparison.Ordinal);
        Assert.Contains("aggregation token --tenant thai-nguyen --role viewer", startLog, StringComparison.Ordinal);
        Assert.True(File.Exists(keyFile), $"The log names {keyFile}, which does not exist");

        var foreign = TokenIssuer.Issue(TestCredentials.Operator, new SigningKey("k-elsewhere", new byte[32]), TimeSpan.FromHours(1));
        for (var i = 0; i < 20; i++)
        {
            using var channel = TestCredentials.Channel(address, foreign);
            var refused = await Assert.ThrowsAsync<RpcException>(() => new Catalog.CatalogClient(channel).ListProgrammesAsync(new ListProgrammesRequest()).ResponseAsync);
            Assert.Equal(StatusCode.Unauthenticated, refused.StatusCode);
        }

        var log = await WaitForLogAsync(silo, "Refused an unauthenticated call");
        Assert.Contains("UNKNOWN_SIGNING_KEY (kid 'k-elsewhere')", log, StringComparison.Ordinal);
        Assert.Equal(1, log.Split("Refused an unauthenticated call").Length - 1);
        Assert.DoesNotContain(foreign.Split('.')[1], silo.AllOutput, StringComparison.Ordinal);
        Assert.DoesNotContain(foreign.Split('.')[2], silo.AllOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task With_the_json_console_formatter_every_log_entry_is_one_json_line_with_its_event_id()
    {
        var db = await TestPostgres.CreateDatabaseAsync();
        var arguments = SiloProcess.CommandLine(out var address, db, "json-log-" + Guid.NewGuid().ToString("N"))
            .Concat(["--Logging:Console:FormatterName=json", "--Logging:LogLevel:Default=Information"])
            .ToList();

        await using var silo = await SiloProcess.StartWithAsync(arguments, address);
        var log = await WaitForLogAsync(silo, "Dashboard: ");

        var entries = log.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Where(line => line.StartsWith('{'))
            .Select(line => System.Text.Json.JsonDocument.Parse(line).RootElement)
            .ToList();
        var start = entries.First(e => e.GetProperty("Message").GetString()!.StartsWith("Dashboard: ", StringComparison.Ordinal));
        Assert.Equal(4501, start.GetProperty("EventId").GetInt32());
        Assert.Equal("Information", start.GetProperty("LogLevel").GetString());
        Assert.False(string.IsNullOrEmpty(start.GetProperty("Category").GetString()));
    }

    private static Task<string> WaitForLogAsync(SiloProcess silo, string text) =>
        Eventually.WaitAsync(
            () => Task.FromResult(silo.AllOutput),
            output => output.Contains(text, StringComparison.Ordinal),
            TimeSpan.FromSeconds(20),
            output => $"no '{text}' in the log:{Environment.NewLine}{output}");
}
