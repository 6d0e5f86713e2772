using System.Diagnostics.Metrics;
using System.Net;
using System.Net.Http.Headers;
using Aggregation.Storage;
using Aggregation.Telemetry;
using Microsoft.Extensions.Options;
using Polly;
using Polly.CircuitBreaker;
using Polly.Retry;
using Polly.Timeout;

namespace Aggregation.Server.Reporting;

/// <summary>
/// Drains the delivery outbox to the ministry's endpoint. Each delivery round goes through one
/// Polly pipeline: retries with exponential backoff and jitter, a circuit breaker shared by all
/// deliveries (so a ministry that is down is not hammered), and a timeout per attempt. A round
/// that still fails leaves the report pending with a growing delay; a refusal that retrying cannot
/// fix (4xx) marks it failed with the reason, until an operator re-sends it. Runs beside ingestion
/// and never blocks it: the outbox is its only link to the rest of the system.
/// </summary>
public sealed partial class OutboxSender : BackgroundService
{
    private readonly ReportStore _store;
    private readonly DeliveryOptions _options;
    private readonly ILogger<OutboxSender> _logger;
    private readonly HttpClient _http;
    private readonly ResiliencePipeline<HttpResponseMessage> _pipeline;
    private readonly CircuitBreakerStateProvider _circuit = new();
    private int _circuitOpenings;

    // The outbox's counts as last read by the poll: a scrape reads these, never the database.
    private long _pending = -1;
    private long _failed = -1;

