using Aggregation.Storage;

namespace Aggregation.Server.Hosting;

/// <summary><c>Aggregation.Server migrate</c>: applies the schema to Database:ConnectionString and exits.</summary>
public static class MigrateCommand
{
    public static async Task<int> RunAsync(string[] args)
    {
        var configuration = new ConfigurationBuilder()
            .SetBasePath(AppContext.BaseDirectory)
            .AddJsonFile("appsettings.json", optional: true)
            .AddEnvironmentVariables()
            .AddCommandLine(args)
            .Build();
        var connectionString = configuration[$"{DatabaseOptions.Section}:ConnectionString"];
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            Console.Error.WriteLine("migrate needs Database:ConnectionString (environment: Database__ConnectionString).");
            return 2;
        }

        using var loggers = LoggerFactory.Create(b => b.AddConsole());
        IReadOnlyList<string> applied;
        try
        {
            applied = await DatabaseMigrator.MigrateAsync(connectionString, loggers.CreateLogger("Aggregation.Migrate"));
        }
        catch (Exception ex) when (StorageAvailability.IsUnreachable(ex))
        {
            // Program.cs prints the sentence and exits 1; the deployment's job retries.
            throw PostgresUnavailableException.Unreachable(connectionString, ex);
        }

        Console.WriteLine(applied.Count == 0 ? "Schema up to date." : $"Applied: {string.Join(", ", applied)}");
        return 0;
    }
}
