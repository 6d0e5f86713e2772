using System.Diagnostics;

namespace Aggregation.IntegrationTests;

/// <summary>What one run of the <c>aggregation</c> command printed and how it exited.</summary>
public sealed record CliRun(int Exit, string Out, string Err)
{
    public string All => Out + Err;
}

/// <summary>Runs the built <c>aggregation</c> (its own build output, copied to cli/) in its own process with its output piped, as scripts run it.</summary>
public static class CliProcess
{
    /// <param name="environment">Variables to set; a null value removes the variable the test process has.</param>
    public static async Task<CliRun> RunAsync(IEnumerable<string> args, IReadOnlyDictionary<string, string?> environment)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "cli", "aggregation.dll"));
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        foreach (var (name, value) in environment)
        {
            if (value is null)
            {
                start.Environment.Remove(name);
            }
            else
            {
                start.Environment[name] = value;
            }
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        return new CliRun(process.ExitCode, await output, await error);
    }
}
