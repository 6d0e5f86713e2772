using System.Collections.Immutable;
using System.Diagnostics;
using System.Security.Cryptography;
using Aggregation.Hierarchy;
using Aggregation.Protos.V1;
using Aggregation.Rollup;
using Aggregation.Server.Approvals;
using Aggregation.Server.Errors;
using Aggregation.Server.Security;
using Aggregation.Storage;
using Aggregation.Telemetry;
using AuditAction = Aggregation.Storage.AuditAction;
using AuditRecord = Aggregation.Storage.AuditRecord;
using Google.Protobuf;
using Grpc.Core;

namespace Aggregation.Server.Ingestion;

/// <summary>
/// The path of every report: validate against the catalog, then hand each unit its reports in one
/// grain call. The unit checks its rules, commits accepted reports to the ledger (where the unique
/// tenant + idempotency key makes a retry a duplicate) and applies them. A report is acknowledged
/// as accepted only after its ledger row is committed. A report with values in figures an approval
/// locks is refused before any unit is called, naming the approval.
/// </summary>
public sealed partial class SubmissionPipeline(IGrainFactory grains, ReportValidator validator, AccessControl access, IAuditTrail audit, Hierarchy.Catalog catalog, ApprovalRegistry approvals, IReportLedger ledger, ILogger<SubmissionPipeline> logger)
{
    public const int MaxBatchSize = 1000;

    /// <summary>Why a report was rejected, beyond its field violations.</summary>
    public enum Rejection
    {
        None,
        Invalid,
        KeyConflict,

        /// <summary>Its values fall in figures an approval in force locks (<see cref="Outcome.LockedBy"/>).</summary>
        Locked,
    }

    /// <summary>
    /// What became of a report. <see cref="Errors"/> are its violations as found, each with its
    /// Vietnamese sentence where one was written (the data entry form shows those; gRPC the result's).
    /// </summary>
    public sealed record Outcome(ReportResult Result, Rejection Rejection)
    {
        public ApprovalEntry? LockedBy { get; init; }

        public IReadOnlyList<FieldError> Errors { get; init; } = [];
    }

