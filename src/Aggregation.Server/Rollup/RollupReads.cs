using Aggregation.Hierarchy;
using Aggregation.Periods;
using Aggregation.Programmes;
using Programme = Aggregation.Programmes.Programme;
using Aggregation.Protos.V1;
using Aggregation.Rollup;
using Aggregation.Server.Approvals;
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
public sealed class RollupReads(Hierarchy.Catalog catalog, IGrainFactory grains, ReportingClock clock, ApprovalRegistry approvals)
{
    public const int MaxPeriods = 12;

    /// <summary>How many method sentences <see cref="_methods"/> keeps at most (a few hundred bytes each).</summary>
    private const int MethodsKept = 4096;

    private readonly System.Collections.Concurrent.ConcurrentDictionary<(UnitKey Unit, string Programme, Period Period, HistoryView View, bool Vietnamese), string> _methods = new();

    /// <summary>
    /// Resolves and validates what a read names; throws an invalid request listing every problem. The
    /// unit is the one the code names on <paramref name="asOf"/> (yyyy-MM-dd) or, without it, for the
    /// periods read: codes were reused across hierarchy versions.
    /// </summary>
    public (AdminUnit Unit, Programme Programme, List<Period> Periods) Resolve(Tenant tenant, string unitCode, string programmeId, IReadOnlyList<string> periods, string periodField, string asOf = "")
    {
        var errors = new List<FieldError>();
        Programme? programme = null;
        if (!Identifiers.IsWellFormed(programmeId))
        {
            errors.Add(new FieldError("programme_id", Identifiers.Problem(programmeId)));
        }
        else if (!tenant.ProgrammeIds.Contains(programmeId) || !catalog.Programmes.TryGetValue(programmeId, out programme))
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

        DateOnly? on = null;
        if (!string.IsNullOrEmpty(asOf))
        {
            if (ReportingClock.TryParseDate(asOf, out var date))
            {
                on = date;
            }
            else
            {
                errors.Add(new FieldError("as_of", $"'{RpcErrors.Clip(asOf)}' is not a date (yyyy-MM-dd)"));
            }
        }

        var unit = ResolveUnit(tenant, unitCode, on, parsed, errors);
        if (errors.Count > 0)
        {
            throw new InvalidRequestException(errors);
        }

        return (unit!, programme!, parsed);
    }

    /// <summary>The unit's figures for each period, from one read of its grain (as it happened) or of every unit merged into it (restated).</summary>
    /// <param name="vietnamese">Whether the method sentence is written in Vietnamese (the dashboard in Vietnamese) rather than English.</param>
    public async Task<List<UnitRollup>> ReadAsync(AdminUnit unit, Programme programme, IReadOnlyList<Period> periods, HistoryView view = HistoryView.AsHappened, bool vietnamese = false)
    {
        var sources = view == HistoryView.Restated && unit.Key != UnitKey.Nation
            ? catalog.RestatedSources(unit.Key).Where(u => catalog.RunsProgramme(u.Tenant, programme.Id)).ToList()
            : [unit];
        var snapshots = await Task.WhenAll(sources.Select(u => grains.GetGrain<IUnitGrain>(u.Key.GrainKey).GetSnapshotAsync(programme.Id)));
        var cells = snapshots[0].Cells;
        if (snapshots.Length > 1)
        {
            cells = new long[cells.Length];
            foreach (var s in snapshots)
            {
                for (var i = 0; i < cells.Length; i++)
                {
                    cells[i] += s.Cells[i];
                }
            }
        }

        var version = snapshots.Max(s => s.Version);
        var readAt = Timestamp.FromDateTimeOffset(clock.Now);
        return periods.Select(p =>
        {
            var result = ToProto(unit, new RollupSnapshot(programme.Id, version, cells, []), programme, p, clock.Today, readAt, sources.Select(u => u.Key).ToList());
            result.View = view;
            result.Method = MethodOf(unit, programme, p, view, sources, vietnamese);
            result.RestatedFrom.AddRange(sources.Skip(1).Select(CatalogService.ToProto));
            return result;
        }).ToList();
    }

