namespace Aggregation.Storage;

/// <summary>
/// How unit checkpoints are written (configuration section <c>Checkpoints</c>): small rounds at a
/// bounded pace, so that a wave of them never queues acknowledgements behind its log flushes
/// (<see cref="PostgresCheckpointStore"/>).
/// </summary>
public sealed class CheckpointWriteOptions
{
    public const string Section = "Checkpoints";

    /// <summary>Payload bytes a round stops taking checkpoints at (a round holds at least one). 256 KiB is flushed in a few milliseconds here.</summary>
    public int RoundBytes { get; set; } = 256 * 1024;

    /// <summary>
    /// Payload bytes written per second at most; 0 writes as fast as the database takes them. The
    /// default writes the 100 MB wave of a national load in about 13 s, well within the 30 s it
    /// arrives over, so the pace only holds back bursts.
    /// </summary>
    public long BytesPerSecond { get; set; } = 8 * 1024 * 1024;
}
