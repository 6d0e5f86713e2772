using Aggregation.Server.Hosting;
using Aggregation.Storage;

// Starts the silo and its gRPC endpoint with the catalog in deploy/catalog (Thái Nguyên by default),
// on PostgreSQL (Database:ConnectionString, or a private server started from the installed binaries).
// `migrate` applies the schema and exits (what a deployment's one-shot job runs).
try
{
    if (args.FirstOrDefault() == "migrate")
    {
        return await MigrateCommand.RunAsync(args[1..]);
    }

    var app = AggregationApp.Build(args);
    using var watchdog = Aggregation.Server.Resilience.ShutdownBudget.Watch(app);
    await app.RunAsync();
    return 0;
}
catch (Aggregation.CatalogException ex)
{
    Console.Error.WriteLine($"The catalog could not be loaded: {ex.Message}");
    return 1;
}
catch (PostgresUnavailableException ex)
{
    // The sentence says what to do (install the binaries, stop the other server, fix the connection string).
    Console.Error.WriteLine(ex.Message);
    return 1;
}
catch (IOException ex) when (ex.InnerException is Microsoft.AspNetCore.Connections.AddressInUseException)
{
    // Never two servers on one port: the other is still running (or still stopping; it stops within Shutdown:Timeout).
    Console.Error.WriteLine($"{ex.Message} Another process holds the port: stop it (a stopping server exits within Shutdown:Timeout) or configure other endpoints.");
    return 1;
}
