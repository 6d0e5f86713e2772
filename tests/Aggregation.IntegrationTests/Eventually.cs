using Grpc.Core;

namespace Aggregation.IntegrationTests;

/// <summary>
/// Waits for a condition that becomes true asynchronously (rollups reach ancestors within the flush
/// bound; a cluster recovers after a silo dies). A read failing with a retryable gRPC status counts
/// as "not yet".
/// </summary>
internal static class Eventually
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(20);

    public static async Task<T> WaitAsync<T>(Func<Task<T>> read, Func<T, bool> done, TimeSpan timeout, Func<T, string> describe)
    {
        var deadline = DateTime.UtcNow + timeout;
        var last = "nothing read yet";
        while (true)
        {
            try
            {
                var value = await read();
                if (done(value))
                {
                    return value;
                }

                last = describe(value);
            }
            catch (RpcException ex) when (ex.StatusCode is StatusCode.Unavailable or StatusCode.DeadlineExceeded)
            {
                last = $"{ex.StatusCode}: {ex.Status.Detail}";
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Condition not met within {timeout.TotalSeconds:0.#} s: {last}");
            }

            await Task.Delay(PollInterval);
        }
    }
}
