using System.Collections.Immutable;
using Aggregation.Hierarchy;
using Aggregation.Periods;
using Aggregation.Storage;

namespace Aggregation.Server.Approvals;

/// <summary>The hierarchy level of an approving authority (numbers as in the store and the wire).</summary>
public enum ApprovalLevel
{
    District = 1,
    Province = 2,
}

/// <summary>An approval in force: a unit's figures of one data set for one period, approved at a level.</summary>
public sealed record ApprovalEntry(long Id, string Tenant, string ProgrammeId, string DataSet, UnitKey Unit, Period Period, ApprovalLevel Level, string ApprovedBy, DateTimeOffset ApprovedAt, string Comment);

/// <summary>
/// Every approval, held in memory: loaded from PostgreSQL at start and updated on every approval
/// and withdrawal made here. Approvals are rare (a few per unit and half-year),
/// so the whole set fits in memory and the submission path checks it without a database round
/// trip. Another silo's approvals and withdrawals are seen when <see cref="ApprovalRefresh"/>
/// re-reads the table (Approvals:RefreshInterval, 5 s by default): until then a submission on this
/// silo is checked against what it last read.
/// </summary>
public sealed class ApprovalRegistry(Hierarchy.Catalog catalog)
{
    private readonly Lock _gate = new();
    private readonly TaskCompletionSource _loaded = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private ImmutableDictionary<string, TenantApprovals> _tenants = ImmutableDictionary<string, TenantApprovals>.Empty;

    // Submissions in flight (past their approval check, before their unit answered) and approvals
    // being recorded: an approval waits for the submissions already past the check, and new ones
    // are refused while it is pending, so no value lands in figures as they are being approved.
    private readonly SortedSet<long> _inFlight = [];
    private readonly List<(long UpTo, TaskCompletionSource Drained)> _waiting = [];
    private ImmutableList<ApprovalEntry> _pending = [];
    private long _nextTicket;

    // Counts changes made here; a re-read that began before one is stale and is not applied.
    private long _changes;

    /// <summary>Whether the approvals were read once; until then no submission can be checked.</summary>
    public bool IsLoaded => _loaded.Task.IsCompleted;

    /// <summary>
    /// The approval in force covering <paramref name="unit"/>'s data of <paramref name="dataSetId"/>
    /// for reporting period <paramref name="period"/>: on the unit or an ancestor, for a period
    /// containing it, at <paramref name="atLeast"/> or above. The highest level wins; null when none.
    /// </summary>
    public ApprovalEntry? Covering(string tenantId, AdminUnit unit, Period period, string dataSetId, ApprovalLevel atLeast = ApprovalLevel.District)
    {
        ArgumentNullException.ThrowIfNull(unit);
        return Covering(InForceOf(tenantId), unit, period, dataSetId, atLeast);
    }

    /// <summary>The tenant's approvals in force for a programme, oldest first.</summary>
    public IReadOnlyList<ApprovalEntry> InForce(string tenantId, string programmeId) =>
        [.. InForceOf(tenantId).Where(a => a.ProgrammeId == programmeId)];

    /// <summary>Every approval of the tenant, withdrawn ones included, as stored.</summary>
    public IReadOnlyList<ApprovalRow> Rows(string tenantId) =>
        _tenants.TryGetValue(tenantId, out var t) ? t.Rows : [];

    /// <summary>
    /// What locks a submission of <paramref name="unit"/>'s <paramref name="dataSetId"/> values for
    /// <paramref name="period"/>: an approval in force, or one being recorded (its <see cref="ApprovalEntry.Id"/> 0).
    /// </summary>
    public ApprovalEntry? Locking(string tenantId, AdminUnit unit, Period period, string dataSetId)
    {
        ArgumentNullException.ThrowIfNull(unit);
        return Covering(InForceOf(tenantId), unit, period, dataSetId, ApprovalLevel.District)
            ?? Covering([.. _pending.Where(p => p.Tenant == tenantId)], unit, period, dataSetId, ApprovalLevel.District);
    }

    /// <summary>
    /// Marks a submission as in flight until disposed: take it before checking <see cref="Locking"/>
    /// and hold it until the unit has answered.
    /// </summary>
    public IDisposable EnterSubmission()
    {
        lock (_gate)
        {
            var ticket = ++_nextTicket;
            _inFlight.Add(ticket);
            return new Ticket(this, ticket);
        }
    }

    /// <summary>
    /// Makes <paramref name="pending"/> lock new submissions at once and waits until every
    /// submission that was already past its check has finished; dispose to lift the pending lock
    /// (once the approval is recorded, or refused).
    /// </summary>
    public async Task<IDisposable> HoldAsync(ApprovalEntry pending, CancellationToken cancellationToken)
    {
        Task drained;
        lock (_gate)
        {
            _pending = _pending.Add(pending);
            if (_inFlight.Count == 0)
            {
                drained = Task.CompletedTask;
            }
            else
            {
                var waiter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                _waiting.Add((_nextTicket, waiter));
                drained = waiter.Task;
            }
        }

        var hold = new Hold(this, pending);
        try
        {
            await drained.WaitAsync(cancellationToken);
            return hold;
        }
        catch
        {
            hold.Dispose();
            throw;
        }
    }

