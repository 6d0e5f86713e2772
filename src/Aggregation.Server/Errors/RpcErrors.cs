using Aggregation.Rollup;
using Google.Protobuf.WellKnownTypes;
using Google.Rpc;
using Grpc.Core;

namespace Aggregation.Server.Errors;

/// <summary>Builds every <see cref="RpcException"/> the service sends, with google.rpc details.</summary>
public static class RpcErrors
{
    public static RpcException InvalidArgument(params FieldError[] errors) => InvalidArgument((IEnumerable<FieldError>)errors);

    public static RpcException InvalidArgument(IEnumerable<FieldError> errors) =>
        WithViolations(Code.InvalidArgument, errors, "The request is invalid");

    public static RpcException AlreadyExists(FieldError error) =>
        WithViolations(Code.AlreadyExists, [error], "The idempotency key was already used for a different report");

    public static RpcException Unavailable(string message) =>
        new Google.Rpc.Status { Code = (int)Code.Unavailable, Message = message }.ToRpcException();

    /// <summary>The caller is known but may not do this; says nothing about whether what it named exists.</summary>
    public static RpcException PermissionDenied(string message) =>
        new Google.Rpc.Status { Code = (int)Code.PermissionDenied, Message = message }.ToRpcException();

    /// <summary>What was asked for holds nothing (an export of a unit and period without data).</summary>
    public static RpcException NotFound(string message) =>
        new Google.Rpc.Status { Code = (int)Code.NotFound, Message = message }.ToRpcException();

    /// <summary>A limit was reached; the message says which and when to come back.</summary>
    public static RpcException ResourceExhausted(string message) =>
        new Google.Rpc.Status { Code = (int)Code.ResourceExhausted, Message = message }.ToRpcException();

    /// <summary>The system is not configured for this request; <paramref name="missing"/> lists what is absent.</summary>
    public static RpcException FailedPrecondition(string message, IEnumerable<string> missing)
    {
        var failure = new PreconditionFailure();
        failure.Violations.AddRange(missing.Select(m => new PreconditionFailure.Types.Violation { Type = "MISSING", Subject = m, Description = "not configured" }));
        return new Google.Rpc.Status { Code = (int)Code.FailedPrecondition, Message = message, Details = { Any.Pack(failure) } }.ToRpcException();
    }

    public static RpcException Internal() =>
        new Google.Rpc.Status { Code = (int)Code.Internal, Message = "An internal error occurred; it has been logged." }.ToRpcException();

    /// <summary>Shortens caller-supplied text before echoing it in an error.</summary>
    public static string Clip(string? text)
    {
        if (text is null)
        {
            return "";
        }

        var clean = new string(text.Take(64).Select(c => char.IsControl(c) ? '?' : c).ToArray());
        return text.Length > 64 ? clean + "…" : clean;
    }

    private static RpcException WithViolations(Code code, IEnumerable<FieldError> errors, string summary)
    {
        var list = errors.ToList();
        var badRequest = new BadRequest();
        badRequest.FieldViolations.AddRange(list.Select(e => new BadRequest.Types.FieldViolation { Field = e.Field, Description = e.Description }));
        var message = list.Count == 0 ? summary : $"{summary}: " + string.Join("; ", list.Select(e => $"{e.Field}: {e.Description}"));
        return new Google.Rpc.Status
        {
            Code = (int)code,
            Message = message,
            Details = { Any.Pack(badRequest) },
        }.ToRpcException();
    }
}
