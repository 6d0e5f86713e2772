using System.Collections.Immutable;
using System.Security.Cryptography;
using Aggregation.Hierarchy;
using Aggregation.Protos.V1;
using Aggregation.Rollup;
using Aggregation.Server.Errors;
using Aggregation.Storage;
using Google.Protobuf;

namespace Aggregation.Server.Ingestion;

/// <summary>
/// The path of every report: validate against the catalog, then hand each unit its reports in one
/// grain call. The unit checks its rules, commits accepted reports to the ledger (where the unique
/// tenant + idempotency key makes a retry a duplicate) and applies them. A report is acknowledged
/// as accepted only after its ledger row is committed.
/// </summary>
public sealed class SubmissionPipeline(IGrainFactory grains, ReportValidator validator)
{
    public const int MaxBatchSize = 1000;

    /// <summary>Why a report was rejected, beyond its field violations.</summary>
    public enum Rejection
    {
        None,
        Invalid,
        KeyConflict,
    }

    public sealed record Outcome(ReportResult Result, Rejection Rejection);

    public async Task<Outcome[]> SubmitAsync(Tenant tenant, IReadOnlyList<Report> reports, bool batchPaths)
    {
        ArgumentNullException.ThrowIfNull(tenant);
        ArgumentNullException.ThrowIfNull(reports);
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

            if (!byUnit.TryGetValue(validated.Unit, out var list))
            {
                byUnit[validated.Unit] = list = [];
            }

            list.Add((i, new UnitSubmission(validated.Command, PayloadHash(report))));
        }

        var calls = byUnit.Select(async pair =>
        {
            var results = await grains.GetGrain<IUnitGrain>(pair.Key.GrainKey).ApplyBatchAsync([.. pair.Value.Select(p => p.Submission)]);
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
                    UnitOutcomeKind.Duplicate => new Outcome(new ReportResult { Index = index, IdempotencyKey = key, Outcome = ReportOutcome.Duplicate, UnitVersion = r.Version }, Rejection.None),
                    UnitOutcomeKind.KeyConflict => Rejected(index, key, [new FieldError(prefix + "idempotency_key", "was already used for a different report; use a new key for a new or corrected report")], Rejection.KeyConflict),
                    _ => Rejected(index, key, r.Errors.Select(e => e with { Field = prefix + e.Field }), Rejection.Invalid),
                };
            }
        }

        return outcomes;
    }

    private static ReportResult Accepted(int index, string key, UnitOutcome outcome)
    {
        var result = new ReportResult { Index = index, IdempotencyKey = key, Outcome = ReportOutcome.Accepted, UnitVersion = outcome.Version };
        result.SupersededElements.AddRange(outcome.SupersededElements);
        return result;
    }

    private static Outcome Rejected(int index, string key, IEnumerable<FieldError> errors, Rejection why)
    {
        var result = new ReportResult { Index = index, IdempotencyKey = key ?? "", Outcome = ReportOutcome.Rejected };
        result.Violations.AddRange(errors.Select(e => new FieldViolation { Field = e.Field, Description = e.Description }));
        return new Outcome(result, why);
    }

    private static string PayloadHash(Report report) =>
        Convert.ToHexString(SHA256.HashData(report.ToByteArray()), 0, 16);
}
