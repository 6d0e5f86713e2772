namespace Aggregation.Storage;

/// <summary>The audit trail of a memory-only server (Database:Mode=memory): lost when the process stops.</summary>
public sealed class InMemoryAuditTrail : IAuditTrail
{
    private readonly Lock _lock = new();
    private readonly List<AuditRecord> _records = [];

    public Task RecordAsync(IReadOnlyList<AuditRecord> records, CancellationToken cancellationToken = default)
    {
        Add(records);
        return Task.CompletedTask;
    }

    public void Add(IEnumerable<AuditRecord> records)
    {
        ArgumentNullException.ThrowIfNull(records);
        lock (_lock)
        {
            foreach (var r in records)
            {
                _records.Add(r with { Id = _records.Count + 1, RecordedAt = DateTimeOffset.UtcNow });
            }
        }
    }

    public Task<IReadOnlyList<AuditRecord>> QueryAsync(AuditQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        lock (_lock)
        {
            IReadOnlyList<AuditRecord> page = _records
                .Where(r => r.Tenant == query.Tenant && r.Id > query.AfterId
                    && (query.UnitCode is null || r.UnitCode == query.UnitCode)
                    && (query.Period is null || r.Period == query.Period)
                    && (query.DataElement is null || r.DataElement == query.DataElement)
                    && (query.Subject is null || r.Submitter.Subject == query.Subject)
                    && (query.Action is null || r.Action == query.Action))
                .Take(query.Limit)
                .ToList();
            return Task.FromResult(page);
        }
    }
}
