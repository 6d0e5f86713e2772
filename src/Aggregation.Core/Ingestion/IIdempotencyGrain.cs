namespace Aggregation.Ingestion;

public enum KeyClaim
{
    /// <summary>The key was never seen: the caller owns it until it completes or releases it.</summary>
    New,

    /// <summary>The same payload was accepted before: acknowledge as a duplicate, change nothing.</summary>
    Duplicate,

    /// <summary>The key was used for a different payload: reject.</summary>
    Conflict,

    /// <summary>The same key is being processed right now by another call: retry shortly.</summary>
    InFlight,
}

/// <summary>A claim on an idempotency key, with the hash of the payload it was used for.</summary>
[GenerateSerializer, Immutable, Alias("aggregation.KeyRequest")]
public sealed record KeyRequest([property: Id(0)] string Key, [property: Id(1)] string PayloadHash);

/// <summary>
/// One partition of a tenant's idempotency keys (key <c>tenant/partition</c>). Keys are tenant-wide:
/// the same key for a different unit is a different payload and is rejected.
/// </summary>
[Alias("aggregation.IIdempotencyGrain")]
public interface IIdempotencyGrain : IGrainWithStringKey
{
    [Alias("Claim")]
    Task<KeyClaim[]> ClaimAsync(KeyRequest[] requests);

    /// <summary>Marks claimed keys as accepted (kept forever) or releases them (rejected reports do not use up a key).</summary>
    [Alias("Complete")]
    Task CompleteAsync(string[] accepted, string[] released);
}
