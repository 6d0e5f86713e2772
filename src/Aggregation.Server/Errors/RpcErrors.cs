using Aggregation.Rollup;
using Google.Protobuf.WellKnownTypes;
using Google.Rpc;
using Grpc.Core;

namespace Aggregation.Server.Errors;

/// <summary>Builds every <see cref="RpcException"/> the service sends, with google.rpc details.</summary>
public static class RpcErrors
{
    /// <summary>
    /// The gRPC status of a refusal: its code, its sentence as the status message, and its details
    /// (field violations as google.rpc.BadRequest, missing configuration as PreconditionFailure, when
    /// to retry as RetryInfo).
    /// </summary>
    public static RpcException From(RequestRefusedException refused)
    {
        ArgumentNullException.ThrowIfNull(refused);
        var plain = Unlocalized(refused);
        return refused.MessageVi is null ? plain : Localized(plain, refused);
    }

    /// <summary>The locale of the Vietnamese sentences a refusal may carry.</summary>
    public const string VietnameseLocale = "vi-VN";

    /// <summary>
    /// Adds the Vietnamese sentence as a google.rpc.LocalizedMessage, and each field violation's own
    /// (FieldViolation.localized_message), so a client in Vietnamese shows the server's words.
    /// </summary>
    private static RpcException Localized(RpcException plain, RequestRefusedException refused)
    {
        var status = plain.GetRpcStatus()!;
        if (refused is InvalidRequestException { Localized.Count: > 0 } invalid)
        {
            var at = status.Details.ToList().FindIndex(d => d.Is(BadRequest.Descriptor));
            if (at >= 0)
            {
                var badRequest = status.Details[at].Unpack<BadRequest>();
                foreach (var violation in badRequest.FieldViolations)
                {
                    if (invalid.Localized.FirstOrDefault(l => l.Field == violation.Field && l.En == violation.Description) is { } vi)
                    {
                        violation.LocalizedMessage = new LocalizedMessage { Locale = VietnameseLocale, Message = vi.Vi };
                    }
                }

                status.Details[at] = Any.Pack(badRequest);
            }
        }

        status.Details.Add(Any.Pack(new LocalizedMessage { Locale = VietnameseLocale, Message = refused.MessageVi }));
        return status.ToRpcException();
    }

    private static RpcException Unlocalized(RequestRefusedException refused) => refused switch
    {
        InvalidRequestException invalid => InvalidArgument(invalid.Violations),
        UnauthenticatedException => new RpcException(new Grpc.Core.Status(StatusCode.Unauthenticated, refused.Message)),
        PermissionDeniedException => PermissionDenied(refused.Message),
        NotFoundException => NotFound(refused.Message),
        UnavailableException => Unavailable(refused.Message),
        LimitReachedException limit => ResourceExhausted(refused.Message, limit.RetryAfter),
        FailedPreconditionException precondition => FailedPrecondition(refused.Message, precondition.Missing),
        StateConflictException conflict => FailedPrecondition(refused.Message, conflict.Violations),
        _ => throw new ArgumentOutOfRangeException(nameof(refused), refused.GetType(), "A refusal without a gRPC status."),
    };


    public static RpcException InvalidArgument(params FieldError[] errors) => InvalidArgument((IEnumerable<FieldError>)errors);

    public static RpcException InvalidArgument(IEnumerable<FieldError> errors) =>
        WithViolations(Code.InvalidArgument, errors, InvalidRequestException.Summary);

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

    /// <summary>A limit was reached; RetryInfo says when the caller may come back.</summary>
    public static RpcException ResourceExhausted(string message, TimeSpan retryAfter) =>
        new Google.Rpc.Status
        {
            Code = (int)Code.ResourceExhausted,
            Message = message,
            Details = { Any.Pack(new RetryInfo { RetryDelay = Duration.FromTimeSpan(retryAfter) }) },
        }.ToRpcException();

    /// <summary>The system is not configured for this request; <paramref name="missing"/> lists what is absent.</summary>
    public static RpcException FailedPrecondition(string message, IEnumerable<string> missing)
    {
        var failure = new PreconditionFailure();
        failure.Violations.AddRange(missing.Select(m => new PreconditionFailure.Types.Violation { Type = "MISSING", Subject = m, Description = "not configured" }));
        return new Google.Rpc.Status { Code = (int)Code.FailedPrecondition, Message = message, Details = { Any.Pack(failure) } }.ToRpcException();
    }

    /// <summary>The state of the system forbids the request; each violation names what stands in the way.</summary>
    public static RpcException FailedPrecondition(string message, IEnumerable<PreconditionViolation> violations)
    {
        var failure = new PreconditionFailure();
        failure.Violations.AddRange(violations.Select(v => new PreconditionFailure.Types.Violation { Type = v.Type, Subject = v.Subject, Description = v.Description }));
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
        return new Google.Rpc.Status
        {
            Code = (int)code,
            Message = InvalidRequestException.Describe(summary, list),
            Details = { Any.Pack(badRequest) },
        }.ToRpcException();
    }
}
