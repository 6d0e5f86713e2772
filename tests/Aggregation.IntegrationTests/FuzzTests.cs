using System.Diagnostics;
using Aggregation.Protos.V1;
using Aggregation.Security;
using Aggregation.Server.Hosting;
using Aggregation.Server.Ingestion;
using Aggregation.Server.Security;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Grpc.Health.V1;
using Grpc.Net.Client;

namespace Aggregation.IntegrationTests;

/// <summary>
/// Seeded mutation fuzzing of the request path (decoding, validation, scope checks), bounded in
/// time. A failure prints the seed and the input, so it can be replayed and kept as a regression
/// case in <see cref="HostileInputTests"/>.
/// </summary>
public sealed class FuzzTests(ServerFixture server) : IClassFixture<ServerFixture>
{
    private static readonly TimeSpan InProcessBudget = TimeSpan.FromSeconds(15);
    private static readonly TimeSpan WireBudget = TimeSpan.FromSeconds(20);

    private static readonly string[] NastyStrings =
    [
        "", " ", "05443", "164", "19", "VN", "01834", "０５４４３", "05443\u200B", "05443\0", "\u202E34450", "рrostitution-prevention-2021-2025",
        ServerFixture.Programme, "awareness_activities", "establishments_inspected", "local_officials", "district_plan_adopted", "awareness_activitieѕ",
        "2025-03", "2025Q1", "2025S1", "2025", "2021-2025", "2025-13", "9999-12", "0000-00", "-1", "2025-3", "2025q1", "\uD800", "%s%n", "'; DROP TABLE report_ledger; --",
        new string('x', 300), new string('7', 5000), "e1", "e 1", "e\u0007",
    ];

    private static readonly double[] NastyNumbers =
        [0, 1, 2.5, -1, -0.0, double.NaN, double.PositiveInfinity, double.NegativeInfinity, double.MaxValue, double.Epsilon, 1e12, 1e12 + 1, 9.2e18, long.MaxValue, 3];

    [Fact]
    public void Random_and_mutated_requests_are_decoded_validated_and_scope_checked_without_an_unexpected_exception()
    {
        var seed = Environment.TickCount;
        var random = new Random(seed);
        var catalog = Hierarchy.Catalog.Load(Path.Combine(AppContext.BaseDirectory, "catalog"));
        var tenant = catalog.Tenants[TestCredentials.Tenant];
        var validator = new ReportValidator(catalog, new ReportingClock(TimeProvider.System));
        var access = new AccessControl(catalog, new ReportingClock(TimeProvider.System));
        Caller[] callers =
        [
            new("fuzz-scoped", tenant.Id, new HashSet<string> { Roles.Submitter }, ["164"], new HashSet<string> { "commune-police-monthly" }, "fuzz", "fuzz"),
            new("fuzz-tenant", tenant.Id, new HashSet<string> { Roles.Submitter }, [], null, "fuzz", "fuzz"),
        ];
        var corpus = Corpus(random).Select(r => r.ToByteArray()).ToList();
        var clock = Stopwatch.StartNew();
        var iterations = 0;
        while (clock.Elapsed < InProcessBudget)
        {
            iterations++;
            byte[] input = iterations % 2 == 0 ? Mutate(random, corpus) : Generate(random).ToByteArray();
            SubmitReportsRequest request;
            try
            {
                request = SubmitReportsRequest.Parser.ParseFrom(input);
            }
            catch (InvalidProtocolBufferException)
            {
                continue;
            }

            try
            {
                for (var i = 0; i < request.Reports.Count; i++)
                {
                    validator.Validate(tenant, request.Reports[i], $"reports[{i}].", []);
                    foreach (var caller in callers)
                    {
                        access.SubmitDenial(caller, tenant, request.Reports[i], $"reports[{i}].");
                    }
                }
            }
            catch (Exception ex)
            {
                Assert.Fail($"seed {seed}, iteration {iterations}: {ex.GetType().Name}: {ex.Message}\ninput (base64): {Convert.ToBase64String(input)}\n{ex}");
            }
        }

        Assert.True(iterations > 1000, $"only {iterations} iterations in {InProcessBudget}");
    }

    [Fact]
    public async Task Mutated_requests_over_the_wire_get_a_deliberate_status_and_the_figures_stay_consistent()
    {
        var seed = Environment.TickCount;
        var random = new Random(seed);
        var corpus = Corpus(random).Select(r => r.ToByteArray()).ToList();
        var token = TestCredentials.Token(new AccessGrant("fuzz-wire", TestCredentials.Tenant, [Roles.Submitter], ["164", "165"]));
        StatusCode[] deliberate = [StatusCode.OK, StatusCode.InvalidArgument, StatusCode.PermissionDenied, StatusCode.AlreadyExists];
        using var raw = new RawGrpc(server.Address);
        var seen = new Dictionary<StatusCode, int>();
        var clock = Stopwatch.StartNew();
        var iterations = 0;
        while (clock.Elapsed < WireBudget && iterations < 3000)
        {
            iterations++;
            var input = Mutate(random, corpus);
            var answer = await raw.CallAsync("/aggregation.v1.Ingestion/SubmitReports", RawGrpc.Frame(input), token);
            var status = (StatusCode)(answer.GrpcStatus ?? -1);
            seen[status] = seen.GetValueOrDefault(status) + 1;
            Assert.True(deliberate.Contains(status), $"seed {seed}, iteration {iterations}: {status} \"{answer.Message}\"\ninput (base64): {Convert.ToBase64String(input)}");
        }

        Assert.True(seen.GetValueOrDefault(StatusCode.OK) > 0 && seen.GetValueOrDefault(StatusCode.InvalidArgument) > 0, $"the mutations reached too little of the path: {string.Join(", ", seen)}");
        using var anonymous = GrpcChannel.ForAddress(server.Address);
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, (await new Health.HealthClient(anonymous).CheckAsync(new HealthCheckRequest())).Status);

