using Aggregation.Hierarchy;
using Aggregation.Periods;
using Aggregation.Programmes;
using Programme = Aggregation.Programmes.Programme;
using Aggregation.Protos.V1;
using Aggregation.Rollup;
using Aggregation.Server.Catalog;
using Aggregation.Server.Errors;
using Aggregation.Server.Hosting;
using Google.Protobuf.WellKnownTypes;
using IndicatorStatus = Aggregation.Rollup.IndicatorStatus;

namespace Aggregation.Server.Rollup;

/// <summary>
/// Reads units' grains and turns their cells into the wire figures: shared by one-off reads
/// (<see cref="RollupService"/>) and subscriptions, so an update and a read of the same state are equal.
/// </summary>
public sealed class RollupReads(Hierarchy.Catalog catalog, IGrainFactory grains, ReportingClock clock)
{
    public const int MaxPeriods = 12;

    /// <summary>Resolves and validates what a read names; throws INVALID_ARGUMENT listing every problem.</summary>
    public (AdminUnit Unit, Programme Programme, List<Period> Periods) Resolve(Tenant tenant, string unitCode, string programmeId, IReadOnlyList<string> periods, string periodField)
    {
        var errors = new List<FieldError>();
        var unit = ResolveUnit(tenant, unitCode, errors);
        Programme? programme = null;
        if (!tenant.ProgrammeIds.Contains(programmeId) || !catalog.Programmes.TryGetValue(programmeId, out programme))
        {
            errors.Add(new FieldError("programme_id", $"unknown programme '{RpcErrors.Clip(programmeId)}' for tenant {tenant.Id}"));
        }

        if (periods.Count is 0 or > MaxPeriods)
        {
            errors.Add(new FieldError(periodField, $"name 1 to {MaxPeriods} periods"));
        }

        var parsed = new List<Period>();
        for (var i = 0; i < periods.Count && i < MaxPeriods; i++)
        {
            var field = periods.Count == 1 && periodField == "period" ? "period" : $"{periodField}[{i}]";
            if (!Period.TryParse(periods[i], out var period, out var periodError))
            {
                errors.Add(new FieldError(field, periodError));
            }
            else if (programme is not null && !programme.Calendar.Contains(period))
            {
                errors.Add(new FieldError(field, $"{period} is outside the programme ({programme.Calendar.Whole})"));
            }
            else
            {
                parsed.Add(period);
            }
        }

        if (errors.Count > 0)
        {
            throw RpcErrors.InvalidArgument(errors);
        }

        return (unit!, programme!, parsed);
    }

    /// <summary>The unit's figures for each period, from one read of its grain.</summary>
    public async Task<List<UnitRollup>> ReadAsync(AdminUnit unit, Programme programme, IReadOnlyList<Period> periods)
    {
        var snapshot = await grains.GetGrain<IUnitGrain>(unit.Key.GrainKey).GetSnapshotAsync(programme.Id);
        var readAt = Timestamp.FromDateTimeOffset(clock.Now);
        return periods.Select(p => ToProto(unit, snapshot, programme, p, clock.Today, readAt)).ToList();
    }

    public IReadOnlyList<AdminUnit> ChildrenOf(AdminUnit unit, Programme programme) => catalog.ChildrenOf(unit.Key, programme.Id).ToList();

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
            var completeness = new Protos.V1.Completeness
            {
                DataSet = c.DataSet.Id,
                NameVi = c.DataSet.Name.Vi ?? "",
                NameEn = c.DataSet.Name.En ?? "",
                Reported = c.Reported,
                Expected = c.Expected,
                OnTime = c.OnTime,
            };
            if (c.DataSet.DeadlineDays is { } days)
            {
                completeness.DeadlineDays = days;
            }

            result.Completeness.Add(completeness);
        }

        return result;
    }
}