    /// <summary>
    /// The children to show beside a unit: as it happened, every child in force during the periods
    /// (districts to 2025-06-30 and communes from 2025-07-01 under a province that carried on);
    /// restated, the children of the structure in force at the end.
    /// </summary>
    public IReadOnlyList<AdminUnit> ChildrenOf(AdminUnit unit, Programme programme, IReadOnlyList<Period> periods, HistoryView view = HistoryView.AsHappened)
    {
        var from = periods.Min(p => p.Start);
        var to = periods.Max(p => p.End);
        var during = catalog.ChildrenOf(unit.Key, programme.Id, from, to).ToList();
        if (view != HistoryView.Restated)
        {
            return during;
        }

        var atEnd = during.Where(c => c.InForceOn(to.AddDays(-1))).ToList();
        return atEnd.Count > 0 ? atEnd : during;
    }

    /// <summary>
    /// The method sentence of a read, from <see cref="_methods"/> when this unit, programme, period,
    /// view and language were read before: the sentence depends on nothing else (the catalog is
    /// fixed while the server runs), and for the nation it walks every province's units by level,
    /// 3 ms and 190 KB of garbage a read (see RollupReader's nation counts for what both cost).
    /// </summary>
    private string MethodOf(AdminUnit unit, Programme programme, Period period, HistoryView view, IReadOnlyList<AdminUnit> sources, bool vietnamese)
    {
        var key = (unit.Key, programme.Id, period, view, vietnamese);
        if (_methods.TryGetValue(key, out var text))
        {
            return text;
        }

        text = vietnamese ? MethodVi(unit, programme, period, view, sources) : Method(unit, programme, period, view, sources);
        if (_methods.Count >= MethodsKept)
        {
            // Reads of every commune and period would otherwise keep a sentence each for ever.
            _methods.Clear();
        }

        _methods[key] = text;
        return text;
    }

    /// <summary>How the figures were obtained, for the reader: which units they sum and how units are counted across a reorganisation.</summary>
    private string Method(AdminUnit unit, Programme programme, Period period, HistoryView view, IReadOnlyList<AdminUnit> sources)
    {
        var text = view == HistoryView.Restated && sources.Count > 1
            ? $"Re-expressed in the structure of {unit.Code} ({unit.Name}): its own data plus those of the {sources.Count - 1} units merged into it ({string.Join(", ", sources.Skip(1).Take(8).Select(s => s.Code))}{(sources.Count > 9 ? ", …" : "")})."
            : view == HistoryView.Restated
                ? $"Re-expressed: no unit was merged into {unit.Code}; the figures are its own history."
                : "As it happened: each report along the hierarchy in force for its period.";
        var (partial, ended) = LevelSpans(unit, programme, period, sources);
        var spans = partial.Select(p => $"{p.Level}s {string.Join(" + ", p.Parts.Select(x => $"{x.Count} ({Span(x.From, x.To, period)})"))}").ToList();
        var gone = ended.Select(e => $" No {e.Level} exists in {period} (the last ended on {e.LastDay:yyyy-MM-dd}), so {e.Level} indicators have no data.");

        if (spans.Count > 0)
        {
            text += $" Units are counted for the part of {period} they existed: {string.Join("; ", spans)}.";
        }

        return text + string.Concat(gone);
    }

