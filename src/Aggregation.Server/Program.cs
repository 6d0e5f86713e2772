using Aggregation.Server.Hosting;

// Starts the silo and its gRPC endpoint with the catalog in deploy/catalog (Thái Nguyên by default).
var app = AggregationApp.Build(args);
try
{
    await app.RunAsync();
}
catch (Aggregation.CatalogException ex)
{
    Console.Error.WriteLine($"The catalog could not be loaded: {ex.Message}");
    return 1;
}

return 0;
