using System.ComponentModel.DataAnnotations;
using System.Diagnostics;

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
    /// </summary>
    public static void Watch(WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var options = app.Services.GetRequiredService<ShutdownOptions>();
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(ShutdownBudget).FullName!);
        app.Lifetime.ApplicationStopping.Register(() =>
        {
            var started = Stopwatch.StartNew();
            LogStopping(logger, options.Timeout.TotalSeconds);
            _ = Task.Run(async () =>
            {
                // A little before the budget: ending the process and the caller noticing take a moment too.
                await Task.Delay(options.Timeout - TimeSpan.FromMilliseconds(250));

                // Straight to standard error: the console logger writes from a queue that a kill would lose.
                await Console.Error.WriteLineAsync($"Aggregation: the shutdown was still running after its budget of {options.Timeout.TotalSeconds:0} s ({started.Elapsed.TotalSeconds:0.0} s); ending the process now.");
                await Console.Error.FlushAsync();
                Process.GetCurrentProcess().Kill();
            });
        });
    }

    [LoggerMessage(EventId = 4301, Level = LogLevel.Information, Message = "Stopping (budget {Seconds} s)")]
    private static partial void LogStopping(ILogger logger, double seconds);
}
