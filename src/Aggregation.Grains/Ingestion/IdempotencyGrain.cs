namespace Aggregation.Ingestion;

/// <summary>
/// Remembers the idempotency keys of one partition of a tenant with the hash of the payload each
/// was first used for. Rejected reports release their key; accepted ones keep it.
/// </summary>
[GrainType("idempotency")]
[CollectionAgeLimit(AlwaysActive = true)]
public sealed class IdempotencyGrain : Grain, IIdempotencyGrain
{
    private readonly Dictionary<string, Entry> _keys = new(StringComparer.Ordinal);

    public Task<KeyClaim[]> ClaimAsync(KeyRequest[] requests)
    {
        var claims = new KeyClaim[requests.Length];
        for (var i = 0; i < requests.Length; i++)
        {
            var r = requests[i];
            if (!_keys.TryGetValue(r.Key, out var entry))
            {
                _keys[r.Key] = new Entry(r.PayloadHash, Completed: false);
                claims[i] = KeyClaim.New;
            }
            else if (entry.PayloadHash != r.PayloadHash)
            {
                claims[i] = KeyClaim.Conflict;
            }
            else
            {
                claims[i] = entry.Completed ? KeyClaim.Duplicate : KeyClaim.InFlight;
            }
        }

        return Task.FromResult(claims);
    }

    public Task CompleteAsync(string[] accepted, string[] released)
    {
        foreach (var key in accepted)
        {
            if (_keys.TryGetValue(key, out var entry))
            {
                _keys[key] = entry with { Completed = true };
            }
        }

        foreach (var key in released)
        {
            _keys.Remove(key);
        }

        return Task.CompletedTask;
    }

    private readonly record struct Entry(string PayloadHash, bool Completed);
}