    /// <summary>
    /// What the method sentence says of each level below the unit, in either language: the levels
    /// whose units existed for only part of the period (with how many for which span), and the levels
    /// that existed before the period and no longer do (districts after 2025-06-30), with their last day.
    /// </summary>
    private (List<(string Level, List<(DateOnly From, DateOnly To, long Count)> Parts)> Partial, List<(string Level, DateOnly LastDay)> Ended) LevelSpans(AdminUnit unit, Programme programme, Period period, IReadOnlyList<AdminUnit> sources)
    {
        var partial = new List<(string, List<(DateOnly, DateOnly, long)>)>();
        var ended = new List<(string, DateOnly)>();
        foreach (var level in catalog.Levels.SkipWhile(l => l != unit.Level).Skip(1))
        {
            var parts = sources.SelectMany(s => catalog.UnitSpans(s.Key, level, programme.Id, period.Start, period.End))
                .GroupBy(x => (x.From, x.To)).OrderBy(g => g.Key.From).Select(g => (g.Key.From, g.Key.To, Count: (long)g.Sum(x => x.Count))).ToList();
            if (parts.Count > 1 || parts.Any(x => x.From > period.Start || x.To < period.End))
            {
                partial.Add((level, parts));
            }
            else if (parts.Count == 0 && sources.SelectMany(s => catalog.UnitSpans(s.Key, level, programme.Id, DateOnly.MinValue, period.Start)).Select(x => x.To).DefaultIfEmpty().Max() is var end && end != default)
            {
                ended.Add((level, end.AddDays(-1)));
            }
        }

        return (partial, ended);
    }

    /// <summary>The sentence of <see cref="Method"/> in Vietnamese: dates dd/MM/yyyy, levels by their Vietnamese names.</summary>
    private string MethodVi(AdminUnit unit, Programme programme, Period period, HistoryView view, IReadOnlyList<AdminUnit> sources)
    {
        var text = view == HistoryView.Restated && sources.Count > 1
            ? $"Tính lại theo cơ cấu của {unit.Code} ({unit.Name}): số liệu của chính đơn vị cộng với số liệu của {sources.Count - 1} đơn vị đã sáp nhập vào ({string.Join(", ", sources.Skip(1).Take(8).Select(s => s.Code))}{(sources.Count > 9 ? ", …" : "")})."
            : view == HistoryView.Restated
                ? $"Tính lại: không có đơn vị nào sáp nhập vào {unit.Code}; số liệu là lịch sử của chính đơn vị."
                : "Như đã diễn ra: mỗi báo cáo được cộng theo hệ thống đơn vị hành chính có hiệu lực trong kỳ của báo cáo.";
        var (partial, ended) = LevelSpans(unit, programme, period, sources);
        var spans = partial.Select(p => $"{LevelVi(p.Level)}: {string.Join(" + ", p.Parts.Select(x => $"{x.Count} ({SpanVi(x.From, x.To, period)})"))}").ToList();
        var gone = ended.Select(e => $" Trong kỳ {period} không còn đơn vị cấp {LevelVi(e.Level)} nào (đơn vị cuối cùng kết thúc ngày {e.LastDay.ToString("dd/MM/yyyy", System.Globalization.CultureInfo.InvariantCulture)}), nên các chỉ tiêu cấp {LevelVi(e.Level)} không có số liệu.");

        if (spans.Count > 0)
        {
            text += $" Mỗi đơn vị được tính cho phần thời gian của kỳ {period} mà đơn vị tồn tại: {string.Join("; ", spans)}.";
        }

        return text + string.Concat(gone);
    }

    private static string LevelVi(string level) => level switch
    {
        "province" => "tỉnh",
        "district" => "huyện",
        "commune" => "xã",
        _ => level,
    };

    private static string SpanVi(DateOnly from, DateOnly to, Period period)
    {
        var culture = System.Globalization.CultureInfo.InvariantCulture;
        return from <= period.Start ? $"đến {to.AddDays(-1).ToString("dd/MM/yyyy", culture)}"
            : to >= period.End ? $"từ {from.ToString("dd/MM/yyyy", culture)}"
            : $"{from.ToString("dd/MM/yyyy", culture)} đến {to.AddDays(-1).ToString("dd/MM/yyyy", culture)}";
    }

