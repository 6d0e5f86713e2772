using Aggregation.Hierarchy;
using Aggregation.Protos.V1;
using Aggregation.Rollup;
using Aggregation.Security;
using Aggregation.Server.Errors;
using Grpc.Core;

namespace Aggregation.Server.Security;

/// <summary>
/// Every access decision of the edge, taken before any grain is touched: who the caller is, which
/// tenant the call acts in, whether the caller's roles allow the call, and whether the units and
/// data sets it names are inside the caller's scope. A unit outside the scope is refused with the
/// same answer whether or not it exists.
/// </summary>
public sealed class AccessControl(Hierarchy.Catalog catalog, Hosting.ReportingClock clock)
{
    /// <summary>Metadata with which a ministry credential picks the tenant to read; anyone else must omit it or name their own.</summary>
    public const string TenantHeader = "x-tenant-id";

    // Approvers review before they approve: they read what they may approve.
    public static readonly string[] Readers = [Roles.Viewer, Roles.Approver, Roles.Admin, Roles.Ministry];

    /// <summary>Who approves a unit's figures and withdraws an approval.</summary>
    public static readonly string[] Approvers = [Roles.Approver, Roles.Admin];

    public static readonly string[] Anyone = [.. Roles.All];

    private static readonly object CallerItem = new();

    public Caller CallerOf(HttpContext http)
    {
        ArgumentNullException.ThrowIfNull(http);
        if (http.Items.TryGetValue(CallerItem, out var cached) && cached is Caller known)
        {
            return known;
        }

        var peer = http.Connection.RemoteIpAddress is { } ip ? $"{ip}:{http.Connection.RemotePort}" : "unknown";
        var caller = Caller.FromPrincipal(http.User, peer)
            ?? throw new UnauthenticatedException("A valid access token or client certificate is required.");
        http.Items[CallerItem] = caller;
        return caller;
    }

    /// <summary>The caller and the tenant it acts in, when it holds one of <paramref name="roles"/>.</summary>
    public (Caller Caller, Tenant Tenant) Authorize(ServerCallContext context, params string[] roles)
    {
        ArgumentNullException.ThrowIfNull(context);
        return Authorize(context.GetHttpContext(), context.RequestHeaders.GetValue(TenantHeader), roles);
    }

    public (Caller Caller, Tenant Tenant) Authorize(HttpContext http, string? requestedTenant, params string[] roles)
    {
        var caller = CallerOf(http);
        if (!caller.HasAny(roles))
        {
            throw new PermissionDeniedException($"This call requires the role {string.Join(" or ", roles)}; the credential holds {string.Join(", ", caller.Roles.DefaultIfEmpty("none"))}.");
        }

        if (caller.IsMinistry)
        {
            var id = string.IsNullOrEmpty(requestedTenant) ? catalog.DefaultTenant : requestedTenant;
            return catalog.Tenants.TryGetValue(id, out var chosen)
                ? (caller, chosen)
                : throw new InvalidRequestException(new FieldError(TenantHeader, $"unknown tenant '{RpcErrors.Clip(id)}'"));
        }

        if (!string.IsNullOrEmpty(requestedTenant) && requestedTenant != caller.TenantId)
        {
            throw new PermissionDeniedException("The credential belongs to another tenant than the one requested.");
        }

        return catalog.Tenants.TryGetValue(caller.TenantId, out var tenant)
            ? (caller, tenant)
            : throw new PermissionDeniedException("The credential's tenant is not served here.");
    }

    /// <summary>
    /// Refuses a read of <paramref name="unitCode"/> outside the caller's scope. The nation is the
    /// ministry's alone: it totals every tenant. Unknown codes are left to validation only for
    /// callers who see the whole tenant anyway. A malformed code names no unit, so it is refused as
    /// malformed, for every caller alike.
    /// </summary>
    public void RequireReadable(Caller caller, Tenant tenant, string unitCode, string field)
    {
        ArgumentNullException.ThrowIfNull(caller);
        ArgumentNullException.ThrowIfNull(tenant);
        if (!Identifiers.IsWellFormed(unitCode))
        {
            throw new InvalidRequestException(new FieldError(field, Identifiers.Problem(unitCode)));
        }

        if (unitCode == UnitKey.Nation.Code)
        {
            if (!caller.IsMinistry)
            {
                throw OutsideScope(field, unitCode);
            }

            return;
        }

        if (!InScope(caller, tenant, unitCode) && !(caller.SeesWholeTenant && !catalog.UnitsWithCode(tenant.Id, unitCode ?? "").Any()))
        {
            throw OutsideScope(field, unitCode ?? "");
        }
    }

