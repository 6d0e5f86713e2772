using Aggregation.Hierarchy;
using Aggregation.Protos.V1;
using Aggregation.Security;
using Aggregation.Server.Hosting;
using Aggregation.Storage;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Logging.Abstractions;
using Catalog = Aggregation.Hierarchy.Catalog;

/// <summary>
/// The product under measurement: a private PostgreSQL for the run (shared with the baselines), the
/// server hosted in this process, and the calls the phases make to it as district systems and the
/// ministry would.
/// </summary>
internal sealed class NationalRun
{
    public const string ProgrammeId = "prostitution-prevention-2021-2025";

    private readonly string _pgDirectory;
    private readonly string[] _serverArgs;
    private readonly string _address;

    private NationalRun(Catalog catalog, Dataset data, string pgDirectory, EmbeddedPostgres postgres, string connectionString, string address, string[] serverArgs, Dictionary<string, Metadata> tokens, Metadata ministry)
    {
        Catalog = catalog;
        Data = data;
        _pgDirectory = pgDirectory;
        Postgres = postgres;
        ConnectionString = connectionString;
        _address = address;
        _serverArgs = serverArgs;
        Tokens = tokens;
        Ministry = ministry;
        ProbeProvince = data.Provinces.FirstOrDefault(p => p.Key.Tenant == catalog.DefaultTenant) ?? data.Provinces[0];
    }

    public Catalog Catalog { get; }

    public Dataset Data { get; }

    public int LastYear => Data.LastYear;

    public EmbeddedPostgres Postgres { get; }

    public string ConnectionString { get; }

    /// <summary>Submitter and viewer credentials of each tenant.</summary>
    public Dictionary<string, Metadata> Tokens { get; }

    /// <summary>The ministry's credential: reads the nation and, with a tenant header, any tenant.</summary>
    public Metadata Ministry { get; }

    /// <summary>The province whose figures are checked, read, probed for freshness: Thái Nguyên's when it is in the sample.</summary>
    public AdminUnit ProbeProvince { get; }

    public WebApplication App { get; private set; } = null!;

    public GrpcChannel Channel { get; private set; } = null!;

    public Ingestion.IngestionClient IngestionApi { get; private set; } = null!;

    public Rollups.RollupsClient RollupsApi { get; private set; } = null!;

    public static async Task<NationalRun> StartAsync(Catalog catalog, string catalogDirectory, Dataset data)
    {
        var pgDirectory = Path.Combine(Path.GetTempPath(), $"aggregation-national-{Environment.ProcessId}");
        var postgres = await EmbeddedPostgres.StartAsync(pgDirectory, NullLogger.Instance);
        await DatabaseMigrator.EnsureDatabaseAsync(postgres.ConnectionString(), "aggregation");
        var connectionString = postgres.ConnectionString("aggregation");
        var key = SigningKey.Generate();
        var address = $"http://127.0.0.1:{Machine.FreePort()}";
        string[] serverArgs =
        [
            $"--Kestrel:Endpoints:Grpc:Url={address}", "--Kestrel:Endpoints:Grpc:Protocols=Http2",
            $"--Kestrel:Endpoints:Web:Url=http://127.0.0.1:{Machine.FreePort()}",
            $"--Orleans:SiloPort={Machine.FreePort()}", $"--Orleans:GatewayPort={Machine.FreePort()}",
            $"--Catalog:Directory={catalogDirectory}", "--Catalog:AllProvinces=true",
            "--Logging:LogLevel:Default=Warning",
            $"--Database:ConnectionString={connectionString}",
            $"--Security:Jwt:SigningKeys:0:Id={key.Id}", $"--Security:Jwt:SigningKeys:0:Secret={Convert.ToBase64String(key.Secret)}",
            "--Security:Limits:CallsPerSecond=1000000", "--Security:Limits:Burst=1000000", "--Security:Limits:ConcurrentCalls=100000",
        ];
        var tokens = catalog.Tenants.Keys.ToDictionary(t => t, t => new Metadata { { "authorization", "Bearer " + TokenIssuer.Issue(new AccessGrant("bench", t, [Roles.Submitter, Roles.Viewer]), key, TimeSpan.FromHours(24)) } });
        var ministry = new Metadata { { "authorization", "Bearer " + TokenIssuer.Issue(new AccessGrant("bench-ministry", AccessClaims.AllTenants, [Roles.Ministry]), key, TimeSpan.FromHours(24)) } };
        var run = new NationalRun(catalog, data, pgDirectory, postgres, connectionString, address, serverArgs, tokens, ministry);
        await run.StartServerAsync();
        return run;
    }

