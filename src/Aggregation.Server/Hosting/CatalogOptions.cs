namespace Aggregation.Server.Hosting;

/// <summary>Configuration section <c>Catalog</c>: where tenants, hierarchy and programmes are read from.</summary>
public sealed class CatalogOptions
{
    public const string Section = "Catalog";

    /// <summary>Folder holding tenants.json; relative paths are resolved against the application's folder.</summary>
    public string Directory { get; set; } = "catalog";

    /// <summary>Make every province not claimed by a configured tenant a tenant of its own (national deployment).</summary>
    public bool AllProvinces { get; set; }
}

/// <summary>Configuration section <c>Orleans</c>.</summary>
public sealed class SiloOptions
{
    public const string Section = "Orleans";

    /// <summary>Never change once data exists: it is part of every stored row's identity.</summary>
    public string ServiceId { get; set; } = "aggregation";

    public string ClusterId { get; set; } = "aggregation-dev";

    public int SiloPort { get; set; } = 11111;

    public int GatewayPort { get; set; } = 30000;

    /// <summary>The IP address other silos reach this one at, or <c>auto</c> for this host's first non-loopback IPv4 address (containers).</summary>
    public string AdvertisedAddress { get; set; } = "127.0.0.1";

    /// <summary>Listen on every interface rather than only the advertised address (containers).</summary>
    public bool ListenOnAnyAddress { get; set; }

    /// <summary>Running as pods: Microsoft.Orleans.Hosting.Kubernetes takes the pod's IP and identity from its environment.</summary>
    public bool Kubernetes { get; set; }

    public System.Net.IPAddress ResolveAdvertisedAddress()
    {
        if (AdvertisedAddress != "auto")
        {
            return System.Net.IPAddress.TryParse(AdvertisedAddress, out var ip)
                ? ip
                : throw new InvalidOperationException($"Orleans:AdvertisedAddress '{AdvertisedAddress}' is not an IP address or 'auto'.");
        }

        return System.Net.Dns.GetHostAddresses(System.Net.Dns.GetHostName())
            .FirstOrDefault(a => a.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork && !System.Net.IPAddress.IsLoopback(a))
            ?? throw new InvalidOperationException("Orleans:AdvertisedAddress is 'auto' but this host has no non-loopback IPv4 address.");
    }
}
