using Aggregation.Protos.V1;
using Grpc.Core;
using Grpc.Net.Client;

namespace Aggregation.IntegrationTests;

/// <summary>
/// What a well-behaved district system does: sends batches, and when a call fails with a retryable
/// status (or the connection drops) sends the same batch, same keys, to the next silo until it is
/// acknowledged. Records what was acknowledged and what was rejected.
/// </summary>
internal sealed class ResilientSender(IReadOnlyList<GrpcChannel> channels)
{
    private static readonly TimeSpan Backoff = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan GiveUpAfter = TimeSpan.FromSeconds(90);
    private readonly Lock _lock = new();
    private int _acknowledged;

    public List<Report> Acknowledged { get; } = [];

    public List<Report> Rejected { get; } = [];

    public List<StatusCode> Failures { get; } = [];

    public int AcknowledgedCount => Volatile.Read(ref _acknowledged);

    public Task SendAsync(IReadOnlyList<Report> reports, int clients, int batchSize) =>
        Task.WhenAll(Enumerable.Range(0, clients).Select(c => ClientAsync(reports.Where((_, i) => i % clients == c).ToList(), c, batchSize)));

    private async Task ClientAsync(List<Report> mine, int client, int batchSize)
    {
        var target = client;
        foreach (var batch in mine.Chunk(batchSize))
        {
            var deadline = DateTime.UtcNow + GiveUpAfter;
            while (true)
            {
                var channel = channels[target % channels.Count];
                try
                {
                    var response = await new Ingestion.IngestionClient(channel).SubmitReportsAsync(
                        new SubmitReportsRequest { Reports = { batch } },
                        deadline: DateTime.UtcNow.AddSeconds(15));
                    lock (_lock)
                    {
                        for (var i = 0; i < batch.Length; i++)
                        {
                            (response.Results[i].Outcome == ReportOutcome.Rejected ? Rejected : Acknowledged).Add(batch[i]);
                        }
                    }

                    Interlocked.Add(ref _acknowledged, batch.Length);
                    break;
                }
                catch (RpcException ex) when (ex.StatusCode is StatusCode.Unavailable or StatusCode.DeadlineExceeded or StatusCode.Internal or StatusCode.Cancelled or StatusCode.Unknown)
                {
                    lock (_lock)
                    {
                        Failures.Add(ex.StatusCode);
                    }

                    if (DateTime.UtcNow > deadline)
                    {
                        throw new TimeoutException($"A batch was not acknowledged within {GiveUpAfter}: {ex.Status}");
                    }

                    target++;
                    await Task.Delay(Backoff);
                }
            }
        }
    }
}
