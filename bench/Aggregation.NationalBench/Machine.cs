using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Aggregation.Storage;

/// <summary>What the run reads of the machine: CPU time and memory from /proc, the commit, free ports.</summary>
internal static class Machine
{
    // CPU seconds (user + system) of a process from /proc; with children, also those of its exited children.
    public static double ProcessCpuSeconds(int pid, bool children)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            var ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
            if (children)
            {
                ticks += long.Parse(fields[13], CultureInfo.InvariantCulture) + long.Parse(fields[14], CultureInfo.InvariantCulture);
            }

            return ticks / 100.0;
        }
        catch (IOException)
        {
            return 0;
        }
    }

    // The private PostgreSQL's postmaster, its exited backends and its live ones.
    public static double PostgresCpuSeconds(EmbeddedPostgres postgres)
    {
        var postmaster = int.Parse(File.ReadLines(Path.Combine(postgres.DataDirectory, "postmaster.pid")).First(), CultureInfo.InvariantCulture);
        var total = ProcessCpuSeconds(postmaster, children: true);
        foreach (var dir in Directory.EnumerateDirectories("/proc").Select(Path.GetFileName).Where(d => d!.All(char.IsAsciiDigit)))
        {
            try
            {
                var stat = File.ReadAllText($"/proc/{dir}/stat");
                if (stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[1] == postmaster.ToString(CultureInfo.InvariantCulture))
                {
                    total += ProcessCpuSeconds(int.Parse(dir!, CultureInfo.InvariantCulture), children: false);
                }
            }
            catch (IOException)
            {
            }
        }

        return total;
    }

    /// <summary>Resident memory (VmRSS) of a process, in bytes.</summary>
    public static long Resident(int pid) => File.ReadLines($"/proc/{pid}/status").Where(l => l.StartsWith("VmRSS:", StringComparison.Ordinal)).Select(l => long.Parse(l.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024).FirstOrDefault();

    public static double MemoryGb() => File.ReadLines("/proc/meminfo").Where(l => l.StartsWith("MemTotal:", StringComparison.Ordinal)).Select(l => long.Parse(l.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / 1024.0 / 1024.0).FirstOrDefault();

    public static string Commit()
    {
        try
        {
            using var git = Process.Start(new ProcessStartInfo("git", "rev-parse --short HEAD") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = AppContext.BaseDirectory })!;
            var text = git.StandardOutput.ReadToEnd().Trim();
            git.WaitForExit();
            return git.ExitCode == 0 ? text : "unknown";
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return "unknown";
        }
    }

    public static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }
}

/// <summary>CPU seconds so far of the server's processes, of the load generator (this process) and of PostgreSQL; a phase's are the difference.</summary>
internal readonly record struct CpuTimes(double Server, double Generator, double Postgres)
{
    public static CpuTimes operator -(CpuTimes after, CpuTimes before) => new(after.Server - before.Server, after.Generator - before.Generator, after.Postgres - before.Postgres);

    /// <summary>Where the two cores went during a phase of <paramref name="seconds"/>.</summary>
    public void Report(Results results, string phase, double seconds)
    {
        results.Measured(new($"{phase}: CPU of the server, % of both cores", 100 * Server / (2 * seconds), null, null));
        results.Measured(new($"{phase}: CPU of the load generator, % of both cores", 100 * Generator / (2 * seconds), null, null));
        results.Measured(new($"{phase}: CPU of PostgreSQL, % of both cores", 100 * Postgres / (2 * seconds), null, null));
    }
}
