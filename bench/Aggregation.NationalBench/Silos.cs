using System.Diagnostics;
using System.Diagnostics.Tracing;
using System.Globalization;
using Grpc.Core;
using Grpc.Health.V1;
using Grpc.Net.Client;
using Microsoft.Diagnostics.NETCore.Client;
using Microsoft.Diagnostics.Tracing;
using Microsoft.Diagnostics.Tracing.Parsers;

/// <summary>
/// The server under measurement: N processes of the built Aggregation.Server (the dll beside this
/// benchmark), each a silo with its own ports, clustered through the run's PostgreSQL. Separate
/// processes so that their resident memory and CPU are the server's alone, not the load generator's.
/// </summary>
internal sealed class Silos : IDisposable
{
    private static readonly TimeSpan ReadyWithin = TimeSpan.FromMinutes(5);
    private static readonly TimeSpan StopWithin = TimeSpan.FromMinutes(3);

    private readonly string[] _sharedArgs;
    private readonly string _logDirectory;
    private readonly Silo[] _silos;

    public Silos(int count, string[] sharedArgs, string logDirectory)
    {
        _sharedArgs = sharedArgs;
        _logDirectory = logDirectory;
        // Ports are fixed for the run: a restarted silo comes back at the address its clients know.
        _silos = [.. Enumerable.Range(0, count).Select(i => new Silo(i, Machine.FreePort(), Machine.FreePort(), Machine.FreePort(), Machine.FreePort()))];

        // Whatever ends the benchmark (an exception, Ctrl-C, SIGTERM), no server is left running.
        AppDomain.CurrentDomain.ProcessExit += (_, _) => Kill();
        Console.CancelKeyPress += (_, _) => Kill();
    }

    public int Count => _silos.Length;

    /// <summary>The gRPC address of each silo, in order.</summary>
    public IReadOnlyList<string> Addresses => [.. _silos.Select(s => s.GrpcAddress)];

    /// <summary>
    /// Starts every silo and waits until each answers its health endpoint as serving (an active
    /// cluster member with its database reachable). The first starts alone when the database is new,
    /// so that one process applies the schema while the others would only wait on its lock.
    /// </summary>
    public async Task StartAsync(bool firstAlone)
    {
        if (firstAlone && _silos.Length > 1)
        {
            await StartAsync(_silos[..1]);
            await StartAsync(_silos[1..]);
        }
        else
        {
            await StartAsync(_silos);
        }
    }

    /// <summary>Stops every silo at once as an orchestrator would (SIGTERM, a graceful shutdown), and waits for each to exit.</summary>
    public async Task StopAsync()
    {
        foreach (var silo in _silos.Where(s => s.Process is { HasExited: false }))
        {
            using var term = Process.Start(new ProcessStartInfo("kill", ["-TERM", silo.Process!.Id.ToString(CultureInfo.InvariantCulture)]))!;
            await term.WaitForExitAsync();
        }

        foreach (var silo in _silos.Where(s => s.Process is not null))
        {
            using var timeout = new CancellationTokenSource(StopWithin);
            try
            {
                await silo.Process!.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                Console.WriteLine($"silo {silo.Index} did not stop within {StopWithin.TotalMinutes} minutes: killed");
                silo.Process!.Kill(entireProcessTree: true);
            }

            silo.Process!.Dispose();
            silo.Process = null;
        }
    }

    /// <summary>CPU seconds (user + system) of the running silo processes.</summary>
    public double CpuSeconds() => _silos.Where(s => s.Process is not null).Sum(s => Machine.ProcessCpuSeconds(s.Process!.Id, children: false));

    /// <summary>Resident memory (VmRSS) of each silo process, in bytes.</summary>
    public IReadOnlyList<long> Resident() => [.. _silos.Select(s => Machine.Resident(s.Process!.Id))];

    /// <summary>
    /// Each silo's managed heap after a full blocking collection, and what its GC keeps committed, in
    /// bytes: read over EventPipe, whose GC heap-collect keyword makes the runtime collect (what
    /// dotnet-gcdump does), then the heap statistics of that collection and the runtime's counters.
    /// </summary>
    public async Task<IReadOnlyList<(long Live, long Committed)>> HeapsAsync()
    {
        var heaps = new List<(long, long)>();
        foreach (var silo in _silos)
        {
            heaps.Add(await HeapAsync(silo.Process!.Id));
        }

        return heaps;
    }

    /// <summary>Kills every silo process at once, without a graceful shutdown: the benchmark is ending or failed.</summary>
    public void Kill()
    {
        foreach (var silo in _silos)
        {
            try
            {
                if (silo.Process is { HasExited: false } p)
                {
                    p.Kill(entireProcessTree: true);
                }
            }
            catch (InvalidOperationException)
            {
                // Exited meanwhile.
            }
        }
    }

    public void Dispose()
    {
        Kill();
        foreach (var silo in _silos)
        {
            silo.Process?.Dispose();
            silo.Log?.Dispose();
        }
    }

