using Aggregation.Hierarchy;
using Aggregation.Periods;
using Aggregation.Programmes;
using Aggregation.Protos.V1;
using Aggregation.Rollup;
using Aggregation.Server.Errors;
using Aggregation.Server.Security;
using Grpc.Core;
using ProtoProgramme = Aggregation.Protos.V1.Programme;

namespace Aggregation.Server.Catalog;

/// <summary>gRPC <c>aggregation.v1.Catalog</c>: programmes and the hierarchy of the caller's tenant.</summary>
public sealed class CatalogService(Hierarchy.Catalog catalog, AccessControl access, Hosting.ReportingClock clock) : Protos.V1.Catalog.CatalogBase
{
    private const int MaxPageSize = 1000;

    public override Task<ListProgrammesResponse> ListProgrammes(ListProgrammesRequest request, ServerCallContext context)
    {
        var (_, tenant) = access.Authorize(context, AccessControl.Anyone);
        var response = new ListProgrammesResponse();
        foreach (var id in tenant.ProgrammeIds)
        {
            response.Programmes.Add(ToProto(catalog.Programmes[id]));
        }

        return Task.FromResult(response);
    }

    public override Task<GetUnitResponse> GetUnit(GetUnitRequest request, ServerCallContext context)
    {
        var (caller, tenant) = access.Authorize(context, AccessControl.Anyone);
        if (request.Code.Length > 0 && !Identifiers.IsWellFormed(request.Code))
        {
            throw RpcErrors.InvalidArgument(new FieldError("code", Identifiers.Problem(request.Code)));
        }

        return Task.FromResult(Describe(catalog, tenant, request.Code, clock.DateOrToday(request.AsOf, "as_of"), wholeNation: caller.IsMinistry && request.Code == UnitKey.Nation.Code)
            ?? throw RpcErrors.InvalidArgument(new FieldError("code", $"unknown unit '{RpcErrors.Clip(request.Code)}' in tenant {tenant.Id}")));
    }

    /// <summary>
    /// A unit with its ancestors and children as of a date (empty code: the nation and the tenant's
    /// provinces), or null when the code names no unit. A code not in force that day gives the latest
    /// unit it named (a district after 2025-07-01), with the children it had on its last day (not the
    /// 2021 communes merged away before). Shared with the dashboard.
    /// <paramref name="wholeNation"/>: the nation's children are every province in force that day (the
    /// ministry reads the nation; 63 on 2025-06-30, 34 from 2025-07-01), not the tenant's.
    /// </summary>
    public static GetUnitResponse? Describe(Hierarchy.Catalog catalog, Tenant tenant, string code, DateOnly on, bool wholeNation = false)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(tenant);
        var unit = string.IsNullOrEmpty(code) || code == UnitKey.Nation.Code ? catalog.GetUnit(UnitKey.Nation)
            : catalog.TryResolve(tenant.Id, code, on, out var found) ? found
            : catalog.UnitsWithCode(tenant.Id, code).FirstOrDefault();
        if (unit is null)
        {
            return null;
        }

