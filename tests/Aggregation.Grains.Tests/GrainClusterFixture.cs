using System.Text.Json;
using Aggregation.Hierarchy;
using Aggregation.Rollup;
using Aggregation.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Orleans.Runtime;
using Orleans.TestingHost;

namespace Aggregation.Grains.Tests;

/// <summary>
/// One in-process silo for every grain test, wired as the server wires it (AggregationApp.AddSilo
/// with Database:Mode=memory): the catalog, the ledger, rollup options, an in-memory checkpoint
/// store. The grains' clock (which also drives grain timers) is a fake one the tests move by
/// hand, so a flush happens when a test says the time has come, not when a machine gets round to it.
/// </summary>
public sealed class GrainClusterFixture : IAsyncLifetime
{
    public const string ProgrammeId = "prostitution-prevention-2021-2025";

    /// <summary>The bound under test: a child's change reaches its parent at most this long after it is made.</summary>
    public static readonly TimeSpan FlushInterval = TimeSpan.FromSeconds(1);

    public static readonly TimeSpan ChildRetryInterval = TimeSpan.FromSeconds(5);

    private InProcessTestCluster? _cluster;

    public FakeTimeProvider Clock { get; } = new(new DateTimeOffset(2026, 3, 2, 8, 0, 0, TimeSpan.Zero));

    public TestLedger Ledger { get; } = new();

    public InMemoryCheckpointStore Checkpoints { get; } = new();

    public Catalog Catalog { get; } = Catalog.Load(WriteCatalog());

    public IGrainFactory Grains => (_cluster ?? throw new InvalidOperationException("The cluster has not started.")).Client;

    public async Task InitializeAsync()
    {
        var builder = new InProcessTestClusterBuilder(1);
        builder.ConfigureSilo((_, silo) =>
        {
            silo.Services.AddSingleton<ICheckpointStore>(Checkpoints);
            silo.Services.AddSingleton<UnitStartCache>();
            silo.Services.AddSingleton(Catalog);
            silo.Services.AddSingleton<IReportLedger>(Ledger);
            silo.Services.AddSingleton(Options.Create(new RollupOptions
            {
                FlushInterval = FlushInterval,
                ChildRetryInterval = ChildRetryInterval,
            }));

            // Only the grains' clock is fake: membership, messaging and the directory keep real time.
            silo.Services.AddKeyedSingleton<TimeProvider>(TimeProviderNames.Grains, Clock);
        });
        _cluster = builder.Build();
        await _cluster.DeployAsync();
    }

    public async Task DisposeAsync()
    {
        if (_cluster is not null)
        {
            await _cluster.DisposeAsync();
        }
    }

    /// <summary>
    /// A tenant of its own for each test: province, one district, two communes. A unit's activation
    /// activates its parent, and up to the nation each parent pulls every child, so tests sharing
    /// the silo keep apart only by having trees of their own.
    /// </summary>
    public static readonly string[] Tenants = ["flush", "rebuild", "retry", "reload", "clash", "observe"];

    public static Tree TreeOf(string tenant)
    {
        var province = (90 + Array.IndexOf(Tenants, tenant)).ToString(System.Globalization.CultureInfo.InvariantCulture);
        return new Tree(tenant, province, province + "1", province + "101", province + "102");
    }

    public IUnitGrain Unit(string tenant, string code) => Grains.GetGrain<IUnitGrain>(new UnitKey(tenant, code).GrainKey);

    private static string WriteCatalog()
    {
        var directory = Directory.CreateTempSubdirectory("aggregation-grain-tests-").FullName;
        var units = new System.Text.StringBuilder("code,name,level,parent_code,type\n");
        foreach (var tree in Tenants.Select(TreeOf))
        {
            units.Append(tree.Province).Append(",Tỉnh ").Append(tree.Tenant).Append(",province,,Tỉnh\n");
            units.Append(tree.District).Append(",Huyện ").Append(tree.Tenant).Append(",district,").Append(tree.Province).Append(",Huyện\n");
            units.Append(tree.CommuneA).Append(",Xã A ").Append(tree.Tenant).Append(",commune,").Append(tree.District).Append(",Xã\n");
            units.Append(tree.CommuneB).Append(",Xã B ").Append(tree.Tenant).Append(",commune,").Append(tree.District).Append(",Xã\n");
        }

        File.WriteAllText(Path.Combine(directory, "units.csv"), units.ToString());
        var programmes = Path.Combine(directory, "programmes");
        Directory.CreateDirectory(programmes);
        File.Copy(Path.Combine(AppContext.BaseDirectory, "programmes", ProgrammeId + ".json"), Path.Combine(programmes, ProgrammeId + ".json"));
        File.WriteAllText(Path.Combine(directory, "tenants.json"), JsonSerializer.Serialize(new
        {
            hierarchy = "units.csv",
            programmes = new[] { $"programmes/{ProgrammeId}.json" },
            defaultTenant = Tenants[0],
            tenants = Tenants.Select(t => new { id = t, name = new { vi = t, en = t }, provinces = new[] { TreeOf(t).Province }, programmes = new[] { ProgrammeId } }),
        }));
        return directory;
    }
}

/// <summary>One test's units: a province with one district of two communes.</summary>
public sealed record Tree(string Tenant, string Province, string District, string CommuneA, string CommuneB);

[CollectionDefinition(Name)]
public sealed class GrainCluster : ICollectionFixture<GrainClusterFixture>
{
    public const string Name = "grain cluster";
}

/// <summary>A second silo, for tests that need units nothing has activated yet.</summary>
[CollectionDefinition(Name)]
public sealed class FreshGrainCluster : ICollectionFixture<GrainClusterFixture>
{
    public const string Name = "fresh grain cluster";
}