    /// <summary>
    /// Why the caller may not submit <paramref name="report"/>, or null. Checked for every report of
    /// a call before any is applied. A report whose unit code is malformed names no unit: it is left
    /// to validation, which rejects it (and only it) whoever the caller is.
    /// </summary>
    public FieldError? SubmitDenial(Caller caller, Tenant tenant, Report report, string prefix)
    {
        ArgumentNullException.ThrowIfNull(caller);
        ArgumentNullException.ThrowIfNull(tenant);
        ArgumentNullException.ThrowIfNull(report);
        if (!Identifiers.IsWellFormed(report.UnitCode))
        {
            return null;
        }

        // The unit the report is for: the one its code names for its period (codes were reused).
        var units = Periods.Period.TryParse(report.Period, out var period, out _) && catalog.TryResolve(tenant.Id, report.UnitCode, period.Start, period.End, out var resolved)
            ? [resolved]
            : catalog.UnitsWithCode(tenant.Id, report.UnitCode).ToList();
        if (!units.Any(u => InScope(caller, u)) && !(caller.Units.Count == 0 && units.Count == 0))
        {
            return new FieldError(prefix + "unit_code", $"'{RpcErrors.Clip(report.UnitCode)}' is not a unit this credential may report for");
        }

        if (caller.DataSets is null || !tenant.ProgrammeIds.Contains(report.ProgrammeId) || !catalog.Programmes.TryGetValue(report.ProgrammeId, out var programme))
        {
            return null;
        }

        for (var i = 0; i < report.Values.Count; i++)
        {
            if (programme.ElementsById.TryGetValue(report.Values[i].DataElement, out var element) && !element.DataSets.Any(d => caller.DataSets.Contains(d.Id)))
            {
                return new FieldError($"{prefix}values[{i}].data_element", $"'{element.Id}' belongs to data sets ({string.Join(", ", element.DataSets.Select(d => d.Id))}) this credential may not submit");
            }
        }

        return null;
    }

    /// <summary>Some unit the code names (in any hierarchy version) is inside the caller's scope.</summary>
    public bool InScope(Caller caller, Tenant tenant, string? unitCode)
    {
        ArgumentNullException.ThrowIfNull(caller);
        ArgumentNullException.ThrowIfNull(tenant);
        if (!caller.IsMinistry && caller.TenantId != tenant.Id)
        {
            return false;
        }

        return catalog.UnitsWithCode(tenant.Id, unitCode ?? "").Any(u => caller.IsMinistry || InScope(caller, u));
    }

    /// <summary>
    /// Inside the caller's scope: a unit of its tenant (or of a tenant merged into it: its history) at
    /// or below one of its units, or a unit a later hierarchy version made wholly out of units in
    /// scope. So a Bắc Kạn credential follows its communes into the merged Thái Nguyên of 2025-07-01,
    /// and never reaches what was not its own.
    /// </summary>
    public bool InScope(Caller caller, AdminUnit unit)
    {
        ArgumentNullException.ThrowIfNull(caller);
        ArgumentNullException.ThrowIfNull(unit);
        if (caller.IsMinistry)
        {
            return true;
        }

        if (Covered(caller, unit))
        {
            return true;
        }

        // A unit of a later version (not one that carried on) whose every predecessor is in scope.
        return unit.ValidFrom > DateOnly.MinValue
            && catalog.PredecessorsOf(unit.Key) is { Count: > 0 } predecessors
            && predecessors.All(p => InScope(caller, p));
    }

    private bool Covered(Caller caller, AdminUnit unit)
    {
        var ownOrHistory = unit.Tenant == caller.TenantId || catalog.MergerOf(unit.Tenant)?.Into == caller.TenantId;
        if (!ownOrHistory)
        {
            return false;
        }

        if (caller.SeesWholeTenant)
        {
            return true;
        }

        // Claims name units as of the credential's issue date: the unit in force that day, else the
        // latest one the code had named by then (a district claim outlives the district).
        var on = caller.IssuedOn ?? clock.Today;
        var claimed = caller.Units
            .Select(code => catalog.TryResolve(caller.TenantId, code, on, out var u) ? u : catalog.UnitsWithCode(caller.TenantId, code).FirstOrDefault(x => x.ValidFrom <= on))
            .OfType<AdminUnit>().Select(u => u.Key).ToHashSet();
        return claimed.Contains(unit.Key) || catalog.AncestorsOf(unit.Key).Any(a => claimed.Contains(a.Key));
    }

    private static PermissionDeniedException OutsideScope(string field, string code) =>
        new($"{field} '{RpcErrors.Clip(code)}' is outside this credential's scope.");
}
