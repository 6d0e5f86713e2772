using Aggregation.Protos.V1;
using Aggregation.Rollup;
using Aggregation.Server.Errors;
using Aggregation.Server.Rollup;
using Aggregation.Server.Security;
using Google.Protobuf;
using Grpc.Core;

namespace Aggregation.Server.Export;

/// <summary>gRPC <c>aggregation.v1.Exports</c>: ADX and DHIS2 exports in the tenant's receiver codes.</summary>
public sealed class ExportService(RollupReads reads, AccessControl access, ExportBuilder builder, ExportMappings mappings, Hosting.ReportingClock clock, Hierarchy.Catalog catalog) : Exports.ExportsBase
{
    public override async Task<ExportResponse> ExportWorkbook(ExportWorkbookRequest request, ServerCallContext context)
    {
        var (caller, tenant) = access.Authorize(context, AccessControl.Readers);
        access.RequireReadable(caller, tenant, request.UnitCode, "unit_code");
        if (request.Format is not (ReportFormat.Unspecified or ReportFormat.Docx or ReportFormat.Xlsx))
        {
            throw RpcErrors.InvalidArgument([new FieldError("format", "choose REPORT_FORMAT_DOCX or REPORT_FORMAT_XLSX")]);
        }

        var (unit, programme, periods) = reads.Resolve(tenant, request.UnitCode, request.ProgrammeId, [request.Period], "period", request.AsOf);
        var children = reads.ChildrenOf(unit, programme, periods);
        var all = await Task.WhenAll(new[] { unit }.Concat(children).Select(u => reads.ReadAsync(u, programme, periods)));
        var province = unit.Level == "province" ? unit : catalog.AncestorsOf(unit.Key).FirstOrDefault(a => a.Level == "province");
        var report = new ReportContent(
            ReportLetterhead.For(tenant.Name.Vi ?? tenant.Id, province),
            Catalog.CatalogService.ToProto(programme),
            periods[0],
            all[0][0],
            [.. all.Skip(1).Select(r => r[0])],
            clock.Now);
        var docx = request.Format == ReportFormat.Docx;
        return new ExportResponse
        {
            Content = ByteString.CopyFrom(docx ? ReportDocument.Write(report) : ReportWorkbook.Write(report)),
            ContentType = docx ? ReportDocument.ContentType : ReportWorkbook.ContentType,
            FileName = $"bao-cao_{unit.Code}_{periods[0]}{(docx ? ".docx" : ".xlsx")}",
            Groups = children.Count + 1,
            Values = all[0][0].Indicators.Count,
        };
    }

    public override async Task<ExportResponse> Export(ExportRequest request, ServerCallContext context)
    {
        var (caller, tenant) = access.Authorize(context, AccessControl.Readers);
        access.RequireReadable(caller, tenant, request.UnitCode, "unit_code");
        var (unit, programme, periods) = reads.Resolve(tenant, request.UnitCode, request.ProgrammeId, [request.Period], "period", request.AsOf);
        var period = periods[0];
        if (request.Format is not (ExportFormat.Adx or ExportFormat.Dhis2Json or ExportFormat.Dhis2CompletenessJson))
        {
            throw RpcErrors.InvalidArgument(new FieldError("format", "choose EXPORT_FORMAT_ADX, EXPORT_FORMAT_DHIS2_JSON or EXPORT_FORMAT_DHIS2_COMPLETENESS_JSON"));
        }

        if (!mappings.TryGet(tenant.Id, out var mapping))
        {
            throw RpcErrors.FailedPrecondition($"Tenant {tenant.Id} has no export mapping (catalog {ExportMappings.Folder}/{tenant.Id}.json).", [$"mapping {tenant.Id}"]);
        }

        var level = request.OrgUnitLevel is { Length: > 0 } asked ? asked : mapping.Profile.OrgUnitLevel;
        AggregateExport export;
        try
        {
            export = await builder.BuildAsync(tenant, unit, programme, period, request.IncludeSubtree, mapping.Profile, level, context.CancellationToken, request.View);
        }
        catch (ExportScopeException ex)
        {
            throw RpcErrors.InvalidArgument(new FieldError(ex.Field, ex.Message));
        }

        if (export.MissingCodes(mapping) is { Count: > 0 } missing)
        {
            throw RpcErrors.FailedPrecondition($"The export mapping of {tenant.Id} lacks {missing.Count} codes: {string.Join(", ", missing.Take(20))}{(missing.Count > 20 ? ", …" : "")}.", missing);
        }

        if (export.CodeClashes(mapping) is { Count: > 0 } clashes)
        {
            throw RpcErrors.FailedPrecondition($"The export would name two units with one code: {string.Join("; ", clashes)}. Give one of them a code of its own in {ExportMappings.Folder}/{tenant.Id}.json (units.codes, key code@version).", clashes);
        }

        var (content, contentType, extension, groups, values) = request.Format switch
        {
            ExportFormat.Adx => (AdxWriter.Write(export, mapping), AdxWriter.ContentType, ".adx.xml", export.WithValues.Count(), export.ValueCount),
            ExportFormat.Dhis2Json => (Dhis2Writer.WriteDataValues(export, mapping), Dhis2Writer.ContentType, ".dhis2.json", export.WithValues.Count(), export.ValueCount),
            _ => (Dhis2Writer.WriteRegistrations(export, mapping), Dhis2Writer.ContentType, ".dhis2-completeness.json", export.Complete.Count(), 0),
        };
        if (content is null)
        {
            var what = request.Format == ExportFormat.Dhis2CompletenessJson ? "no report complete" : "no value";
            throw RpcErrors.NotFound($"Nothing to export: {unit.Code} ({unit.Name}){(request.IncludeSubtree ? " and the units below it" : "")} hold {what} for {period} at the {level} level; no document was written.");
        }

        return new ExportResponse
        {
            Content = ByteString.CopyFrom(content),
            ContentType = contentType,
            FileName = $"{tenant.Id}_{unit.Code}_{period}{(request.IncludeSubtree ? "_all" : "")}{extension}",
            Groups = groups,
            Values = values,
        };
    }
}
