using System.Globalization;
using System.Text.Json;
using Spectre.Console;

namespace Aggregation.Cli;

/// <summary>
/// The report time of each idempotency key this computer has submitted with, so that running the
/// same <c>submit … --key K</c> again after a network error sends the very same report (a report's
/// time is part of it: a different time would be a different report under a used key). Kept for
/// <see cref="Retention"/> in <c>aggregation/submitted-keys.json</c> under the user's local data
/// folder (<c>$XDG_DATA_HOME</c>, else <c>~/.local/share</c>); <c>--reported-at</c> gives the time
/// explicitly (a retry from another computer).
/// </summary>
public static class SubmittedKeys
{
    public static readonly TimeSpan Retention = TimeSpan.FromDays(90);

    public static string FilePath =>
        Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData, Environment.SpecialFolderOption.Create), "aggregation", "submitted-keys.json");

    /// <summary>
    /// The time to stamp a report sent to <paramref name="server"/> under <paramref name="key"/>:
    /// <paramref name="explicitTime"/> when given, else the time remembered for the key, else
    /// <paramref name="now"/>; remembered before the report is sent.
    /// </summary>
    public static DateTimeOffset ReportTime(string server, string key, DateTimeOffset? explicitTime, DateTimeOffset now)
    {
        var id = server.TrimEnd('/') + " " + key;
        var path = FilePath;
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            using var file = OpenExclusive(path);
            var entries = Read(file);
            var time = explicitTime ?? (entries.TryGetValue(id, out var known) ? known : now);
            entries[id] = time;
            foreach (var stale in entries.Where(e => now - e.Value > Retention && e.Key != id).Select(e => e.Key).ToList())
            {
                entries.Remove(stale);
            }

            file.SetLength(0);
            JsonSerializer.Serialize(file, entries.ToDictionary(e => e.Key, e => e.Value.ToString("O", CultureInfo.InvariantCulture)));
            return time;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or JsonException)
        {
            // The report still goes out; only a later retry without --reported-at could differ.
            Ui.Error.WriteLine(Ui.T($"Không ghi được {path} ({ex.Message}): khi gửi lại, hãy thêm --reported-at {now:O}.", $"Cannot record the key in {path} ({ex.Message}): to retry, add --reported-at {now:O}."));
            return explicitTime ?? now;
        }
    }

    /// <summary>ISO 8601; without an offset, Vietnam time.</summary>
    public static bool TryParseTime(string text, out DateTimeOffset time)
    {
        ArgumentNullException.ThrowIfNull(text);
        var hasOffset = text.EndsWith('Z') || System.Text.RegularExpressions.Regex.IsMatch(text, @"[+-]\d\d:?\d\d$");
        if (hasOffset)
        {
            return DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.None, out time) && text.Contains('T', StringComparison.Ordinal);
        }

        if (DateTime.TryParseExact(text, ["yyyy-MM-dd'T'HH:mm", "yyyy-MM-dd'T'HH:mm:ss", "yyyy-MM-dd'T'HH:mm:ss.FFFFFFF"], CultureInfo.InvariantCulture, DateTimeStyles.None, out var local))
        {
            time = new DateTimeOffset(local, Ui.VietnamTime.GetUtcOffset(local));
            return true;
        }

        time = default;
        return false;
    }

    /// <summary>Two runs at once wait for each other rather than lose a key.</summary>
    private static FileStream OpenExclusive(string path)
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException) when (attempt < 50)
            {
                Thread.Sleep(20);
            }
        }
    }

    private static Dictionary<string, DateTimeOffset> Read(FileStream file)
    {
        if (file.Length == 0)
        {
            return new Dictionary<string, DateTimeOffset>(StringComparer.Ordinal);
        }

        var stored = JsonSerializer.Deserialize<Dictionary<string, string>>(file) ?? [];
        file.Position = 0;
        return stored
            .Select(e => (e.Key, Ok: DateTimeOffset.TryParse(e.Value, CultureInfo.InvariantCulture, DateTimeStyles.None, out var t), Time: t))
            .Where(e => e.Ok)
            .ToDictionary(e => e.Key, e => e.Time, StringComparer.Ordinal);
    }
}
