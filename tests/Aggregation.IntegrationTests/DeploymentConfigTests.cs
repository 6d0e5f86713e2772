using System.Reflection;
using Aggregation.Rollup;
using Aggregation.Server.Hosting;
using Aggregation.Storage;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Abstractions;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;
using YamlDotNet.Serialization;

namespace Aggregation.IntegrationTests;

/// <summary>
/// What can be checked without running deploy/: every setting the compose file and the Kubernetes
/// manifests give binds to a real option with the intended value, ports and names agree across
/// files, and the schema applies cleanly and idempotently. The Kubernetes manifests are checked only
/// here (no cluster); the compose file also runs for real under podman (ContainerDeploymentTests).
/// </summary>
public sealed class DeploymentConfigTests
{
    private static readonly string Deploy = Path.Combine(RepositoryRoot(), "deploy");

    /// <summary>Variables read by Orleans.Hosting.Kubernetes itself rather than by configuration binding.</summary>
    private static readonly string[] PodVariables = ["ORLEANS_SERVICE_ID", "ORLEANS_CLUSTER_ID", "POD_NAMESPACE", "POD_NAME", "POD_IP"];

    [Fact]
    public void Every_compose_silo_setting_binds_to_a_server_option_and_each_silo_has_ports_of_its_own()
    {
        // What compose does with ${NAME:-default} when NAME is not set.
        var compose = Yaml(Path.Combine(Deploy, "compose", "compose.yaml")).Single();
        var services = Map(compose["services"]);
        var silos = services.Where(s => s.Key.StartsWith("silo", StringComparison.Ordinal)).ToList();
        Assert.Equal(3, silos.Count);
        var ports = new List<int>();
        var grpcPorts = new Dictionary<string, int>();
        foreach (var (name, silo) in silos)
        {
            // Host networking: the silos, PostgreSQL and nginx meet on loopback.
            Assert.Equal("host", Map(silo)["network_mode"]);
            var env = Map(Map(silo)["environment"]).ToDictionary(e => e.Key, e => Defaults((string)e.Value));
            AssertBinds(env);
            var options = Bind(env);
            var database = options.GetSection(DatabaseOptions.Section).Get<DatabaseOptions>()!;
            Assert.Equal(DatabaseMode.Postgres, database.Mode);
            Assert.StartsWith("Host=127.0.0.1;Port=5432;", database.ConnectionString, StringComparison.Ordinal);
            var orleans = options.GetSection(SiloOptions.Section).Get<SiloOptions>()!;
            Assert.Equal(System.Net.IPAddress.Loopback, orleans.ResolveAdvertisedAddress());
            var grpc = new Uri(env["Kestrel__Endpoints__Grpc__Url"]);
            var web = new Uri(env["Kestrel__Endpoints__Web__Url"]);
            Assert.Equal("127.0.0.1", grpc.Host);
            grpcPorts[name] = grpc.Port;
            ports.AddRange([grpc.Port, web.Port, orleans.SiloPort, orleans.GatewayPort]);
        }

        Assert.Equal(ports.Count, ports.Distinct().Count());
        Assert.All(services.Values, s => Assert.Equal("host", Map(s)["network_mode"]));

        // nginx's template points at each silo's gRPC port, through the variable compose gives it.
        var nginx = File.ReadAllText(Path.Combine(Deploy, "compose", "nginx.conf.template"));
        var nginxEnv = Map(Map(services["grpc"])["environment"]).ToDictionary(e => e.Key, e => Defaults((string)e.Value));
        foreach (var (name, port) in grpcPorts)
        {
            var variable = $"{name.ToUpperInvariant()}_GRPC_PORT";
            Assert.Contains($"server 127.0.0.1:${{{variable}}}", nginx, StringComparison.Ordinal);
            Assert.Equal(port.ToString(System.Globalization.CultureInfo.InvariantCulture), nginxEnv[variable]);
        }

        Assert.Contains("listen 127.0.0.1:${GRPC_PORT} http2;", nginx, StringComparison.Ordinal);
        Assert.Equal(["migrate"], ((List<object>)Map(services["migrate"])["command"]).Cast<string>());
    }

