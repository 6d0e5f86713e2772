using Aggregation.Rollup;
using Aggregation.Server.Dashboard;
using Aggregation.Server.Errors;
using Aggregation.Server.Security;
using Google.Protobuf;

namespace Aggregation.Server.Review;

/// <summary>
/// <c>GET /api/review?unit=&amp;period=&amp;dataSet=</c>: the review page's list of findings, the gRPC
/// answer in its canonical JSON (as the dashboard's API answers), for the tenant's programme. Refusals
/// are the dashboard's <c>{"error": sentence}</c>; an invalid request also lists its fields, named as
/// the query names them, each with a sentence in Vietnamese and in English for the page to show
/// beside the field in its language.
/// </summary>
public static class ReviewApi
{
    private static readonly JsonFormatter Json = new(JsonFormatter.Settings.Default.WithFormatDefaultValues(true));

    public static WebApplication MapReview(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapGet("/api/review", async (string? unit, string? period, string? dataSet, HttpContext http, AccessControl access, ReviewFindings findings, Aggregation.Storage.StorageAvailability availability) =>
        {
            // During a database outage the units' grains cannot load: answered at once, as the
            // dashboard's reads are, so the page shows the message and retries.
            if (!availability.IsAvailable)
            {
                http.Response.Headers.RetryAfter = ((int)Resilience.StorageGateInterceptor.RetryDelay.TotalSeconds).ToString(System.Globalization.CultureInfo.InvariantCulture);
                return Results.Json(new { error = Resilience.StorageGateInterceptor.Unavailable(availability).Status.Detail }, statusCode: StatusCodes.Status503ServiceUnavailable);
            }

            try
            {
                var (caller, tenant) = access.Authorize(http, http.Request.Query["tenant"], ReviewService.Reviewers);
                access.RequireReadable(caller, tenant, unit ?? "", "unit");
                var (u, programme, p, d) = findings.Resolve(tenant, tenant.ProgrammeIds[0], unit ?? "", period ?? "", dataSet ?? "");
                var response = new Protos.V1.ListFindingsResponse();
                response.Findings.AddRange(await findings.FindAsync(tenant, programme, u, p, d, http.RequestAborted));
                return Results.Text(Json.Format(response), "application/json");
            }
            catch (InvalidRequestException invalid)
            {
                return Results.Json(
                    new { error = invalid.Message, fields = invalid.Violations.Select(v => new { field = QueryName(v.Field), vi = Vietnamese(v, unit, period, dataSet), en = v.Description }) },
                    statusCode: StatusCodes.Status400BadRequest);
            }
            catch (RequestRefusedException refused)
            {
                return DashboardErrors.ToHttp(refused);
            }
        }).RequireAuthorization();
        return app;
    }

    /// <summary>The query parameter a field error is about (the gRPC request names them in snake case).</summary>
    private static string QueryName(string field) => field switch
    {
        "unit_code" => "unit",
        "data_set" => "dataSet",
        "programme_id" => "programme",
        _ => field,
    };

    /// <summary>What is wrong with a field, in Vietnamese, for the page in its default language.</summary>
    private static string Vietnamese(FieldError error, string? unit, string? period, string? dataSet) => error.Field switch
    {
        "unit_code" or "unit" when error.Description.Contains(ReviewFindings.TooLargeMarker, StringComparison.Ordinal) =>
            $"Vùng của đơn vị {unit} có quá nhiều đơn vị để rà soát một lần; hãy rà soát một tỉnh hoặc một đơn vị cấp dưới.",
        "unit_code" or "unit" => $"Không có đơn vị mã '{RpcErrors.Clip(unit ?? "")}' trong phạm vi của tỉnh vào kỳ này, hoặc mã không đúng dạng.",
        "period" => $"Kỳ '{RpcErrors.Clip(period ?? "")}' không đúng dạng hoặc nằm ngoài chương trình (ví dụ: 2025-03, 2025Q1, 2025S1, 2025).",
        "data_set" => $"Chương trình không có bộ dữ liệu '{RpcErrors.Clip(dataSet ?? "")}'.",
        _ => "Yêu cầu không hợp lệ: " + error.Description,
    };
}
