using Aggregation.Protos.V1;
using Aggregation.Server.Hosting;
using Aggregation.Storage;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Aggregation.IntegrationTests;

/// <summary>
/// A real server (silo + gRPC endpoint) on free loopback ports, with the shipped catalog. Each test
/// class gets its own, so figures never leak between classes.
/// </summary>
public class ServerFixture : IAsyncLifetime
{
    public const string Programme = "prostitution-prevention-2021-2025";
    public const string ProvinceCode = "19";

    private WebApplication? _app;

    /// <summary>Calls as the tenant's operator (<see cref="TestCredentials.Operator"/>).</summary>
    public GrpcChannel Channel { get; private set; } = null!;

    /// <summary>Calls as the ministry: the only caller that reads the nation.</summary>
    public GrpcChannel MinistryChannel { get; private set; } = null!;

    public string Address { get; private set; } = "";

    /// <summary>The HTTP/1.1 endpoint serving the dashboard.</summary>
    public string WebAddress { get; private set; } = "";

    public Protos.V1.Ingestion.IngestionClient Ingestion => new(Channel);

    public Rollups.RollupsClient Rollups => new(Channel);

    public Protos.V1.Subscriptions.SubscriptionsClient Subscriptions => new(Channel);

    public Protos.V1.Catalog.CatalogClient Catalog => new(Channel);

    /// <summary>When set, the reporting calendar's "today" (what counts as a future period).</summary>
    protected virtual DateTimeOffset? Today => null;

    /// <summary>Arguments after the defaults (a later value of the same setting wins).</summary>
    protected virtual IEnumerable<string> ExtraArguments => [];

    public string ConnectionString { get; private set; } = "";

    /// <summary>The server's services, for tests that wait on its state rather than on time.</summary>
    public IServiceProvider Services => _app?.Services ?? throw new InvalidOperationException("The server has not started.");

    /// <summary>The reporting calendar's clock when <see cref="Today"/> is set; tests move it.</summary>
    public FakeTimeProvider? Clock { get; private set; }

    public async Task InitializeAsync()
    {
        ConnectionString = await TestPostgres.CreateDatabaseAsync();
        string[] args = [.. Arguments(out var address, out var webAddress, ConnectionString), .. ExtraArguments];
        Address = address;
        WebAddress = webAddress;
        _app = await AggregationApp.BuildAsync(args, builder =>
        {
            if (Today is { } today)
            {
                Clock = new FakeTimeProvider(today);
                builder.Services.AddSingleton(new ReportingClock(Clock));
            }
        });
        await _app.StartAsync();
        Channel = TestCredentials.Channel(Address, TestCredentials.Operator);
        MinistryChannel = TestCredentials.Channel(Address, TestCredentials.Ministry);
    }

    /// <summary>A channel to this server calling with <paramref name="grant"/>.</summary>
    public GrpcChannel ChannelFor(Aggregation.Security.AccessGrant grant) => TestCredentials.Channel(Address, grant);

    public virtual async Task DisposeAsync()
    {
        Channel?.Dispose();
        MinistryChannel?.Dispose();
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }

        // Idle pooled connections to this fixture's database would otherwise pile up across the run.
        Npgsql.NpgsqlConnection.ClearAllPools();
    }

    /// <summary>Command-line arguments of a server on free loopback ports over the given database.</summary>
    public static string[] Arguments(out string address, string connectionString) =>
        Arguments(out address, out _, connectionString);

    public static string[] Arguments(out string address, out string webAddress, string connectionString)
    {
        address = $"http://127.0.0.1:{LoopbackPorts.Take()}";
        webAddress = $"http://127.0.0.1:{LoopbackPorts.Take()}";
        return
        [
            $"--Kestrel:Endpoints:Web:Url={webAddress}",
            $"--Kestrel:Endpoints:Grpc:Url={address}",
            "--Kestrel:Endpoints:Grpc:Protocols=Http2",
            $"--Orleans:SiloPort={LoopbackPorts.Take()}",
            $"--Orleans:GatewayPort={LoopbackPorts.Take()}",
            $"--Orleans:ClusterId=test-{Guid.NewGuid():N}",
            "--Rollup:FlushInterval=00:00:00.010",
            "--Subscriptions:HeartbeatInterval=00:00:01",
            "--Subscriptions:RenewInterval=00:00:02",
            $"--Catalog:Directory={Path.Combine(AppContext.BaseDirectory, "catalog")}",
            "--Logging:LogLevel:Default=Warning",
            $"--Database:ConnectionString={connectionString}",
            .. TestCredentials.ServerArguments,
        ];
    }

    /// <summary>Reads as the operator, or as the ministry for the nation.</summary>
    public async Task<UnitRollup> ReadAsync(string unit, string period, bool children = false) =>
        (await new Rollups.RollupsClient(unit == "VN" ? MinistryChannel : Channel).GetRollupAsync(new GetRollupRequest { UnitCode = unit, ProgrammeId = Programme, Period = period, IncludeChildren = children })).Rollup;

}

