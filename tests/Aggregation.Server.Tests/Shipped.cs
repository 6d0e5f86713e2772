using Aggregation.Server.Hosting;
using Microsoft.Extensions.Time.Testing;

namespace Aggregation.Server.Tests;

/// <summary>The shipped catalog (Thái Nguyên and the provinces merged into it), read once, and a reporting clock stopped on a working day of 2024.</summary>
internal static class Shipped
{
    public const string Tenant = "thai-nguyen";
    public const string Programme = "prostitution-prevention-2021-2025";

    /// <summary>District 164 of Thái Nguyên, and a commune of district 165 beside it.</summary>
    public const string District164 = "164";
    public const string CommuneOf165 = "05506";

    private static readonly Lazy<Hierarchy.Catalog> Loaded = new(() => Hierarchy.Catalog.Load(Path.Combine(AppContext.BaseDirectory, "catalog")));

    public static Hierarchy.Catalog Catalog => Loaded.Value;

    public static ReportingClock Clock() => new(new FakeTimeProvider(new DateTimeOffset(2024, 3, 12, 3, 0, 0, TimeSpan.Zero)));
}
