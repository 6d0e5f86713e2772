using Aggregation.Hierarchy;
using Aggregation.Rollup;
using Aggregation.Server.Approvals;
using Aggregation.Protos.V1;
using Aggregation.Server.Catalog;
using Aggregation.Server.Errors;
using Aggregation.Server.Hosting;
using Aggregation.Server.Rollup;
using Aggregation.Server.Security;
using Aggregation.Server.Subscriptions;
using Google.Protobuf;

namespace Aggregation.Server.Dashboard;

/// <summary>
/// The provincial dashboard: the static page in wwwroot and the small JSON and server-sent-events
/// API it uses, backed by the same reads and subscription machinery as the gRPC services. Answers
/// are the gRPC messages in their canonical JSON form.
/// </summary>
public static class DashboardApi
{
    private static readonly JsonFormatter Json = new(JsonFormatter.Settings.Default.WithFormatDefaultValues(true));

    public static WebApplication MapDashboard(this WebApplication app)
    {
        app.UseDefaultFiles();
        app.UseStaticFiles();
        // The page itself is public; every answer with data needs the same credentials as gRPC.
        var api = app.MapGroup("/api").RequireAuthorization();

        // During a database outage reads that would activate grains are answered at once (503 with
        // Retry-After) instead of each one trying; the page shows the message and retries.
        api.AddEndpointFilter(async (context, next) =>
        {
            var availability = context.HttpContext.RequestServices.GetRequiredService<Aggregation.Storage.StorageAvailability>();
            var path = context.HttpContext.Request.Path;
            if (availability.IsAvailable || path.StartsWithSegments("/api/programme") || path.StartsWithSegments("/api/unit"))
            {
                return await next(context);
            }

            context.HttpContext.Response.Headers.RetryAfter = ((int)Resilience.StorageGateInterceptor.RetryDelay.TotalSeconds).ToString(System.Globalization.CultureInfo.InvariantCulture);
            return Results.Json(new { error = Resilience.StorageGateInterceptor.Unavailable(availability).Status.Detail }, statusCode: StatusCodes.Status503ServiceUnavailable);
        });

        api.MapGet("/programme", (HttpContext http, Hierarchy.Catalog catalog, AccessControl access) => Guarded(() =>
        {
            var (_, tenant) = access.Authorize(http, http.Request.Query["tenant"], AccessControl.Anyone);
            var response = new ListProgrammesResponse();
            response.Programmes.AddRange(tenant.ProgrammeIds.Select(id => CatalogService.ToProto(catalog.Programmes[id])));
            return Task.FromResult(Results.Text(Json.Format(response), "application/json"));
        }));

        // ?asOf=yyyy-MM-dd picks the hierarchy version (codes were reused); default today.
        api.MapGet("/unit/{code}", (string code, string? asOf, HttpContext http, Hierarchy.Catalog catalog, AccessControl access, ReportingClock clock) => Guarded(() =>
        {
            var (_, tenant) = access.Authorize(http, http.Request.Query["tenant"], AccessControl.Anyone);
            var response = CatalogService.Describe(catalog, tenant, code, clock.DateOrToday(asOf, "asOf"));
            return Task.FromResult(response is null
                ? Results.NotFound(new { error = $"unknown unit '{RpcErrors.Clip(code)}'" })
                : Results.Text(Json.Format(response), "application/json"));
        }));

        // What the page opens on when the address names no period: the latest completed half-year
        // (Vietnam time), where the work of the last reporting round is, within the programme.
        api.MapGet("/defaults", (HttpContext http, Hierarchy.Catalog catalog, AccessControl access, ReportingClock clock) => Guarded(() =>
        {
            var (_, tenant) = access.Authorize(http, http.Request.Query["tenant"], AccessControl.Anyone);
            var programme = catalog.Programmes[tenant.ProgrammeIds[0]];
            return Task.FromResult(Results.Json(new { period = DefaultPeriod(programme.Calendar, clock.Now).ToString() }));
        }));

        // ?asOf= picks the unit a reused code names; ?view=restated re-expresses history in the unit's
        // structure; ?lang=vi writes the method sentence in Vietnamese (English otherwise).
        api.MapGet("/rollup", async (string unit, string period, bool? children, string? asOf, string? view, string? lang, HttpContext http, AccessControl access, RollupReads reads) =>
            await Guarded(async () =>
            {
                var tenant = Readable(http, access, unit);
                var (u, programme, periods) = reads.Resolve(tenant, unit, tenant.ProgrammeIds[0], [period], "period", asOf ?? "");
                var history = view == "restated" ? HistoryView.Restated : HistoryView.AsHappened;
                var vietnamese = lang == "vi";
                var all = await Task.WhenAll(new[] { u }.Concat(children == true ? reads.ChildrenOf(u, programme, periods, history) : []).Select(x => reads.ReadAsync(x, programme, periods, history, vietnamese)));
                var response = new GetRollupResponse { Rollup = all[0][0] };
                response.Children.AddRange(all.Skip(1).Select(r => r[0]));
                return Results.Text(Json.Format(response), "application/json");
            }));

        // One unit's figures for several periods (the trend chart).
        api.MapGet("/trend", async (string unit, string periods, string? asOf, HttpContext http, AccessControl access, RollupReads reads) =>
            await Guarded(async () =>
            {
                var tenant = Readable(http, access, unit);
                var (u, programme, parsed) = reads.Resolve(tenant, unit, tenant.ProgrammeIds[0], periods.Split(','), "periods", asOf ?? "");
                var response = new SubscriptionSnapshot();
                response.Rollups.AddRange(await reads.ReadAsync(u, programme, parsed));
                return Results.Text(Json.Format(response), "application/json");
            }));

        // Server-sent events backed by the subscription machinery: snapshot, update, heartbeat.
        api.MapGet("/stream", async (string unit, string period, bool? children, string? asOf, HttpContext http, AccessControl access, CallLimiter limiter, RollupReads reads, SubscriptionStream stream, IHostApplicationLifetime lifetime) =>
        {
            Aggregation.Hierarchy.AdminUnit u;
            Programmes.Programme programme;
            List<Periods.Period> periods;
            IDisposable slot;
            try
            {
                var tenant = Readable(http, access, unit);
                (u, programme, periods) = reads.Resolve(tenant, unit, tenant.ProgrammeIds[0], [period], "period", asOf ?? "");
                slot = limiter.EnterSubscription(access.CallerOf(http).LimitKey);
            }
            catch (RequestRefusedException refused)
            {
                await DashboardErrors.ToHttp(refused).ExecuteAsync(http);
                return;
            }

            using var held = slot;
            http.Response.ContentType = "text/event-stream";
            http.Response.Headers.CacheControl = "no-cache";
            using var ending = CancellationTokenSource.CreateLinkedTokenSource(http.RequestAborted, lifetime.ApplicationStopping);
            try
            {
                await foreach (var message in stream.RunAsync(u, programme, periods, children == true, 0, ending.Token))
                {
                    var (name, body) = message.ContentCase switch
                    {
                        SubscribeResponse.ContentOneofCase.Confirmation => ("confirmation", Json.Format(message.Confirmation)),
                        SubscribeResponse.ContentOneofCase.Snapshot => ("snapshot", Json.Format(message.Snapshot)),
                        SubscribeResponse.ContentOneofCase.Update => ("update", Json.Format(message.Update)),
                        _ => ("heartbeat", Json.Format(message.Heartbeat)),
                    };
                    await http.Response.WriteAsync($"event: {name}\ndata: {body}\n\n", http.RequestAborted);
                    await http.Response.Body.FlushAsync(http.RequestAborted);
                }
            }
            catch (RequestRefusedException refused) when (!http.Response.HasStarted)
            {
                // Refused before the first event (the server holds as many subscriptions as it may):
                // an answer the page acts on, instead of an internal error.
                await DashboardErrors.ToHttp(refused).ExecuteAsync(http);
            }
            catch (OperationCanceledException)
            {
                // The page went away, or the server is stopping: the browser's EventSource reconnects.
            }
        });

        api.MapApprovals();
        return app;
    }

