using Aggregation.Server.Errors;

namespace Aggregation.Server.Dashboard;

/// <summary>
/// The dashboard's one mapping of refusals to HTTP: the status each kind means and the body the
/// page reads, <c>{"error": sentence}</c>, the sentence being the one a gRPC client gets as its
/// status message (the page shows it; field violations are in the sentence).
/// </summary>
public static class DashboardErrors
{
    public static int StatusOf(RequestRefusedException refused) => refused switch
    {
        InvalidRequestException => StatusCodes.Status400BadRequest,
        UnauthenticatedException => StatusCodes.Status401Unauthorized,
        PermissionDeniedException => StatusCodes.Status403Forbidden,
        NotFoundException => StatusCodes.Status404NotFound,
        LimitReachedException => StatusCodes.Status429TooManyRequests,
        // As google.rpc's own table: the request cannot be served as the system stands.
        FailedPreconditionException => StatusCodes.Status400BadRequest,
        UnavailableException => StatusCodes.Status503ServiceUnavailable,
        _ => throw new ArgumentOutOfRangeException(nameof(refused), refused.GetType(), "A refusal without an HTTP status."),
    };

    public static IResult ToHttp(RequestRefusedException refused)
    {
        ArgumentNullException.ThrowIfNull(refused);
        return Results.Json(new { error = refused.Message }, statusCode: StatusOf(refused));
    }
}