        var response = new GetUnitResponse { Unit = ToProto(unit, catalog) };
        response.Ancestors.AddRange(catalog.AncestorsOf(unit.Key).Select(u => ToProto(u, catalog)));
        var day = unit.InForceOn(on) ? on : unit.ValidTo is { } end && end <= on ? end.AddDays(-1) : unit.ValidFrom;
        var children = unit.Key == UnitKey.Nation
            ? wholeNation ? catalog.ChildrenOf(UnitKey.Nation).Where(p => p.InForceOn(on)) : ProvincesOf(catalog, tenant, on)
            : catalog.ChildrenOf(unit.Key).Where(c => c.InForceOn(day));
        response.Children.AddRange(children.Select(u => ToProto(u, catalog)));
        return response;
    }

    public override Task<ListUnitsResponse> ListUnits(ListUnitsRequest request, ServerCallContext context)
    {
        var (_, tenant) = access.Authorize(context, AccessControl.Anyone);
        var errors = new List<FieldError>();
        if (request.Level.Length > 0 && !catalog.Levels.Contains(request.Level))
        {
            errors.Add(new FieldError("level", $"unknown level '{RpcErrors.Clip(request.Level)}' (levels: {string.Join(", ", catalog.Levels)})"));
        }

        var on = clock.DateOrToday(request.AsOf, "as_of");
        AdminUnit? ancestor = null;
        if (request.AncestorCode.Length > 0 && !Identifiers.IsWellFormed(request.AncestorCode))
        {
            errors.Add(new FieldError("ancestor_code", Identifiers.Problem(request.AncestorCode)));
        }
        else if (request.AncestorCode.Length > 0 && !catalog.TryResolve(tenant.Id, request.AncestorCode, on, out ancestor))
        {
            errors.Add(new FieldError("ancestor_code", $"unknown unit '{RpcErrors.Clip(request.AncestorCode)}' in tenant {tenant.Id}"));
        }

        if (request.PageSize is < 0 or > MaxPageSize)
        {
            errors.Add(new FieldError("page_size", $"must be between 0 and {MaxPageSize}"));
        }

        var offset = 0;
        if (request.PageToken.Length > 0)
        {
            if (Identifiers.TryParsePageToken(request.PageToken, out var position) && position <= int.MaxValue)
            {
                offset = (int)position;
            }
            else
            {
                errors.Add(new FieldError("page_token", "is not a token returned by a previous call"));
            }
        }

        if (errors.Count > 0)
        {
            throw RpcErrors.InvalidArgument(errors);
        }

        IEnumerable<AdminUnit> units = ancestor is null ? catalog.TenantFamily(tenant.Id).SelectMany(catalog.UnitsOf) : Descendants(ancestor);
        units = units.Where(u => u.InForceOn(on));
        if (request.Level.Length > 0)
        {
            units = units.Where(u => u.Level == request.Level);
        }

        var all = units.OrderBy(u => u.Code, StringComparer.Ordinal).ToList();
        var size = request.PageSize == 0 ? 100 : request.PageSize;
        var response = new ListUnitsResponse { Total = all.Count };
        response.Units.AddRange(all.Skip(offset).Take(size).Select(u => ToProto(u, catalog)));
        if (offset + size < all.Count)
        {
            response.NextPageToken = (offset + size).ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        return Task.FromResult(response);
    }

    public static Unit ToProto(AdminUnit unit) => new()
    {
        Code = unit.Code,
        Name = unit.Name,
        Level = unit.Level,
        Type = unit.Type,
        ParentCode = unit.Parent?.PublishedCode ?? "",
        TenantId = unit.Tenant == UnitKey.Nation.Tenant ? "" : unit.Tenant,
        HierarchyVersion = unit.Version,
        ValidFrom = unit.ValidFrom == DateOnly.MinValue ? "" : unit.ValidFrom.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture),
        ValidTo = unit.ValidTo?.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture) ?? "",
    };

    /// <summary>With the unit that took an ended unit over.</summary>
    public static Unit ToProto(AdminUnit unit, Hierarchy.Catalog catalog)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        var proto = ToProto(unit);
        proto.SuccessorCode = catalog.SuccessorOf(unit.Key)?.Code ?? "";
        return proto;
    }

    /// <summary>The provinces of the tenant and of the tenants merged into it in force that day; a tenant merged away keeps its own.</summary>
    private static IEnumerable<AdminUnit> ProvincesOf(Hierarchy.Catalog catalog, Tenant tenant, DateOnly on)
    {
        var family = catalog.TenantFamily(tenant.Id).ToHashSet();
        var inForce = catalog.ChildrenOf(UnitKey.Nation).Where(p => family.Contains(p.Tenant) && p.InForceOn(on)).ToList();
        return inForce.Count > 0 ? inForce : catalog.ChildrenOf(UnitKey.Nation).Where(p => p.Tenant == tenant.Id);
    }

    public static ProtoProgramme ToProto(Programmes.Programme p)
    {
        var result = new ProtoProgramme
        {
            Id = p.Id,
            Version = p.Version,
            NameVi = p.Name.Vi ?? "",
            NameEn = p.Name.En ?? "",
            FirstPeriod = p.Calendar.At(PeriodType.Monthly, 0).ToString(),
            LastPeriod = p.Calendar.At(PeriodType.Monthly, p.Calendar.Months - 1).ToString(),
        };
        foreach (var ds in p.DataSets)
        {
            var d = new Protos.V1.DataSet { Id = ds.Id, NameVi = ds.Name.Vi ?? "", NameEn = ds.Name.En ?? "", Level = ds.Level, PeriodType = ds.PeriodType.Name(), Reporter = ds.Reporter };
            d.DataElements.AddRange(ds.Elements.Select(e => e.Id));
            result.DataSets.Add(d);
        }

        foreach (var e in p.Elements)
        {
            result.DataElements.Add(new Protos.V1.DataElement { Id = e.Id, NameVi = e.Name.Vi ?? "", NameEn = e.Name.En ?? "", Type = e.Type.ToString().ToLowerInvariant(), PeriodType = e.PeriodType.Name() });
        }

        foreach (var i in p.Indicators)
        {
            var indicator = new Protos.V1.Indicator { Id = i.Id, Section = i.Section ?? "", NameVi = i.Name.Vi ?? "", NameEn = i.Name.En ?? "", TargetBasis = i.Target?.Basis.ToString() ?? "" };
            if (i.Target is not null)
            {
                indicator.Target = i.Target.Value;
            }

            indicator.AppliesTo.AddRange(i.AppliesTo);
            result.Indicators.Add(indicator);
        }

        return result;
    }

    private IEnumerable<AdminUnit> Descendants(AdminUnit unit)
    {
        var stack = new Stack<AdminUnit>([unit]);
        while (stack.Count > 0)
        {
            var u = stack.Pop();
            yield return u;
            foreach (var c in catalog.ChildrenOf(u.Key))
            {
                stack.Push(c);
            }
        }
    }
}
