using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using CsvHelper;
using Spectre.Console;

namespace Aggregation.Cli;

/// <summary>How a listing command writes its rows (<c>--output</c>).</summary>
public enum OutputFormat
{
    /// <summary>For people: labels in the run's language, Vietnam times, colours on a terminal.</summary>
    Table,

    /// <summary>For spreadsheets and scripts: one header row of ids, values as data (UTF-8).</summary>
    Csv,

    /// <summary>For programs: an array of objects keyed by the same ids as the CSV header.</summary>
    Json,
}

/// <summary>One column of a listing: a stable id (CSV header, JSON key) and its label for people.</summary>
public sealed record ListColumn(string Id, string Vietnamese, string English)
{
    /// <summary>Narrowest a wrappable column is made on a terminal before rows become blocks.</summary>
    public const int MinWrappedWidth = 20;

    public string Label => Ui.T(Vietnamese, English);

    /// <summary>Long text (names, errors) that may wrap inside its cell on a terminal; never when piped.</summary>
    public bool Wrap { get; init; }
}

/// <summary>A cell: what people read (<see cref="Text"/>, optionally coloured) and what programs get (<see cref="Value"/>).</summary>
public readonly record struct ListCell(string Text, object? Value, string? Colour = null)
{
    public static implicit operator ListCell(string text) => new(text, text);

    public static ListCell Of(long? n) => n is { } v ? new ListCell(Ui.Number(v), v) : new ListCell("-", null);

    public static ListCell Ratio(double? r, int decimals = 1) => r is { } v ? new ListCell(Ui.Percent(v, decimals), v) : new ListCell("-", null);

    public static ListCell Time(Google.Protobuf.WellKnownTypes.Timestamp? t) => new(Ui.Time(t), t is null ? null : Ui.IsoTime(t));
}

/// <summary>
/// Rows with named columns, written as a table for people or as CSV/JSON for programs. A table is
/// never wrapped inside its rows: piped, it is written at its full width (one line per row, for
/// grep and awk); on a terminal too narrow for it, each row becomes a block of "label: value" lines.
/// </summary>
public sealed class Listing(params ListColumn[] columns)
{
    private readonly List<ListCell[]> _rows = [];

    public IReadOnlyList<ListColumn> Columns { get; } = columns;

    public int Count => _rows.Count;

    public IReadOnlyList<ListCell[]> Rows => _rows;

    public static Option<OutputFormat> Option() => new("--output")
    {
        Description = "table (for people, in the run's language), csv or json (for programs: ids as headers, values as data)",
        DefaultValueFactory = _ => OutputFormat.Table,
        HelpName = "table|csv|json",
    };

    public Listing Add(params ListCell[] cells)
    {
        if (cells.Length != Columns.Count)
        {
            throw new ArgumentException($"{cells.Length} cells for {Columns.Count} columns.", nameof(cells));
        }

        _rows.Add(cells);
        return this;
    }

    public void Write(OutputFormat format)
    {
        switch (format)
        {
            case OutputFormat.Csv:
                WriteCsv(Console.Out);
                break;
            case OutputFormat.Json:
                WriteJson(Console.Out);
                break;
            default:
                WriteTable(Ui.Out);
                break;
        }
    }

    public void WriteCsv(TextWriter writer)
    {
        using var csv = new CsvWriter(writer, CultureInfo.InvariantCulture, leaveOpen: true);
        foreach (var column in Columns)
        {
            csv.WriteField(column.Id);
        }

        csv.NextRecord();
        foreach (var row in _rows)
        {
            foreach (var cell in row)
            {
                csv.WriteField(cell.Value switch
                {
                    null => "",
                    double d => d.ToString("R", CultureInfo.InvariantCulture),
                    IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
                    var v => v.ToString(),
                });
            }

            csv.NextRecord();
        }

        csv.Flush();
    }

