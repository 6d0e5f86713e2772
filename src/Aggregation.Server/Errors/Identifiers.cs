using System.Globalization;

namespace Aggregation.Server.Errors;

/// <summary>
/// The one rule for identifiers arriving on the wire (unit codes, programme and data element ids,
/// idempotency keys): 1-128 printable ASCII characters without spaces. Identifiers are compared
/// exactly as sent, never trimmed or case-folded, so anything outside this rule (" 05443",
/// "05443\u200B", "０５４４３", a NUL) is a mistake or a look-alike, and is refused as malformed. The
/// refusal depends on the text alone, so it may come before scope checks without saying whether a
/// unit exists.
/// </summary>
public static class Identifiers
{
    public const int MaxLength = 128;

    public static bool IsWellFormed(string? text) =>
        text is { Length: > 0 and <= MaxLength } && text.All(c => c is >= '!' and <= '~');

    /// <summary>Why <paramref name="text"/> is not well formed, for a field violation.</summary>
    public static string Problem(string? text) => string.IsNullOrEmpty(text)
        ? "is required"
        : $"'{RpcErrors.Clip(text)}' must be 1-{MaxLength} printable ASCII characters without spaces, exactly as issued (nothing is trimmed)";

    /// <summary>
    /// Reads a page token this server handed out: a non-negative number in its canonical decimal
    /// form, so " 100", "+100" or "0100" are not tokens.
    /// </summary>
    public static bool TryParsePageToken(string text, out long position) =>
        long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out position)
        && position.ToString(CultureInfo.InvariantCulture) == text;
}
