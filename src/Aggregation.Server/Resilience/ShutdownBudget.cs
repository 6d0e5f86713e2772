using System.ComponentModel.DataAnnotations;
using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Aggregation.Server.Resilience;

/// <summary>Configuration section <c>Shutdown</c>.</summary>
public sealed class ShutdownOptions
{
    public const string Section = "Shutdown";

    /// <summary>
    /// Longest a stop may take, whatever the database does: the silo leaves the cluster, open
    /// streams end, the private PostgreSQL stops. When it is spent the process ends itself, so a
    /// restarted server never finds the old one still holding its ports.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:03", "01:00:00")]
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The part of <see cref="Timeout"/> kept for stopping the private PostgreSQL after the silo.</summary>
    public TimeSpan DatabaseShare => TimeSpan.FromTicks(Math.Min(TimeSpan.FromSeconds(10).Ticks, Timeout.Ticks / 3));
}

/// <summary>Bounds the server's shutdown by <see cref="ShutdownOptions.Timeout"/>.</summary>
public static partial class ShutdownBudget
{
    public static ShutdownOptions AddShutdownBudget(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var options = builder.Configuration.GetSection(ShutdownOptions.Section).Get<ShutdownOptions>() ?? new ShutdownOptions();
        Validator.ValidateObject(options, new ValidationContext(options), validateAllProperties: true);

        // The host cancels every hosted service's stop (the silo's included) when its share is spent;
        // Orleans then stops without waiting for the cluster to acknowledge.
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = options.Timeout - options.DatabaseShare);
        builder.Services.AddSingleton(options);
        return options;
    }

    /// <summary>
    /// The last resort: if a stop is still running when the whole budget is spent, the process ends
    /// itself (a PostgreSQL it leaves behind is stopped by the next start). Only for the server's
    /// own process (Program), never for a server hosted inside another program such as a test run.
    /// The budget counts from the signal itself (SIGTERM, SIGINT, SIGQUIT), not from the host's
    /// stopping callbacks, which run one after another and may be late; and the watchdog is a thread
    /// of its own, not a timer of the thread pool, which a server under load keeps saturated.
    /// </summary>
    /// <returns>The signal registrations, to keep alive while the server runs.</returns>
    public static IDisposable Watch(WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var options = app.Services.GetRequiredService<ShutdownOptions>();
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(ShutdownBudget).FullName!);
        var watchdog = new Watchdog(options.Timeout);
        var registrations = new[] { PosixSignal.SIGTERM, PosixSignal.SIGINT, PosixSignal.SIGQUIT }
            .Select(signal => PosixSignalRegistration.Create(signal, _ => watchdog.Start()))
            .ToArray();

        // Any other stop (the host ending by itself) starts it too; a started watchdog is not restarted.
        app.Lifetime.ApplicationStopping.Register(() =>
        {
            watchdog.Start();
            LogStopping(logger, options.Timeout.TotalSeconds);
        });
        return new Registrations(registrations);
    }

    private sealed class Watchdog(TimeSpan budget)
    {
        private int _started;

        public void Start()
        {
            if (Interlocked.Exchange(ref _started, 1) == 1)
            {
                return;
            }

            var started = Stopwatch.StartNew();
            new Thread(() =>
            {
                // A little before the budget: ending the process and the caller noticing take a moment too.
                Thread.Sleep(budget - TimeSpan.FromMilliseconds(250));

                // Straight to standard error: the console logger writes from a queue that a kill would lose.
                Console.Error.WriteLine($"Aggregation: the shutdown was still running after its budget of {budget.TotalSeconds:0} s ({started.Elapsed.TotalSeconds:0.0} s); ending the process now.");
                Console.Error.Flush();
                Process.GetCurrentProcess().Kill();
            })
            {
                IsBackground = true,
                Name = "Shutdown watchdog",
            }.Start();
        }
    }

    private sealed class Registrations(PosixSignalRegistration[] registrations) : IDisposable
    {
        public void Dispose()
        {
            foreach (var registration in registrations)
            {
                registration.Dispose();
            }
        }
    }

    [LoggerMessage(EventId = 4301, Level = LogLevel.Information, Message = "Stopping (budget {Seconds} s)")]
    private static partial void LogStopping(ILogger logger, double seconds);
}
