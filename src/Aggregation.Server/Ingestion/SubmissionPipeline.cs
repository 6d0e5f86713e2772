using System.Security.Cryptography;
using Aggregation.Hierarchy;
using Aggregation.Ingestion;
using Aggregation.Protos.V1;
using Aggregation.Rollup;
using Aggregation.Server.Errors;
using Google.Protobuf;

namespace Aggregation.Server.Ingestion;

/// <summary>
/// The path of every report: validate against the catalog, claim the idempotency key, apply to the
/// unit's grain, then record the key as used (accepted) or free it again (rejected). Reports of a
/// batch are judged one by one and applied concurrently across units.
/// </summary>
public sealed class SubmissionPipeline(IGrainFactory grains, ReportValidator validator)
{
    public const int MaxBatchSize = 1000;
    private const int KeyPartitions = 16;

    /// <summary>Why a report was rejected, beyond its field violations.</summary>
    public enum Rejection
    {
        None,
        Invalid,
        KeyConflict,
        KeyInFlight,
    }

    public sealed record Outcome(ReportResult Result, Rejection Rejection);

    public async Task<Outcome[]> SubmitAsync(Tenant tenant, IReadOnlyList<Report> reports, bool batchPaths)
    {
        ArgumentNullException.ThrowIfNull(tenant);
        ArgumentNullException.ThrowIfNull(reports);
        var outcomes = new Outcome[reports.Count];
        var pending = new List<Pending>(reports.Count);
        var firstByKey = new Dictionary<string, Pending>(StringComparer.Ordinal);
        var repeats = new List<(int Index, Pending First)>();
        for (var i = 0; i < reports.Count; i++)
        {
            var report = reports[i];
            var prefix = batchPaths ? $"reports[{i}]." : "";
            var errors = new List<FieldError>();
            var validated = validator.Validate(tenant, report, prefix, errors);
            if (validated is null)
            {
                outcomes[i] = Rejected(i, report.IdempotencyKey, errors, Rejection.Invalid);
                continue;
            }

            var hash = PayloadHash(report);
            if (firstByKey.TryGetValue(report.IdempotencyKey, out var first))
            {
                if (first.Hash == hash)
                {
                    repeats.Add((i, first));
                }
                else
                {
                    outcomes[i] = Rejected(i, report.IdempotencyKey, [KeyConflictError(prefix)], Rejection.KeyConflict);
                }

                continue;
            }

            var item = new Pending(i, prefix, validated, hash);
            firstByKey[report.IdempotencyKey] = item;
            pending.Add(item);
        }

        // Claim keys, one call per partition touched.
        var claimsByPartition = pending.GroupBy(p => Partition(p.Validated.Command.IdempotencyKey)).ToList();
        await Task.WhenAll(claimsByPartition.Select(async group =>
        {
            var items = group.ToArray();
            var claims = await KeyGrain(tenant, group.Key).ClaimAsync(items.Select(p => new KeyRequest(p.Validated.Command.IdempotencyKey, p.Hash)).ToArray());
            for (var j = 0; j < items.Length; j++)
            {
                items[j].Claim = claims[j];
            }
        }));

        // Apply what was claimed.
        var failures = new List<Exception>();
        await Task.WhenAll(pending.Where(p => p.Claim == KeyClaim.New).Select(async p =>
        {
            try
            {
                p.Applied = await grains.GetGrain<IUnitGrain>(p.Validated.Unit.GrainKey).ApplyAsync(p.Validated.Command);
            }
            catch (Exception ex)
            {
                lock (failures)
                {
                    failures.Add(ex);
                }
            }
        }));

        // Record accepted keys; release the keys of rejected or failed reports so a fixed report can reuse them.
        await Task.WhenAll(claimsByPartition.Select(group =>
        {
            var mine = group.Where(p => p.Claim == KeyClaim.New).ToList();
            var accepted = mine.Where(p => p.Applied is { Accepted: true }).Select(p => p.Validated.Command.IdempotencyKey).ToArray();
            var released = mine.Where(p => p.Applied is not { Accepted: true }).Select(p => p.Validated.Command.IdempotencyKey).ToArray();
            return mine.Count == 0 ? Task.CompletedTask : KeyGrain(tenant, group.Key).CompleteAsync(accepted, released);
        }));

        if (failures.Count > 0)
        {
            // Nothing is acknowledged for this call; every accepted report is recorded, so a retry
            // with the same keys gets DUPLICATE for those and applies the rest.
            throw failures[0] is TimeoutException or Orleans.Runtime.OrleansException
                ? RpcErrors.Unavailable("Some reports could not be applied; retry the call with the same idempotency keys.")
                : failures[0];
        }

        foreach (var p in pending)
        {
            var key = p.Validated.Command.IdempotencyKey;
            outcomes[p.Index] = p.Claim switch
            {
                KeyClaim.Duplicate => new Outcome(new ReportResult { Index = p.Index, IdempotencyKey = key, Outcome = ReportOutcome.Duplicate }, Rejection.None),
                KeyClaim.Conflict => Rejected(p.Index, key, [KeyConflictError(p.Prefix)], Rejection.KeyConflict),
                KeyClaim.InFlight => Rejected(p.Index, key, [new FieldError(p.Prefix + "idempotency_key", "a report with this key is being processed by another call; retry")], Rejection.KeyInFlight),
                _ when p.Applied!.Accepted => new Outcome(Accepted(p.Index, key, p.Applied), Rejection.None),
                _ => Rejected(p.Index, key, p.Applied!.Errors.Select(e => e with { Field = p.Prefix + e.Field }), Rejection.Invalid),
            };
        }

        foreach (var (index, first) in repeats)
        {
            var firstOutcome = outcomes[first.Index];
            var result = firstOutcome.Result.Clone();
            result.Index = index;
            if (firstOutcome.Result.Outcome == ReportOutcome.Accepted)
            {
                result.Outcome = ReportOutcome.Duplicate;
            }

            outcomes[index] = firstOutcome with { Result = result };
        }

        return outcomes;
    }

