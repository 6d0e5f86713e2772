using System.Globalization;
using Aggregation.Hierarchy;
using Aggregation.Periods;
using Aggregation.Programmes;
using Aggregation.Protos.V1;
using Aggregation.Rollup;
using Aggregation.Server.Errors;
using Aggregation.Server.Hosting;
using Aggregation.Server.Security;
using Aggregation.Storage;
using Google.Protobuf.WellKnownTypes;
using AuditAction = Aggregation.Storage.AuditAction;
using AuditRecord = Aggregation.Storage.AuditRecord;
using ProtoLevel = Aggregation.Protos.V1.ApprovalLevel;
using Programme = Aggregation.Programmes.Programme;
using DataSet = Aggregation.Programmes.DataSet;

namespace Aggregation.Server.Approvals;

/// <summary>
/// Approving, withdrawing and listing approvals, for gRPC and the pages alike. Every rule of the
/// approval levels is checked here, before anything is written: the caller's role and scope, the
/// level of its authority, the order of levels, the period and that the area holds data for it.
/// The rules that depend on other approvals are checked again inside the store's transaction,
/// against the approvals as they stand there.
/// </summary>
public sealed class ApprovalWorkflow(Hierarchy.Catalog catalog, ApprovalRegistry registry, AccessControl access, IGrainFactory grains, ReportingClock clock, IServiceProvider services, Review.ReviewFindings findings)
{
    private const int MaxCommentLength = 2000;

    private static readonly CultureInfo Vietnamese = CultureInfo.GetCultureInfo("vi-VN");

    private PostgresApprovalStore Store => services.GetService<PostgresApprovalStore>()
        ?? throw new FailedPreconditionException("Approvals are recorded in PostgreSQL; this server runs without it (Database:Mode=Memory).", ["Database:ConnectionString"])
        {
            MessageVi = "Phê duyệt được lưu trong PostgreSQL; máy chủ này chạy không có PostgreSQL (Database:Mode=Memory).",
        };

    public async Task<Approval> ApproveAsync(Caller caller, Tenant tenant, ApproveRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(caller);
        ArgumentNullException.ThrowIfNull(tenant);
        ArgumentNullException.ThrowIfNull(request);
        var store = Store;
        var (programme, dataSet, unit, period, level) = Validate(caller, tenant, request);
        var comment = request.Comment.Trim();

        // Checked here first, so a refusal costs no wait; again in the store's transaction.
        CheckOrder(registry.InForce(tenant.Id, programme.Id), dataSet, unit, period, level);

        // From now on new submissions of these figures are refused, and those already past their
        // check have finished: what is read below, and approved, is what stays.
        var pending = new ApprovalEntry(0, tenant.Id, programme.Id, dataSet.Id, unit.Key, period, level, caller.Subject, clock.Now, comment);
        using var hold = await registry.HoldAsync(pending, cancellationToken);
        await RequireDataAsync(programme, dataSet, unit, period);
        await RequireCommentOnOpenFindingsAsync(tenant, programme, dataSet, unit, period, comment, cancellationToken);

        var row = new ApprovalRow(0, tenant.Id, programme.Id, dataSet.Id, unit.Code, unit.ValidFrom, period.ToString(), (short)level, caller.Subject, default, comment);
        var recorded = await store.ApproveAsync(
            row,
            current => CheckOrder([.. current.Where(r => r.InForce && r.ProgrammeId == programme.Id).Select(registry.ToEntry).OfType<ApprovalEntry>()], dataSet, unit, period, level),
            approved => Audit(caller, approved, AuditAction.Approved, approved.Comment),
            cancellationToken);
        registry.Apply(recorded);
        return ToProto(recorded);
    }