    public OutboxSender(ReportStore store, IOptions<DeliveryOptions> options, ILogger<OutboxSender> logger, IMeterFactory meters)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(meters);
        _store = store;
        var meter = meters.Create(AggregationTelemetry.Name);
        meter.CreateObservableGauge("aggregation.outbox.pending", () => Counted(ref _pending), "{report}", "Reports to the ministry waiting in the outbox (all tenants).");
        meter.CreateObservableGauge("aggregation.outbox.failed", () => Counted(ref _failed), "{report}", "Reports the ministry refused, waiting for an operator to re-send them (all tenants).");
        meter.CreateObservableGauge("aggregation.outbox.circuit.open", () => _circuit.CircuitState is Polly.CircuitBreaker.CircuitState.Open or Polly.CircuitBreaker.CircuitState.Isolated ? 1 : 0, "{circuit}", "1 while the circuit to the ministry endpoint is open (deliveries paused).");
        meter.CreateObservableCounter("aggregation.outbox.circuit.openings", () => (long)CircuitOpenings, "{opening}", "Times the circuit to the ministry endpoint opened since the silo started.");
        _options = options.Value;
        _logger = logger;
        _http = new HttpClient { Timeout = Timeout.InfiniteTimeSpan };
        var transient = new PredicateBuilder<HttpResponseMessage>()
            .Handle<HttpRequestException>()
            .Handle<TimeoutRejectedException>()
            .HandleResult(r => IsTransient(r.StatusCode));
        _pipeline = new ResiliencePipelineBuilder<HttpResponseMessage>()
            .AddRetry(new RetryStrategyOptions<HttpResponseMessage>
            {
                ShouldHandle = transient,
                MaxRetryAttempts = Math.Max(_options.Retries, 1),
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = _options.RetryDelay,
            })
            .AddCircuitBreaker(new CircuitBreakerStrategyOptions<HttpResponseMessage>
            {
                ShouldHandle = transient,
                FailureRatio = _options.BreakerFailureRatio,
                MinimumThroughput = _options.BreakerMinimumThroughput,
                SamplingDuration = _options.BreakerSampling,
                BreakDuration = _options.BreakDuration,
                StateProvider = _circuit,
                OnOpened = _ =>
                {
                    Interlocked.Increment(ref _circuitOpenings);
                    LogCircuitOpened(_logger, _options.BreakDuration);
                    return ValueTask.CompletedTask;
                },
                OnClosed = _ =>
                {
                    LogCircuitClosed(_logger);
                    return ValueTask.CompletedTask;
                },
            })
            .AddTimeout(_options.AttemptTimeout)
            .Build();
    }

    /// <summary>Whether the circuit to the ministry endpoint lets deliveries through.</summary>
    public Polly.CircuitBreaker.CircuitState CircuitState => _circuit.CircuitState;

    /// <summary>How many times the circuit has opened since this silo started.</summary>
    public int CircuitOpenings => Volatile.Read(ref _circuitOpenings);

    public override void Dispose()
    {
        _http.Dispose();
        base.Dispose();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (_options.Endpoint is null)
        {
            // Nothing is sent, but reports still queue up: the outbox's counts keep being read.
            LogNoEndpoint(_logger);
        }

        using var timer = new PeriodicTimer(_options.PollInterval);
        do
        {
            try
            {
                if (_options.Endpoint is not null)
                {
                    await DrainAsync(stoppingToken);
                }

                (var pending, var failed) = await _store.CountOutboxAsync(stoppingToken);
                Volatile.Write(ref _pending, pending);
                Volatile.Write(ref _failed, failed);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogOutboxUnreadable(_logger, ex, _options.PollInterval);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    private async Task DrainAsync(CancellationToken stoppingToken)
    {
        // A claim outlives the longest round, so no other silo sends the same report meanwhile.
        var lease = (_options.AttemptTimeout * (_options.Retries + 1)) + (_options.RetryDelay * Math.Pow(2, _options.Retries + 1)) + TimeSpan.FromMinutes(1);
        while (!stoppingToken.IsCancellationRequested)
        {
            var due = await _store.ClaimDueAsync(_options.BatchSize, lease, stoppingToken);
            var open = false;
            foreach (var item in due)
            {
                if (open)
                {
                    // The circuit opened during this batch: hand the rest back until it may close.
                    await _store.MarkRetryAsync(item.Id, "circuit open: the ministry endpoint has been failing", _options.BreakDuration, CancellationToken.None);
                    continue;
                }

                open = !await DeliverAsync(item, stoppingToken);
            }

            if (open || due.Count < _options.BatchSize)
            {
                return;
            }
        }
    }

    /// <summary>Where a payload goes: ADX documents and DHIS2 data value sets to the endpoint, registrations to theirs.</summary>
    public Uri? EndpointFor(string payload) => payload switch
    {
        Payloads.Dhis2Registrations => _options.CompletenessEndpoint ?? Sibling(_options.Endpoint, "completeDataSetRegistrations"),
        _ => _options.Endpoint,
    };

    /// <summary>DHIS2's registrations endpoint beside its data value sets (…/api/dataValueSets → …/api/completeDataSetRegistrations).</summary>
    private static Uri? Sibling(Uri? endpoint, string resource)
    {
        if (endpoint is null)
        {
            return null;
        }

        var path = endpoint.AbsolutePath.TrimEnd('/');
        return path.EndsWith("/dataValueSets", StringComparison.Ordinal)
            ? new UriBuilder(endpoint) { Path = path[..^"dataValueSets".Length] + resource, Query = endpoint.Query.TrimStart('?') }.Uri
            : null;
    }

    /// <summary>One delivery round of one report. False when the circuit is open (the ministry is failing).</summary>
    private async Task<bool> DeliverAsync(OutboxItem item, CancellationToken stoppingToken)
    {
        if (EndpointFor(item.Payload) is not { } endpoint)
        {
            await _store.MarkRetryAsync(item.Id, "Delivery:CompletenessEndpoint is not set (nor derivable from Delivery:Endpoint …/dataValueSets)", _options.MaxBackoff, CancellationToken.None);
            return true;
        }

        // What the last attempt of this round met, for the operator's view of the delivery.
        string? lastFailure = null;
        string error;
        var circuitOpen = false;
        try
        {
            using var response = await _pipeline.ExecuteAsync(
                async token =>
                {
                    using var request = new HttpRequestMessage(HttpMethod.Post, endpoint) { Content = new ByteArrayContent(item.Content) };
                    request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(item.ContentType);
                    request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
                    request.Headers.Add("Idempotency-Key", item.IdempotencyKey);
                    request.Headers.Add("X-Report-Revision", item.Revision.ToString(System.Globalization.CultureInfo.InvariantCulture));
                    if (_options.Authorization is { Length: > 0 } authorization)
                    {
                        request.Headers.TryAddWithoutValidation("Authorization", authorization);
                    }

                    try
                    {
                        var answer = await _http.SendAsync(request, token);
                        lastFailure = IsTransient(answer.StatusCode) ? $"HTTP {(int)answer.StatusCode}" : null;
                        return answer;
                    }
                    catch (OperationCanceledException) when (token.IsCancellationRequested && !stoppingToken.IsCancellationRequested)
                    {
                        lastFailure = $"no answer within {_options.AttemptTimeout}";
                        throw;
                    }
                    catch (HttpRequestException ex)
                    {
                        lastFailure = ex.Message;
                        throw;
                    }
                },
                stoppingToken);

            var (verdict, reason) = ReceiverAnswer.Judge(response.StatusCode, await response.Content.ReadAsStringAsync(stoppingToken));
            switch (verdict)
            {
                case DeliveryVerdict.Delivered:
                    AggregationTelemetry.OutboxDeliveries.Add(1, new KeyValuePair<string, object?>(AggregationTelemetry.OutcomeTag, "delivered"));
                    await _store.MarkSentAsync(item.Id, CancellationToken.None);
                    return true;
                case DeliveryVerdict.Refused:
                    AggregationTelemetry.OutboxDeliveries.Add(1, new KeyValuePair<string, object?>(AggregationTelemetry.OutcomeTag, "refused"));
                    LogRefused(_logger, item.IdempotencyKey, reason);
                    await _store.MarkFailedAsync(item.Id, reason!, CancellationToken.None);
                    return true;
            }

            error = lastFailure ?? reason ?? $"HTTP {(int)response.StatusCode}";
        }
        catch (BrokenCircuitException)
        {
            circuitOpen = true;
            error = lastFailure is null ? "circuit open: the ministry endpoint has been failing" : $"{lastFailure}; circuit opened";
        }
        catch (Exception ex) when (ex is HttpRequestException or TimeoutRejectedException)
        {
            error = lastFailure ?? ex.Message;
        }

        var backoff = TimeSpan.FromTicks(Math.Min(_options.MaxBackoff.Ticks, _options.Backoff.Ticks * (1L << Math.Min(item.Attempts - 1, 20))));
        backoff *= 0.8 + (Random.Shared.NextDouble() * 0.4);
        AggregationTelemetry.OutboxDeliveries.Add(1, new KeyValuePair<string, object?>(AggregationTelemetry.OutcomeTag, circuitOpen ? "circuit_open" : "retry"));
        LogNotDelivered(_logger, item.IdempotencyKey, error, backoff);
        await _store.MarkRetryAsync(item.Id, error, backoff, CancellationToken.None);
        return !circuitOpen;
    }

    /// <summary>A count once read; none before the first read, so a dashboard shows a gap rather than a false zero.</summary>
    private static IEnumerable<Measurement<long>> Counted(ref long field)
    {
        var value = Volatile.Read(ref field);
        return value < 0 ? [] : [new Measurement<long>(value)];
    }

    private static bool IsTransient(HttpStatusCode status) =>
        (int)status >= 500 || status is HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests;


    [LoggerMessage(EventId = 4811, Level = LogLevel.Warning, Message = "The ministry endpoint keeps failing: deliveries pause for {BreakDuration}")]
    private static partial void LogCircuitOpened(ILogger logger, TimeSpan breakDuration);

    [LoggerMessage(EventId = 4812, Level = LogLevel.Information, Message = "The ministry endpoint answers again: deliveries resume")]
    private static partial void LogCircuitClosed(ILogger logger);

    [LoggerMessage(EventId = 4813, Level = LogLevel.Warning, Message = "Delivery:Endpoint is not set: reports to the ministry wait in the outbox")]
    private static partial void LogNoEndpoint(ILogger logger);

    [LoggerMessage(EventId = 4814, Level = LogLevel.Warning, Message = "The delivery outbox could not be read; trying again in {Interval}")]
    private static partial void LogOutboxUnreadable(ILogger logger, Exception exception, TimeSpan interval);

    [LoggerMessage(EventId = 4815, Level = LogLevel.Error, Message = "The ministry refused report {Key}: {Reason}")]
    private static partial void LogRefused(ILogger logger, string key, string? reason);

    [LoggerMessage(EventId = 4816, Level = LogLevel.Warning, Message = "Report {Key} not delivered ({Error}); next attempt in {Backoff}")]
    private static partial void LogNotDelivered(ILogger logger, string key, string error, TimeSpan backoff);
}
