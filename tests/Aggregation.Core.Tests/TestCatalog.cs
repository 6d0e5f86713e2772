using Aggregation.Hierarchy;
using Aggregation.Programmes;

namespace Aggregation.Tests;

/// <summary>The shipped Thái Nguyên catalog, and a tiny hand-made hierarchy for arithmetic that is easy to check by eye.</summary>
internal static class TestCatalog
{
    public const string ProgrammeId = "prostitution-prevention-2021-2025";

    public static string Directory => Path.Combine(AppContext.BaseDirectory, "catalog");

    private static readonly Lazy<Catalog> Shipped = new(() => Catalog.Load(Directory));

    public static Catalog ThaiNguyen => Shipped.Value;

    public static Programme Programme => ThaiNguyen.Programmes[ProgrammeId];

    /// <summary>A copy of the shipped catalog with one file (path relative to the catalog) rewritten; returns its folder.</summary>
    public static string CopyWith(string file, Func<string, string> change)
    {
        var target = System.IO.Directory.CreateTempSubdirectory("catalog-").FullName;
        foreach (var source in System.IO.Directory.EnumerateFiles(Directory, "*", SearchOption.AllDirectories))
        {
            var copy = Path.Combine(target, Path.GetRelativePath(Directory, source));
            System.IO.Directory.CreateDirectory(Path.GetDirectoryName(copy)!);
            File.Copy(source, copy);
        }

        var changed = Path.Combine(target, file);
        File.WriteAllText(changed, change(File.ReadAllText(changed)));
        return target;
    }

    /// <summary>Province 90 with districts 901 (communes 90101, 90102) and 902 (commune 90201).</summary>
    public static Catalog Tiny()
    {
        AdminUnitRow[] rows =
        [
            new("90", "Tỉnh Thử", "province", "", "Tỉnh"),
            new("901", "Huyện Một", "district", "90", "Huyện"),
            new("902", "Huyện Hai", "district", "90", "Huyện"),
            new("90101", "Xã A", "commune", "901", "Xã"),
            new("90102", "Xã B", "commune", "901", "Xã"),
            new("90201", "Xã C", "commune", "902", "Xã"),
        ];
        var levels = new[] { Catalog.NationLevel, "province", "district", "commune" };
        var programme = ProgrammeLoader.LoadFile(Path.Combine(Directory, "programmes", ProgrammeId + ".json"), levels);
        return new Catalog([new Tenant("t", new LocalizedText("Thử", "Test"), ["90"], [ProgrammeId])], rows, [programme], "t");
    }
}
