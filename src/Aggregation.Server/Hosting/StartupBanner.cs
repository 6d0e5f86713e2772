using Aggregation.Server.Security;

namespace Aggregation.Server.Hosting;

/// <summary>
/// What an operator needs once the server is up, in its start log: where the dashboard and the
/// gRPC endpoint are, where the signing-key file is, and the command that makes a token with it.
/// </summary>
public static partial class StartupBanner
{
    public static WebApplication LogWhereToStart(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.Lifetime.ApplicationStarted.Register(() =>
        {
            var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(StartupBanner).FullName!);
            var configuration = app.Configuration;
            var grpc = configuration["Kestrel:Endpoints:Grpc:Url"] ?? "";
            var web = (configuration["Kestrel:Endpoints:Web:Url"] ?? "").TrimEnd('/');
            var tenant = app.Services.GetRequiredService<Hierarchy.Catalog>().DefaultTenant;
            var keys = app.Services.GetRequiredService<TokenKeys>();
            if (web.Length > 0)
            {
                LogDashboard(logger, web + "/", web + "/#token=<token>");
            }

            if (grpc.Length > 0)
            {
                LogGrpc(logger, grpc);
            }

            if (keys.KeyFile is { } file)
            {
                // The token command is built only to be logged. It is a local because CA1873 does not yet
                // see an IsEnabled guard around a [LoggerMessage] call (dotnet/sdk#50893).
                if (logger.IsEnabled(LogLevel.Information))
                {
                    var command = $"aggregation token --tenant {tenant} --role viewer{(file == Aggregation.Security.SigningKeyFile.DefaultPath() ? "" : " --key-file " + file)}";
                    LogTokenFromFile(logger, file, command);
                }
            }
            else
            {
                LogTokenFromConfiguration(logger, $"aggregation token --from-server --role viewer --token <an admin token>");
            }
        });
        return app;
    }

    [LoggerMessage(EventId = 4501, Level = LogLevel.Information, Message = "Dashboard: {Dashboard} (open {WithToken} with a viewer token: the command below makes one)")]
    private static partial void LogDashboard(ILogger logger, string dashboard, string withToken);

    [LoggerMessage(EventId = 4502, Level = LogLevel.Information, Message = "gRPC endpoint (the aggregation CLI's --server or AGGREGATION_SERVER): {Address}")]
    private static partial void LogGrpc(ILogger logger, string address);

    [LoggerMessage(EventId = 4503, Level = LogLevel.Information, Message = "Signing-key file: {KeyFile}. A token, on this machine: {Command}")]
    private static partial void LogTokenFromFile(ILogger logger, string keyFile, string command);

    [LoggerMessage(EventId = 4504, Level = LogLevel.Information, Message = "Signing keys come from Security:Jwt:SigningKeys (no key file). A tenant admin issues tokens with: {Command}")]
    private static partial void LogTokenFromConfiguration(ILogger logger, string command);
}
