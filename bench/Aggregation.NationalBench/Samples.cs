using System.Diagnostics;

/// <summary>Timing samples and their percentiles.</summary>
internal static class Samples
{
    /// <summary>Milliseconds of <paramref name="n"/> runs of <paramref name="action"/>, after one unmeasured run to warm up.</summary>
    public static async Task<List<double>> TimeAsync(int n, Func<Task> action)
    {
        await action();
        var samples = new List<double>(n);
        for (var i = 0; i < n; i++)
        {
            var t = Stopwatch.GetTimestamp();
            await action();
            samples.Add(Stopwatch.GetElapsedTime(t).TotalMilliseconds);
        }

        return samples;
    }

    /// <summary>The nearest-rank percentile; NaN for no samples.</summary>
    public static double P(List<double> xs, int percentile)
    {
        if (xs.Count == 0)
        {
            return double.NaN;
        }

        var sorted = xs.Order().ToList();
        return sorted[Math.Clamp((int)Math.Ceiling(percentile / 100.0 * sorted.Count) - 1, 0, sorted.Count - 1)];
    }
}
