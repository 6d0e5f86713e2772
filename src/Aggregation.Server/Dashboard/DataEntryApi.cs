using Aggregation.Hierarchy;
using Aggregation.Periods;
using Aggregation.Programmes;
using Aggregation.Rollup;
using Aggregation.Security;
using Aggregation.Server.Errors;
using Aggregation.Server.Hosting;
using Aggregation.Server.Ingestion;
using Aggregation.Server.Security;
using Aggregation.Storage;
using Grpc.Core;

namespace Aggregation.Server.Dashboard;

/// <summary>
/// The JSON API of the browser's data entry form (wwwroot/entry.html): which data sets, periods and
/// units a submitter may report, the form of a data set with the values held for one unit and period,
/// and the submission, which goes through the same <see cref="SubmissionPipeline"/> as gRPC.
/// Refusals are <c>{"error": sentence, "fields": [{"field", "vi", "en"}]}</c>: the page shows each
/// field's sentence in its language beside the field (an element id), or above the form (<c>period</c>,
/// <c>unit</c>, <c>dataSet</c>, <c>form</c>).
/// </summary>
public static class DataEntryApi
{
    public static WebApplication MapDataEntry(this WebApplication app)
    {
        var entry = app.MapGroup("/api/entry").RequireAuthorization();

        // What the signed-in credential may report: never refused for a role, so the page can say
        // plainly that this credential cannot submit.
        entry.MapGet("/options", (HttpContext http, Hierarchy.Catalog catalog, AccessControl access, ReportingClock clock) => Answer(() =>
        {
            var (caller, tenant) = access.Authorize(http, null, AccessControl.Anyone);
            var programme = catalog.Programmes[tenant.ProgrammeIds[0]];
            var canSubmit = caller.Roles.Contains(Roles.Submitter);
            var dataSets = canSubmit ? programme.DataSets.Where(d => MaySubmit(caller, d) && UnitsInScope(catalog, access, caller, tenant, d).Any()).ToList() : [];
            var today = clock.Today;
            return Task.FromResult(Results.Json(new
            {
                programme = new { id = programme.Id, nameVi = programme.Name.Vi, nameEn = programme.Name.En },
                canSubmit,
                roles = caller.Roles.Order(StringComparer.Ordinal),
                today = today.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture),
                dataSets = dataSets.Select(d =>
                {
                    var periods = OpenPeriods(programme, d.PeriodType, today);
                    return new
                    {
                        id = d.Id,
                        nameVi = d.Name.Vi,
                        nameEn = d.Name.En,
                        level = d.Level,
                        periodType = d.PeriodType.Name(),
                        deadlineDays = d.DeadlineDays,
                        periods = periods.Select(p => p.ToString()),
                        // Where the work usually is: the latest period that has ended.
                        defaultPeriod = (periods.Where(p => p.End <= today).Select(p => (Period?)p).FirstOrDefault() ?? periods.Select(p => (Period?)p).FirstOrDefault())?.ToString(),
                    };
                }),
            }));
        }));

        // The units the credential may report for, at the data set's level in force for the period:
        // those due and not yet reported first (the deadline with them), then the ones reported.
        entry.MapGet("/units", async (string? dataSet, string? period, HttpContext http, Hierarchy.Catalog catalog, AccessControl access, ReportingClock clock, IGrainFactory grains) => await Answer(async () =>
        {
            var (caller, tenant) = Submitter(http, access);
            var programme = catalog.Programmes[tenant.ProgrammeIds[0]];
            var set = DataSetOf(programme, caller, dataSet);
            var p = PeriodOf(programme, set, period, clock.Today);
            var units = UnitsInScope(catalog, access, caller, tenant, set, p).OrderBy(u => u.Code, StringComparer.Ordinal).ToList();
            var reported = await Task.WhenAll(units.Select(u => LastReportedAsync(grains, u, programme, set, p)));
            var rows = units.Zip(reported, (u, at) => new
            {
                code = u.Code,
                name = u.Name,
                parent = u.Parent is { } parent && catalog.TryGetUnit(parent, out var up) ? up.Name : null,
                reportedAt = at,
            }).ToList();
            return Results.Json(new
            {
                dataSet = set.Id,
                period = p.ToString(),
                deadline = set.Deadline(p),
                // The server's clock decides what is past due, not the browser's.
                now = clock.Now,
                due = rows.Where(r => r.reportedAt is null),
                reported = rows.Where(r => r.reportedAt is not null),
            });
        }));