    public async Task<Approval> WithdrawAsync(Caller caller, Tenant tenant, WithdrawApprovalRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(caller);
        ArgumentNullException.ThrowIfNull(tenant);
        ArgumentNullException.ThrowIfNull(request);
        var store = Store;
        var reason = request.Reason.Trim();
        var errors = new List<LocalizedFieldError>();
        if (reason.Length == 0)
        {
            errors.Add(new("reason", "Hãy ghi lý do rút phê duyệt.", "is required: say why the approval is withdrawn"));
        }
        else if (reason.Length > MaxCommentLength || reason.Any(c => char.IsControl(c) && c is not '\n' and not '\r' and not '\t'))
        {
            errors.Add(new("reason", $"Lý do dài tối đa {MaxCommentLength} ký tự và không chứa ký tự điều khiển.", $"must be at most {MaxCommentLength} characters without control characters"));
        }

        var known = registry.Rows(tenant.Id).FirstOrDefault(r => r.Id == request.ApprovalId);
        if (known is null || registry.ToEntry(known) is not { } entry)
        {
            if (errors.Count > 0)
            {
                throw InvalidRequestException.Of(errors);
            }

            throw new NotFoundException($"There is no approval {request.ApprovalId} in tenant {tenant.Id}.") { MessageVi = $"Không có phê duyệt số {request.ApprovalId} của {tenant.Id}." };
        }

        var unit = catalog.GetUnit(entry.Unit);
        RequireAuthority(caller, unit, entry.Level, withdrawing: true);
        if (errors.Count > 0)
        {
            throw InvalidRequestException.Of(errors);
        }

        var withdrawn = await store.WithdrawAsync(
            tenant.Id,
            entry.Id,
            caller.Subject,
            reason,
            current => CheckWithdrawal(current, entry),
            w => Audit(caller, w, AuditAction.ApprovalWithdrawn, w.WithdrawalReason),
            cancellationToken);
        registry.Apply(withdrawn);
        return ToProto(withdrawn);
    }

    /// <summary>Approvals of a programme on a unit (and below it) overlapping a period, newest first, within the caller's read scope.</summary>
    public IReadOnlyList<Approval> List(Caller caller, Tenant tenant, ListApprovalsRequest request)
    {
        ArgumentNullException.ThrowIfNull(caller);
        ArgumentNullException.ThrowIfNull(tenant);
        ArgumentNullException.ThrowIfNull(request);
        var errors = new List<LocalizedFieldError>();
        var programmeId = string.IsNullOrEmpty(request.ProgrammeId) ? tenant.ProgrammeIds[0] : request.ProgrammeId;
        if (!tenant.ProgrammeIds.Contains(programmeId) || !catalog.Programmes.ContainsKey(programmeId))
        {
            errors.Add(new("programme_id", $"Không có chương trình '{RpcErrors.Clip(programmeId)}'.", $"unknown programme '{RpcErrors.Clip(programmeId)}' for tenant {tenant.Id}"));
        }

        Period? period = null;
        if (!string.IsNullOrEmpty(request.Period))
        {
            if (Period.TryParse(request.Period, out var p, out var error))
            {
                period = p;
            }
            else
            {
                errors.Add(new("period", $"'{RpcErrors.Clip(request.Period)}' không phải mã kỳ (ví dụ 2025-03, 2025Q1, 2025S1, 2025).", error));
            }
        }

        access.RequireReadable(caller, tenant, request.UnitCode, "unit_code");
        var units = catalog.UnitsWithCode(tenant.Id, request.UnitCode).ToList();
        if (units.Count == 0)
        {
            errors.Add(new("unit_code", $"Không có đơn vị '{RpcErrors.Clip(request.UnitCode)}'.", $"unknown unit '{RpcErrors.Clip(request.UnitCode)}' in tenant {tenant.Id}"));
        }

        if (errors.Count > 0)
        {
            throw InvalidRequestException.Of(errors);
        }

        var keys = units.Select(u => u.Key).ToHashSet();
        return registry.Rows(tenant.Id)
            .Where(r => r.ProgrammeId == programmeId && (request.IncludeWithdrawn || r.InForce))
            .Select(r => (Row: r, Entry: registry.ToEntry(r)))
            .Where(x => x.Entry is { } e
                && (period is not { } p || (e.Period.Start < p.End && p.Start < e.Period.End))
                && (keys.Contains(e.Unit) || (request.IncludeChildren && catalog.AncestorsOf(e.Unit).Any(a => keys.Contains(a.Key))))
                && access.InScope(caller, catalog.GetUnit(e.Unit)))
            .OrderByDescending(x => x.Row.Id)
            .Select(x => ToProto(x.Row))
            .ToList();
    }