        // Whatever was accepted is in the ledger and every rollup agrees with it.
        var audit = await Eventually.WaitAsync(
            async () => await new Operations.OperationsClient(server.Channel).AuditRollupsAsync(new AuditRollupsRequest()),
            a => a.Differences.Count == 0,
            TimeSpan.FromSeconds(30),
            a => $"seed {seed}: " + string.Join("; ", a.Differences.Take(5)));
        Assert.True(audit.LedgerReports > 0);
    }

    /// <summary>Valid batches for units of districts 164 and 165, the seeds of the mutations.</summary>
    private static List<SubmitReportsRequest> Corpus(Random random)
    {
        var generator = new ReportGenerator(seed: random.Next());
        return Enumerable.Range(0, 20).Select(i =>
        {
            var request = new SubmitReportsRequest();
            request.Reports.Add(generator.New(i % 2 == 0 ? "05443" : "05506", $"2025-0{1 + (i % 5)}", ReportGenerator.Number("awareness_activities", i), ReportGenerator.Number("workers_reached", 10 + i)));
            request.Reports.Add(generator.New("05446", "2025-02", ReportGenerator.Entities("establishments_inspected", $"e{i}", "e2"), ReportGenerator.Number("establishments_at_risk", 5)));
            request.Reports.Add(generator.New("164", "2025S1", ReportGenerator.Flag("district_plan_adopted", i % 2 == 0)));
            return request;
        }).ToList();
    }

    private static byte[] Mutate(Random random, List<byte[]> corpus)
    {
        var bytes = new List<byte>(corpus[random.Next(corpus.Count)]);
        for (var n = random.Next(1, 4); n > 0 && bytes.Count > 0; n--)
        {
            var at = random.Next(bytes.Count);
            switch (random.Next(6))
            {
                case 0: bytes[at] ^= (byte)(1 << random.Next(8)); break;
                case 1: bytes[at] = (byte)random.Next(256); break;
                case 2: bytes.InsertRange(at, Enumerable.Range(0, random.Next(1, 8)).Select(_ => (byte)random.Next(256))); break;
                case 3: bytes.RemoveRange(at, Math.Min(bytes.Count - at, random.Next(1, 16))); break;
                case 4: bytes.InsertRange(at, bytes.Skip(random.Next(bytes.Count)).Take(random.Next(1, 32)).ToList()); break;
                default: bytes.AddRange(corpus[random.Next(corpus.Count)]); break;
            }
        }

        return [.. bytes];
    }

    /// <summary>A structurally valid message with hostile contents.</summary>
    private static SubmitReportsRequest Generate(Random random)
    {
        string S() => NastyStrings[random.Next(NastyStrings.Length)];
        var request = new SubmitReportsRequest();
        for (var r = random.Next(0, 4); r > 0; r--)
        {
            var report = new Report { IdempotencyKey = random.Next(3) == 0 ? S() : Guid.NewGuid().ToString("N"), UnitCode = S(), ProgrammeId = random.Next(2) == 0 ? ServerFixture.Programme : S(), Period = S(), SourceSystem = S() };
            if (random.Next(4) > 0)
            {
                report.ReportedAt = new Timestamp { Seconds = random.Next(3) == 0 ? random.NextInt64(long.MinValue, long.MaxValue) : DateTimeOffset.UtcNow.ToUnixTimeSeconds() - random.Next(100_000_000), Nanos = random.Next(5) == 0 ? random.Next(int.MinValue, int.MaxValue) : random.Next(1_000_000_000) };
            }

            for (var v = random.Next(0, 5); v > 0; v--)
            {
                var value = new DataValue { DataElement = S() };
                switch (random.Next(5))
                {
                    case 0: value.Number = NastyNumbers[random.Next(NastyNumbers.Length)]; break;
                    case 1: value.Flag = random.Next(2) == 0; break;
                    case 2: value.Entities = new EntityIds { Ids = { Enumerable.Range(0, random.Next(0, 5)).Select(_ => S()) } }; break;
                    case 3: value.Withdrawn = new Withdrawal(); break;
                    default: break;
                }

                report.Values.Add(value);
            }

            request.Reports.Add(report);
        }

        return request;
    }
}
