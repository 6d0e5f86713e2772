using System.Text.Json;

namespace Aggregation.IntegrationTests;

/// <summary>What a computer needs to run the <c>aggregation</c> command, read from the files the build ships beside it.</summary>
public sealed class CliRuntimeTests
{
    [Fact]
    public void The_cli_runs_on_the_plain_dotnet_runtime_without_asp_net_core()
    {
        using var runtimeConfig = JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "cli", "aggregation.runtimeconfig.json")));
        using var deps = JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "cli", "aggregation.deps.json")));

        var options = runtimeConfig.RootElement.GetProperty("runtimeOptions");
        var frameworks = options.TryGetProperty("frameworks", out var several)
            ? several.EnumerateArray().Select(f => f.GetProperty("name").GetString()).ToList()
            : [options.GetProperty("framework").GetProperty("name").GetString()];
        Assert.Equal(["Microsoft.NETCore.App"], frameworks);
        var libraries = deps.RootElement.GetProperty("libraries").EnumerateObject().Select(l => l.Name).ToList();
        Assert.Contains(libraries, l => l.StartsWith("Grpc.Net.Client/", StringComparison.Ordinal));
        Assert.DoesNotContain(libraries, l => l.Contains("AspNetCore", StringComparison.Ordinal));
    }
}