    public static Approval ToProto(ApprovalRow row)
    {
        ArgumentNullException.ThrowIfNull(row);
        var approval = new Approval
        {
            Id = row.Id,
            ProgrammeId = row.ProgrammeId,
            DataSet = row.DataSet,
            UnitCode = row.UnitCode,
            Period = row.Period,
            Level = (ProtoLevel)row.Level,
            ApprovedBy = row.ApprovedBy,
            ApprovedAt = Timestamp.FromDateTimeOffset(row.ApprovedAt),
            Comment = row.Comment,
            WithdrawnBy = row.WithdrawnBy ?? "",
            WithdrawalReason = row.WithdrawalReason ?? "",
        };
        if (row.WithdrawnAt is { } at)
        {
            approval.WithdrawnAt = Timestamp.FromDateTimeOffset(at);
        }

        return approval;
    }

    /// <summary>"approvals/{id}": how a refusal names an approval (google.rpc.PreconditionFailure subject).</summary>
    public static string Subject(long id) => "approvals/" + id.ToString(CultureInfo.InvariantCulture);

    /// <summary>An approval in a sentence: level, who, when (Vietnam time), and its name.</summary>
    public static string Describe(ApprovalEntry a) =>
        $"approved at {(a.Level == ApprovalLevel.Province ? "province" : "district")} level by {a.ApprovedBy} on {a.ApprovedAt.ToOffset(ReportingClock.VietnamOffset):yyyy-MM-dd HH:mm} (Vietnam time){(a.Id == 0 ? ", being recorded" : $" ({Subject(a.Id)})")}";

    public static string DescribeVi(ApprovalEntry a) =>
        $"đã được phê duyệt cấp {(a.Level == ApprovalLevel.Province ? "tỉnh" : "huyện")} bởi {a.ApprovedBy} lúc {a.ApprovedAt.ToOffset(ReportingClock.VietnamOffset).ToString("HH:mm dd/MM/yyyy", Vietnamese)} (giờ Việt Nam){(a.Id == 0 ? ", đang được ghi nhận" : $" ({Subject(a.Id)})")}";

