using System.Globalization;

/// <summary>The run's settings from the command line (see Program.cs for the usage line).</summary>
internal sealed record BenchOptions(double Scale, int Months, int Seed, double Seconds, bool Quick, bool Check, string JsonPath, double ColdMinutes)
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
            ColdMinutes: Arg("--cold-minutes", 5));
    }
}
