using System.Collections.Immutable;
using Aggregation.Hierarchy;
using Aggregation.Periods;
using Aggregation.Rollup;
using Aggregation.Storage;

namespace Aggregation.Grains.Tests;

/// <summary>What the grain tests do to a tree of units: send reports, read figures, wait for figures to arrive.</summary>
public sealed class UnitScenario(GrainClusterFixture cluster, string tenant)
{
    public const string Element = "complaints_received";
    public const string Month = "2025-01";

    private static readonly TimeSpan WaitLimit = TimeSpan.FromSeconds(10);
    private static readonly DateTimeOffset FirstReport = new(2025, 2, 3, 9, 0, 0, TimeSpan.Zero);
    private int _reports;

    public Tree Tree { get; } = GrainClusterFixture.TreeOf(tenant);

    public IUnitGrain Unit(string code) => cluster.Unit(Tree.Tenant, code);

    /// <summary>A report of complaints received in January 2025, reported after every earlier one of the test (so it replaces them).</summary>
    public UnitSubmission Complaints(long count, string? key = null)
    {
        var n = ++_reports;
        key ??= $"{Tree.Tenant}-{n}";
        var report = new ReportCommand(key, GrainClusterFixture.ProgrammeId, Period.Parse(Month), FirstReport.AddMinutes(n), [new ValueCommand(Element, ValueKind.Number, count, [])], "grain-tests");
        return new UnitSubmission(report, $"{key}:{count}");
    }

    /// <summary>The same report as a ledger row of <paramref name="unitCode"/> with sequence <paramref name="seq"/>, as another writer would record it.</summary>
    public LedgerEntry AsLedgerEntry(string unitCode, long seq, UnitSubmission submission) =>
        new(Tree.Tenant, unitCode, seq, submission.PayloadHash, submission.Report);

    public async Task<UnitOutcome> ApplyAsync(string code, UnitSubmission submission) =>
        (await Unit(code).ApplyBatchAsync([submission])).Single();

    /// <summary>
    /// Sends the report until the unit takes it: a unit reloading from the ledger answers
    /// "unavailable, retry", as it tells a client, until its deactivation (already under way) ends and
    /// the next call reaches a fresh activation. Each attempt is a call answered by the silo; none waits on a clock.
    /// </summary>
    public async Task<UnitOutcome> RetryUntilServedAsync(string code, UnitSubmission submission)
    {
        var deadline = DateTime.UtcNow + WaitLimit;
        while (true)
        {
            try
            {
                return await ApplyAsync(code, submission);
            }
            catch (LedgerUnavailableException) when (DateTime.UtcNow < deadline)
            {
                // Retried at once: the answer itself is the wait.
            }
        }
    }

    /// <summary>Complaints received in January 2025 as the unit's figures say (its own or summed from its children).</summary>
    public async Task<long?> ComplaintsAsync(string code)
    {
        var snapshot = await Unit(code).GetSnapshotAsync(GrainClusterFixture.ProgrammeId);
        var catalog = cluster.Catalog;
        var view = RollupReader.Read(catalog, catalog.Programmes[GrainClusterFixture.ProgrammeId], catalog.GetUnit(new UnitKey(Tree.Tenant, code)), snapshot.Cells, snapshot.Version, Period.Parse(Month), new DateOnly(2026, 1, 1));
        return view.Elements.Single(e => e.Element.Id == Element).Value;
    }

    public async Task<ImmutableArray<string>> ReportedChildrenAsync(string code) =>
        (await Unit(code).GetSnapshotAsync(GrainClusterFixture.ProgrammeId)).ReportedChildren;

    /// <summary>
    /// Waits until the unit shows <paramref name="expected"/> complaints: reads, and reads again each
    /// time a grain timer tick has finished (see <see cref="TimerTickSignal"/>), for at most <see cref="WaitLimit"/>
    /// of real time (the fake clock is moved only by the test).
    /// </summary>
    public async Task WaitForComplaintsAsync(string code, long expected)
    {
        using var ticks = new TimerTickSignal();
        var deadline = DateTime.UtcNow + WaitLimit;
        while (true)
        {
            var tick = ticks.Next();
            var seen = await ComplaintsAsync(code);
            if (seen == expected)
            {
                return;
            }

            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero || await Task.WhenAny(tick, Task.Delay(left)) != tick)
            {
                throw new TimeoutException($"{Tree.Tenant}/{code} still shows {seen?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "nothing"} complaints after {WaitLimit.TotalSeconds} s; expected {expected}.");
            }
        }
    }
}
