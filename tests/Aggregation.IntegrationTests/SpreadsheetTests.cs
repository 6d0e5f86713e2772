using Aggregation.Cli;
using Aggregation.Cli.Import;
using Aggregation.Protos.V1;
using DocumentFormat.OpenXml.Packaging;
using DocumentFormat.OpenXml.Spreadsheet;
using Spectre.Console;

namespace Aggregation.IntegrationTests;

/// <summary>District officers' spreadsheets in (templates, imports) and the officials' report out.</summary>
public sealed class SpreadsheetTests(ServerFixture server) : IClassFixture<ServerFixture>
{
    private readonly DirectoryInfo _folder = Directory.CreateTempSubdirectory("sheets-");

    [Fact]
    public async Task A_filled_in_district_template_imports_every_commune_and_a_re_import_counts_nothing_twice()
    {
        var template = Path.Combine(_folder.FullName, "template-164.xlsx");
        var (exit, _) = await CliAsync("import", "template", "--district", "164", "--dataset", "commune-monthly", "--period", "2024-03", "-o", template);
        Assert.Equal(0, exit);

        var header = new List<string>();
        var rows = SpreadsheetRows.Read(template, header).ToList();
        Assert.Equal(32, rows.Count);
        Assert.Equal(["unit_code", "unit_name", "period", "awareness_activities", "workers_reached", "complaints_received", "complaints_handled_on_time", "support_wishing_eligible", "support_accessed"], header);

        // The officer fills in two columns and saves.
        var filled = Path.Combine(_folder.FullName, "filled-164.xlsx");
        TemplateWriter.WriteXlsx(filled, header, rows.Select(r => (IReadOnlyList<string>)[r.Cells["unit_code"], r.Cells["unit_name"], "2024-03", "1", "5", "", "", "", ""]));

        Assert.Equal(0, (await CliAsync("import", filled)).Exit);
        var district = await Eventually.WaitAsync(
            () => server.ReadAsync("164", "2024-03"),
            r => Value(r, "awareness_activities") == 32,
            TimeSpan.FromSeconds(10),
            r => $"district 164 holds {Value(r, "awareness_activities")} awareness activities");
        Assert.Equal(160, Value(district, "workers_reached"));

        var ledger = await LedgerRowsAsync();
        var (again, output) = await CliAsync("import", filled);
        Assert.Equal(0, again);
        Assert.Contains("32 already imported before", output, StringComparison.Ordinal);
        Assert.Equal(ledger, await LedgerRowsAsync());
        Assert.Equal(32, Value(await server.ReadAsync("164", "2024-03"), "awareness_activities"));
    }

    [Fact]
    public async Task A_file_with_errors_lists_every_one_by_row_and_column_and_imports_nothing_unless_asked_for_the_valid_rows()
    {
        var csv = Path.Combine(_folder.FullName, "errors.csv");
        await File.WriteAllLinesAsync(csv,
        [
            "unit_code,period,awareness_activities,complaints_received,complaints_handled_on_time",
            "05446,2024-05,2,4,3",
            "05443,2024-05,abc,,",
            "99999,2024-05,1,,",
            "05449,2024-05,1,2,5",
            "05452,2024-13,1,,",
        ]);
        var ledger = await LedgerRowsAsync();

        var (exit, output) = await CliAsync("import", csv);

        Assert.Equal(1, exit);
        Assert.Contains("row 3, column awareness_activities: 'abc' is not a number", output, StringComparison.Ordinal);
        Assert.Contains("row 4, column unit_code", output, StringComparison.Ordinal);
        Assert.Contains("row 5, column complaints_handled_on_time", output, StringComparison.Ordinal);
        Assert.Contains("row 6, column period", output, StringComparison.Ordinal);
        Assert.Contains("4 errors in 4 of 5 rows", output, StringComparison.Ordinal);
        Assert.Equal(ledger, await LedgerRowsAsync());

        var (partial, _) = await CliAsync("import", csv, "--valid-only");
        Assert.Equal(0, partial);
        Assert.Equal(ledger + 1, await LedgerRowsAsync());
        await Eventually.WaitAsync(() => server.ReadAsync("05446", "2024-05"), r => Value(r, "complaints_received") == 4, TimeSpan.FromSeconds(10), _ => "row 2 not applied");
    }

    [Fact]
    public async Task The_half_year_report_workbook_lists_every_target_and_a_row_per_district()
    {
        var path = Path.Combine(_folder.FullName, "report.xlsx");

        var (exit, _) = await CliAsync("report", "--unit", "19", "--period", "2024S1", "-o", path);

        Assert.Equal(0, exit);
        using var document = SpreadsheetDocument.Open(path, false);
        var workbook = document.WorkbookPart!;
        var sheets = workbook.Workbook.Sheets!.Elements<Sheet>().ToList();
        Assert.Equal(["Chỉ tiêu", "Theo đơn vị", "Tình hình báo cáo"], sheets.Select(s => s.Name!.Value!));
        List<Row> Rows(int sheet) => ((WorksheetPart)workbook.GetPartById(sheets[sheet].Id!)).Worksheet.Descendants<Row>().ToList();
        var targets = Rows(0);
        var header = targets.Single(r => r.RowIndex!.Value == 5).Elements<Cell>().Select(c => c.InnerText).ToList();
        Assert.Equal(["Mã", "Chỉ tiêu", "Tử số", "Mẫu số", "Kết quả đạt được", "Mục tiêu", "Đánh giá"], header);
        var ids = targets.Where(r => r.RowIndex!.Value > 5).Select(r => r.Elements<Cell>().First().InnerText).ToList();
        Assert.Equal(15, ids.Count);
        Assert.Contains("T1.1", ids);
        Assert.Equal("Tỉnh Thái Nguyên - 6 tháng đầu năm 2024", targets.Single(r => r.RowIndex!.Value == 2).InnerText);
        var districts = Rows(1).Where(r => r.RowIndex!.Value > 4).Select(r => r.Elements<Cell>().ElementAt(1).InnerText).ToList();
        Assert.Equal(9, districts.Count);
        Assert.Contains("Thành phố Thái Nguyên", districts);
    }

    private static long? Value(UnitRollup rollup, string element) => rollup.Values.Single(v => v.DataElement == element).Value;

    private async Task<long> LedgerRowsAsync() => (await RecordedRows.CountAsync(server.ConnectionString)).Ledger;

    /// <summary>Runs the CLI in this process as the tenant's operator, capturing what it prints.</summary>
    private async Task<(int Exit, string Output)> CliAsync(params string[] args)
    {
        var output = new StringWriter();
        var console = AnsiConsole.Console;
        AnsiConsole.Console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(output), Interactive = InteractionSupport.No, Ansi = AnsiSupport.No });
        try
        {
            var exit = await CliApp.Build().Parse([.. args, "--server", server.Address, "--token", TestCredentials.Token(TestCredentials.Operator)]).InvokeAsync();
            return (exit, output.ToString().ReplaceLineEndings(" "));
        }
        finally
        {
            AnsiConsole.Console = console;
        }
    }
}
