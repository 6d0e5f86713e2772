using System.Runtime.CompilerServices;

namespace Aggregation.Storage;

/// <summary>
/// A ledger that lives only in this process: for demonstrations (Database:Mode=memory). Everything
/// is lost when the process stops; it has the same duplicate and conflict semantics as PostgreSQL.
/// </summary>
public sealed class InMemoryReportLedger(InMemoryAuditTrail audit) : IReportLedger
{
    private readonly Lock _lock = new();
    private readonly Dictionary<(string Tenant, string Key), LedgerEntry> _byKey = [];
    private readonly Dictionary<(string Tenant, string Unit), List<LedgerEntry>> _byUnit = [];

    public Task<LedgerOutcome[]> AppendAsync(IReadOnlyList<LedgerEntry> entries, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(entries);
        var outcomes = new LedgerOutcome[entries.Count];
        lock (_lock)
        {
            for (var i = 0; i < entries.Count; i++)
            {
                var e = entries[i];
                if (_byKey.TryGetValue((e.Tenant, e.Report.IdempotencyKey), out var existing))
                {
                    outcomes[i] = e.IsSameReport(existing.PayloadHash) ? LedgerOutcome.Duplicate : LedgerOutcome.Conflict;
                    continue;
                }

                if (!_byUnit.TryGetValue((e.Tenant, e.UnitCode), out var list))
                {
                    _byUnit[(e.Tenant, e.UnitCode)] = list = [];
                }

                if (list.Count > 0 && list[^1].UnitSeq >= e.UnitSeq)
                {
                    outcomes[i] = LedgerOutcome.SequenceTaken;
                    continue;
                }

                _byKey[(e.Tenant, e.Report.IdempotencyKey)] = e;
                list.Add(e);
                outcomes[i] = LedgerOutcome.Inserted;
                if (e.Audit is { Count: > 0 } records)
                {
                    audit.Add(records);
                }
            }
        }

        return Task.FromResult(outcomes);
    }

    public async IAsyncEnumerable<LedgerEntry> ReadUnitAsync(string tenant, string unitCode, long afterSeq, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        List<LedgerEntry> copy;
        lock (_lock)
        {
            copy = _byUnit.TryGetValue((tenant, unitCode), out var list) ? list.Where(e => e.UnitSeq > afterSeq).ToList() : [];
        }

        foreach (var e in copy)
        {
            yield return e;
        }

        await Task.CompletedTask;
    }

    public async IAsyncEnumerable<LedgerEntry> ReadTenantAsync(string tenant, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        List<LedgerEntry> copy;
        lock (_lock)
        {
            copy = _byUnit.Where(p => p.Key.Tenant == tenant).SelectMany(p => p.Value).ToList();
        }

        foreach (var e in copy)
        {
            yield return e;
        }

        await Task.CompletedTask;
    }

    public Task<IReadOnlyDictionary<string, string>> RecordedHashesAsync(string tenant, IReadOnlyCollection<string> keys, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(keys);
        lock (_lock)
        {
            IReadOnlyDictionary<string, string> found = keys.Distinct(StringComparer.Ordinal)
                .Where(k => _byKey.ContainsKey((tenant, k)))
                .ToDictionary(k => k, k => _byKey[(tenant, k)].PayloadHash, StringComparer.Ordinal);
            return Task.FromResult(found);
        }
    }

    public Task<long> LastSeqAsync(string tenant, string unitCode, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            return Task.FromResult(_byUnit.TryGetValue((tenant, unitCode), out var list) && list.Count > 0 ? list[^1].UnitSeq : 0);
        }
    }
}