    private IIdempotencyGrain KeyGrain(Tenant tenant, int partition) =>
        grains.GetGrain<IIdempotencyGrain>($"{tenant.Id}/{partition}");

    private static ReportResult Accepted(int index, string key, ApplyResult applied)
    {
        var result = new ReportResult { Index = index, IdempotencyKey = key, Outcome = ReportOutcome.Accepted, UnitVersion = applied.Version };
        result.SupersededElements.AddRange(applied.SupersededElements);
        return result;
    }

    private static Outcome Rejected(int index, string key, IEnumerable<FieldError> errors, Rejection why)
    {
        var result = new ReportResult { Index = index, IdempotencyKey = key ?? "", Outcome = ReportOutcome.Rejected };
        result.Violations.AddRange(errors.Select(e => new FieldViolation { Field = e.Field, Description = e.Description }));
        return new Outcome(result, why);
    }

    private static FieldError KeyConflictError(string prefix) =>
        new(prefix + "idempotency_key", "was already used for a different report; use a new key for a new or corrected report");

    /// <summary>Stable across processes (unlike string.GetHashCode), so every silo picks the same partition.</summary>
    private static int Partition(string key)
    {
        var hash = 2166136261u;
        foreach (var c in key)
        {
            hash = (hash ^ c) * 16777619u;
        }

        return (int)(hash % KeyPartitions);
    }

    private static string PayloadHash(Report report) =>
        Convert.ToHexString(SHA256.HashData(report.ToByteArray()), 0, 16);

    private sealed class Pending(int index, string prefix, ReportValidator.Validated validated, string hash)
    {
        public int Index { get; } = index;
        public string Prefix { get; } = prefix;
        public ReportValidator.Validated Validated { get; } = validated;
        public string Hash { get; } = hash;
        public KeyClaim Claim { get; set; }
        public ApplyResult? Applied { get; set; }
    }
}