    private (Programme Programme, DataSet DataSet, AdminUnit Unit, Period Period, ApprovalLevel Level) Validate(Caller caller, Tenant tenant, ApproveRequest request)
    {
        var errors = new List<LocalizedFieldError>();
        Programme? programme = null;
        DataSet? dataSet = null;
        if (!tenant.ProgrammeIds.Contains(request.ProgrammeId) || !catalog.Programmes.TryGetValue(request.ProgrammeId, out programme))
        {
            errors.Add(new("programme_id", $"Không có chương trình '{RpcErrors.Clip(request.ProgrammeId)}'.", $"unknown programme '{RpcErrors.Clip(request.ProgrammeId)}' for tenant {tenant.Id}"));
        }
        else if ((dataSet = programme.DataSets.FirstOrDefault(d => d.Id == request.DataSet)) is null)
        {
            errors.Add(new("data_set", $"Chương trình không có bộ số liệu '{RpcErrors.Clip(request.DataSet)}'.", $"unknown data set '{RpcErrors.Clip(request.DataSet)}' (one of {string.Join(", ", programme.DataSets.Select(d => d.Id))})"));
        }

        ApprovalLevel? level = request.Level switch
        {
            ProtoLevel.District => ApprovalLevel.District,
            ProtoLevel.Province => ApprovalLevel.Province,
            _ => null,
        };
        if (level is null)
        {
            errors.Add(new("level", "Hãy chọn cấp phê duyệt: huyện (DISTRICT) hoặc tỉnh (PROVINCE).", "name the approval level: APPROVAL_LEVEL_DISTRICT or APPROVAL_LEVEL_PROVINCE"));
        }

        Period period = default;
        var periodKnown = false;
        if (!Period.TryParse(request.Period, out period, out var periodError))
        {
            errors.Add(new("period", string.IsNullOrEmpty(request.Period) ? "Hãy chọn kỳ." : $"'{RpcErrors.Clip(request.Period)}' không phải mã kỳ (ví dụ 2025-03, 2025Q1, 2025S1, 2025).", periodError));
        }
        else if (programme is not null && !programme.Calendar.Contains(period))
        {
            errors.Add(new("period", $"Kỳ {period} nằm ngoài chương trình ({programme.Calendar.Whole}).", $"{period} is outside the programme ({programme.Calendar.Whole})"));
        }
        else if (dataSet is not null && period.Type < dataSet.PeriodType)
        {
            errors.Add(new("period", $"Bộ số liệu {dataSet.Id} báo cáo theo {PeriodVi(dataSet.PeriodType)}: chỉ phê duyệt được kỳ từ {PeriodVi(dataSet.PeriodType)} trở lên.", $"{dataSet.Id} is reported {dataSet.PeriodType.ToString().ToLowerInvariant()}: approve a period of that length or longer"));
        }
        else if (period.Start > clock.Today)
        {
            errors.Add(new("period", $"Kỳ {period} chưa bắt đầu: chưa thể phê duyệt.", $"{period} has not begun yet: there is nothing to approve"));
        }
        else
        {
            periodKnown = true;
        }

        if (request.Comment.Length > MaxCommentLength || request.Comment.Any(c => char.IsControl(c) && c is not '\n' and not '\r' and not '\t'))
        {
            errors.Add(new("comment", $"Nhận xét dài tối đa {MaxCommentLength} ký tự và không chứa ký tự điều khiển.", $"must be at most {MaxCommentLength} characters without control characters"));
        }

        // The unit: outside the scope is refused the same whether or not it exists.
        if (!Identifiers.IsWellFormed(request.UnitCode))
        {
            errors.Add(new("unit_code", "Hãy chọn đơn vị (mã đơn vị hành chính).", Identifiers.Problem(request.UnitCode)));
        }
        else if (!caller.SeesWholeTenant && !access.InScope(caller, tenant, request.UnitCode))
        {
            throw new PermissionDeniedException($"unit_code '{RpcErrors.Clip(request.UnitCode)}' is outside this credential's scope.")
            {
                MessageVi = $"Đơn vị '{RpcErrors.Clip(request.UnitCode)}' nằm ngoài phạm vi của tài khoản này.",
            };
        }

        AdminUnit? unit = null;
        if (Identifiers.IsWellFormed(request.UnitCode))
        {
            var found = periodKnown
                ? catalog.TryResolve(tenant.Id, request.UnitCode, period.Start, period.End, out unit)
                : (unit = catalog.UnitsWithCode(tenant.Id, request.UnitCode).LastOrDefault()) is not null;
            if (!found)
            {
                errors.Add(new("unit_code", $"Không có đơn vị '{RpcErrors.Clip(request.UnitCode)}'{(periodKnown ? $" trong kỳ {period}" : "")}.", $"unknown unit '{RpcErrors.Clip(request.UnitCode)}' in tenant {tenant.Id}{(periodKnown ? $" during {period}" : "")}"));
                unit = null;
            }
        }

        if (unit is not null && level is { } l && !ApprovableAt(unit, l))
        {
            errors.Add(l == ApprovalLevel.District
                ? new("level", $"{unit.Name} là đơn vị cấp {LevelVi(unit.Level)}: cấp huyện phê duyệt xã hoặc chính huyện.", $"{unit.Name} is a {unit.Level}: district level approves a commune or the district itself")
                : new("level", $"{unit.Name} là đơn vị cấp {LevelVi(unit.Level)}: cấp tỉnh phê duyệt huyện hoặc chính tỉnh; xã do cấp huyện phê duyệt.", $"{unit.Name} is a {unit.Level}: province level approves a district or the province itself; communes are approved at district level"));
        }

        if (unit is not null && dataSet is not null && LevelIndex(unit.Level) > LevelIndex(dataSet.Level))
        {
            errors.Add(new("data_set", $"{dataSet.Id} do đơn vị cấp {LevelVi(dataSet.Level)} báo cáo; {unit.Name} (cấp {LevelVi(unit.Level)}) không có số liệu của bộ này.", $"{dataSet.Id} is reported by {dataSet.Level} units; {unit.Name} (a {unit.Level}) holds none of it"));
        }

        if (errors.Count > 0)
        {
            throw InvalidRequestException.Of(errors);
        }

        RequireAuthority(caller, unit!, level!.Value, withdrawing: false);
        return (programme!, dataSet!, unit!, period, level.Value);
    }

