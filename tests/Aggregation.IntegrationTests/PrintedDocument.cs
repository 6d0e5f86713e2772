using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Xml;
using System.Xml.Linq;

namespace Aggregation.IntegrationTests;

/// <summary>A word printed on a page, with its box in points from the page's top left corner.</summary>
public sealed record PrintedWord(string Text, double Left, double Top, double Right, double Bottom);

/// <summary>A printed page: its size in points and its words, grouped into lines from top to bottom.</summary>
public sealed record PrintedPage(int Number, double Width, double Height, IReadOnlyList<PrintedWord> Words)
{
    /// <summary>Words whose tops lie within 3 pt of each other, left to right: a line of text or a table row's first line.</summary>
    public IReadOnlyList<IReadOnlyList<PrintedWord>> Lines
    {
        get
        {
            var lines = new List<List<PrintedWord>>();
            foreach (var word in Words.OrderBy(w => w.Top).ThenBy(w => w.Left))
            {
                if (lines.Count > 0 && Math.Abs(lines[^1][0].Top - word.Top) <= 3)
                {
                    lines[^1].Add(word);
                }
                else
                {
                    lines.Add([word]);
                }
            }

            return [.. lines.Select(l => (IReadOnlyList<PrintedWord>)[.. l.OrderBy(w => w.Left)])];
        }
    }

    /// <summary>The page's words in reading order, single-spaced.</summary>
    public string Text => string.Join(" ", Lines.Select(l => string.Join(" ", l.Select(w => w.Text))));
}

/// <summary>
/// Prints a document to PDF the way an official's computer would (LibreOffice, headless, from
/// Debian's packages) and reads back every page's words with Poppler's pdftotext.
/// </summary>
public static class PrintedDocument
{
    public static async Task<IReadOnlyList<PrintedPage>> PrintAsync(string document, TimeSpan timeout)
    {
        var folder = Path.GetDirectoryName(Path.GetFullPath(document))!;
        // A private profile per run: LibreOffice refuses to start a second instance on a shared one,
        // and a profile left by another run must not change how this one prints.
        var profile = Directory.CreateTempSubdirectory("lo-profile-");
        try
        {
            await RunAsync("soffice", [$"-env:UserInstallation={new Uri(profile.FullName).AbsoluteUri}", "--headless", "--norestore", "--convert-to", "pdf", "--outdir", folder, document], timeout);
        }
        finally
        {
            profile.Delete(recursive: true);
        }

        var pdf = Path.Combine(folder, Path.GetFileNameWithoutExtension(document) + ".pdf");
        Assert.True(File.Exists(pdf), $"LibreOffice wrote no PDF for {document}");
        var xhtml = await RunAsync("pdftotext", ["-bbox", pdf, "-"], timeout);
        using var reader = XmlReader.Create(new StringReader(xhtml), new XmlReaderSettings { DtdProcessing = DtdProcessing.Ignore, XmlResolver = null });
        var html = XDocument.Load(reader);
        XNamespace x = "http://www.w3.org/1999/xhtml";
        return [.. html.Descendants(x + "page").Select((page, i) => new PrintedPage(
            i + 1,
            Points(page, "width"),
            Points(page, "height"),
            [.. page.Elements(x + "word").Select(w => new PrintedWord(w.Value.Normalize(NormalizationForm.FormC), Points(w, "xMin"), Points(w, "yMin"), Points(w, "xMax"), Points(w, "yMax")))]))];
    }

    private static double Points(XElement element, string attribute) =>
        double.Parse(element.Attribute(attribute)!.Value, CultureInfo.InvariantCulture);

    private static async Task<string> RunAsync(string program, IReadOnlyList<string> arguments, TimeSpan timeout)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{program} did not start");
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        using var limit = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(limit.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"{program} did not finish within {timeout.TotalSeconds:0} s");
        }

        Assert.True(process.ExitCode == 0, $"{program} exited with {process.ExitCode}: {await errors}");
        return await output;
    }
}
