using System.Net;
using System.Net.Sockets;

namespace Aggregation.Storage;

/// <summary>
/// Free loopback ports for private listeners (the embedded PostgreSQL server, test servers).
/// A port is taken below the kernel's ephemeral range: asking the kernel for port 0 and closing
/// it again leaves a window in which any outgoing connection may be given that very port, and the
/// listener then fails with "address already in use". Ports outside the ephemeral range are never
/// handed to outgoing connections, so only another listener could take one, and each candidate is
/// bound once before it is returned.
/// </summary>
public static class LoopbackPorts
{
    private const int Lowest = 10_000;
    private const string EphemeralRangeFile = "/proc/sys/net/ipv4/ip_local_port_range";

    // Each process starts at its own random place so two processes rarely walk the same ports.
    private static int _next = Random.Shared.Next(0, 1 << 20);

    /// <summary>A loopback TCP port that nothing listens on now and no outgoing connection will take.</summary>
    public static int Take()
    {
        var ceiling = EphemeralFloor();
        var span = ceiling - Lowest;
        for (var attempt = 0; attempt < 1_000; attempt++)
        {
            var port = Lowest + (int)((uint)Interlocked.Increment(ref _next) % (uint)span);
            if (IsFree(port))
            {
                return port;
            }
        }

        throw new InvalidOperationException($"No free loopback port between {Lowest} and {ceiling} after 1000 attempts.");
    }

    private static bool IsFree(int port)
    {
        try
        {
            using var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private static int EphemeralFloor()
    {
        try
        {
            var first = File.ReadAllText(EphemeralRangeFile).Split((char[])['\t', ' ', '\n'], StringSplitOptions.RemoveEmptyEntries)[0];
            if (int.TryParse(first, out var floor) && floor > Lowest + 1_000)
            {
                return floor;
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }

        // The kernel's default range starts at 32768; IANA's dynamic range starts at 49152.
        return 32_768;
    }
}
