using Aggregation.Hierarchy;
using Aggregation.Protos.V1;
using Aggregation.Security;
using Aggregation.Storage;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.Extensions.Logging.Abstractions;
using Catalog = Aggregation.Hierarchy.Catalog;

/// <summary>
/// The product under measurement: a private PostgreSQL for the run (shared with the baselines), the
/// server in separate silo processes (Silos.cs), and the calls the phases make to it as district
/// systems and the ministry would, spread round-robin over the silos' gRPC endpoints.
/// </summary>
internal sealed class NationalRun
{
    public const string ProgrammeId = "prostitution-prevention-2021-2025";

    private readonly string _pgDirectory;
    private GrpcChannel[] _channels = [];
    private Ingestion.IngestionClient[] _ingestion = [];
    private Rollups.RollupsClient[] _rollups = [];
    private int _nextSilo;

    private NationalRun(Catalog catalog, Dataset data, string pgDirectory, EmbeddedPostgres postgres, string connectionString, Silos silos, Dictionary<string, Metadata> tokens, Metadata ministry)
    {
        Catalog = catalog;
        Data = data;
        _pgDirectory = pgDirectory;
        Postgres = postgres;
        ConnectionString = connectionString;
        Silos = silos;
        Tokens = tokens;
        Ministry = ministry;
        ProbeProvince = data.Provinces.FirstOrDefault(p => p.Key.Tenant == catalog.DefaultTenant) ?? data.Provinces[0];
        // A 2025-07 commune has no month in a last year before it (a run of fewer than 55 months).
        ReportingCommunes = [.. data.Communes.Where(c => Enumerable.Range(1, 12).Any(m => c.InForceOn(new DateOnly(LastYear, m, 1))))];
    }

    public Catalog Catalog { get; }

    public Dataset Data { get; }

    public int LastYear => Data.LastYear;

    public EmbeddedPostgres Postgres { get; }

    public string ConnectionString { get; }

    /// <summary>The communes in force in some month of the last year: those unary submissions come from.</summary>
    public List<AdminUnit> ReportingCommunes { get; }

    /// <summary>Submitter and viewer credentials of each tenant.</summary>
    public Dictionary<string, Metadata> Tokens { get; }

    /// <summary>The ministry's credential: reads the nation and, with a tenant header, any tenant.</summary>
    public Metadata Ministry { get; }

    /// <summary>The province whose figures are checked, read, probed for freshness: Thái Nguyên's when it is in the sample.</summary>
    public AdminUnit ProbeProvince { get; }

    /// <summary>The server's processes.</summary>
    public Silos Silos { get; }

    /// <summary>The first silo's channel (the freshness probe's subscription).</summary>
    public GrpcChannel Channel => _channels[0];

    /// <summary>Ingestion through the next silo in turn.</summary>
    public Ingestion.IngestionClient IngestionApi => _ingestion[NextSilo()];

    /// <summary>Reads through the next silo in turn.</summary>
    public Rollups.RollupsClient RollupsApi => _rollups[NextSilo()];

    public static async Task<NationalRun> StartAsync(Catalog catalog, string catalogDirectory, Dataset data, BenchOptions options)
    {
        var pgDirectory = Path.Combine(Path.GetTempPath(), $"aggregation-national-{Environment.ProcessId}");
        var postgres = await EmbeddedPostgres.StartAsync(pgDirectory, NullLogger.Instance);
        await DatabaseMigrator.EnsureDatabaseAsync(postgres.ConnectionString(), "aggregation");
        var connectionString = postgres.ConnectionString("aggregation");
        var key = SigningKey.Generate();
        // What every silo shares; Silos adds each one's ports. Arguments given with --server-arg come last and win.
        string[] serverArgs =
        [
            $"--Catalog:Directory={catalogDirectory}", "--Catalog:AllProvinces=true",
            "--Logging:LogLevel:Default=Warning",
            $"--Database:ConnectionString={connectionString}",
            $"--Security:Jwt:SigningKeys:0:Id={key.Id}", $"--Security:Jwt:SigningKeys:0:Secret={Convert.ToBase64String(key.Secret)}",
            // The load is offered open loop: calls the server would refuse as over its admission limits
            // would be missing from the latencies (and end the run), so the limits are out of the way.
            "--Security:Limits:CallsPerSecond=1000000", "--Security:Limits:Burst=1000000", "--Security:Limits:ConcurrentCalls=100000",
            "--Security:Limits:TenantCallsPerSecond=1000000", "--Security:Limits:TenantBurst=1000000", "--Security:Limits:TenantConcurrentCalls=100000",
            "--Security:Limits:SiloConcurrentCalls=100000",
            .. options.ServerArgs,
        ];
        var tokens = catalog.Tenants.Keys.ToDictionary(t => t, t => new Metadata { { "authorization", "Bearer " + TokenIssuer.Issue(new AccessGrant("bench", t, [Roles.Submitter, Roles.Viewer]), key, TimeSpan.FromHours(24)) } });
        var ministry = new Metadata { { "authorization", "Bearer " + TokenIssuer.Issue(new AccessGrant("bench-ministry", AccessClaims.AllTenants, [Roles.Ministry]), key, TimeSpan.FromHours(24)) } };
        // The silos' output goes to files kept after the run (the database's folder is deleted).
        var logDirectory = Directory.CreateDirectory(pgDirectory + "-logs").FullName;
        var silos = new Silos(options.Silos, serverArgs, logDirectory);
        var run = new NationalRun(catalog, data, pgDirectory, postgres, connectionString, silos, tokens, ministry);
        await run.StartServerAsync(newDatabase: true);
        return run;
    }

    /// <summary>Starts the silos on the run's database and ports, waits until each is ready, with fresh clients.</summary>
    public async Task StartServerAsync(bool newDatabase = false)
    {
        await Silos.StartAsync(firstAlone: newDatabase);
        _channels = [.. Silos.Addresses.Select(a => GrpcChannel.ForAddress(a))];
        _ingestion = [.. _channels.Select(c => new Ingestion.IngestionClient(c))];
        _rollups = [.. _channels.Select(c => new Rollups.RollupsClient(c))];
    }

    /// <summary>Stops every silo; the database keeps running.</summary>
    public async Task StopServerAsync()
    {
        foreach (var channel in _channels)
        {
            channel.Dispose();
        }

        await Silos.StopAsync();
    }

    /// <summary>Stops the server and the database, and deletes the database's folder (its log, with PostgreSQL's checkpoints, is kept beside the silos').</summary>
    public async Task StopAsync()
    {
        await StopServerAsync();
        Silos.Dispose();
        await Postgres.StopAsync();
        var log = Path.Combine(_pgDirectory, "server.log");
        if (File.Exists(log))
        {
            File.Copy(log, Path.Combine(_pgDirectory + "-logs", "postgres.log"), overwrite: true);
        }

        Directory.Delete(_pgDirectory, recursive: true);
    }

    private int NextSilo() => (int)((uint)Interlocked.Increment(ref _nextSilo) % (uint)_channels.Length);

    /// <summary>CPU seconds so far of the silos, this process and PostgreSQL.</summary>
    public CpuTimes Cpu() => new(Silos.CpuSeconds(), Machine.ProcessCpuSeconds(Environment.ProcessId, children: false), Machine.PostgresCpuSeconds(Postgres));

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
