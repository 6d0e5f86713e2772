using System.Globalization;
using Aggregation.Server.Hosting;

namespace Aggregation.Server.Review;

/// <summary>
/// Numbers, shares and times as the two languages of a finding write them: Vietnamese groups
/// thousands with a dot and marks decimals with a comma (<c>1.000</c>, <c>4,7 %</c>), English the
/// other way round; times are in Vietnam time, which is when the officers' deadlines fall.
/// </summary>
internal static class ReviewText
{
    private static readonly CultureInfo Vietnamese = CultureInfo.GetCultureInfo("vi-VN");
    private static readonly CultureInfo English = CultureInfo.GetCultureInfo("en-US");

    public static string NumberVi(double value) => value.ToString("#,##0.##", Vietnamese);

    public static string NumberEn(double value) => value.ToString("#,##0.##", English);

    public static string PercentVi(double ratio) => (ratio * 100).ToString("#,##0.#", Vietnamese) + " %";

    public static string PercentEn(double ratio) => (ratio * 100).ToString("#,##0.#", English) + " %";

    /// <summary>"11/08/2024 07:00 (giờ Việt Nam)".</summary>
    public static string TimeVi(DateTimeOffset instant) =>
        instant.ToOffset(ReportingClock.VietnamOffset).ToString("dd/MM/yyyy HH:mm", CultureInfo.InvariantCulture) + " (giờ Việt Nam)";

    /// <summary>"2024-08-11 07:00 (Vietnam time)".</summary>
    public static string TimeEn(DateTimeOffset instant) =>
        instant.ToOffset(ReportingClock.VietnamOffset).ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture) + " (Vietnam time)";
}