    /// <summary>The count of changes made here so far: take it before reading the store, and pass it to <see cref="Load"/>.</summary>
    public long Changes => Interlocked.Read(ref _changes);

    /// <summary>
    /// Replaces every tenant's approvals with what the store holds, unless a change was made here
    /// since <paramref name="changesBeforeRead"/> (the read may predate it; the next one will not).
    /// </summary>
    public bool Load(IReadOnlyList<ApprovalRow> rows, long changesBeforeRead = 0)
    {
        ArgumentNullException.ThrowIfNull(rows);
        var tenants = rows.GroupBy(r => r.Tenant, StringComparer.Ordinal)
            .ToImmutableDictionary(g => g.Key, g => Build(g.ToList()), StringComparer.Ordinal);
        lock (_gate)
        {
            if (_changes != changesBeforeRead)
            {
                return false;
            }

            _tenants = tenants;
        }

        _loaded.TrySetResult();
        return true;
    }

    /// <summary>
    /// Applies an approval or withdrawal just committed here. Only the changed row: changes made
    /// concurrently may apply in either order, and a withdrawn row is never put back in force.
    /// </summary>
    public void Apply(ApprovalRow changed)
    {
        ArgumentNullException.ThrowIfNull(changed);
        lock (_gate)
        {
            var rows = _tenants.TryGetValue(changed.Tenant, out var t) ? t.Rows : [];
            var held = rows.FirstOrDefault(r => r.Id == changed.Id);
            if (held is { InForce: false } && changed.InForce)
            {
                return;
            }

            _tenants = _tenants.SetItem(changed.Tenant, Build([.. rows.Where(r => r.Id != changed.Id), changed]));
            _changes++;
        }
    }

    /// <summary>The entry of a stored approval, or null when its unit is not in the catalog (any more).</summary>
    public ApprovalEntry? ToEntry(ApprovalRow row)
    {
        ArgumentNullException.ThrowIfNull(row);
        var unit = catalog.UnitsWithCode(row.Tenant, row.UnitCode).FirstOrDefault(u => u.ValidFrom == row.UnitValidFrom);
        if (unit is null || !Period.TryParse(row.Period, out var period, out _))
        {
            return null;
        }

        return new ApprovalEntry(row.Id, row.Tenant, row.ProgrammeId, row.DataSet, unit.Key, period, (ApprovalLevel)row.Level, row.ApprovedBy, row.ApprovedAt, row.Comment);
    }

    private ImmutableList<ApprovalEntry> InForceOf(string tenantId) =>
        _tenants.TryGetValue(tenantId, out var t) ? t.InForce : [];

    private ApprovalEntry? Covering(IReadOnlyList<ApprovalEntry> entries, AdminUnit unit, Period period, string dataSetId, ApprovalLevel atLeast)
    {
        if (entries.Count == 0)
        {
            return null;
        }

        var lineage = catalog.AncestorsOf(unit.Key).Select(a => a.Key).Prepend(unit.Key).ToHashSet();
        return entries
            .Where(a => a.DataSet == dataSetId && a.Level >= atLeast && lineage.Contains(a.Unit) && a.Period.Start <= period.Start && period.End <= a.Period.End)
            .OrderByDescending(a => a.Level).ThenBy(a => a.Id)
            .FirstOrDefault();
    }

    private TenantApprovals Build(IReadOnlyList<ApprovalRow> rows) =>
        new([.. rows.OrderBy(r => r.Id)], [.. rows.Where(r => r.InForce).OrderBy(r => r.Id).Select(ToEntry).OfType<ApprovalEntry>()]);

    private void Leave(long ticket)
    {
        lock (_gate)
        {
            _inFlight.Remove(ticket);
            var oldest = _inFlight.Count == 0 ? long.MaxValue : _inFlight.Min;
            for (var i = _waiting.Count - 1; i >= 0; i--)
            {
                if (_waiting[i].UpTo < oldest)
                {
                    _waiting[i].Drained.TrySetResult();
                    _waiting.RemoveAt(i);
                }
            }
        }
    }

    private void Release(ApprovalEntry pending)
    {
        lock (_gate)
        {
            _pending = _pending.Remove(pending);
        }
    }

    private sealed record TenantApprovals(ImmutableList<ApprovalRow> Rows, ImmutableList<ApprovalEntry> InForce);

    private sealed class Ticket(ApprovalRegistry registry, long ticket) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                registry.Leave(ticket);
            }
        }
    }

    private sealed class Hold(ApprovalRegistry registry, ApprovalEntry pending) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                registry.Release(pending);
            }
        }
    }
}
