using System.Diagnostics;
using Aggregation.Protos.V1;
using Npgsql;

/// <summary>Cold start: every silo stopped, then all started again on the same database, until the nation's figures are correct again.</summary>
internal static class ColdStart
{
    public static async Task RunAsync(NationalRun run, Results results, BenchOptions options)
    {
        var before = (await run.WaitSettledAsync("VN", run.ProbeProvince.Key.Tenant)).Values.Select(v => v.Value).ToList();
        await PrintCheckpointsAsync(run);
        await run.StopServerAsync();
        var cold = Stopwatch.StartNew();
        await run.StartServerAsync();
        while (!await run.NationEqualsAsync(before))
        {
            if (cold.Elapsed > TimeSpan.FromMinutes(options.ColdMinutes))
            {
                Console.WriteLine($"cold start: the nation's figures were not back within {options.ColdMinutes} minutes");
                break;
            }

            await Task.Delay(100);
        }

        var converged = await run.NationEqualsAsync(before);
        if (!converged)
        {
            // Which figures differ, to tell a slow start from a wrong one (or one that still refuses reads).
            try
            {
                var after = (await run.RollupsApi.GetRollupAsync(new GetRollupRequest { UnitCode = "VN", ProgrammeId = NationalRun.ProgrammeId, Period = $"{run.LastYear}" }, run.Ministry)).Rollup.Values.ToList();
                foreach (var (value, i) in after.Select((v, i) => (v, i)).Where(x => x.v.Value != before[x.i]))
                {
                    Console.WriteLine($"  after restart {value.DataElement}: {value.Value}, before {before[i]}");
                }
            }
            catch (Grpc.Core.RpcException ex)
            {
                Console.WriteLine($"  after restart the nation is not read: {ex.Status.StatusCode} {ex.Status.Detail}");
            }
        }

        results.Measured(new(converged ? "cold start to correct national rollups, s" : "cold start: national rollups NOT correct after, s", cold.Elapsed.TotalSeconds, null, null));
    }

    /// <summary>What a start reads: the checkpoints the units wrote once idle after the load (their number and sizes, and what PostgreSQL stored).</summary>
    private static async Task PrintCheckpointsAsync(NationalRun run)
    {
        await using var connection = new NpgsqlConnection(run.ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("""
            SELECT count(*), coalesce(sum(octet_length(payload)), 0)::bigint,
                   coalesce(percentile_disc(0.5) WITHIN GROUP (ORDER BY octet_length(payload)), 0),
                   coalesce(max(octet_length(payload)), 0),
                   pg_total_relation_size('unit_checkpoints'),
                   coalesce(sum(pg_column_size(payload)), 0)::bigint
              FROM unit_checkpoints
            """, connection);
        await using var reader = await command.ExecuteReaderAsync();
        await reader.ReadAsync();
        Console.WriteLine($"checkpoints: {reader.GetInt64(0):N0} units, payloads {reader.GetInt64(1) / 1e6:N1} MB (median {reader.GetInt32(2):N0} B, largest {reader.GetInt32(3):N0} B), stored {reader.GetInt64(5) / 1e6:N1} MB, table {reader.GetInt64(4) / 1e6:N1} MB");
    }
}