    /// <summary>
    /// Figures with findings still open (a rule broken, a value far from its history, a report
    /// missing or late, a target held back) are approved only with a comment saying why: the next
    /// reader of the approval sees what the approver knew. Checked on the figures as they are held
    /// for approval, so the findings are those of what is approved.
    /// </summary>
    private async Task RequireCommentOnOpenFindingsAsync(Tenant tenant, Programme programme, DataSet dataSet, AdminUnit unit, Period period, string comment, CancellationToken cancellationToken)
    {
        if (comment.Length > 0)
        {
            return;
        }

        var open = await findings.FindAsync(tenant, programme, unit, period, dataSet.Id, cancellationToken);
        if (open.Count > 0)
        {
            throw InvalidRequestException.Of([new LocalizedFieldError(
                "comment",
                $"Còn {open.Count.ToString(Vietnamese)} điểm cần xem chưa giải quyết trong số liệu {dataSet.Id} của {unit.Name} kỳ {period}: hãy ghi nhận xét giải thích vì sao vẫn phê duyệt.",
                $"is required: {open.Count.ToString(CultureInfo.InvariantCulture)} findings are open in {dataSet.Id} of {unit.Name} for {period}; say why the figures are approved as they are")]);
        }
    }

    /// <summary>District level approves communes and districts; province level districts and the province unit.</summary>
    private static bool ApprovableAt(AdminUnit unit, ApprovalLevel level) => level == ApprovalLevel.District
        ? unit.Level is "commune" or "district"
        : unit.Level is "district" or "province";

    /// <summary>
    /// The caller's scope must cover the authority of the level: the district (for a commune, its
    /// parent) for district level, the province for province level. Admins cover the tenant.
    /// </summary>
    private void RequireAuthority(Caller caller, AdminUnit unit, ApprovalLevel level, bool withdrawing)
    {
        var authority = Authority(unit, level);
        if (access.InScope(caller, authority))
        {
            return;
        }

        var (en, vi) = level == ApprovalLevel.Province
            ? ("province", "tỉnh")
            : ("district", "huyện");
        throw new PermissionDeniedException(
            $"{(withdrawing ? "Withdrawing" : "Approving")} {unit.Name} at {en} level needs an approver whose scope covers {authority.Name} ({authority.Code}); this credential's does not.")
        {
            MessageVi = $"{(withdrawing ? "Rút phê duyệt" : "Phê duyệt")} {unit.Name} ở cấp {vi} cần người phê duyệt có phạm vi bao gồm {authority.Name} ({authority.Code}); tài khoản này không có.",
        };
    }