        // The data set's form for one unit and period, with the values the unit holds for correction.
        entry.MapGet("/form", async (string? dataSet, string? period, string? unit, HttpContext http, Hierarchy.Catalog catalog, AccessControl access, ReportingClock clock, IGrainFactory grains) => await Answer(async () =>
        {
            var (caller, tenant) = Submitter(http, access);
            var programme = catalog.Programmes[tenant.ProgrammeIds[0]];
            var set = DataSetOf(programme, caller, dataSet);
            var p = PeriodOf(programme, set, period, clock.Today);
            var u = UnitOf(catalog, access, caller, tenant, set, p, unit);
            var index = programme.Calendar.IndexOf(p);
            var own = await grains.GetGrain<IUnitGrain>(u.Key.GrainKey).GetOwnValuesAsync(programme.Id);
            var held = own.Where(v => v.BaseIndex == index && v.Slot.HasValue).ToDictionary(v => v.ElementId, v => v.Slot, StringComparer.Ordinal);
            return Results.Json(new
            {
                dataSet = new { id = set.Id, nameVi = set.Name.Vi, nameEn = set.Name.En, reporter = set.Reporter },
                period = p.ToString(),
                deadline = set.Deadline(p),
                unit = new { code = u.Code, name = u.Name },
                elements = set.Elements.Select(e => new
                {
                    id = e.Id,
                    nameVi = e.Name.Vi ?? e.Id,
                    nameEn = e.Name.En ?? e.Name.Vi ?? e.Id,
                    descriptionEn = e.Description,
                    type = e.Type.ToString().ToLowerInvariant(),
                    held = held.TryGetValue(e.Id, out var slot)
                        ? new
                        {
                            number = e.Type is ElementType.Count or ElementType.Stock ? slot.Number : (long?)null,
                            flag = e.Type == ElementType.Flag ? slot.Number != 0 : (bool?)null,
                            entities = e.Type == ElementType.Entities ? slot.Entities.ToArray() : null,
                            reportedAt = slot.ReportedAt,
                        }
                        : null,
                }),
            });
        }));

        // One submission of the form. The page makes its idempotency key once per submission and sends
        // the same key again when it retries it, so a double click or a retry after a lost answer
        // counts once (the ledger answers DUPLICATE). reported_at is now: a correction is later than
        // what it corrects.
        entry.MapPost("/", async (EntrySubmission form, HttpContext http, Hierarchy.Catalog catalog, AccessControl access, ReportingClock clock, SubmissionPipeline pipeline) => await Answer(async () =>
        {
            var (caller, tenant) = Submitter(http, access);
            var programme = catalog.Programmes[tenant.ProgrammeIds[0]];
            var set = DataSetOf(programme, caller, form.DataSet);
            var now = clock.Now;
            var errors = new List<EntryFieldError>();
            var report = EntryForm.ToReport(form, programme, set, now, errors);
            if (report is null)
            {
                return Refused(StatusCodes.Status400BadRequest, errors);
            }

            SubmissionPipeline.Outcome outcome;
            try
            {
                outcome = (await pipeline.SubmitAsync(caller, tenant, [report], batchPaths: false, DateTime.MaxValue, http.RequestAborted))[0];
            }
            catch (RpcException denied) when (denied.StatusCode == StatusCode.PermissionDenied)
            {
                return Refused(StatusCodes.Status403Forbidden, [new EntryFieldError("unit",
                    $"Mã truy cập này không được nộp số liệu cho đơn vị “{RpcErrors.Clip(form.Unit)}”; không có gì được lưu.",
                    $"This credential may not submit figures for the unit “{RpcErrors.Clip(form.Unit)}”; nothing was saved.")]);
            }
            catch (RpcException locked) when (locked.StatusCode == StatusCode.FailedPrecondition)
            {
                // The figures are approved (locked) until an approver withdraws the approval.
                return Refused(StatusCodes.Status409Conflict, [Approved(locked.Status.Detail)]);
            }

            if (outcome.Rejection != SubmissionPipeline.Rejection.None)
            {
                var fields = outcome.Errors.Select(e => FieldOf(e, report)).ToList();
                return Refused(outcome.Rejection == SubmissionPipeline.Rejection.KeyConflict ? StatusCodes.Status409Conflict : StatusCodes.Status400BadRequest, fields);
            }

            return Results.Json(new
            {
                outcome = outcome.Result.Outcome == Protos.V1.ReportOutcome.Duplicate ? "duplicate" : "accepted",
                savedAt = outcome.Result.Outcome == Protos.V1.ReportOutcome.Duplicate ? (DateTimeOffset?)null : now,
                superseded = outcome.Result.SupersededElements,
            });
        }));