    private static string Defaults(string value) =>
        System.Text.RegularExpressions.Regex.Replace(value, @"\$\{[A-Z0-9_]+:-([^}]*)\}", m => m.Groups[1].Value);

    [Fact]
    public void The_kubernetes_manifests_agree_on_ports_names_secrets_and_cluster_identity()
    {
        var documents = Yaml(Path.Combine(Deploy, "kubernetes", "aggregation.yaml"));
        Dictionary<string, object> Kind(string kind) => documents.Single(d => (string)d["kind"] == kind);

        var config = Map(Kind("ConfigMap")["data"]).ToDictionary(e => e.Key, e => (string)e.Value);
        AssertBinds(config);
        var silo = Bind(config).GetSection(SiloOptions.Section).Get<SiloOptions>()!;
        Assert.True(silo.Kubernetes);

        var secret = Kind("Secret");
        var deployment = Kind("Deployment");
        var template = Map(Map(deployment["spec"])["template"]);
        var labels = Map(Map(template["metadata"])["labels"]);
        Assert.Equal(silo.ServiceId, labels["orleans/serviceId"]);
        Assert.Equal(silo.ClusterId, labels["orleans/clusterId"]);

        var container = Map(((List<object>)Map(template["spec"])["containers"]).Single());
        var ports = ((List<object>)container["ports"]).Select(Map).ToDictionary(p => (string)p["name"], p => int.Parse((string)p["containerPort"], System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(new Uri(config["Kestrel__Endpoints__Grpc__Url"]).Port, ports["grpc"]);
        Assert.Equal(silo.SiloPort, ports["silo"]);
        Assert.Equal(silo.GatewayPort, ports["gateway"]);
        foreach (var probe in new[] { "startupProbe", "readinessProbe", "livenessProbe" })
        {
            Assert.Equal(ports["grpc"].ToString(System.Globalization.CultureInfo.InvariantCulture), Map(Map(container[probe])["grpc"])["port"]);
        }

        var env = ((List<object>)container["env"]).Select(Map).ToList();
        var names = env.Select(e => (string)e["name"]).ToList();
        AssertBinds(names.Except(PodVariables).ToDictionary(n => n, _ => "x"));
        Assert.Subset(names.ToHashSet(), PodVariables.ToHashSet());
        var secretRefs = env.Where(e => e.ContainsKey("valueFrom") && Map(e["valueFrom"]).ContainsKey("secretKeyRef")).Select(e => Map(Map(e["valueFrom"])["secretKeyRef"])).ToList();
        Assert.NotEmpty(secretRefs);
        foreach (var reference in secretRefs)
        {
            Assert.Equal(Map(secret["metadata"])["name"], reference["name"]);
            Assert.Contains((string)reference["key"], Map(secret["stringData"]).Keys);
        }

        var service = Kind("Service");
        Assert.Equal("grpc", Map(((List<object>)Map(service["spec"])["ports"]).Single())["targetPort"]);
        Assert.Equal(Map(Map(deployment["spec"])["selector"])["matchLabels"] is Dictionary<object, object> m ? m["app"] : null, Map(Map(service["spec"])["selector"])["app"]);
        Assert.Equal("aggregation-silo", Map(template["spec"])["serviceAccountName"]);
        Assert.Contains(documents, d => (string)d["kind"] == "Job" && ((List<object>)Map(((List<object>)Map(Map(Map(d["spec"])["template"])["spec"])["containers"]).Single())["args"]).Cast<string>().SequenceEqual(["migrate"]));
    }

    [Fact]
    public async Task The_schema_applies_to_an_empty_database_and_a_second_run_changes_nothing()
    {
        var db = await TestPostgres.CreateDatabaseAsync();

        var first = await DatabaseMigrator.MigrateAsync(db, NullLogger.Instance);
        var second = await DatabaseMigrator.MigrateAsync(db, NullLogger.Instance);

        Assert.Equal(["001_ledger", "002_orleans", "003_audit", "004_reporting", "005_delivery_payloads", "006_approvals", "007_ledger_audit", "008_checkpoints", "009_ledger_terse_rows"], first);
        Assert.Empty(second);

        // The scripts themselves are idempotent too, for operators who apply them by hand.
        await using var connection = new Npgsql.NpgsqlConnection(db);
        await connection.OpenAsync();
        foreach (var script in Directory.GetFiles(DatabaseMigrator.DefaultScriptDirectory, "*.sql").Order())
        {
            await using var command = new Npgsql.NpgsqlCommand(await File.ReadAllTextAsync(script), connection);
            await command.ExecuteNonQueryAsync();
        }
    }

    [Fact]
    public async Task The_ledger_refuses_updates_and_deletes()
    {
        var db = await TestPostgres.CreateDatabaseAsync();
        await DatabaseMigrator.MigrateAsync(db, NullLogger.Instance);
        await using var connection = new Npgsql.NpgsqlConnection(db);
        await connection.OpenAsync();
        foreach (var sql in new[] { "UPDATE report_ledger SET period = '2025'", "DELETE FROM report_ledger", "TRUNCATE report_ledger" })
        {
            await using var command = new Npgsql.NpgsqlCommand(sql, connection);
            var ex = await Assert.ThrowsAsync<Npgsql.PostgresException>(() => command.ExecuteNonQueryAsync());
            Assert.Contains("append-only", ex.MessageText, StringComparison.Ordinal);
        }
    }

    /// <summary>Each A__B__C variable names a property of the options class bound to section A (or Kestrel/Logging).</summary>
    private static void AssertBinds(Dictionary<string, string> variables)
    {
        var sections = new Dictionary<string, Type>
        {
            [DatabaseOptions.Section] = typeof(DatabaseOptions),
            [SiloOptions.Section] = typeof(SiloOptions),
            [RollupOptions.Section] = typeof(RollupOptions),
            [CatalogOptions.Section] = typeof(CatalogOptions),
            [Aggregation.Server.Security.SecurityOptions.Section] = typeof(Aggregation.Server.Security.SecurityOptions),
        };
        foreach (var name in variables.Keys)
        {
            var parts = name.Split("__");
            if (parts[0] is "Kestrel" or "Logging")
            {
                continue;
            }

            Assert.True(sections.TryGetValue(parts[0], out var type), $"{name}: no configuration section '{parts[0]}'");
            Assert.True(parts.Length >= 2, $"{name}: names a section, not a setting");
            foreach (var part in parts.Skip(1))
            {
                if (type!.IsGenericType && type.GetGenericTypeDefinition() == typeof(List<>) && int.TryParse(part, out _))
                {
                    type = type.GetGenericArguments()[0];
                    continue;
                }

                var property = type.GetProperty(part, BindingFlags.Public | BindingFlags.Instance);
                Assert.True(property is not null, $"{name}: {type.Name} has no property '{part}'");
                type = property!.PropertyType;
            }
        }
    }

    private static IConfiguration Bind(Dictionary<string, string> variables) =>
        new ConfigurationBuilder().AddInMemoryCollection(variables.Select(v => KeyValuePair.Create(v.Key.Replace("__", ":", StringComparison.Ordinal), (string?)v.Value))).Build();

    private static List<Dictionary<string, object>> Yaml(string path)
    {
        var deserializer = new DeserializerBuilder().Build();
        var parser = new MergingParser(new Parser(new StringReader(File.ReadAllText(path))));
        parser.Consume<StreamStart>();
        var documents = new List<Dictionary<string, object>>();
        while (parser.Accept<DocumentStart>(out _))
        {
            documents.Add(Map(deserializer.Deserialize<Dictionary<object, object>>(parser)));
        }

        return documents;
    }

    private static Dictionary<string, object> Map(object node) =>
        ((Dictionary<object, object>)node).ToDictionary(e => (string)e.Key, e => e.Value);

    private static string RepositoryRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Aggregation.sln")))
        {
            dir = dir.Parent;
        }

        return dir!.FullName;
    }
}
