using Aggregation.Protos.V1;
using Aggregation.Rollup;
using Aggregation.Security;
using Aggregation.Server.Errors;
using Aggregation.Storage;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;

namespace Aggregation.Server.Security;

/// <summary>gRPC <c>aggregation.v1.Audit</c>: the tenant admin's view of the audit trail.</summary>
public sealed class AuditService(IAuditTrail trail, AccessControl access) : Protos.V1.Audit.AuditBase
{
    private const int MaxPageSize = 1000;

    public override async Task<QueryAuditResponse> QueryAudit(QueryAuditRequest request, ServerCallContext context)
    {
        var (_, tenant) = access.Authorize(context, Roles.Admin);
        var errors = new List<FieldError>();
        if (request.PageSize is < 0 or > MaxPageSize)
        {
            errors.Add(new FieldError("page_size", $"must be between 0 and {MaxPageSize}"));
        }

        long after = 0;
        if (request.PageToken.Length > 0 && !Identifiers.TryParsePageToken(request.PageToken, out after))
        {
            errors.Add(new FieldError("page_token", "is not a token returned by a previous call"));
        }

        if (!System.Enum.IsDefined(request.Action))
        {
            errors.Add(new FieldError("action", $"unknown action {(int)request.Action}"));
        }

        if (errors.Count > 0)
        {
            throw RpcErrors.InvalidArgument(errors);
        }

        var size = request.PageSize == 0 ? 100 : request.PageSize;
        static string? Filter(string value) => value.Length == 0 ? null : value;
        var records = await trail.QueryAsync(
            new AuditQuery(
                tenant.Id,
                Filter(request.UnitCode),
                Filter(request.Period),
                Filter(request.DataElement),
                Filter(request.Subject),
                request.Action == Protos.V1.AuditAction.Unspecified ? null : (Storage.AuditAction)(int)request.Action,
                after,
                size + 1),
            context.CancellationToken);

        var response = new QueryAuditResponse();
        response.Records.AddRange(records.Take(size).Select(ToProto));
        if (records.Count > size)
        {
            response.NextPageToken = records[size - 1].Id.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        return response;
    }

    private static Protos.V1.AuditRecord ToProto(Storage.AuditRecord r) => new()
    {
        Id = r.Id,
        RecordedAt = Timestamp.FromDateTimeOffset(r.RecordedAt),
        Subject = r.Submitter.Subject,
        AuthenticatedBy = r.Submitter.AuthenticatedBy,
        Peer = r.Submitter.Peer,
        SourceSystem = r.SourceSystem,
        IdempotencyKey = r.IdempotencyKey,
        UnitCode = r.UnitCode,
        ProgrammeId = r.ProgrammeId,
        Period = r.Period,
        DataElement = r.DataElement ?? "",
        Action = (Protos.V1.AuditAction)(int)r.Action,
        OldValue = r.OldValue ?? "",
        NewValue = r.NewValue ?? "",
        Reason = r.Reason ?? "",
    };
}
