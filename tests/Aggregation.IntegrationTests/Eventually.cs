namespace Aggregation.IntegrationTests;

/// <summary>Waits for a condition that becomes true asynchronously (rollups reach ancestors within the flush bound).</summary>
internal static class Eventually
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(20);

    public static async Task<T> WaitAsync<T>(Func<Task<T>> read, Func<T, bool> done, TimeSpan timeout, Func<T, string> describe)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var value = await read();
            if (done(value))
            {
                return value;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Condition not met within {timeout.TotalSeconds:0.#} s: {describe(value)}");
            }

            await Task.Delay(PollInterval);
        }
    }
}
