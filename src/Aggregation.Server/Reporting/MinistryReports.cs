using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Security.Cryptography;
using System.Text;
using Aggregation.Hierarchy;
using Aggregation.Periods;
using Aggregation.Reporting;
using Aggregation.Server.Export;
using Aggregation.Server.Hosting;
using Aggregation.Storage;
using Microsoft.Extensions.Options;

namespace Aggregation.Server.Reporting;

/// <summary>
/// The consolidated 6-monthly and annual reports of a tenant's provinces, as the tenant's receiver
/// profile says the ministry holds them (ADX or DHIS2 data values, and complete data set
/// registrations) in its receiver codes. A period without data produces nothing. A half or year is due once it has closed and the grace period for late reports
/// has passed (by the reporting clock). Each due report is rebuilt on every check and recorded only
/// when its figures differ from the last revision: unchanged data is never sent twice, a late
/// correction is sent as a new revision.
/// <para>
/// The ministry receives province-approved figures (<see cref="ProvinceSignOff"/>): a report whose
/// figures are not all approved at province level waits, unless the tenant sends provisional
/// figures (<see cref="MinistryFigures.Provisional"/>); then it goes out marked as provisional in
/// every value, and the approval, once given, makes a new revision without the mark.
/// </para>
/// </summary>
public sealed partial class MinistryReports(
    Hierarchy.Catalog catalog,
    ExportBuilder builder,
    ExportMappings mappings,
    ReportStore store,
    ProvinceSignOff signOff,
    ReportingClock clock,
    IOptions<ReportingOptions> options,
    ILogger<MinistryReports> logger) : IReportProducer
{
    // What each waiting report last waited for, so that a report waiting at every check is logged
    // once, and again only when what it waits for changes.
    private readonly ConcurrentDictionary<(string Tenant, string Programme, string Unit, string Period), string> _waiting = new();

    public async Task<ReportRun> ProduceDueAsync(string tenantId, CancellationToken cancellationToken)
    {
        var tenant = catalog.Tenants[tenantId];
        if (!mappings.TryGet(tenant.Id, out var mapping))
        {
            LogNoMapping(logger, tenant.Id);
            return new ReportRun(0, []);
        }

        // Before the approvals are read, every report would look unapproved: the next check decides.
        if (!signOff.IsKnown)
        {
            LogApprovalsNotRead(logger, tenant.Id);
            return new ReportRun(0, []);
        }

        var produced = 0;
        var waiting = ImmutableArray.CreateBuilder<WaitingReport>();
        foreach (var programme in tenant.ProgrammeIds.Select(id => catalog.Programmes[id]))
        {
            foreach (var period in DuePeriods(programme.Calendar))
            {
                // A province merged away (Bắc Kạn from 2025-07-01) reports only for periods it existed in;
                // its successor's report covers the rest.
                foreach (var province in tenant.ProvinceCodes.Select(code => catalog.GetUnit(new UnitKey(tenant.Id, code))).Where(p => p.InForceDuring(period.Start, period.End)))
                {
                    var export = await builder.BuildAsync(tenant, province, programme, period, subtree: true, mapping.Profile, mapping.Profile.OrgUnitLevel, cancellationToken);
                    if (export.MissingCodes(mapping) is { Count: > 0 } missing)
                    {
                        LogMissingCodes(logger, period, province.Code, tenant.Id, string.Join(", ", missing));
                        continue;
                    }

                    if (export.CodeClashes(mapping) is { Count: > 0 } clashes)
                    {
                        LogCodeClashes(logger, period, province.Code, string.Join("; ", clashes), tenant.Id);
                        continue;
                    }

                    if (export.ValueCount == 0 && !export.Complete.Any())
                    {
                        continue;
                    }

                    var unapproved = await signOff.UnapprovedAsync(tenant, province, programme, period);
                    var key = (tenant.Id, programme.Id, province.Code, period.ToString());
                    if (unapproved.Count > 0 && tenant.MinistryFigures == MinistryFigures.Approved)
                    {
                        var reason = Summary(unapproved);
                        waiting.Add(new WaitingReport(programme.Id, province.Code, period.ToString(), reason));
                        if (_waiting.TryGetValue(key, out var before) is false || before != reason)
                        {
                            _waiting[key] = reason;
                            LogWaitingForApproval(logger, period, province.Code, tenant.Id, reason);
                        }

                        continue;
                    }

                    _waiting.TryRemove(key, out _);
                    export = export with { Provisional = unapproved.Count > 0 };

                    // A period without data sends nothing: no empty document is queued.
                    foreach (var draft in Drafts(tenant.Id, programme.Id, province.Code, period, export, mapping))
                    {
                        if (await store.RecordIfChangedAsync(draft, cancellationToken))
                        {
                            produced++;
                        }
                    }
                }
            }
        }

        return new ReportRun(produced, waiting.ToImmutable());
    }

    /// <summary>The first few parts not yet approved and how many more: a sentence for a log line or the CLI.</summary>
    private static string Summary(IReadOnlyList<string> unapproved) =>
        unapproved.Count <= 5
            ? string.Join("; ", unapproved)
            : $"{string.Join("; ", unapproved.Take(5))}; and {unapproved.Count - 5} more";

    /// <summary>Halves and years of the programme that closed at least the grace period ago.</summary>
    public IEnumerable<Period> DuePeriods(ProgrammeCalendar calendar)
    {
        ArgumentNullException.ThrowIfNull(calendar);
        var today = clock.Today;
        var grace = (int)Math.Ceiling(options.Value.GracePeriod.TotalDays);
        for (var year = calendar.FirstYear; year <= calendar.LastYear; year++)
        {
            foreach (var period in new[] { Period.Half(year, 1), Period.Half(year, 2), Period.OfYear(year) })
            {
                if (today >= period.End.AddDays(grace))
                {
                    yield return period;
                }
            }
        }
    }

    /// <summary>The payloads the receiver takes: an ADX document or a DHIS2 data value set, and the completeness registrations.</summary>
    private static IEnumerable<ReportDraft> Drafts(string tenant, string programme, string unit, Period period, AggregateExport export, ExportMapping mapping)
    {
        if (mapping.Profile.Format == DeliveryFormat.Adx)
        {
            if (AdxWriter.Write(export, mapping) is { } adx)
            {
                yield return new ReportDraft(tenant, programme, unit, period.ToString(), Hash(export, values: true, complete: true), AdxWriter.ContentType, adx, Payloads.Adx);
            }
        }
        else if (Dhis2Writer.WriteDataValues(export, mapping) is { } values)
        {
            yield return new ReportDraft(tenant, programme, unit, period.ToString(), Hash(export, values: true, complete: false), Dhis2Writer.ContentType, values, Payloads.Dhis2DataValues);
        }

        // Also beside an ADX document: DHIS2 2.40–2.42 do not read an ADX group's completeDate.
        if (mapping.Profile.Completeness && Dhis2Writer.WriteRegistrations(export, mapping) is { } registrations)
        {
            yield return new ReportDraft(tenant, programme, unit, period.ToString(), Hash(export, values: false, complete: true), Dhis2Writer.ContentType, registrations, Payloads.Dhis2Registrations);
        }
    }

    /// <summary>The figures alone (not the export time): equal figures, equal hash.</summary>
    private static string Hash(AggregateExport export, bool values, bool complete)
    {
        // Provisional and approved figures are different revisions even when the numbers agree: the
        // approval is news to the ministry.
        var text = new StringBuilder(export.Provisional ? "provisional\n" : "");
        foreach (var group in export.Groups)
        {
            var head = $"{group.Unit.Key.GrainKey}|{group.DataSet.Id}|{group.Period}";
            if (complete && group.CompleteDate is { } date)
            {
                text.Append(head).Append("|complete=").Append(date.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture)).Append('\n');
            }

            foreach (var value in values ? group.Values : [])
            {
                text.Append(head).Append('|').Append(value.Element.Id).Append('=').Append(value.Value).Append('\n');
            }
        }

        return Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())));
    }

    [LoggerMessage(EventId = 4804, Level = LogLevel.Information, Message = "The {Period} report of {Unit} (tenant {Tenant}) waits for province approval: {Unapproved}")]
    private static partial void LogWaitingForApproval(ILogger logger, Period period, string unit, string tenant, string unapproved);

    [LoggerMessage(EventId = 4805, Level = LogLevel.Information, Message = "Reports of tenant {Tenant} wait until the approvals are read from the database")]
    private static partial void LogApprovalsNotRead(ILogger logger, string tenant);

    [LoggerMessage(EventId = 4801, Level = LogLevel.Error, Message = "Tenant {Tenant} has no export mapping (catalog mappings/{Tenant}.json): its reports to the ministry cannot be produced")]
    private static partial void LogNoMapping(ILogger logger, string tenant);

    [LoggerMessage(EventId = 4802, Level = LogLevel.Error, Message = "The {Period} report of {Unit} cannot be produced: the mapping of {Tenant} lacks {Missing}")]
    private static partial void LogMissingCodes(ILogger logger, Period period, string unit, string tenant, string missing);

    [LoggerMessage(EventId = 4803, Level = LogLevel.Error, Message = "The {Period} report of {Unit} cannot be produced: {Clashes}; give one unit a code of its own in the mapping of {Tenant}")]
    private static partial void LogCodeClashes(ILogger logger, Period period, string unit, string clashes, string tenant);
}