    public void WriteJson(TextWriter writer)
    {
        using var stream = new MemoryStream();
        using (var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            WriteJson(json);
        }

        writer.WriteLine(System.Text.Encoding.UTF8.GetString(stream.ToArray()));
    }

    /// <summary>The rows as a JSON array (for a caller composing a larger document).</summary>
    public void WriteJson(Utf8JsonWriter json)
    {
        ArgumentNullException.ThrowIfNull(json);
        json.WriteStartArray();
        foreach (var row in _rows)
        {
            json.WriteStartObject();
            for (var i = 0; i < Columns.Count; i++)
            {
                json.WritePropertyName(Columns[i].Id);
                switch (row[i].Value)
                {
                    case null: json.WriteNullValue(); break;
                    case long l: json.WriteNumberValue(l); break;
                    case int n: json.WriteNumberValue(n); break;
                    case double d when double.IsFinite(d): json.WriteNumberValue(d); break;
                    case bool b: json.WriteBooleanValue(b); break;
                    case IEnumerable<string> list:
                        json.WriteStartArray();
                        foreach (var item in list)
                        {
                            json.WriteStringValue(item);
                        }

                        json.WriteEndArray();
                        break;
                    case var v: json.WriteStringValue(v.ToString()); break;
                }
            }

            json.WriteEndObject();
        }

        json.WriteEndArray();
    }

    public void WriteTable(IAnsiConsole console)
    {
        ArgumentNullException.ThrowIfNull(console);
        var widths = Columns.Select((c, i) => _rows.Select(r => Width(r[i].Text)).Prepend(Width(c.Label)).Max()).ToList();

        // Borders and one space of padding either side of each cell.
        var needed = widths.Sum() + (3 * widths.Count) + 1;
        var available = AvailableWidth(console);
        var narrowest = needed - Columns.Select((c, i) => c.Wrap ? Math.Max(0, widths[i] - ListColumn.MinWrappedWidth) : 0).Sum();
        if (available is { } width && narrowest > width)
        {
            WriteBlocks(console);
            return;
        }

        var wrap = available is { } room && needed > room;
        var table = new Table { Border = console.Profile.Out.IsTerminal ? TableBorder.Rounded : TableBorder.Simple };
        foreach (var column in Columns)
        {
            var header = new TableColumn(Markup.Escape(column.Label));
            table.AddColumn(wrap && column.Wrap ? header : header.NoWrap());
        }

        foreach (var row in _rows)
        {
            table.AddRow(row.Select(Render).ToArray());
        }

        // Piped output has no width: write the table whole rather than at an assumed 80 columns.
        var saved = console.Profile.Width;
        console.Profile.Width = available ?? Math.Max(saved, needed);
        try
        {
            console.Write(table);
        }
        finally
        {
            console.Profile.Width = saved;
        }
    }

    /// <summary>Each row as "label: value" lines: readable at any width.</summary>
    private void WriteBlocks(IAnsiConsole console)
    {
        var labelWidth = Columns.Max(c => Width(c.Label));
        foreach (var row in _rows)
        {
            for (var i = 0; i < Columns.Count; i++)
            {
                if (row[i].Text.Length == 0)
                {
                    continue;
                }

                console.MarkupLine($"[bold]{Markup.Escape(Columns[i].Label.PadRight(labelWidth))}[/]  {Render(row[i])}");
            }

            console.WriteLine();
        }
    }

    /// <summary>The terminal's width (or <c>COLUMNS</c>); none when the output is piped and no width was given.</summary>
    private static int? AvailableWidth(IAnsiConsole console) =>
        Ui.Columns ?? (console.Profile.Out.IsTerminal ? console.Profile.Width : null);

    private static string Render(ListCell cell) =>
        cell.Colour is { } colour ? $"[{colour}]{Markup.Escape(cell.Text)}[/]" : Markup.Escape(cell.Text);

    private static int Width(string text) => new StringInfo(text.Normalize()).LengthInTextElements;
}
