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
        FailedPreconditionException or StateConflictException => StatusCodes.Status400BadRequest,
        UnavailableException => StatusCodes.Status503ServiceUnavailable,
        _ => throw new ArgumentOutOfRangeException(nameof(refused), refused.GetType(), "A refusal without an HTTP status."),
    };

    public static IResult ToHttp(RequestRefusedException refused)
    {
        ArgumentNullException.ThrowIfNull(refused);
        var answer = Results.Json(Body(refused), statusCode: StatusOf(refused));
        return RetryAfterOf(refused) is { } after ? new WithRetryAfter(answer, after) : answer;
    }

    /// <summary>
    /// <c>{"error"}</c>; with <c>"vi"</c> and <c>"en"</c> when the refusal has a Vietnamese sentence;
    /// with <c>"fields": [{"field", "vi", "en"}]</c> for field errors, so a form shows each beside its
    /// field in the page's language (English twice when a refusal has no translation).
    /// </summary>
    private static Dictionary<string, object> Body(RequestRefusedException refused)
    {
        var body = new Dictionary<string, object> { ["error"] = refused.Message };
        if (refused.MessageVi is { } vi)
        {
            body["vi"] = vi;
            body["en"] = refused.Message;
        }

        if (refused is InvalidRequestException invalid)
        {
            body["fields"] = invalid.Localized.Count > 0
                ? invalid.Localized.Select(f => new { field = f.Field, vi = f.Vi, en = f.En }).ToList()
                : invalid.Violations.Select(f => new { field = f.Field, vi = f.Description, en = f.Description }).ToList();
        }

        return body;
    }

    /// <summary>When the page should come back: a limit's own delay; for a server that cannot serve now, the outage gate's.</summary>
    private static TimeSpan? RetryAfterOf(RequestRefusedException refused) => refused switch
    {
        LimitReachedException limit => limit.RetryAfter,
        UnavailableException => Resilience.StorageGateInterceptor.RetryDelay,
        _ => null,
    };

    /// <summary>An answer with a Retry-After header in whole seconds (at least one).</summary>
    private sealed class WithRetryAfter(IResult answer, TimeSpan after) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext)
        {
            httpContext.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(after.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
            return answer.ExecuteAsync(httpContext);
        }
    }
}
