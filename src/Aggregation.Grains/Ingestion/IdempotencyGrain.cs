using Orleans.Concurrency;

namespace Aggregation.Ingestion;

/// <summary>
/// Remembers the idempotency keys of one partition of a tenant with the hash of the payload each
/// was first used for. Rejected reports release their key; accepted ones keep it. A claim on a key
/// that another call is processing waits for that call to finish, so a client's retry that races
/// its own original request hears "duplicate" rather than an error.
/// </summary>
[GrainType("idempotency")]
[CollectionAgeLimit(AlwaysActive = true)]
[Reentrant] // Only the wait for an in-flight key awaits; every state change happens between awaits.
public sealed class IdempotencyGrain : Grain, IIdempotencyGrain
{
    private static readonly TimeSpan InFlightWait = TimeSpan.FromSeconds(5);
    private readonly Dictionary<string, Entry> _keys = new(StringComparer.Ordinal);
    private readonly Dictionary<string, TaskCompletionSource> _inFlight = new(StringComparer.Ordinal);

    public async Task<KeyClaim[]> ClaimAsync(KeyRequest[] requests)
    {
        var claims = new KeyClaim[requests.Length];
        for (var i = 0; i < requests.Length; i++)
        {
            claims[i] = Claim(requests[i]);
        }

        var waiting = Enumerable.Range(0, requests.Length).Where(i => claims[i] == KeyClaim.InFlight).ToList();
        if (waiting.Count > 0)
        {
            var done = Task.WhenAll(waiting.Select(i => _inFlight.TryGetValue(requests[i].Key, out var tcs) ? tcs.Task : Task.CompletedTask));
            await Task.WhenAny(done, Task.Delay(InFlightWait));
            foreach (var i in waiting)
            {
                claims[i] = Claim(requests[i]);
            }
        }

        return claims;
    }

    public Task CompleteAsync(string[] accepted, string[] released)
    {
        foreach (var key in accepted)
        {
            if (_keys.TryGetValue(key, out var entry))
            {
                _keys[key] = entry with { Completed = true };
            }

            Settle(key);
        }

        foreach (var key in released)
        {
            _keys.Remove(key);
            Settle(key);
        }

        return Task.CompletedTask;
    }

    private KeyClaim Claim(KeyRequest r)
    {
        if (!_keys.TryGetValue(r.Key, out var entry))
        {
            _keys[r.Key] = new Entry(r.PayloadHash, Completed: false);
            _inFlight[r.Key] = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            return KeyClaim.New;
        }

        if (entry.PayloadHash != r.PayloadHash)
        {
            return KeyClaim.Conflict;
        }

        return entry.Completed ? KeyClaim.Duplicate : KeyClaim.InFlight;
    }

    private void Settle(string key)
    {
        if (_inFlight.Remove(key, out var tcs))
        {
            tcs.TrySetResult();
        }
    }

    private readonly record struct Entry(string PayloadHash, bool Completed);
}
