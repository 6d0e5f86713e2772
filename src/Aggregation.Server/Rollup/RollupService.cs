using Aggregation.Hierarchy;
using Aggregation.Periods;
using Aggregation.Programmes;
using Programme = Aggregation.Programmes.Programme;
using Aggregation.Protos.V1;
using Aggregation.Rollup;
using Aggregation.Server.Catalog;
using Aggregation.Server.Errors;
using Aggregation.Server.Hosting;
using Aggregation.Server.Security;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using IndicatorStatus = Aggregation.Rollup.IndicatorStatus;

namespace Aggregation.Server.Rollup;

/// <summary>gRPC <c>aggregation.v1.Rollups</c>: reads a unit's grain and turns its cells into figures.</summary>
public sealed class RollupService(Hierarchy.Catalog catalog, IGrainFactory grains, TenantResolver tenants, ReportingClock clock) : Rollups.RollupsBase
{
    public override async Task<GetRollupResponse> GetRollup(GetRollupRequest request, ServerCallContext context)
    {
        var tenant = tenants.Resolve(context);
        var errors = new List<FieldError>();
        var unit = ResolveUnit(tenant, request.UnitCode, errors);
        Programme? programme = null;
        if (!tenant.ProgrammeIds.Contains(request.ProgrammeId) || !catalog.Programmes.TryGetValue(request.ProgrammeId, out programme))
        {
            errors.Add(new FieldError("programme_id", $"unknown programme '{RpcErrors.Clip(request.ProgrammeId)}' for tenant {tenant.Id}"));
        }

        if (!Period.TryParse(request.Period, out var period, out var periodError))
        {
            errors.Add(new FieldError("period", periodError));
        }
        else if (programme is not null && !programme.Calendar.Contains(period))
        {
            errors.Add(new FieldError("period", $"{period} is outside the programme ({programme.Calendar.Whole})"));
        }

        if (errors.Count > 0)
        {
            throw RpcErrors.InvalidArgument(errors);
        }

        var today = clock.Today;
        var children = request.IncludeChildren ? catalog.ChildrenOf(unit!.Key, programme!.Id).ToList() : [];
        var snapshots = await Task.WhenAll(new[] { unit! }.Concat(children).Select(u => grains.GetGrain<IUnitGrain>(u.Key.GrainKey).GetSnapshotAsync(programme!.Id)));
        var readAt = Timestamp.FromDateTimeOffset(clock.Now);
        var response = new GetRollupResponse { Rollup = ToProto(unit!, snapshots[0], programme!, period, today, readAt) };
        for (var i = 0; i < children.Count; i++)
        {
            response.Children.Add(ToProto(children[i], snapshots[i + 1], programme!, period, today, readAt));
        }

        return response;
    }

    private AdminUnit? ResolveUnit(Tenant tenant, string code, List<FieldError> errors)
    {
        if (code == UnitKey.Nation.Code)
        {
            return catalog.GetUnit(UnitKey.Nation);
        }

        if (catalog.TryGetUnit(new UnitKey(tenant.Id, code), out var unit))
        {
            return unit;
        }

        errors.Add(new FieldError("unit_code", string.IsNullOrEmpty(code) ? "is required" : $"unknown unit '{RpcErrors.Clip(code)}' in tenant {tenant.Id}"));
        return null;
    }

    private UnitRollup ToProto(AdminUnit unit, RollupSnapshot snapshot, Programme programme, Period period, DateOnly today, Timestamp readAt)
    {
        var view = RollupReader.Read(catalog, programme, unit, snapshot.Cells, snapshot.Version, period, today);
        var result = new UnitRollup
        {
            Unit = CatalogService.ToProto(unit),
            ProgrammeId = programme.Id,
            Period = period.ToString(),
            Version = view.Version,
            ReadAt = readAt,
        };
        foreach (var e in view.Elements)
        {
            var value = new ElementValue { DataElement = e.Element.Id, NameVi = e.Element.Name.Vi ?? "", NameEn = e.Element.Name.En ?? "", Aggregation = e.Element.Aggregation };
            if (e.Value is { } v)
            {
                value.Value = v;
            }

            result.Values.Add(value);
        }

        foreach (var f in view.Indicators)
        {
            var i = new IndicatorValue
            {
                IndicatorId = f.Indicator.Id,
                Section = f.Indicator.Section ?? "",
                NameVi = f.Indicator.Name.Vi ?? "",
                NameEn = f.Indicator.Name.En ?? "",
                Status = f.Status switch
                {
                    IndicatorStatus.Met => Protos.V1.IndicatorStatus.Met,
                    IndicatorStatus.OnTrack => Protos.V1.IndicatorStatus.OnTrack,
                    IndicatorStatus.OffTrack => Protos.V1.IndicatorStatus.OffTrack,
                    IndicatorStatus.NoTarget => Protos.V1.IndicatorStatus.NoTarget,
                    _ => Protos.V1.IndicatorStatus.NoData,
                },
                Note = f.Indicator.Note ?? "",
            };
            if (f.Value is { } value)
            {
                i.Value = value;
            }

            if (f.Numerator is { } n)
            {
                i.Numerator = n;
            }

            if (f.Denominator is { } d)
            {
                i.Denominator = d;
            }

            if (f.Target is { } t)
            {
                i.Target = t;
            }

            result.Indicators.Add(i);
        }

        foreach (var c in view.Completeness)
        {
            result.Completeness.Add(new Protos.V1.Completeness
            {
                DataSet = c.DataSet.Id,
                NameVi = c.DataSet.Name.Vi ?? "",
                NameEn = c.DataSet.Name.En ?? "",
                Reported = c.Reported,
                Expected = c.Expected,
            });
        }

        return result;
    }
}
