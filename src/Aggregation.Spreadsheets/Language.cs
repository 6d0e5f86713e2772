using System.Globalization;

namespace Aggregation.Spreadsheets;

/// <summary>
/// The language a sentence is said in: Vietnamese (the default) or English. The command line has one
/// per run; the upload page one per request, so it is passed, never kept in a static.
/// </summary>
public readonly record struct Language(bool English)
{
    public static readonly Language Vietnamese = new(false);
    public static readonly Language InEnglish = new(true);

    private static readonly CultureInfo ViVn = CultureInfo.GetCultureInfo("vi-VN");

    /// <summary>The text in this language.</summary>
    public string T(string vietnamese, string english) => English ? english : vietnamese;

    /// <summary>A whole number as people of this language write it: 1.000 in Vietnamese, 1,000 in English.</summary>
    public string Number(long n) => n.ToString("N0", English ? CultureInfo.InvariantCulture : ViVn);

    /// <summary>"1 report", "2 reports"; Vietnamese nouns do not inflect ("1 báo cáo", "2 báo cáo").</summary>
    public string Count(long n, string vietnamese, string englishSingular, string englishPlural) =>
        $"{Number(n)} {(English ? n == 1 ? englishSingular : englishPlural : vietnamese)}";
}

/// <summary>
/// A sentence in both languages: what the import finds is kept this way, so that the page can switch
/// language without checking the file again, and the command line picks its run's.
/// </summary>
public sealed record Said(string Vi, string En)
{
    /// <summary>The sentence <paramref name="say"/> makes in each language.</summary>
    public static Said Both(Func<Language, string> say)
    {
        ArgumentNullException.ThrowIfNull(say);
        return new Said(say(Language.Vietnamese), say(Language.InEnglish));
    }

    /// <summary>A sentence that exists in one wording only (the server's own messages), shown as it is in either language.</summary>
    public static Said Same(string text) => new(text, text);

    public string In(Language language) => language.English ? En : Vi;
}