        return app;
    }

    /// <summary>Periods of a frequency inside the programme that have begun by <paramref name="today"/> (Vietnam time), newest first.</summary>
    public static List<Period> OpenPeriods(Programme programme, PeriodType type, DateOnly today)
    {
        ArgumentNullException.ThrowIfNull(programme);
        return Enumerable.Range(0, programme.Calendar.Count(type)).Select(i => programme.Calendar.At(type, i)).Where(p => p.Start <= today).Reverse().ToList();
    }

    /// <summary>The caller and its tenant when it may submit; otherwise a refusal the page says as such.</summary>
    private static (Caller Caller, Tenant Tenant) Submitter(HttpContext http, AccessControl access)
    {
        var (caller, tenant) = access.Authorize(http, null, AccessControl.Anyone);
        return caller.Roles.Contains(Roles.Submitter) ? (caller, tenant) : throw new EntryRefusal(StatusCodes.Status403Forbidden, new EntryFieldError("form",
            "Mã truy cập này không có quyền nộp số liệu (cần vai trò “submitter”).",
            "This credential may not submit figures (the role “submitter” is needed)."));
    }

    private static bool MaySubmit(Caller caller, DataSet set) => caller.DataSets is null || caller.DataSets.Contains(set.Id);

    /// <summary>
    /// Units of the data set's level the caller may report for: in force during <paramref name="period"/>
    /// when given (one unit per code, the one a report's code names for that period), else at any date.
    /// </summary>
    private static IEnumerable<AdminUnit> UnitsInScope(Hierarchy.Catalog catalog, AccessControl access, Caller caller, Tenant tenant, DataSet set, Period? period = null) =>
        catalog.TenantFamily(tenant.Id).SelectMany(catalog.UnitsOf)
            .Where(u => u.Level == set.Level)
            .Where(u => period is not { } p || (u.InForceDuring(p.Start, p.End) && catalog.TryResolve(tenant.Id, u.Code, p.Start, p.End, out var named) && named.Key == u.Key))
            .Where(u => access.InScope(caller, u));

    private static DataSet DataSetOf(Programme programme, Caller caller, string? id)
    {
        var set = programme.DataSets.FirstOrDefault(d => d.Id == id)
            ?? throw new EntryRefusal(StatusCodes.Status400BadRequest, new EntryFieldError("dataSet",
                $"Không có biểu mẫu “{RpcErrors.Clip(id)}” trong kế hoạch.", $"There is no form “{RpcErrors.Clip(id)}” in the plan."));
        return MaySubmit(caller, set) ? set : throw new EntryRefusal(StatusCodes.Status403Forbidden, new EntryFieldError("dataSet",
            $"Mã truy cập này không được nộp biểu mẫu “{set.Name.Vi}”.", $"This credential may not submit the form “{set.Name.En}”."));
    }

    /// <summary>A period of the data set's frequency inside the programme that has begun; otherwise a refusal saying which.</summary>
    private static Period PeriodOf(Programme programme, DataSet set, string? text, DateOnly today)
    {
        if (!Period.TryParse(text, out var period, out _) || period.Type != set.PeriodType)
        {
            throw new EntryRefusal(StatusCodes.Status400BadRequest, new EntryFieldError("period",
                $"“{RpcErrors.Clip(text)}” không phải là một kỳ báo cáo của biểu mẫu “{set.Name.Vi}”.",
                $"“{RpcErrors.Clip(text)}” is not a reporting period of the form “{set.Name.En}”."));
        }

        if (!programme.Calendar.Contains(period))
        {
            throw new EntryRefusal(StatusCodes.Status400BadRequest, new EntryFieldError("period",
                $"Kỳ {period} nằm ngoài thời gian của kế hoạch ({programme.Calendar.FirstYear}–{programme.Calendar.LastYear}).",
                $"The period {period} is outside the plan ({programme.Calendar.FirstYear}–{programme.Calendar.LastYear})."));
        }

        return period.Start <= today ? period : throw new EntryRefusal(StatusCodes.Status400BadRequest, new EntryFieldError("period",
            $"Kỳ {period} chưa bắt đầu (hôm nay là {today:dd/MM/yyyy}, giờ Việt Nam): chưa thể báo cáo cho kỳ này.",
            $"The period {period} has not begun yet (today is {today:dd/MM/yyyy}, Vietnam time): it cannot be reported yet."));
    }

    private static AdminUnit UnitOf(Hierarchy.Catalog catalog, AccessControl access, Caller caller, Tenant tenant, DataSet set, Period period, string? code)
    {
        if (!Identifiers.IsWellFormed(code) || !catalog.TryResolve(tenant.Id, code!, period.Start, period.End, out var unit) || !access.InScope(caller, unit))
        {
            // Outside the scope or unknown: the same answer, as for every read.
            throw new EntryRefusal(StatusCodes.Status403Forbidden, new EntryFieldError("unit",
                $"Mã truy cập này không được nộp số liệu cho đơn vị “{RpcErrors.Clip(code)}” trong kỳ {period}.",
                $"This credential may not submit figures for the unit “{RpcErrors.Clip(code)}” in {period}."));
        }

        return unit.Level == set.Level ? unit : throw new EntryRefusal(StatusCodes.Status400BadRequest, new EntryFieldError("unit",
            $"Biểu mẫu “{set.Name.Vi}” do cấp {set.Level} báo cáo; {unit.Name} là cấp {unit.Level}.",
            $"The form “{set.Name.En}” is reported by a {set.Level}; {unit.Name} is a {unit.Level}."));
    }

    /// <summary>When the unit last reported a value of the data set for the period (still held), or null.</summary>
    private static async Task<DateTimeOffset?> LastReportedAsync(IGrainFactory grains, AdminUnit unit, Programme programme, DataSet set, Period period)
    {
        var index = programme.Calendar.IndexOf(period);
        var own = await grains.GetGrain<IUnitGrain>(unit.Key.GrainKey).GetOwnValuesAsync(programme.Id);
        var times = own.Where(v => v.BaseIndex == index && v.Slot.HasValue && set.Elements.Any(e => e.Id == v.ElementId)).Select(v => v.Slot.ReportedAt).ToList();
        return times.Count == 0 ? null : times.Max();
    }

    /// <summary>
    /// A violation of the submission path as the page shows it: on the element's field when it names a
    /// value, with the Vietnamese sentence the validator or the unit's rules wrote, else one said here.
    /// </summary>
    internal static EntryFieldError FieldOf(FieldError error, Protos.V1.Report report)
    {
        var field = error.Field switch
        {
            var f when f.StartsWith("values[", StringComparison.Ordinal) && int.TryParse(f.AsSpan(7, Math.Max(0, f.IndexOf(']', StringComparison.Ordinal) - 7)), out var i) && i < report.Values.Count
                => report.Values[i].DataElement,
            "period" => "period",
            "unit_code" => "unit",
            _ => "form",
        };
        if (error.Vi is not null)
        {
            return new EntryFieldError(field, error.Vi, Sentence(error.Description));
        }

        // A refusal on the period that names an approval: the figures are locked until it is withdrawn.
        return field == "period" && error.Description.Contains("approv", StringComparison.OrdinalIgnoreCase)
            ? Approved(error.Description)
            : new EntryFieldError(field, $"Máy chủ không nhận giá trị này ({error.Field}): {error.Description}", Sentence($"{error.Field} {error.Description}"));
    }

    /// <summary>A refusal because the figures of the period are approved (locked), in both languages.</summary>
    private static EntryFieldError Approved(string detail) => new("period",
        $"Số liệu của kỳ này đã được phê duyệt nên đã bị khóa, không thể thay đổi. Muốn sửa, cần người phê duyệt rút lại phê duyệt (có ghi lý do). Chi tiết: {detail}",
        $"The figures of this period are approved and so locked; they cannot be changed. To correct them, an approver must first withdraw the approval, giving a reason. Details: {detail}");

    /// <summary>The description as a sentence the page shows (element ids stay as written: no capital is forced on them).</summary>
    private static string Sentence(string text) => text.Length == 0 || text.EndsWith('.') ? text : text + ".";

    private static IResult Refused(int status, IReadOnlyList<EntryFieldError> fields) => Results.Json(new
    {
        error = string.Join(" ", fields.Select(f => f.En)),
        fields = fields.Select(f => new { field = f.Field, vi = f.Vi, en = f.En }),
    }, statusCode: status);

    private static async Task<IResult> Answer(Func<Task<IResult>> action)
    {
        try
        {
            return await action();
        }
        catch (EntryRefusal refusal)
        {
            return Refused(refusal.Status, [refusal.Error]);
        }
        catch (RequestRefusedException refused)
        {
            return DashboardErrors.ToHttp(refused);
        }
        catch (Exception ex) when (ex is LedgerUnavailableException or TimeoutException or OrleansException || ex is RpcException { StatusCode: StatusCode.Unavailable or StatusCode.DeadlineExceeded })
        {
            return Refused(StatusCodes.Status503ServiceUnavailable, [new EntryFieldError("form",
                "Cơ sở dữ liệu tạm thời không truy cập được; không có gì được lưu. Vui lòng thử lại sau ít phút.",
                "The database is temporarily unavailable; nothing was saved. Please try again in a few minutes.")]);
        }
    }

    /// <summary>A refusal of the form's API, said in both languages.</summary>
    private sealed class EntryRefusal(int status, EntryFieldError error) : Exception(error.En)
    {
        public int Status { get; } = status;

        public EntryFieldError Error { get; } = error;
    }
}