    /// <summary>
    /// Submits a call's reports. Throws PERMISSION_DENIED, having applied nothing, when any report
    /// names a unit or data set outside the caller's scope.
    /// </summary>
    public async Task<Outcome[]> SubmitAsync(Caller caller, Tenant tenant, IReadOnlyList<Report> reports, bool batchPaths, DateTime deadline, CancellationToken cancellationToken, bool validateOnly = false)
    {
        ArgumentNullException.ThrowIfNull(caller);
        ArgumentNullException.ThrowIfNull(tenant);
        ArgumentNullException.ThrowIfNull(reports);
        if (validateOnly)
        {
            // A check records nothing, so it is neither a received report nor an acknowledgement.
            return await SubmitCoreAsync(caller, tenant, reports, batchPaths, deadline, validateOnly, cancellationToken);
        }

        var started = Stopwatch.GetTimestamp();
        var tenantTag = new KeyValuePair<string, object?>(AggregationTelemetry.TenantTag, tenant.Id);
        AggregationTelemetry.ReportsReceived.Add(reports.Count, tenantTag);
        using var activity = AggregationTelemetry.ActivitySource.StartActivity("aggregation.submit");
        activity?.SetTag(AggregationTelemetry.TenantTag, tenant.Id);
        activity?.SetTag("aggregation.reports.count", reports.Count);
        var outcomes = await SubmitCoreAsync(caller, tenant, reports, batchPaths, deadline, validateOnly, cancellationToken);
        CountOutcomes(outcomes, tenantTag);
        AggregationTelemetry.AcknowledgementDuration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds, tenantTag);
        return outcomes;
    }

    private static void CountOutcomes(Outcome[] outcomes, KeyValuePair<string, object?> tenantTag)
    {
        int accepted = 0, duplicate = 0;
        foreach (var outcome in outcomes)
        {
            switch (outcome.Result.Outcome)
            {
                case ReportOutcome.Accepted: accepted++; break;
                case ReportOutcome.Duplicate: duplicate++; break;
                case ReportOutcome.Rejected: AggregationTelemetry.ReportsRejected.Add(1, tenantTag, new(AggregationTelemetry.ReasonTag, ReasonName(outcome.Rejection))); break;
            }
        }

        if (accepted > 0)
        {
            AggregationTelemetry.ReportsAccepted.Add(accepted, tenantTag);
        }

        if (duplicate > 0)
        {
            AggregationTelemetry.ReportsDuplicate.Add(duplicate, tenantTag);
        }
    }

    /// <summary>The rejection reason as a metric tag: a fixed set, so the series stay few.</summary>
    private static string ReasonName(Rejection rejection) => rejection switch
    {
        Rejection.KeyConflict => "key_conflict",
        Rejection.Locked => "locked",
        _ => "invalid",
    };

    private async Task<Outcome[]> SubmitCoreAsync(Caller caller, Tenant tenant, IReadOnlyList<Report> reports, bool batchPaths, DateTime deadline, bool validateOnly, CancellationToken cancellationToken)
    {
        var submitter = new Submitter(caller.Subject, caller.Via, caller.Peer);
        var denials = new List<(int Index, FieldError Error)>();
        for (var i = 0; i < reports.Count; i++)
        {
            if (access.SubmitDenial(caller, tenant, reports[i], batchPaths ? $"reports[{i}]." : "") is { } denial)
            {
                denials.Add((i, denial));
            }
        }

        if (denials.Count > 0)
        {
            if (!validateOnly)
            {
                AggregationTelemetry.ReportsRejected.Add(reports.Count, new(AggregationTelemetry.TenantTag, tenant.Id), new(AggregationTelemetry.ReasonTag, "permission_denied"));
            }

            await RecordRejectionsAsync(tenant, submitter, denials.Select(d => (reports[d.Index], "permission denied: " + d.Error.Field + " " + d.Error.Description)));
            throw RpcErrors.PermissionDenied("The credential may not submit: " + string.Join("; ", denials.Take(5).Select(d => $"{d.Error.Field} {d.Error.Description}")) + (denials.Count > 5 ? $"; and {denials.Count - 5} more" : "") + ". Nothing was applied.");
        }

        // Held until every unit has answered: an approval being recorded waits for the submissions
        // already past this check, and those arriving after it see the approval (pending or in force).
        using var inFlight = approvals.EnterSubmission();
        if (!approvals.IsLoaded)
        {
            throw RpcErrors.Unavailable("The server has not read the approvals yet, so it cannot tell which figures are locked; retry with the same idempotency keys.");
        }

        var outcomes = new Outcome[reports.Count];
        var byUnit = new Dictionary<UnitKey, List<(int Index, UnitSubmission Submission)>>();
        for (var i = 0; i < reports.Count; i++)
        {
            var report = reports[i];
            var errors = new List<FieldError>();
            var validated = validator.Validate(tenant, report, batchPaths ? $"reports[{i}]." : "", errors);
            if (validated is null)
            {
                outcomes[i] = Rejected(i, report.IdempotencyKey, errors, Rejection.Invalid);
                continue;
            }

            if (LockingApproval(tenant, report, validated) is { } approval)
            {
                outcomes[i] = Rejected(i, report.IdempotencyKey, [new FieldError((batchPaths ? $"reports[{i}]." : "") + "period", Locked(report, approval), LockedVi(report, approval))], Rejection.Locked) with { LockedBy = approval };
                continue;
            }

            if (!byUnit.TryGetValue(validated.Unit, out var list))
            {
                byUnit[validated.Unit] = list = [];
            }

            list.Add((i, new UnitSubmission(validated.Command, ReportFingerprint.Of(report), submitter, ReportFingerprint.OfWire(report))));
        }

        await AnswerRetriesOfLockedAsync(tenant, reports, outcomes, cancellationToken);

        // The caller gave up (deadline passed or cancelled): touch no grain. The deadline is checked
        // here as well as through the token, whose timer may not have fired yet.
        cancellationToken.ThrowIfCancellationRequested();
        if (deadline <= DateTime.UtcNow)
        {
            throw new RpcException(new Grpc.Core.Status(StatusCode.DeadlineExceeded, "The call's deadline passed before its reports were applied; nothing was recorded."));
        }

        var calls = byUnit.Select(async pair =>
        {
            var grain = grains.GetGrain<IUnitGrain>(pair.Key.GrainKey);
            ImmutableArray<UnitSubmission> batch = [.. pair.Value.Select(p => p.Submission)];
            var results = validateOnly ? await grain.CheckBatchAsync(batch) : await grain.ApplyBatchAsync(batch);
            return (pair.Value, results);
        }).ToList();
        try
        {
            await Task.WhenAll(calls);
        }
        catch (Exception ex) when (ex is LedgerUnavailableException or TimeoutException or OrleansException)
        {
            // Reports of units whose call succeeded are committed; a retry with the same keys gets
            // DUPLICATE for those and applies the rest. Nothing here is acknowledged.
            throw RpcErrors.Unavailable("Reports could not be recorded (storage or silo unavailable); retry the call with the same idempotency keys.");
        }

        foreach (var call in calls)
        {
            var (items, results) = call.Result;
            for (var j = 0; j < items.Count; j++)
            {
                var (index, submission) = items[j];
                var prefix = batchPaths ? $"reports[{index}]." : "";
                var key = submission.Report.IdempotencyKey;
                var r = results[j];
                outcomes[index] = r.Kind switch
                {
                    UnitOutcomeKind.Accepted => new Outcome(Accepted(index, key, r), Rejection.None),
                    UnitOutcomeKind.Valid => new Outcome(new ReportResult { Index = index, IdempotencyKey = key, Outcome = ReportOutcome.Valid, UnitVersion = r.Version }, Rejection.None),
                    UnitOutcomeKind.Duplicate => new Outcome(new ReportResult { Index = index, IdempotencyKey = key, Outcome = ReportOutcome.Duplicate, UnitVersion = r.Version }, Rejection.None),
                    UnitOutcomeKind.KeyConflict => Rejected(index, key, [new FieldError(prefix + "idempotency_key", "was already used for a different report; use a new key for a new or corrected report", "Mã lần nộp này đã được dùng cho một báo cáo khác; hãy tải lại biểu mẫu và nộp lại.")], Rejection.KeyConflict),
                    _ => Rejected(index, key, r.Errors.Select(e => e with { Field = prefix + e.Field }), Rejection.Invalid),
                };
            }
        }

        var rejected = outcomes.Select((o, i) => (o, i)).Where(x => x.o.Result.Outcome == ReportOutcome.Rejected).ToList();
        if (rejected.Count > 0 && !validateOnly)
        {
            await RecordRejectionsAsync(tenant, submitter, rejected.Select(x => (reports[x.i], string.Join("; ", x.o.Result.Violations.Select(v => $"{v.Field}: {v.Description}")))));
        }

        return outcomes;
    }

    /// <summary>
    /// The approval that locks some value of the report: one in force (or being recorded) on its unit
    /// or an ancestor, for a data set the value belongs to, over a period containing the report's.
    /// A withdrawal changes the figures too, so it is locked alike.
    /// </summary>
    private ApprovalEntry? LockingApproval(Tenant tenant, Report report, ReportValidator.Validated validated)
    {
        if (!catalog.Programmes.TryGetValue(report.ProgrammeId, out var programme) || !Periods.Period.TryParse(report.Period, out var period, out _))
        {
            return null;
        }

        var unit = catalog.GetUnit(validated.Unit);
        var dataSets = report.Values
            .Select(v => programme.ElementsById.TryGetValue(v.DataElement, out var element) ? element : null)
            .OfType<Programmes.DataElement>()
            .SelectMany(e => e.DataSets).Select(d => d.Id).Distinct();
        return dataSets.Select(d => approvals.Locking(tenant.Id, unit, period, d)).OfType<ApprovalEntry>().FirstOrDefault();
    }

    /// <summary>Why a locked report is refused, naming the approval.</summary>
    public static string Locked(Report report, ApprovalEntry approval) =>
        $"the {approval.DataSet} figures of {report.UnitCode} for {report.Period} are {ApprovalWorkflow.Describe(approval)}; a change needs that approval withdrawn first";

    /// <summary>
    /// A retry of a report recorded before its figures were approved (its answer was lost, so the
    /// sender tries again with the same key) is that same report: it is answered DUPLICATE, as any
    /// retry is, not refused as a change of approved figures. Only the ledger knows the keys.
    /// </summary>
    private async Task AnswerRetriesOfLockedAsync(Tenant tenant, IReadOnlyList<Report> reports, Outcome?[] outcomes, CancellationToken cancellationToken)
    {
        var locked = Enumerable.Range(0, reports.Count).Where(i => outcomes[i] is { Rejection: Rejection.Locked }).ToList();
        if (locked.Count == 0)
        {
            return;
        }

        IReadOnlyDictionary<string, string> recorded;
        try
        {
            recorded = await ledger.RecordedHashesAsync(tenant.Id, locked.Select(i => reports[i].IdempotencyKey).ToList(), cancellationToken);
        }
        catch (LedgerUnavailableException)
        {
            throw RpcErrors.Unavailable("Reports could not be checked against the ledger (storage unavailable); retry the call with the same idempotency keys.");
        }

        foreach (var i in locked)
        {
            var report = reports[i];
            if (recorded.TryGetValue(report.IdempotencyKey, out var hash) && (hash == ReportFingerprint.Of(report) || hash == ReportFingerprint.OfWire(report)))
            {
                outcomes[i] = new Outcome(new ReportResult { Index = i, IdempotencyKey = report.IdempotencyKey, Outcome = ReportOutcome.Duplicate }, Rejection.None);
            }
        }
    }

    /// <summary>The same refusal in the data entry form's Vietnamese.</summary>
    public static string LockedVi(Report report, ApprovalEntry approval) =>
        $"Số liệu {approval.DataSet} của đơn vị {report.UnitCode} kỳ {report.Period} {ApprovalWorkflow.DescribeVi(approval)}; muốn sửa phải rút phê duyệt đó trước.";

    /// <summary>
    /// Records refused reports. A refusal changed nothing, so when the trail cannot be written the
    /// caller still gets its answer; the failure is logged for operators.
    /// </summary>
    private async Task RecordRejectionsAsync(Tenant tenant, Submitter submitter, IEnumerable<(Report Report, string Reason)> rejected)
    {
        var records = rejected.Select(r => new AuditRecord(
            tenant.Id,
            submitter,
            RpcErrors.Clip(r.Report.SourceSystem),
            RpcErrors.Clip(r.Report.IdempotencyKey),
            RpcErrors.Clip(r.Report.UnitCode),
            RpcErrors.Clip(r.Report.ProgrammeId),
            RpcErrors.Clip(r.Report.Period),
            null,
            AuditAction.Rejected,
            null,
            null,
            r.Reason.Length > 2000 ? r.Reason[..2000] + "…" : r.Reason)).ToList();
        try
        {
            await audit.RecordAsync(records);
        }
        catch (Exception ex) when (ex is LedgerUnavailableException or System.Data.Common.DbException or TimeoutException)
        {
            LogAuditUnwritten(logger, ex, records.Count, submitter.Subject);
        }
    }

    private static ReportResult Accepted(int index, string key, UnitOutcome outcome)
    {
        var result = new ReportResult { Index = index, IdempotencyKey = key, Outcome = ReportOutcome.Accepted, UnitVersion = outcome.Version };
        result.SupersededElements.AddRange(outcome.SupersededElements);
        return result;
    }

    private static Outcome Rejected(int index, string key, IEnumerable<FieldError> errors, Rejection why)
    {
        var found = errors.ToList();
        var result = new ReportResult { Index = index, IdempotencyKey = key ?? "", Outcome = ReportOutcome.Rejected };
        result.Violations.AddRange(found.Select(e => new FieldViolation { Field = e.Field, Description = e.Description }));
        return new Outcome(result, why) { Errors = found };
    }

    [LoggerMessage(EventId = 4701, Level = LogLevel.Error, Message = "{Count} rejected reports of {Subject} could not be written to the audit trail")]
    private static partial void LogAuditUnwritten(ILogger logger, Exception exception, int count, string subject);
}
