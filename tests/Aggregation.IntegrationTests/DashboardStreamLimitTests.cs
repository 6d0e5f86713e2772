using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;

namespace Aggregation.IntegrationTests;

/// <summary>A server that holds at most one open subscription (gRPC and dashboard streams together).</summary>
public sealed class OneSubscriptionServerFixture : ServerFixture
{
    protected override IEnumerable<string> ExtraArguments => [.. base.ExtraArguments, "--Subscriptions:MaxSubscriptions=1"];
}

/// <summary>
/// The dashboard's live stream when the server holds as many subscriptions as it may: the page is
/// told the server is busy and when to retry (503, Retry-After, a sentence), never an internal error.
/// </summary>
public sealed class DashboardStreamLimitTests(OneSubscriptionServerFixture server) : IClassFixture<OneSubscriptionServerFixture>
{
    [Fact]
    public async Task A_dashboard_stream_past_the_servers_subscription_cap_is_told_to_retry_later_not_an_internal_error()
    {
        using var http = new HttpClient { BaseAddress = new Uri(server.WebAddress), Timeout = TimeSpan.FromSeconds(60) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", TestCredentials.Token(TestCredentials.Operator));
        var stream = $"/api/stream?unit={ServerFixture.ProvinceCode}&period=2024S1";

        // The first stream takes the server's only subscription: its headers arrive once it watches its unit.
        using var first = await http.GetAsync(stream, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);

        using var second = await http.GetAsync(stream, HttpCompletionOption.ResponseHeadersRead);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, second.StatusCode);
        Assert.NotNull(second.Headers.RetryAfter);
        using var body = JsonDocument.Parse(await second.Content.ReadAsStringAsync());
        Assert.Equal("Too many open subscriptions on this server; retry later or on another server.", body.RootElement.GetProperty("error").GetString());
    }
}
