using Aggregation.Hierarchy;
using Aggregation.Periods;
using Aggregation.Server.Approvals;
using Aggregation.Storage;

namespace Aggregation.Server.Tests;

/// <summary>
/// What the submission path asks of the approvals held in memory: which approval locks a unit's
/// figures, that an approval being recorded waits for the submissions already past their check,
/// and that a re-read begun before a change made here does not undo it.
/// </summary>
public sealed class ApprovalRegistryTests
{
    private static readonly DateOnly Always = DateOnly.MinValue;

    [Fact]
    public void A_district_approval_of_a_half_covers_its_communes_months_of_that_data_set_only()
    {
        var registry = new ApprovalRegistry(Shipped.Catalog);
        registry.Load([Row(1, "164", "commune-monthly", "2025S1", ApprovalLevel.District)]);
        var commune = Shipped.Catalog.GetUnit(new UnitKey(Shipped.Tenant, "05443"));

        Assert.Equal(1, registry.Covering(Shipped.Tenant, commune, Period.Month(2025, 3), "commune-monthly")?.Id);
        Assert.Null(registry.Covering(Shipped.Tenant, commune, Period.Month(2025, 7), "commune-monthly"));
        Assert.Null(registry.Covering(Shipped.Tenant, commune, Period.Month(2025, 3), "commune-police-monthly"));
        Assert.Null(registry.Covering(Shipped.Tenant, commune, Period.Month(2025, 3), "commune-monthly", ApprovalLevel.Province));
        Assert.Null(registry.Covering(Shipped.Tenant, Shipped.Catalog.GetUnit(new UnitKey(Shipped.Tenant, Shipped.CommuneOf165)), Period.Month(2025, 3), "commune-monthly"));
        Assert.Null(registry.Covering(Shipped.Tenant, commune, Period.OfYear(2025), "commune-monthly"));
    }

    [Fact]
    public async Task An_approval_being_recorded_waits_for_submissions_in_flight_and_locks_new_ones()
    {
        var registry = new ApprovalRegistry(Shipped.Catalog);
        registry.Load([]);
        var commune = Shipped.Catalog.GetUnit(new UnitKey(Shipped.Tenant, "05443"));
        var inFlight = registry.EnterSubmission();
        Assert.Null(registry.Locking(Shipped.Tenant, commune, Period.Month(2025, 3), "commune-monthly"));

        var pending = new ApprovalEntry(0, Shipped.Tenant, Shipped.Programme, "commune-monthly", commune.Key, Period.Half(2025, 1), ApprovalLevel.District, "approver-164", DateTimeOffset.UnixEpoch, "");
        var hold = registry.HoldAsync(pending, CancellationToken.None);

        Assert.False(hold.IsCompleted, "the approval went ahead while a submission past its check had not finished");
        Assert.Same(pending, registry.Locking(Shipped.Tenant, commune, Period.Month(2025, 3), "commune-monthly"));
        using (registry.EnterSubmission())
        {
            Assert.False(hold.IsCompleted, "a submission that began after the approval held it up");
        }

        inFlight.Dispose();
        (await hold.WaitAsync(TimeSpan.FromSeconds(10))).Dispose();
        Assert.Null(registry.Locking(Shipped.Tenant, commune, Period.Month(2025, 3), "commune-monthly"));
    }

    [Fact]
    public void A_re_read_begun_before_an_approval_made_here_does_not_drop_it()
    {
        var registry = new ApprovalRegistry(Shipped.Catalog);
        registry.Load([]);
        var before = registry.Changes;
        registry.Apply(Row(7, "05443", "commune-monthly", "2025S1", ApprovalLevel.District));

        Assert.False(registry.Load([], before));
        Assert.Single(registry.InForce(Shipped.Tenant, Shipped.Programme));
        Assert.True(registry.Load([Row(7, "05443", "commune-monthly", "2025S1", ApprovalLevel.District) with { WithdrawnBy = "approver-164", WithdrawnAt = DateTimeOffset.UnixEpoch, WithdrawalReason = "recount" }], registry.Changes));
        Assert.Empty(registry.InForce(Shipped.Tenant, Shipped.Programme));
    }

    private static ApprovalRow Row(long id, string unit, string dataSet, string period, ApprovalLevel level) =>
        new(id, Shipped.Tenant, Shipped.Programme, dataSet, unit, Always, period, (short)level, "approver-164", DateTimeOffset.UnixEpoch, "");
}
