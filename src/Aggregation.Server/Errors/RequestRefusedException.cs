using Aggregation.Rollup;

namespace Aggregation.Server.Errors;

/// <summary>
/// A request refused for a reason its caller can act on, raised wherever the reason is found
/// (access control, validation of what a read names, limits) without knowing the transport. Each
/// transport maps it once: gRPC in <see cref="RpcErrors.From"/> (through <see cref="ExceptionInterceptor"/>),
/// the dashboard's HTTP in <see cref="Dashboard.DashboardErrors"/>. The message is the sentence the
/// caller reads, whichever transport carries it.
/// </summary>
public abstract class RequestRefusedException(string message) : Exception(message)
{
    /// <summary>The same sentence in Vietnamese, for the pages (which default to it), when the refusal has one.</summary>
    public string? MessageVi { get; init; }
}

/// <summary>A field error in both languages of the pages; its English sentence is the gRPC violation's description.</summary>
public sealed record LocalizedFieldError(string Field, string Vi, string En);

/// <summary>A google.rpc.PreconditionFailure violation: what kind of state stands in the way, which one, and why.</summary>
public sealed record PreconditionViolation(string Type, string Subject, string Description);

/// <summary>
/// The request is well formed but the state of the system forbids it (an approval in force, an
/// approval missing below, no data): FAILED_PRECONDITION naming the state in <see cref="Violations"/>.
/// </summary>
public sealed class StateConflictException(string message, IEnumerable<PreconditionViolation> violations) : RequestRefusedException(message)
{
    public IReadOnlyList<PreconditionViolation> Violations { get; } = [.. violations];
}

/// <summary>Fields of the request are wrong; every problem found is listed, field by field.</summary>
public sealed class InvalidRequestException : RequestRefusedException
{
    public const string Summary = "The request is invalid";

    public InvalidRequestException(params FieldError[] violations)
        : this((IEnumerable<FieldError>)violations)
    {
    }

    public InvalidRequestException(IEnumerable<FieldError> violations)
        : base(Summary)
    {
        ArgumentNullException.ThrowIfNull(violations);
        Violations = [.. violations];
    }

    public IReadOnlyList<FieldError> Violations { get; }

    /// <summary>The violations in both languages, when the refusal has them (the pages show the one of their language).</summary>
    public IReadOnlyList<LocalizedFieldError> Localized { get; private init; } = [];

    /// <summary>A refusal whose every field error is given in Vietnamese and English.</summary>
    public static InvalidRequestException Of(IReadOnlyCollection<LocalizedFieldError> errors)
    {
        ArgumentNullException.ThrowIfNull(errors);
        return new InvalidRequestException(errors.Select(e => new FieldError(e.Field, e.En)))
        {
            Localized = [.. errors],
            MessageVi = Describe("Yêu cầu không hợp lệ", [.. errors.Select(e => new FieldError(e.Field, e.Vi))]),
        };
    }

    public override string Message => Describe(Summary, Violations);

    /// <summary>"summary: field: description; field: description", the one sentence both transports send.</summary>
    internal static string Describe(string summary, IReadOnlyCollection<FieldError> violations) =>
        violations.Count == 0 ? summary : $"{summary}: " + string.Join("; ", violations.Select(e => $"{e.Field}: {e.Description}"));
}

/// <summary>The call carries no credential this server accepts.</summary>
public sealed class UnauthenticatedException(string message) : RequestRefusedException(message);

/// <summary>The caller is known but may not do this; says nothing about whether what it named exists.</summary>
public sealed class PermissionDeniedException(string message) : RequestRefusedException(message);

/// <summary>What was asked for holds nothing.</summary>
public sealed class NotFoundException(string message) : RequestRefusedException(message);

/// <summary>The server cannot take the request now; the same request may succeed later, here or on another server.</summary>
public sealed class UnavailableException(string message) : RequestRefusedException(message);

/// <summary>A limit was reached; the message says which, and <see cref="RetryAfter"/> when to come back.</summary>
public sealed class LimitReachedException(string message, TimeSpan retryAfter) : RequestRefusedException(message)
{
    public TimeSpan RetryAfter { get; } = retryAfter;
}

/// <summary>The system is not configured for this request; <see cref="Missing"/> lists what is absent.</summary>
public sealed class FailedPreconditionException(string message, IEnumerable<string> missing) : RequestRefusedException(message)
{
    public IReadOnlyList<string> Missing { get; } = [.. missing];
}