    /// <summary>Builds and starts the server on the run's database and ports, with fresh clients.</summary>
    public async Task StartServerAsync()
    {
        App = await AggregationApp.BuildAsync(_serverArgs);
        await App.StartAsync();
        Channel = GrpcChannel.ForAddress(_address);
        IngestionApi = new Ingestion.IngestionClient(Channel);
        RollupsApi = new Rollups.RollupsClient(Channel);
    }

    /// <summary>Stops the server; the database keeps running.</summary>
    public async Task StopServerAsync()
    {
        Channel.Dispose();
        await App.StopAsync();
        await App.DisposeAsync();
    }

    /// <summary>Stops the server and the database, and deletes the database's folder.</summary>
    public async Task StopAsync()
    {
        await StopServerAsync();
        await Postgres.StopAsync();
        Directory.Delete(_pgDirectory, recursive: true);
    }

    public Metadata MinistryIn(string tenant) => [.. Ministry, new Metadata.Entry("x-tenant-id", tenant)];

    /// <summary>The unit's figures for the last year, as the ministry reads them.</summary>
    public async Task<UnitRollup> Read(string unit, string tenant) =>
        (await RollupsApi.GetRollupAsync(new GetRollupRequest { UnitCode = unit, ProgrammeId = ProgrammeId, Period = $"{LastYear}" }, MinistryIn(tenant))).Rollup;

    public async Task<bool> NationEqualsAsync(List<long> expected)
    {
        try
        {
            return (await RollupsApi.GetRollupAsync(new GetRollupRequest { UnitCode = "VN", ProgrammeId = ProgrammeId, Period = $"{LastYear}" }, Ministry)).Rollup.Values.Select(v => v.Value).SequenceEqual(expected);
        }
        catch (RpcException ex) when (ex.StatusCode is StatusCode.Unavailable or StatusCode.Internal or StatusCode.DeadlineExceeded)
        {
            // Still warming up.
            return false;
        }
    }

    public async Task<UnitRollup> WaitSettledAsync(string unit, string tenant)
    {
        // Rollups settle within the flush bound per level after the last acknowledgement; read until two reads a second apart agree.
        var previous = (await RollupsApi.GetRollupAsync(new GetRollupRequest { UnitCode = unit, ProgrammeId = ProgrammeId, Period = $"{LastYear}" }, MinistryIn(tenant))).Rollup;
        while (true)
        {
            await Task.Delay(1000);
            var current = (await RollupsApi.GetRollupAsync(new GetRollupRequest { UnitCode = unit, ProgrammeId = ProgrammeId, Period = $"{LastYear}" }, MinistryIn(tenant))).Rollup;
            if (current.Version == previous.Version)
            {
                return current;
            }

            previous = current;
        }
    }

    // A month of the last year in which the commune is in force (one merged on 1 July reports January–June).
    public string MonthOf(AdminUnit commune, Random random)
    {
        var months = Enumerable.Range(1, 12).Where(m => commune.InForceOn(new DateOnly(LastYear, m, 1))).ToList();
        return $"{LastYear}-{months[random.Next(months.Count)]:D2}";
    }

    /// <summary>A one-value report of a commune, as a district system sends one at a time.</summary>
    public static Report Unary(AdminUnit commune, string period, string element, long value) => new()
    {
        IdempotencyKey = Guid.NewGuid().ToString("N"),
        UnitCode = commune.Code,
        ProgrammeId = ProgrammeId,
        Period = period,
        ReportedAt = Timestamp.FromDateTime(DateTime.UtcNow),
        SourceSystem = "bench",
        Values = { new DataValue { DataElement = element, Number = value } },
    };
}
