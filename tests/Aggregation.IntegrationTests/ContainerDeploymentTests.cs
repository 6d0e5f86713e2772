using System.Diagnostics;
using Aggregation.Protos.V1;
using Grpc.Core;
using Xunit.Abstractions;

namespace Aggregation.IntegrationTests;

/// <summary>
/// deploy/compose run for real under podman (PostgreSQL, the migration, three silos, nginx in front),
/// with images built from Debian's packages (deploy/images/build-local.sh). District systems talk to
/// the front end only, as they would in production.
/// </summary>
public sealed class ContainerDeploymentTests(ITestOutputHelper output)
{
    [Fact]
    public async Task The_compose_deployment_keeps_every_acknowledged_report_when_a_silo_is_killed_and_answers_through_a_rolling_restart()
    {
        var whole = Stopwatch.StartNew();
        ComposeDeployment? deployment = null;
        try
        {
            // Cold (nothing in podman's store) the images take about five minutes; warm, the server image's build.
            deployment = await ComposeDeployment.StartAsync(buildWithin: TimeSpan.FromMinutes(12), serveWithin: TimeSpan.FromMinutes(3));
            await KilledSiloLosesNothingAsync(deployment);
            await RollingRestartAsync(deployment);
        }
        finally
        {
            if (deployment is not null)
            {
                await deployment.DisposeAsync();
                output.WriteLine(deployment.Log);
            }

            output.WriteLine($"whole test: {whole.Elapsed.TotalSeconds:0} s");
        }
    }

    private async Task KilledSiloLosesNothingAsync(ComposeDeployment deployment)
    {
        var (reports, oracle) = await DurabilityTests.GenerateAsync(seed: 51, months: 2);
        var sender = new ResilientSender([deployment.Channel]);
        var sending = sender.SendAsync(reports, clients: 2, batchSize: 10);
        await Eventually.WaitAsync(() => Task.FromResult(sender.AcknowledgedCount), n => n >= reports.Count / 4, TimeSpan.FromSeconds(90), n => $"{n} of {reports.Count} acknowledged before the kill");

        await deployment.KillAsync("silo1");
        var clock = Stopwatch.StartNew();
        await sending;
        output.WriteLine($"{reports.Count} reports acknowledged through the front end, {sender.Failures.Count} calls retried ({string.Join(", ", sender.Failures.Distinct())}), last {clock.Elapsed.TotalSeconds:0.0} s after silo1 was killed");

        Assert.Empty(sender.Rejected);
        Assert.Equal(reports.Count, sender.Acknowledged.Count);
        Assert.Equal(
            reports.Select(r => r.IdempotencyKey).Order(StringComparer.Ordinal),
            (await DurabilityTests.LedgerKeysAsync(deployment.ConnectionString)).Order(StringComparer.Ordinal));
        await DurabilityTests.WaitForOracleAsync(deployment.MinistryChannel, oracle, TimeSpan.FromSeconds(60));
        Assert.Empty((await new Operations.OperationsClient(deployment.Channel).AuditRollupsAsync(new AuditRollupsRequest())).Differences);

        // restart: unless-stopped: the engine starts the crashed silo again and it serves.
        await deployment.WaitServingAsync(deployment.SiloAddress(1), TimeSpan.FromSeconds(90));
        Assert.Equal(1, await deployment.RestartCountAsync("silo1"));
        output.WriteLine($"silo1 restarted by the engine and serving {clock.Elapsed.TotalSeconds:0.0} s after it was killed");
    }

    private async Task RollingRestartAsync(ComposeDeployment deployment)
    {
        // A reader that keeps asking the front end for the province's figures through the whole restart.
        using var stop = new CancellationTokenSource();
        var answered = 0;
        var failures = new List<string>();
        var retried = new List<string>();
        var rollups = new Rollups.RollupsClient(deployment.Channel);
        var reading = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                // As a dashboard does, a read that fails is asked once more: a call in flight to the
                // stopping silo can time out while Orleans moves the province's grain. A read that
                // fails twice is a front end that stopped answering.
                for (var attempt = 1; attempt <= 2; attempt++)
                {
                    try
                    {
                        await rollups.GetRollupAsync(new GetRollupRequest { UnitCode = ServerFixture.ProvinceCode, ProgrammeId = ServerFixture.Programme, Period = "2025" }, deadline: DateTime.UtcNow.AddSeconds(10));
                        Interlocked.Increment(ref answered);
                        break;
                    }
                    catch (RpcException ex)
                    {
                        lock (failures)
                        {
                            (attempt == 1 ? retried : failures).Add($"{ex.StatusCode}: {ex.Status.Detail}");
                        }
                    }
                }

                await Task.Delay(TimeSpan.FromMilliseconds(50));
            }
        });

        var generator = new ReportGenerator(seed: 52);
        var duringUpgrade = generator.CommuneMonthly("05443", "2025-05");
        var afterUpgrade = generator.CommuneMonthly("05443", "2025-06");
        var clock = Stopwatch.StartNew();
        await deployment.StopAsync("silo2");
        output.WriteLine($"silo2 stopped in {clock.Elapsed.TotalSeconds:0.0} s");
        Assert.False(await deployment.IsRunningAsync("silo2"));
        Assert.Equal(ReportOutcome.Accepted, (await SubmitAsync(deployment, duringUpgrade)).Result.Outcome);

        clock.Restart();
        await deployment.StartAsync("silo2");
        await deployment.WaitServingAsync(deployment.SiloAddress(2), TimeSpan.FromSeconds(90));
        output.WriteLine($"silo2 serving again {clock.Elapsed.TotalSeconds:0.0} s after it was started");
        Assert.Equal(ReportOutcome.Accepted, (await SubmitAsync(deployment, afterUpgrade)).Result.Outcome);

        await stop.CancelAsync();
        await reading;
        output.WriteLine($"{answered} reads answered by the front end during the rolling restart, {retried.Count} answered only when asked again ({string.Join(", ", retried)}), {failures.Count} failed twice");
        Assert.True(answered > 20, $"only {answered} reads were answered during the rolling restart");
        Assert.Empty(failures);

        var read = await new Rollups.RollupsClient(deployment.Channel).GetRollupAsync(new GetRollupRequest { UnitCode = "05443", ProgrammeId = ServerFixture.Programme, Period = "2025-05", AsOf = "2025-06-30" });
        Assert.Equal((long)duringUpgrade.Values.Single(v => v.DataElement == "awareness_activities").Number, read.Rollup.Values.Single(v => v.DataElement == "awareness_activities").Value);
        Assert.Equal(
            ReportOutcome.Duplicate,
            (await SubmitAsync(deployment, duringUpgrade)).Result.Outcome);
    }

    private static async Task<SubmitReportResponse> SubmitAsync(ComposeDeployment deployment, Report report) =>
        await new Ingestion.IngestionClient(deployment.Channel).SubmitReportAsync(new SubmitReportRequest { Report = report }, deadline: DateTime.UtcNow.AddSeconds(30));
}