    private AdminUnit Authority(AdminUnit unit, ApprovalLevel level)
    {
        var wanted = level == ApprovalLevel.Province ? "province" : "district";
        if (unit.Level == wanted)
        {
            return unit;
        }

        return catalog.AncestorsOf(unit.Key).FirstOrDefault(a => a.Level == wanted)
            ?? catalog.AncestorsOf(unit.Key).FirstOrDefault()
            ?? unit;
    }

    /// <summary>
    /// The rules between approvals: the same figures are not approved twice at a level (nor under an
    /// approval above them that already covers them), and a district is approved at province level
    /// only when it holds its district approval for a period containing this one.
    /// </summary>
    private void CheckOrder(IReadOnlyList<ApprovalEntry> inForce, DataSet dataSet, AdminUnit unit, Period period, ApprovalLevel level)
    {
        var lineage = catalog.AncestorsOf(unit.Key).Select(a => a.Key).Prepend(unit.Key).ToHashSet();
        var covering = inForce
            .Where(a => a.DataSet == dataSet.Id && a.Level >= level && lineage.Contains(a.Unit) && a.Period.Start <= period.Start && period.End <= a.Period.End)
            .OrderByDescending(a => a.Level).FirstOrDefault();
        if (covering is not null)
        {
            throw Conflict(covering, "APPROVAL",
                $"The figures of {dataSet.Id} for {unit.Name} in {period} are already {Describe(covering)}.",
                $"Số liệu {dataSet.Id} của {unit.Name} kỳ {period} {DescribeVi(covering)}.");
        }

        if (level == ApprovalLevel.Province && unit.Level == "district"
            && !inForce.Any(a => a.DataSet == dataSet.Id && a.Level == ApprovalLevel.District && a.Unit == unit.Key && a.Period.Start <= period.Start && period.End <= a.Period.End))
        {
            var subject = $"approvals/district/{unit.Code}/{dataSet.Id}/{period}";
            throw new StateConflictException(
                $"{unit.Name} cannot be approved at province level for {dataSet.Id} in {period} before its district approval: the district approves its figures first.",
                [new PreconditionViolation("APPROVAL_MISSING", subject, $"no district-level approval of {unit.Code} for {dataSet.Id} covering {period} is in force")])
            {
                MessageVi = $"Chưa thể phê duyệt cấp tỉnh {unit.Name} cho {dataSet.Id} kỳ {period}: huyện phải phê duyệt số liệu của mình trước.",
            };
        }
    }

    /// <summary>A district approval cannot be withdrawn while a province approval above it is in force.</summary>
    private void CheckWithdrawal(IReadOnlyList<ApprovalRow> current, ApprovalEntry entry)
    {
        var row = current.FirstOrDefault(r => r.Id == entry.Id);
        if (row is null || !row.InForce)
        {
            throw new StateConflictException(
                $"Approval {Subject(entry.Id)} was already withdrawn{(row?.WithdrawnBy is { } by ? $" by {by}" : "")}.",
                [new PreconditionViolation("APPROVAL_WITHDRAWN", Subject(entry.Id), "already withdrawn")])
            {
                MessageVi = $"Phê duyệt {Subject(entry.Id)} đã được rút trước đó{(row?.WithdrawnBy is { } by2 ? $" bởi {by2}" : "")}.",
            };
        }

        if (entry.Level != ApprovalLevel.District)
        {
            return;
        }

        var unit = catalog.GetUnit(entry.Unit);
        var lineage = catalog.AncestorsOf(unit.Key).Select(a => a.Key).Prepend(unit.Key).ToHashSet();
        var above = current.Where(r => r.InForce && r.Level == (short)ApprovalLevel.Province).Select(registry.ToEntry).OfType<ApprovalEntry>()
            .FirstOrDefault(a => a.DataSet == entry.DataSet && a.ProgrammeId == entry.ProgrammeId && lineage.Contains(a.Unit) && a.Period.Start < entry.Period.End && entry.Period.Start < a.Period.End);
        if (above is not null)
        {
            throw Conflict(above, "APPROVAL",
                $"The district approval {Subject(entry.Id)} cannot be withdrawn while the figures are {Describe(above)}: withdraw that one first.",
                $"Không thể rút phê duyệt cấp huyện {Subject(entry.Id)} khi số liệu {DescribeVi(above)}: hãy rút phê duyệt đó trước.");
        }
    }