    private async Task StartAsync(Silo[] silos)
    {
        foreach (var silo in silos)
        {
            silo.Log ??= new StreamWriter(Path.Combine(_logDirectory, $"silo-{silo.Index}.log"), append: true) { AutoFlush = true };
            var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Aggregation.Server.dll"));
            foreach (var arg in _sharedArgs.Concat(silo.Args))
            {
                start.ArgumentList.Add(arg);
            }

            var process = new Process { StartInfo = start };
            var log = silo.Log;
            process.OutputDataReceived += (_, e) => Write(log, e.Data);
            process.ErrorDataReceived += (_, e) => Write(log, e.Data);
            process.Start();
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            silo.Process = process;
        }

        await Task.WhenAll(silos.Select(WaitReadyAsync));
        foreach (var silo in silos)
        {
            // The process id, for dotnet-counters or dotnet-trace to attach to.
            Console.WriteLine($"silo {silo.Index + 1}: process {silo.Process!.Id}, gRPC {silo.GrpcAddress}, output in {Path.Combine(_logDirectory, $"silo-{silo.Index}.log")}");
        }
    }

    private async Task WaitReadyAsync(Silo silo)
    {
        using var channel = GrpcChannel.ForAddress(silo.GrpcAddress);
        var health = new Health.HealthClient(channel);
        var waited = Stopwatch.StartNew();
        while (true)
        {
            if (silo.Process!.HasExited)
            {
                throw new InvalidOperationException($"silo {silo.Index} exited with code {silo.Process.ExitCode} while starting; its output is in {Path.Combine(_logDirectory, $"silo-{silo.Index}.log")}");
            }

            try
            {
                var status = await health.CheckAsync(new HealthCheckRequest(), deadline: DateTime.UtcNow.AddSeconds(5));
                if (status.Status == HealthCheckResponse.Types.ServingStatus.Serving)
                {
                    return;
                }
            }
            catch (RpcException ex) when (ex.StatusCode is StatusCode.Unavailable or StatusCode.DeadlineExceeded or StatusCode.NotFound)
            {
                // Not listening yet, or the silo not yet an active member.
            }

            if (waited.Elapsed > ReadyWithin)
            {
                throw new TimeoutException($"silo {silo.Index} was not ready within {ReadyWithin.TotalMinutes} minutes");
            }

            await Task.Delay(100);
        }
    }

    private static void Write(StreamWriter log, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (log)
        {
            log.WriteLine(line);
        }
    }

    private static async Task<(long Live, long Committed)> HeapAsync(int pid)
    {
        var client = new DiagnosticsClient(pid);
        EventPipeProvider[] providers =
        [
            new("Microsoft-Windows-DotNETRuntime", EventLevel.Informational, (long)(ClrTraceEventParser.Keywords.GC | ClrTraceEventParser.Keywords.GCHeapCollect)),
            new("System.Runtime", EventLevel.Informational, 0, new Dictionary<string, string> { ["EventCounterIntervalSec"] = "1" }),
        ];
        using var session = await client.StartEventPipeSessionAsync(providers, false, 256, CancellationToken.None);
        using var source = new EventPipeEventSource(session.EventStream);
        var live = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
        var committed = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
        var fullCollection = false;
        source.Clr.GCStart += e => fullCollection |= e.Depth == 2;
        source.Clr.GCHeapStats += e =>
        {
            if (fullCollection)
            {
                live.TrySetResult(e.GenerationSize0 + e.GenerationSize1 + e.GenerationSize2 + e.GenerationSize3 + e.GenerationSize4);
            }
        };
        source.Dynamic.All += e =>
        {
            // The counters' payload: {Name, Mean, ...}; gc-committed is in MB.
            if (live.Task.IsCompleted && e.EventName == "EventCounters" && e.PayloadValue(0) is IDictionary<string, object> outer
                && outer.TryGetValue("Payload", out var inner) && inner is IDictionary<string, object> counter
                && counter.TryGetValue("Name", out var name) && (string)name == "gc-committed")
            {
                committed.TrySetResult((long)(Convert.ToDouble(counter["Mean"], CultureInfo.InvariantCulture) * 1e6));
            }
        };
        var processing = Task.Run(source.Process);
        var both = Task.WhenAll(live.Task, committed.Task);
        await Task.WhenAny(both, Task.Delay(TimeSpan.FromMinutes(2)));
        session.Stop();
        await processing;
        return (live.Task.IsCompleted ? live.Task.Result : -1, committed.Task.IsCompleted ? committed.Task.Result : -1);
    }

    private sealed class Silo(int index, int grpcPort, int webPort, int siloPort, int gatewayPort)
    {
        public int Index => index;

        public string GrpcAddress => $"http://127.0.0.1:{grpcPort}";

        public Process? Process { get; set; }

        public StreamWriter? Log { get; set; }

        /// <summary>What differs between silos: their endpoints. The cluster's ids and database are shared.</summary>
        public string[] Args =>
        [
            $"--Kestrel:Endpoints:Grpc:Url={GrpcAddress}", "--Kestrel:Endpoints:Grpc:Protocols=Http2",
            $"--Kestrel:Endpoints:Web:Url=http://127.0.0.1:{webPort}",
            $"--Orleans:SiloPort={siloPort}", $"--Orleans:GatewayPort={gatewayPort}", "--Orleans:AdvertisedAddress=127.0.0.1",
        ];
    }
}
