using System.Diagnostics;
using Microsoft.Extensions.Logging;

namespace Aggregation.Storage;

/// <summary>
/// Brings PostgreSQL's server binaries to a machine that lacks them, the way the test command
/// does: Debian's <c>postgresql</c> package through apt-get. Only for the private server of the
/// default run; a server given a connection string never installs anything.
/// </summary>
public static partial class PostgresInstaller
{
    /// <summary>
    /// The folder with initdb and pg_ctl: found, or installed when this process may install
    /// packages (root on a machine with apt-get). Otherwise throws saying what to install.
    /// </summary>
    public static async Task<string> EnsureBinariesAsync(string? preferred, ILogger logger, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(logger);
        if (EmbeddedPostgres.FindBinaries(preferred) is { } found)
        {
            return found;
        }

        if (Environment.UserName != "root" || !File.Exists("/usr/bin/apt-get"))
        {
            throw new PostgresUnavailableException(
                "No PostgreSQL server binaries were found (initdb, pg_ctl). Install them (Debian: apt-get install postgresql) " +
                "or set Database:ConnectionString to a running server.");
        }

        LogInstalling(logger);
        var started = Stopwatch.StartNew();
        // --no-upgrade: bring what is missing, never upgrade what the machine already has.
        if (!await AptGetAsync(logger, cancellationToken, "install", "--no-upgrade", "postgresql"))
        {
            // A machine that has never fetched its package lists cannot find the package yet.
            LogUpdating(logger);
            await AptGetAsync(logger, cancellationToken, "update");
            await AptGetAsync(logger, cancellationToken, "install", "--no-upgrade", "postgresql");
        }

        if (EmbeddedPostgres.FindBinaries(preferred) is null && await InstalledServerPackagesAsync(cancellationToken) is { Count: > 0 } packages)
        {
            // dpkg lists the server package but its files are gone: put them back.
            LogReinstalling(logger, string.Join(' ', packages));
            if (!await AptGetAsync(logger, cancellationToken, ["install", "--reinstall", .. packages]))
            {
                await AptGetAsync(logger, cancellationToken, "update");
                await AptGetAsync(logger, cancellationToken, ["install", "--reinstall", .. packages]);
            }
        }

        var installed = EmbeddedPostgres.FindBinaries(preferred) ?? throw new PostgresUnavailableException(
            "apt-get did not install PostgreSQL's server binaries (see the lines above). Install them (apt-get install postgresql) " +
            "or set Database:ConnectionString to a running server.");
        LogInstalled(logger, installed, started.Elapsed.TotalSeconds);
        return installed;
    }

    private static async Task<bool> AptGetAsync(ILogger logger, CancellationToken cancellationToken, params string[] args)
    {
        var start = new ProcessStartInfo("/usr/bin/apt-get") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add("-y");
        start.ArgumentList.Add("-q");
        foreach (var a in args)
        {
            start.ArgumentList.Add(a);
        }

        start.Environment["DEBIAN_FRONTEND"] = "noninteractive";
        using var process = Process.Start(start) ?? throw new InvalidOperationException("Could not start apt-get.");
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        if (process.ExitCode == 0)
        {
            return true;
        }

        var output = (await stderr + await stdout).Trim();
        LogAptFailed(logger, string.Join(' ', args), process.ExitCode, output.Length > 2000 ? output[^2000..] : output);
        return false;
    }

    /// <summary>Installed packages named postgresql-NN (the server of version NN).</summary>
    private static async Task<List<string>> InstalledServerPackagesAsync(CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo("dpkg-query") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { "-W", "-f", "${Package} ${db:Status-Abbrev}\n", "postgresql-[0-9]*" })
        {
            start.ArgumentList.Add(a);
        }

        using var process = Process.Start(start);
        if (process is null)
        {
            return [];
        }

        var output = await process.StandardOutput.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        return output.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => line.Split(' ', 2))
            .Where(parts => parts.Length == 2 && parts[1].StartsWith("ii", StringComparison.Ordinal) && parts[0].Length > "postgresql-".Length && char.IsAsciiDigit(parts[0]["postgresql-".Length]))
            .Select(parts => parts[0])
            .ToList();
    }

    [LoggerMessage(EventId = 4101, Level = LogLevel.Warning, Message = "PostgreSQL's server binaries were not found; installing Debian's postgresql package (apt-get install postgresql) for the private database. Set Database:ConnectionString to use a server of your own instead")]
    private static partial void LogInstalling(ILogger logger);

    [LoggerMessage(EventId = 4102, Level = LogLevel.Information, Message = "Fetching the package lists first (apt-get update)")]
    private static partial void LogUpdating(ILogger logger);

    [LoggerMessage(EventId = 4103, Level = LogLevel.Warning, Message = "The package {Packages} is installed but its binaries are missing; reinstalling it")]
    private static partial void LogReinstalling(ILogger logger, string packages);

    [LoggerMessage(EventId = 4104, Level = LogLevel.Information, Message = "PostgreSQL's server binaries are in {Folder} (installed in {Seconds:0} s)")]
    private static partial void LogInstalled(ILogger logger, string folder, double seconds);

    [LoggerMessage(EventId = 4105, Level = LogLevel.Warning, Message = "apt-get {Arguments} failed ({ExitCode}): {Output}")]
    private static partial void LogAptFailed(ILogger logger, string arguments, int exitCode, string output);
}
