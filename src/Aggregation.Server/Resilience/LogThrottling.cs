using System.Collections.Concurrent;
using System.Globalization;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Aggregation.Server.Resilience;

/// <summary>Configuration section <c>Logging:Throttle</c>.</summary>
public sealed class LogThrottleOptions
{
    public const string Section = "Logging:Throttle";

    /// <summary>A kind of warning or error (category, event, message template, exception type) is written once per interval; the rest are counted.</summary>
    public TimeSpan Interval { get; set; } = TimeSpan.FromSeconds(30);
}

/// <summary>
/// Keeps an outage from filling the disk: every logging provider is wrapped so that a warning or
/// error of one kind is written once per interval, and the repeats are summed up in one line at
/// the end of the interval ("… 4,512 more times in the last 30 s"). Information and below pass
/// untouched.
/// </summary>
public static class LogThrottling
{
    public static WebApplicationBuilder AddLogThrottling(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var options = builder.Configuration.GetSection(LogThrottleOptions.Section).Get<LogThrottleOptions>() ?? new LogThrottleOptions();
        if (options.Interval <= TimeSpan.Zero)
        {
            return builder;
        }

        var services = builder.Services;
        foreach (var descriptor in services.Where(d => d.ServiceType == typeof(ILoggerProvider)).ToList())
        {
            services.Remove(descriptor);
            services.AddSingleton<ILoggerProvider>(sp => new ThrottlingLoggerProvider(Create(sp, descriptor), options.Interval, TimeProvider.System));
        }

        return builder;
    }

    private static ILoggerProvider Create(IServiceProvider services, ServiceDescriptor descriptor) => (ILoggerProvider)(
        descriptor.ImplementationInstance
        ?? descriptor.ImplementationFactory?.Invoke(services)
        ?? ActivatorUtilities.CreateInstance(services, descriptor.ImplementationType!));
}

/// <summary>Wraps one logging provider (the console, say) with the throttle described on <see cref="LogThrottling"/>.</summary>
public sealed class ThrottlingLoggerProvider : ILoggerProvider, ISupportExternalScope
{
    private const int MaxKinds = 10_000;
    private readonly ILoggerProvider _inner;
    private readonly TimeSpan _interval;
    private readonly TimeProvider _time;
    private readonly ConcurrentDictionary<Kind, Window> _windows = new();
    private readonly ITimer _flush;

    public ThrottlingLoggerProvider(ILoggerProvider inner, TimeSpan interval, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(time);
        _inner = inner;
        _interval = interval;
        _time = time;
        _flush = time.CreateTimer(_ => Flush(), null, interval, interval);
    }

    public ILogger CreateLogger(string categoryName) => new ThrottlingLogger(this, _inner.CreateLogger(categoryName), categoryName);

    public void SetScopeProvider(IExternalScopeProvider scopeProvider)
    {
        if (_inner is ISupportExternalScope scoped)
        {
            scoped.SetScopeProvider(scopeProvider);
        }
    }

    public void Dispose()
    {
        _flush.Dispose();
        Flush(force: true);
        _inner.Dispose();
    }

    /// <summary>Whether this occurrence is the first of its kind in the current interval (then it is written).</summary>
    private bool Admit(Kind kind, ILogger target)
    {
        if (_windows.Count > MaxKinds)
        {
            Flush(force: true);
            _windows.Clear();
        }

        var now = _time.GetTimestamp();
        var window = _windows.GetOrAdd(kind, _ => new Window(target));
        lock (window)
        {
            if (window.Started == 0 || _time.GetElapsedTime(window.Started, now) >= _interval)
            {
                WriteSummary(kind, window);
                window.Started = now;
                return true;
            }

            window.Suppressed++;
            return false;
        }
    }

    private void Flush(bool force = false)
    {
        var now = _time.GetTimestamp();
        foreach (var (kind, window) in _windows)
        {
            lock (window)
            {
                if (window.Suppressed > 0 && (force || _time.GetElapsedTime(window.Started, now) >= _interval))
                {
                    WriteSummary(kind, window);

                    // The repeats go on being counted in a new interval rather than written one by one.
                    window.Started = now;
                }
            }
        }
    }

    private void WriteSummary(Kind kind, Window window)
    {
        if (window.Suppressed == 0)
        {
            return;
        }

        var count = window.Suppressed;
        window.Suppressed = 0;
        var seconds = (int)Math.Round(_interval.TotalSeconds);
        var summary = $"{count.ToString("N0", CultureInfo.InvariantCulture)} more times in the last {seconds} s, not written one by one: {kind.Template}{(kind.ExceptionType is null ? "" : $" ({kind.ExceptionType})")}";

        // Written with the repeated message's own level and event id, so a filter or alert on that
        // event sees its summary too; a [LoggerMessage] has one fixed event id, so the line goes to
        // ILogger.Log as it is. The repeated template is quoted as text, its placeholders unfilled.
        window.Target.Log(kind.Level, new EventId(kind.EventId, kind.EventName), summary, null, static (line, _) => line);
    }

    private readonly record struct Kind(string Category, int EventId, string? EventName, LogLevel Level, string Template, string? ExceptionType);

    private sealed class Window(ILogger target)
    {
        public ILogger Target { get; } = target;

        public long Started { get; set; }

        public int Suppressed { get; set; }
    }

    private sealed class ThrottlingLogger(ThrottlingLoggerProvider owner, ILogger inner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => inner.BeginScope(state);

        public bool IsEnabled(LogLevel logLevel) => inner.IsEnabled(logLevel);

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (logLevel < LogLevel.Warning || !inner.IsEnabled(logLevel))
            {
                inner.Log(logLevel, eventId, state, exception, formatter);
                return;
            }

            var template = state is IReadOnlyList<KeyValuePair<string, object?>> values && values.FirstOrDefault(v => v.Key == "{OriginalFormat}").Value is string format
                ? format
                : formatter(state, exception);
            if (owner.Admit(new Kind(category, eventId.Id, eventId.Name, logLevel, template, exception?.GetType().FullName), inner))
            {
                inner.Log(logLevel, eventId, state, exception, formatter);
            }
        }
    }
}