    /// <summary>
    /// The latest half-year that has ended by <paramref name="now"/> in Vietnam time (UTC+7 all year:
    /// Vietnam keeps no daylight saving time), brought inside the programme: its first half-year before
    /// any has ended, its last one after the programme is over.
    /// </summary>
    public static Periods.Period DefaultPeriod(Periods.ProgrammeCalendar calendar, DateTimeOffset now)
    {
        var vietnam = now.ToOffset(ReportingClock.VietnamOffset);
        var (year, half) = vietnam.Month >= 7 ? (vietnam.Year, 1) : (vietnam.Year - 1, 2);
        return year > calendar.LastYear ? Periods.Period.Half(calendar.LastYear, 2)
            : year < calendar.FirstYear ? Periods.Period.Half(calendar.FirstYear, 1)
            : Periods.Period.Half(year, half);
    }

    /// <summary>The tenant of a read of <paramref name="unit"/>, when the caller may read it (?tenant= picks one for the ministry).</summary>
    private static Tenant Readable(HttpContext http, AccessControl access, string unit)
    {
        var (caller, tenant) = access.Authorize(http, http.Request.Query["tenant"], AccessControl.Readers);
        access.RequireReadable(caller, tenant, unit, "unit");
        return tenant;
    }

    private static async Task<IResult> Guarded(Func<Task<IResult>> action)
    {
        try
        {
            return await action();
        }
        catch (RequestRefusedException refused)
        {
            return DashboardErrors.ToHttp(refused);
        }
    }
}