    /// <summary>
    /// Refuses an approval of a period in which no unit of the area reported any value of the data
    /// set. Read from the reporting units' own values (not the area's rollup, which may not yet hold
    /// a report just made below), stopping at the first unit with data.
    /// </summary>
    private async Task RequireDataAsync(Programme programme, DataSet dataSet, AdminUnit unit, Period period)
    {
        var elements = dataSet.Elements.Select(e => e.Id).ToHashSet(StringComparer.Ordinal);
        var (first, last) = programme.Calendar.BaseRange(dataSet.PeriodType, period.Type, programme.Calendar.IndexOf(period));
        foreach (var batch in ReportingUnits(programme, dataSet, unit, period).Chunk(32))
        {
            var values = await Task.WhenAll(batch.Select(u => grains.GetGrain<IUnitGrain>(u.Key.GrainKey).GetOwnValuesAsync(programme.Id)));
            if (values.Any(v => v.Any(o => elements.Contains(o.ElementId) && o.BaseIndex >= first && o.BaseIndex <= last && o.Slot.HasValue)))
            {
                return;
            }
        }

        var subject = $"data/{unit.Code}/{dataSet.Id}/{period}";
        throw new StateConflictException(
            $"{unit.Name} holds no {dataSet.Id} figures for {period}: there is nothing to approve.",
            [new PreconditionViolation("NO_DATA", subject, $"no unit of the area reported {dataSet.Id} for {period}")])
        {
            MessageVi = $"{unit.Name} chưa có số liệu {dataSet.Id} kỳ {period}: không có gì để phê duyệt.",
        };
    }

    /// <summary>The unit and every unit below it at the data set's level, in force during the period.</summary>
    private IEnumerable<AdminUnit> ReportingUnits(Programme programme, DataSet dataSet, AdminUnit unit, Period period)
    {
        var queue = new Queue<AdminUnit>([unit]);
        while (queue.TryDequeue(out var next))
        {
            if (next.Level == dataSet.Level)
            {
                yield return next;
                continue;
            }

            foreach (var child in catalog.ChildrenOf(next.Key, programme.Id, period.Start, period.End))
            {
                queue.Enqueue(child);
            }
        }
    }

    private static StateConflictException Conflict(ApprovalEntry approval, string type, string en, string vi) =>
        new(en, [new PreconditionViolation(type, Subject(approval.Id), Describe(approval))]) { MessageVi = vi };

    private static AuditRecord Audit(Caller caller, ApprovalRow row, AuditAction action, string? reason) => new(
        row.Tenant,
        new Submitter(caller.Subject, caller.Via, caller.Peer),
        "",
        Subject(row.Id),
        row.UnitCode,
        row.ProgrammeId,
        row.Period,
        row.DataSet,
        action,
        null,
        row.Level == (short)ApprovalLevel.Province ? "province" : "district",
        reason);

    private int LevelIndex(string level) => catalog.Levels.ToList().IndexOf(level);

    private static string LevelVi(string level) => level switch
    {
        "province" => "tỉnh",
        "district" => "huyện",
        "commune" => "xã",
        _ => level,
    };

    private static string PeriodVi(PeriodType type) => type switch
    {
        PeriodType.Monthly => "tháng",
        PeriodType.Quarterly => "quý",
        PeriodType.SixMonthly => "6 tháng",
        PeriodType.Yearly => "năm",
        _ => "cả giai đoạn",
    };
}