/// <summary>A server whose reporting calendar says it is 15 June 2025, so later 2025 periods are in the future.</summary>
public sealed class MidPlanServerFixture : ServerFixture
{
    public static readonly DateTimeOffset Now = new(2025, 6, 15, 8, 0, 0, TimeSpan.Zero);

    protected override DateTimeOffset? Today => Now;
}

/// <summary>
/// Two tenants on one deployment: Thái Nguyên (province 19) and Bắc Kạn (province 06), both running
/// the shipped programme.
/// </summary>
public class TwoTenantServerFixture : ServerFixture
{
    public const string OtherTenant = "bac-kan";

    private static readonly Lazy<string> Directory = new(() => CatalogCopy.Create(target =>
    {
        File.Copy(Path.Combine(target, "mappings", "thai-nguyen.json"), Path.Combine(target, "mappings", OtherTenant + ".json"));
        File.WriteAllText(Path.Combine(target, "tenants.json"), $$"""
        {
          "hierarchy": "units-2021-2025.csv",
          "programmes": [ "programmes/{{Programme}}.json" ],
          "defaultTenant": "thai-nguyen",
          "tenants": [
            { "id": "thai-nguyen", "name": { "vi": "Sở LĐTBXH tỉnh Thái Nguyên" }, "provinces": [ "19" ], "programmes": [ "{{Programme}}" ] },
            { "id": "{{OtherTenant}}", "name": { "vi": "Sở LĐTBXH tỉnh Bắc Kạn" }, "provinces": [ "06" ], "programmes": [ "{{Programme}}" ] }
          ]
        }
        """);
    }));

    protected override IEnumerable<string> ExtraArguments => [$"--Catalog:Directory={Directory.Value}"];
}

/// <summary>A copy of the shipped catalog in a temporary folder, changed by the caller.</summary>
public static class CatalogCopy
{
    private static readonly Lazy<string> Provisional = new(() => Create(SendProvisionalReports));

    /// <summary>
    /// The shipped catalog with Thái Nguyên sending provisional figures to the ministry: for tests of
    /// how reports are scheduled, revised and delivered, which need reports without approving them.
    /// </summary>
    public static string WithProvisionalReports => Provisional.Value;

    /// <summary>Sets Thái Nguyên's tenants.json entry to send figures not yet approved (marked as provisional).</summary>
    public static void SendProvisionalReports(string target)
    {
        var path = Path.Combine(target, "tenants.json");
        var text = File.ReadAllText(path);
        const string entry = "\"id\": \"thai-nguyen\",";
        if (!text.Contains(entry, StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"{path} has no {entry} entry to change.");
        }

        File.WriteAllText(path, text.Replace(entry, entry + " \"ministryReports\": \"provisional\",", StringComparison.Ordinal));
    }

    public static string Create(Action<string> change)
    {
        ArgumentNullException.ThrowIfNull(change);
        var source = Path.Combine(AppContext.BaseDirectory, "catalog");
        var target = Directory.CreateTempSubdirectory("catalog-").FullName;
        foreach (var file in Directory.EnumerateFiles(source, "*", SearchOption.AllDirectories))
        {
            var copy = Path.Combine(target, Path.GetRelativePath(source, file));
            Directory.CreateDirectory(Path.GetDirectoryName(copy)!);
            File.Copy(file, copy);
        }

        change(target);
        return target;
    }
}
