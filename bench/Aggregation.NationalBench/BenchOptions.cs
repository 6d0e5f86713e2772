using System.Globalization;

/// <summary>The run's settings from the command line (see Program.cs for the usage line).</summary>
internal sealed record BenchOptions(double Scale, int Months, int Seed, double Seconds, bool Quick, bool Check, string JsonPath, double ColdMinutes, int Silos, string[] ServerArgs)
{
    public static BenchOptions Parse(string[] args)
    {
        double Arg(string name, double fallback)
        {
            var i = Array.IndexOf(args, name);
            return i >= 0 && i + 1 < args.Length ? double.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
        }

        return new BenchOptions(
            Scale: Arg("--scale", 1.0),
            Months: (int)Arg("--months", 60),
            Seed: (int)Arg("--seed", 1),
            Seconds: Arg("--seconds", 10.0),
            Quick: args.Contains("--quick"),
            Check: args.Contains("--check"),
            JsonPath: args.SkipWhile(a => a != "--json").Skip(1).FirstOrDefault() ?? "bench-national.json",
            ColdMinutes: Arg("--cold-minutes", 5),
            Silos: (int)Arg("--silos", 1),
            // Each --server-arg value is passed to every silo, e.g. --server-arg --Rollup:CheckpointWhenIdle=01:00:00.
            ServerArgs: [.. args.Select((a, i) => (a, i)).Where(x => x.a == "--server-arg" && x.i + 1 < args.Length).Select(x => args[x.i + 1])]);
    }
}
