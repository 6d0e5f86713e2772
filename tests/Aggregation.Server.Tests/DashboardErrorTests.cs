using System.Text.Json;
using Aggregation.Rollup;
using Aggregation.Server.Dashboard;
using Aggregation.Server.Errors;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Aggregation.Server.Tests;

/// <summary>The dashboard's answers to refusals: the HTTP status the page acts on, and the same sentence a gRPC client reads as its status message.</summary>
public sealed class DashboardErrorTests
{
    public static TheoryData<string, int> Refusals => new()
    {
        { "invalid", StatusCodes.Status400BadRequest },
        { "unauthenticated", StatusCodes.Status401Unauthorized },
        { "denied", StatusCodes.Status403Forbidden },
        { "limit", StatusCodes.Status429TooManyRequests },
    };

    [Theory]
    [MemberData(nameof(Refusals))]
    public async Task A_refusal_reaches_the_page_with_its_http_status_and_the_sentence_grpc_clients_read(string kind, int status)
    {
        RequestRefusedException refused = kind switch
        {
            "invalid" => new InvalidRequestException(new FieldError("period", "'2024Q9' is not a period"), new FieldError("asOf", "'12/03/2024' is not a date (yyyy-MM-dd)")),
            "unauthenticated" => new UnauthenticatedException("A valid access token or client certificate is required."),
            "denied" => new PermissionDeniedException("unit '05506' is outside this credential's scope."),
            _ => new LimitReachedException("This credential already holds 50 open subscriptions; close one (or watch several periods in one) first.", TimeSpan.FromSeconds(5)),
        };

        var (answered, error) = await AnswerOf(refused);

        Assert.Equal(status, answered);
        Assert.Equal(RpcErrors.From(refused).Status.Detail, error);
    }

    [Fact]
    public async Task An_invalid_dashboard_request_names_every_wrong_field_in_its_sentence()
    {
        var (_, error) = await AnswerOf(new InvalidRequestException(new FieldError("period", "'2024Q9' is not a period"), new FieldError("asOf", "'12/03/2024' is not a date (yyyy-MM-dd)")));

        Assert.Equal("The request is invalid: period: '2024Q9' is not a period; asOf: '12/03/2024' is not a date (yyyy-MM-dd)", error);
    }

    private static async Task<(int Status, string? Error)> AnswerOf(RequestRefusedException refused)
    {
        await using var services = new ServiceCollection().AddLogging().BuildServiceProvider();
        var http = new DefaultHttpContext { RequestServices = services };
        http.Response.Body = new MemoryStream();
        await DashboardErrors.ToHttp(refused).ExecuteAsync(http);
        http.Response.Body.Position = 0;
        using var body = await JsonDocument.ParseAsync(http.Response.Body);
        return (http.Response.StatusCode, body.RootElement.GetProperty("error").GetString());
    }
}
