using System.CommandLine;
using System.Globalization;
using Google.Protobuf.WellKnownTypes;
using Spectre.Console;

namespace Aggregation.Cli;

/// <summary>
/// What one run of the command prints and how: its language (Vietnamese, or English with
/// <c>--en</c>), the consoles for results (standard output) and errors (standard error), times in
/// Vietnam time, counts with the right noun form.
/// </summary>
public static class Ui
{
    /// <summary>Vietnam has kept UTC+7 without daylight saving since 1975: the fixed offset is the fallback where tzdata is missing.</summary>
    public static readonly TimeZoneInfo VietnamTime = FindVietnamTime();

    private static IAnsiConsole? _out;
    private static IAnsiConsole? _error;

    /// <summary>The width given in <c>COLUMNS</c> (the Unix convention), if any.</summary>
    public static int? Columns =>
        int.TryParse(Environment.GetEnvironmentVariable("COLUMNS"), NumberStyles.None, CultureInfo.InvariantCulture, out var columns) && columns > 0 ? columns : null;

    /// <summary>English labels for this run (default: Vietnamese).</summary>
    public static bool English { get; private set; }

    /// <summary>The server address this run connects to, for messages that must name it.</summary>
    public static string ServerAddress { get; set; } = "";

    /// <summary>Results: standard output as it is when the run starts (so a caller that redirects it sees them).</summary>
    public static IAnsiConsole Out => _out ??= Create(Console.Out);

    /// <summary>Errors and advice: standard error, so that <c>--output csv</c> or <c>json</c> piped elsewhere stays clean.</summary>
    public static IAnsiConsole Error => _error ??= Create(Console.Error);

    /// <summary>Reads the run's language and binds the consoles to the current standard streams.</summary>
    public static void Configure(ParseResult parse, Option<bool> english)
    {
        ArgumentNullException.ThrowIfNull(parse);
        Configure(parse.GetValue(english));
    }

    /// <summary>Sets the run's language and binds the consoles to the current standard streams (for callers without a command line).</summary>
    public static void Configure(bool english)
    {
        English = english;
        _out = Create(Console.Out);
        _error = Create(Console.Error);
    }

    /// <summary>The run's language, for the shared spreadsheet code that is told it rather than reading this class.</summary>
    public static Aggregation.Spreadsheets.Language Language => new(English);

    /// <summary>The text in the run's language.</summary>
    public static string T(string vietnamese, string english) => English ? english : vietnamese;

    /// <summary>"1 report", "2 reports"; Vietnamese nouns do not inflect ("1 báo cáo", "2 báo cáo").</summary>
    public static string Count(long n, string vietnamese, string englishSingular, string englishPlural) =>
        $"{Number(n)} {(English ? n == 1 ? englishSingular : englishPlural : vietnamese)}";

    /// <summary>A whole number as people of the run's language write it: 1.000 in Vietnamese, 1,000 in English.</summary>
    public static string Number(long n) => n.ToString("N0", English ? CultureInfo.InvariantCulture : Vietnamese);

    /// <summary>A share as a percentage: "4,7 %" in Vietnamese, "4.7 %" in English.</summary>
    public static string Percent(double ratio, int decimals = 1) =>
        (ratio * 100).ToString("N" + decimals.ToString(CultureInfo.InvariantCulture), English ? CultureInfo.InvariantCulture : Vietnamese) + " %";

    private static readonly CultureInfo Vietnamese = CultureInfo.GetCultureInfo("vi-VN");

    /// <summary>A time for people: ISO date, Vietnam time, the zone shown ("2025-07-01 08:30:00 (UTC+7)").</summary>
    public static string Time(DateTimeOffset time) =>
        TimeZoneInfo.ConvertTime(time, VietnamTime).ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture) + " (UTC+7)";

    public static string Time(Timestamp? time) => time is null ? "" : Time(time.ToDateTimeOffset());

    /// <summary>A time for programs (CSV, JSON): ISO 8601 in Vietnam time with its offset.</summary>
    public static string IsoTime(Timestamp? time) =>
        time is null ? "" : TimeZoneInfo.ConvertTime(time.ToDateTimeOffset(), VietnamTime).ToString("yyyy-MM-dd'T'HH:mm:sszzz", CultureInfo.InvariantCulture);

    /// <summary>The administrative level in the run's language.</summary>
    public static string Level(string level) => level switch
    {
        "nation" => T("quốc gia", "nation"),
        "province" => T("tỉnh", "province"),
        "district" => T("huyện", "district"),
        "commune" => T("xã", "commune"),
        "agency" => T("cơ quan", "agency"),
        _ => level,
    };

    /// <summary>A reporting frequency in the run's language.</summary>
    public static string Frequency(string periodType) => periodType switch
    {
        "monthly" => T("hằng tháng", "monthly"),
        "quarterly" => T("hằng quý", "quarterly"),
        "sixMonthly" => T("6 tháng", "six-monthly"),
        "yearly" => T("hằng năm", "yearly"),
        _ => periodType,
    };

    /// <summary>How a target is read, in the run's language.</summary>
    public static string TargetBasis(string basis) => basis switch
    {
        "Period" => T("theo kỳ", "per period"),
        "PerYear" => T("mỗi năm", "per year"),
        "Deadline" => T("đến hạn", "by a deadline"),
        _ => basis,
    };

    /// <summary>The closest of <paramref name="known"/> to a mistyped id, when one is close enough to be what was meant.</summary>
    public static string? Closest(string typed, IEnumerable<string> known)
    {
        ArgumentNullException.ThrowIfNull(typed);
        var best = known
            .Select(k => (Id: k, Distance: Quickenshtein.Levenshtein.GetDistance(typed.ToLowerInvariant(), k.ToLowerInvariant())))
            .OrderBy(c => c.Distance)
            .FirstOrDefault();

        // A third of the id's length: "awarness_activities" finds awareness_activities, "xyz" finds nothing.
        return best.Id is not null && best.Distance <= Math.Max(2, best.Id.Length / 3) ? best.Id : null;
    }

    private static IAnsiConsole Create(TextWriter writer)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(writer),
            Interactive = InteractionSupport.Detect,
            Ansi = AnsiSupport.Detect,
            ColorSystem = ColorSystemSupport.Detect,
        });

        // COLUMNS, when set, is the width to write for; piped output otherwise has none: lines are
        // written whole, never cut at an assumed 80 columns.
        if (Columns is { } columns)
        {
            console.Profile.Width = columns;
        }
        else if (!console.Profile.Out.IsTerminal)
        {
            console.Profile.Width = int.MaxValue / 4;
        }

        return console;
    }

    private static TimeZoneInfo FindVietnamTime()
    {
        try
        {
            return TimeZoneInfo.FindSystemTimeZoneById("Asia/Ho_Chi_Minh");
        }
        catch (Exception ex) when (ex is TimeZoneNotFoundException or InvalidTimeZoneException)
        {
            return TimeZoneInfo.CreateCustomTimeZone("Asia/Ho_Chi_Minh", TimeSpan.FromHours(7), "Vietnam (UTC+7)", "Vietnam (UTC+7)");
        }
    }
}