    private static string Span(DateOnly from, DateOnly to, Period period) =>
        from <= period.Start ? $"to {to.AddDays(-1):yyyy-MM-dd}" : to >= period.End ? $"from {from:yyyy-MM-dd}" : $"{from:yyyy-MM-dd} to {to.AddDays(-1):yyyy-MM-dd}";

    private AdminUnit? ResolveUnit(Tenant tenant, string code, DateOnly? on, List<Period> periods, List<FieldError> errors)
    {
        if (code == UnitKey.Nation.Code)
        {
            return catalog.GetUnit(UnitKey.Nation);
        }

        if (!Identifiers.IsWellFormed(code))
        {
            errors.Add(new FieldError("unit_code", Identifiers.Problem(code)));
            return null;
        }

        AdminUnit unit;
        var found = on is { } date
            ? catalog.TryResolve(tenant.Id, code, date, out unit)
            : periods.Count > 0
                ? catalog.TryResolve(tenant.Id, code, periods.Min(p => p.Start), periods.Max(p => p.End), out unit)
                : (unit = catalog.UnitsWithCode(tenant.Id, code).FirstOrDefault()!) is not null;
        if (found)
        {
            return unit;
        }

        var known = catalog.UnitsWithCode(tenant.Id, code).ToList();
        errors.Add(new FieldError(on is null ? "unit_code" : "as_of", known.Count == 0
            ? $"unknown unit '{RpcErrors.Clip(code)}' in tenant {tenant.Id}"
            : $"unit {code} is not in force {(on is { } d ? $"on {d:yyyy-MM-dd}" : "during the periods read")}; it names {string.Join(" and ", known.Select(u => $"{u.Name} ({Validity(u)})"))}"));
        return null;
    }

    private static string Validity(AdminUnit u) =>
        u.ValidTo is { } to
            ? u.ValidFrom == DateOnly.MinValue ? $"until {to.AddDays(-1):yyyy-MM-dd}" : $"{u.ValidFrom:yyyy-MM-dd} to {to.AddDays(-1):yyyy-MM-dd}"
            : u.ValidFrom == DateOnly.MinValue ? "in force" : $"from {u.ValidFrom:yyyy-MM-dd}";

    private UnitRollup ToProto(AdminUnit unit, RollupSnapshot snapshot, Programme programme, Period period, DateOnly today, Timestamp readAt, IReadOnlyList<UnitKey> counted)
    {
        var view = RollupReader.Read(catalog, programme, unit, snapshot.Cells, snapshot.Version, period, today, counted);
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
                    IndicatorStatus.DataToCheck => Protos.V1.IndicatorStatus.DataToCheck,
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

        result.Approvals.AddRange(ApprovalsOf(unit, programme, period));
        return result;
    }

    /// <summary>
    /// Per data set reported by the unit or the units below it: the approval in force over the
    /// period's figures (the highest level), or provisional (level unspecified). The nation spans
    /// tenants, each approving its own: its figures are provisional.
    /// </summary>
    private IEnumerable<DataSetApproval> ApprovalsOf(AdminUnit unit, Programme programme, Period period)
    {
        var levels = catalog.Levels.ToList();
        var own = levels.IndexOf(unit.Level);
        foreach (var dataSet in programme.DataSets.Where(d => levels.IndexOf(d.Level) >= own))
        {
            var state = new DataSetApproval { DataSet = dataSet.Id };
            if (unit.Key != UnitKey.Nation && approvals.Covering(unit.Tenant, unit, period, dataSet.Id) is { } approval)
            {
                state.Level = (Protos.V1.ApprovalLevel)approval.Level;
                state.ApprovalId = approval.Id;
                state.ApprovedBy = approval.ApprovedBy;
                state.ApprovedAt = Timestamp.FromDateTimeOffset(approval.ApprovedAt);
            }

            yield return state;
        }
    }
}
