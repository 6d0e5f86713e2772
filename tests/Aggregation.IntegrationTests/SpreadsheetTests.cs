using Aggregation.Cli;
using Aggregation.Spreadsheets;
using Aggregation.Protos.V1;
using DocumentFormat.OpenXml.Packaging;
using DocumentFormat.OpenXml.Spreadsheet;

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
        File.Copy(template, filled);
        Fill(filled, (_, _) => [("awareness_activities", "1", true), ("workers_reached", "5", true)]);

        Assert.Equal(0, (await CliAsync("import", filled)).Exit);
        var district = await Eventually.WaitAsync(
            () => server.ReadAsync("164", "2024-03"),
            r => Value(r, "awareness_activities") == 32,
            TimeSpan.FromSeconds(10),
            r => $"district 164 holds {Value(r, "awareness_activities")} awareness activities");
        Assert.Equal(160, Value(district, "workers_reached"));

        var ledger = await LedgerRowsAsync();
        var (again, output) = await CliAsync("import", filled, "--en");
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

        var (exit, output) = await CliAsync("import", csv, "--en");

        Assert.Equal(1, exit);
        Assert.Contains("row 3, column C (awareness_activities): 'abc' is not a number", output, StringComparison.Ordinal);
        Assert.Contains("row 4, column A (unit_code)", output, StringComparison.Ordinal);
        Assert.Contains("row 5, column E (complaints_handled_on_time)", output, StringComparison.Ordinal);
        Assert.Contains("row 6, column B (period)", output, StringComparison.Ordinal);
        Assert.Contains("4 errors in 4 of 5 rows", output, StringComparison.Ordinal);
        Assert.Equal(ledger, await LedgerRowsAsync());

        var (partial, partialOutput) = await CliAsync("import", csv, "--valid-only", "--en");
        Assert.Equal(1, partial);
        Assert.Contains("4 rows with errors not imported", partialOutput, StringComparison.Ordinal);
        Assert.Equal(ledger + 1, await LedgerRowsAsync());
        await Eventually.WaitAsync(() => server.ReadAsync("05446", "2024-05"), r => Value(r, "complaints_received") == 4, TimeSpan.FromSeconds(10), _ => "row 2 not applied");
    }

    [Fact]
    public async Task Numbers_in_a_csv_are_read_in_vietnamese_notation_so_1_000_is_one_thousand()
    {
        var csv = Path.Combine(_folder.FullName, "vietnamese.csv");
        await File.WriteAllLinesAsync(csv,
        [
            "unit_code,period,awareness_activities,workers_reached",
            "05461,2024-10,2,1.000",
            "05464,2024-10,1,3.500",
        ]);

        var (exit, output) = await CliAsync("import", csv);

        Assert.True(exit == 0, output);
        await Eventually.WaitAsync(() => server.ReadAsync("05461", "2024-10"), r => Value(r, "workers_reached") == 1000, TimeSpan.FromSeconds(10), r => $"05461 holds {Value(r, "workers_reached")} workers reached, not 1000");
        await Eventually.WaitAsync(() => server.ReadAsync("05464", "2024-10"), r => Value(r, "workers_reached") == 3500, TimeSpan.FromSeconds(10), r => $"05464 holds {Value(r, "workers_reached")} workers reached, not 3500");
    }

    [Fact]
    public async Task Numbers_in_a_csv_declared_english_are_read_in_english_notation()
    {
        var csv = Path.Combine(_folder.FullName, "english.csv");
        await File.WriteAllLinesAsync(csv,
        [
            "unit_code,period,workers_reached",
            "05470,2024-10,\"1,000\"",
        ]);

        var (exit, output) = await CliAsync("import", csv, "--number-format", "en");

        Assert.True(exit == 0, output);
        await Eventually.WaitAsync(() => server.ReadAsync("05470", "2024-10"), r => Value(r, "workers_reached") == 1000, TimeSpan.FromSeconds(10), r => $"05470 holds {Value(r, "workers_reached")} workers reached, not 1000");
    }

    [Fact]
    public async Task Ambiguous_and_misgrouped_numbers_are_refused_with_the_row_column_text_and_how_to_write_them()
    {
        var csv = Path.Combine(_folder.FullName, "ambiguous.csv");
        await File.WriteAllLinesAsync(csv,
        [
            "unit_code;period;workers_reached",
            "05467;2024-10;1,5",
            "05467;2024-11;1.5",
            "05467;2024-12;1,000",
            "05467;2024-09;1,000.5",
        ]);
        var ledger = await LedgerRowsAsync();

        var (exit, output) = await CliAsync("import", csv, "--en");

        Assert.Equal(1, exit);
        Assert.Contains("row 2, column C (workers_reached): '1,5' is not a whole number", output, StringComparison.Ordinal);
        Assert.Contains("row 3, column C (workers_reached): '1.5' is not a Vietnamese number", output, StringComparison.Ordinal);
        Assert.Contains("row 4, column C (workers_reached): '1,000' could mean 1 or one thousand", output, StringComparison.Ordinal);
        Assert.Contains("write 1.000 (or 1000) for one thousand", output, StringComparison.Ordinal);
        Assert.Contains("row 5, column C (workers_reached): '1,000.5' has its separators in the wrong order", output, StringComparison.Ordinal);
        Assert.Contains("4 errors in 4 of 4 rows", output, StringComparison.Ordinal);
        Assert.Equal(ledger, await LedgerRowsAsync());
    }

    [Fact]
    public async Task Typed_numbers_in_an_xlsx_are_read_as_they_are_and_text_cells_in_vietnamese_notation()
    {
        var template = Path.Combine(_folder.FullName, "typed.xlsx");
        Assert.Equal(0, (await CliAsync("import", "template", "--district", "164", "--period", "2024-11", "-o", template)).Exit);
        Fill(template, (unit, _) => unit switch
        {
            "05473" => [("workers_reached", "3500", true)],
            "05476" => [("workers_reached", "3.500", false)],
            "05479" => [("workers_reached", "12.5", true)],
            "05482" => [("period", "45597", true), ("workers_reached", "7", true)],
            _ => [],
        });

        var (exit, output) = await CliAsync("import", template, "--en");

        Assert.Equal(1, exit);
        Assert.Contains("column E (workers_reached): '12,5' is not a whole number", output, StringComparison.Ordinal);
        Assert.Contains("column C (period): the cell holds a date (01/11/2024), not a period", output, StringComparison.Ordinal);
        Assert.Contains("format the cell as text and write 2024-11", output, StringComparison.Ordinal);
        Assert.Equal(1, (await CliAsync("import", template, "--valid-only")).Exit);
        await Eventually.WaitAsync(() => server.ReadAsync("05473", "2024-11"), r => Value(r, "workers_reached") == 3500, TimeSpan.FromSeconds(10), r => $"05473 holds {Value(r, "workers_reached")}");
        await Eventually.WaitAsync(() => server.ReadAsync("05476", "2024-11"), r => Value(r, "workers_reached") == 3500, TimeSpan.FromSeconds(10), r => $"05476 holds {Value(r, "workers_reached")}");
    }

    [Fact]
    public async Task A_template_for_two_months_filled_in_for_a_few_communes_imports_them_and_skips_the_untouched_rows()
    {
        var template = Path.Combine(_folder.FullName, "two-months.xlsx");
        Assert.Equal(0, (await CliAsync("import", "template", "--district", "164", "--period", "2024-08", "--period", "2024-09", "-o", template)).Exit);
        string[] filled = ["05431", "05434", "05437"];
        Fill(template, (unit, _) => filled.Contains(unit) ? [("awareness_activities", "2", true)] : []);

        var (exit, output) = await CliAsync("import", template, "--en");

        Assert.True(exit == 0, output);
        Assert.Contains("6 reports imported", output, StringComparison.Ordinal);
        Assert.Contains("58 rows without values skipped", output, StringComparison.Ordinal);
        await Eventually.WaitAsync(() => server.ReadAsync("164", "2024-09"), r => Value(r, "awareness_activities") == 6, TimeSpan.FromSeconds(10), r => $"district 164 holds {Value(r, "awareness_activities")} in 2024-09");
    }

    [Fact]
    public async Task A_template_after_1_July_2025_lists_the_communes_in_force_and_says_the_district_no_longer_exists()
    {
        var template = Path.Combine(_folder.FullName, "after-july.xlsx");

        var (exit, output) = await CliAsync("import", "template", "--district", "164", "--period", "2025-06", "--period", "2025-09", "-o", template, "--en");

        Assert.True(exit == 0, output);
        Assert.Contains("district 164 (Thành phố Thái Nguyên) no longer exists from 2025-07-01", output, StringComparison.Ordinal);
        Assert.Contains("2025-06: 32 communes of Thành phố Thái Nguyên", output, StringComparison.Ordinal);
        Assert.Contains("2025-09: 92 communes of Tỉnh Thái Nguyên", output, StringComparison.Ordinal);
        var rows = SpreadsheetRows.Read(template, []).ToList();
        Assert.Equal(32, rows.Count(r => r.Cells["period"] == "2025-06"));
        var september = rows.Where(r => r.Cells["period"] == "2025-09").Select(r => r.Cells["unit_code"]).ToList();
        Assert.Equal(92, september.Count);
        Assert.Contains("05482", september);
        Assert.DoesNotContain("05431", september);
        using (var document = SpreadsheetDocument.Open(template, false))
        {
            var help = string.Join("\n", Sheet(document.WorkbookPart!, 1).Worksheet.Descendants<Cell>().Select(c => c.InnerText));
            Assert.Contains("Kỳ 2025-09: 92 đơn vị cấp xã của Tỉnh Thái Nguyên.", help, StringComparison.Ordinal);
            Assert.Contains("Thành phố Thái Nguyên (164) không còn từ ngày 2025-07-01", help, StringComparison.Ordinal);
        }

        Fill(template, (unit, period) => (unit, period) is ("05431", "2025-06") or ("05482", "2025-09") ? [("awareness_activities", "1", true)] : []);
        var (imported, importOutput) = await CliAsync("import", template, "--en");
        Assert.True(imported == 0, importOutput);
        Assert.Contains("2 reports imported", importOutput, StringComparison.Ordinal);
        await Eventually.WaitAsync(() => server.ReadAsync("05482", "2025-09"), r => Value(r, "awareness_activities") == 1, TimeSpan.FromSeconds(10), _ => "Phường Quan Triều's September not imported");
    }

    [Fact]
    public async Task A_template_has_vietnamese_headings_hidden_ids_validation_instructions_and_a_frozen_header()
    {
        var monthly = Path.Combine(_folder.FullName, "layout.xlsx");
        var sixMonthly = Path.Combine(_folder.FullName, "layout-district.xlsx");
        Assert.Equal(0, (await CliAsync("import", "template", "--district", "164", "--period", "2024-07", "-o", monthly)).Exit);
        Assert.Equal(0, (await CliAsync("import", "template", "--district", "164", "--dataset", "district-sixmonthly", "--period", "2024S1", "-o", sixMonthly)).Exit);

        using (var document = SpreadsheetDocument.Open(monthly, false))
        {
            // Valid against the Office Open XML schema: spreadsheet programs open it without repairing it.
            Assert.Empty(new DocumentFormat.OpenXml.Validation.OpenXmlValidator().Validate(document).Select(e => $"{e.Path?.XPath}: {e.Description}"));
            var workbook = document.WorkbookPart!;
            Assert.Equal(["Báo cáo", "Hướng dẫn"], workbook.Workbook.Sheets!.Elements<Sheet>().Select(s => s.Name!.Value!));
            var sheet = Sheet(workbook, 0);
            var rows = sheet.Worksheet.Descendants<Row>().ToList();
            Assert.Equal(["Mã đơn vị", "Tên đơn vị", "Kỳ báo cáo", "Số hoạt động tuyên truyền phòng ngừa mại dâm đã tổ chức"], rows[0].Elements<Cell>().Take(4).Select(c => c.InnerText));
            Assert.True(rows[1].Hidden?.Value);
            Assert.Equal(["unit_code", "unit_name", "period", "awareness_activities"], rows[1].Elements<Cell>().Take(4).Select(c => c.InnerText));
            Assert.Equal(["05431", "Phường Quán Triều", "2024-07"], rows[2].Elements<Cell>().Select(c => c.InnerText));

            var pane = sheet.Worksheet.Descendants<Pane>().Single();
            Assert.Equal(PaneStateValues.Frozen, pane.State!.Value);
            Assert.Equal(2, pane.VerticalSplit!.Value);
            Assert.Equal("C3", pane.TopLeftCell!.Value);

            // Codes and periods are text cells, so a spreadsheet program keeps 05431 and 2024-07 as written.
            var formats = workbook.WorkbookStylesPart!.Stylesheet.CellFormats!.Elements<CellFormat>().ToList();
            var columns = sheet.Worksheet.Descendants<Column>().ToList();
            Assert.Equal(49u, formats[(int)columns[0].Style!.Value].NumberFormatId!.Value);
            Assert.Equal(49u, formats[(int)columns[2].Style!.Value].NumberFormatId!.Value);

            var validations = sheet.Worksheet.Descendants<DataValidation>().ToList();
            Assert.Equal(6, validations.Count);
            Assert.All(validations, v => Assert.Equal(DataValidationValues.Whole, v.Type!.Value));
            Assert.All(validations, v => Assert.Equal("0", v.Formula1!.Text));
            Assert.StartsWith("D3:D", validations[0].SequenceOfReferences!.InnerText, StringComparison.Ordinal);

            var help = string.Join("\n", Sheet(workbook, 1).Worksheet.Descendants<Cell>().Select(c => c.InnerText));
            Assert.Contains("1.000 là một nghìn", help, StringComparison.Ordinal);
            Assert.Contains("để trống cả dòng", help, StringComparison.Ordinal);
        }

        using (var document = SpreadsheetDocument.Open(sixMonthly, false))
        {
            Assert.Empty(new DocumentFormat.OpenXml.Validation.OpenXmlValidator().Validate(document).Select(e => $"{e.Path?.XPath}: {e.Description}"));
            var validations = Sheet(document.WorkbookPart!, 0).Worksheet.Descendants<DataValidation>().ToList();
            var flags = validations.Where(v => v.Type!.Value == DataValidationValues.List).ToList();
            Assert.Equal(2, flags.Count);
            Assert.All(flags, v => Assert.Equal("\"Có,Không\"", v.Formula1!.Text));
            Assert.Equal(5, validations.Count(v => v.Type!.Value == DataValidationValues.Whole));
        }
    }

    [Fact]
    public async Task A_file_headed_by_the_vietnamese_headings_alone_or_as_a_csv_template_imports()
    {
        var headings = Path.Combine(_folder.FullName, "headings.csv");
        await File.WriteAllLinesAsync(headings,
        [
            "Mã đơn vị,Kỳ báo cáo,Số hoạt động tuyên truyền phòng ngừa mại dâm đã tổ chức",
            "05479,2024-10,3",
        ]);
        var (exit, output) = await CliAsync("import", headings);
        Assert.True(exit == 0, output);
        await Eventually.WaitAsync(() => server.ReadAsync("05479", "2024-10"), r => Value(r, "awareness_activities") == 3, TimeSpan.FromSeconds(10), _ => "the headings-only file was not imported");

        var template = Path.Combine(_folder.FullName, "template.csv");
        Assert.Equal(0, (await CliAsync("import", "template", "--district", "164", "--period", "2024-12", "-o", template)).Exit);
        // With a byte-order mark, so that spreadsheet programs read the headings' diacritics as UTF-8.
        Assert.Equal([0xEF, 0xBB, 0xBF], (await File.ReadAllBytesAsync(template)).Take(3));
        var lines = await File.ReadAllLinesAsync(template);
        Assert.StartsWith("Mã đơn vị,Tên đơn vị,Kỳ báo cáo,", lines[0], StringComparison.Ordinal);
        Assert.StartsWith("unit_code,unit_name,period,awareness_activities", lines[1], StringComparison.Ordinal);
        Assert.StartsWith("05431,", lines[2], StringComparison.Ordinal);
        var cells = lines[2].Split(',');
        cells[3] = "4";
        lines[2] = string.Join(',', cells);
        await File.WriteAllLinesAsync(template, lines);

        var (csvExit, csvOutput) = await CliAsync("import", template, "--en");
        Assert.True(csvExit == 0, csvOutput);
        Assert.Contains("31 rows without values skipped", csvOutput, StringComparison.Ordinal);
        await Eventually.WaitAsync(() => server.ReadAsync("05431", "2024-12"), r => Value(r, "awareness_activities") == 4, TimeSpan.FromSeconds(10), _ => "the CSV template's row was not imported");
    }

    [Fact]
    public async Task Errors_are_listed_by_row_a_code_without_its_leading_zero_gets_a_hint_and_valid_only_still_fails()
    {
        var csv = Path.Combine(_folder.FullName, "sorted.csv");
        await File.WriteAllLinesAsync(csv,
        [
            "unit_code,period,awareness_activities",
            "99999,2024-12,1",
            "05485,2024-12,abc",
            "5458,2024-12,1",
            "05488,2024-12,2",
        ]);
        var ledger = await LedgerRowsAsync();

        var (exit, output) = await CliAsync("import", csv, "--valid-only", "--en");

        Assert.Equal(1, exit);
        var (second, third, fourth) = (output.IndexOf("row 2,", StringComparison.Ordinal), output.IndexOf("row 3,", StringComparison.Ordinal), output.IndexOf("row 4,", StringComparison.Ordinal));
        Assert.True(second >= 0 && second < third && third < fourth, output);
        Assert.Contains("did you mean 05458 (Phường Đồng Quang)?", output, StringComparison.Ordinal);
        Assert.Contains("3 rows with errors not imported", output, StringComparison.Ordinal);
        Assert.Equal(ledger + 1, await LedgerRowsAsync());
    }

    [Fact]
    public async Task A_default_run_of_import_prints_its_errors_hints_and_summary_in_vietnamese()
    {
        var bad = Path.Combine(_folder.FullName, "loi.csv");
        await File.WriteAllLinesAsync(bad, AmbiguousRows("2024-06"));
        var ledger = await LedgerRowsAsync();

        var refused = await CliAsync("import", bad);

        Assert.Equal(1, refused.Exit);
        Assert.Contains("dòng 2, cột C (workers_reached): '1,000' có thể hiểu là 1 hoặc một nghìn: theo cách viết số tiếng Việt, dấu ',' là dấu thập phân và dấu '.' tách hàng nghìn, nên để ghi một nghìn hãy viết 1.000 (hoặc 1000)", refused.Err, StringComparison.Ordinal);
        Assert.Contains("dòng 3, cột C (workers_reached): '1,5' không phải số nguyên", refused.Err, StringComparison.Ordinal);
        Assert.Contains("dòng 4, cột C (workers_reached): '1.5' không đúng cách viết số tiếng Việt", refused.Err, StringComparison.Ordinal);
        Assert.Contains("dòng 5, cột C (workers_reached): '1,000.5' đặt các dấu tách sai thứ tự", refused.Err, StringComparison.Ordinal);
        Assert.Contains("dòng 6, cột A (unit_code)", refused.Err, StringComparison.Ordinal);
        Assert.Contains("có phải là 05458 (Phường Đồng Quang)?", refused.Err, StringComparison.Ordinal);
        Assert.Contains("5 lỗi ở 5 trong số 5 dòng.", refused.Err, StringComparison.Ordinal);
        Assert.Contains("Chưa nhập gì. Hãy sửa tệp, hoặc thêm --valid-only để chỉ nhập các dòng hợp lệ.", refused.Err, StringComparison.Ordinal);
        foreach (var english in new[] { "row ", "column ", "could mean", "whole number", "notation", "errors in", "Nothing was imported", "did you mean", "Checking" })
        {
            Assert.DoesNotContain(english, refused.Output, StringComparison.Ordinal);
        }

        Assert.Equal(ledger, await LedgerRowsAsync());

        var partly = Path.Combine(_folder.FullName, "mot-phan.csv");
        await File.WriteAllLinesAsync(partly, PartlyValidRows("2024-06"));

        var imported = await CliAsync("import", partly, "--valid-only");

        Assert.Equal(1, imported.Exit);
        Assert.Contains("dòng 5, cột C (awareness_activities): 'abc' không phải là số", imported.Err, StringComparison.Ordinal);
        Assert.Contains("1 lỗi ở 1 trong số 4 dòng.", imported.Err, StringComparison.Ordinal);
        Assert.Equal("Đã nhập 2 báo cáo, 0 báo cáo đã nhập từ trước, 0 báo cáo bị từ chối. Bỏ qua 1 dòng không có giá trị. Không nhập 1 dòng có lỗi.", imported.Out.Trim());
        await Eventually.WaitAsync(() => server.ReadAsync("05491", "2024-06"), r => Value(r, "workers_reached") == 1000, TimeSpan.FromSeconds(10), r => $"05491 holds {Value(r, "workers_reached")} workers reached, not 1000");
    }

    [Fact]
    public async Task With_en_import_prints_its_errors_hints_and_summary_in_english()
    {
        var bad = Path.Combine(_folder.FullName, "errors-en.csv");
        await File.WriteAllLinesAsync(bad, AmbiguousRows("2024-04"));
        var ledger = await LedgerRowsAsync();

        var refused = await CliAsync("import", bad, "--en");

        Assert.Equal(1, refused.Exit);
        Assert.Contains("row 2, column C (workers_reached): '1,000' could mean 1 or one thousand: in Vietnamese notation ',' marks decimals and '.' groups thousands, so write 1.000 (or 1000) for one thousand", refused.Err, StringComparison.Ordinal);
        Assert.Contains("row 3, column C (workers_reached): '1,5' is not a whole number", refused.Err, StringComparison.Ordinal);
        Assert.Contains("row 4, column C (workers_reached): '1.5' is not a Vietnamese number", refused.Err, StringComparison.Ordinal);
        Assert.Contains("row 5, column C (workers_reached): '1,000.5' has its separators in the wrong order", refused.Err, StringComparison.Ordinal);
        Assert.Contains("did you mean 05458 (Phường Đồng Quang)?", refused.Err, StringComparison.Ordinal);
        Assert.Contains("5 errors in 5 of 5 rows.", refused.Err, StringComparison.Ordinal);
        Assert.Contains("Nothing was imported. Correct the file, or pass --valid-only to import the valid rows.", refused.Err, StringComparison.Ordinal);
        foreach (var vietnamese in new[] { "dòng", "cột", "có thể", "không", "Chưa nhập", "lỗi" })
        {
            Assert.DoesNotContain(vietnamese, refused.Output, StringComparison.Ordinal);
        }

        Assert.Equal(ledger, await LedgerRowsAsync());

        var partly = Path.Combine(_folder.FullName, "partly-en.csv");
        await File.WriteAllLinesAsync(partly, PartlyValidRows("2024-04"));

        var imported = await CliAsync("import", partly, "--valid-only", "--en");

        Assert.Equal(1, imported.Exit);
        Assert.Contains("row 5, column C (awareness_activities): 'abc' is not a number", imported.Err, StringComparison.Ordinal);
        Assert.Contains("1 error in 1 of 4 rows.", imported.Err, StringComparison.Ordinal);
        Assert.Equal("2 reports imported, 0 already imported before, 0 rejected, 1 row without values skipped, 1 row with errors not imported.", imported.Out.Trim());
    }

    [Fact]
    public async Task A_default_run_of_import_template_prints_its_notes_and_summary_in_vietnamese()
    {
        var template = Path.Combine(_folder.FullName, "sau-thang-7.xlsx");

        var run = await CliAsync("import", "template", "--district", "164", "--period", "2025-09", "-o", template);

        Assert.True(run.Exit == 0, run.Output);
        Assert.Contains("Đơn vị cấp huyện 164 (Thành phố Thái Nguyên) không còn từ ngày 2025-07-01: các dòng của kỳ 2025-09 là các đơn vị cấp xã của Tỉnh Thái Nguyên", run.Err, StringComparison.Ordinal);
        Assert.StartsWith("92 dòng (2025-09: 92 đơn vị cấp xã của Tỉnh Thái Nguyên), 6 chỉ số → ", run.Out.Trim(), StringComparison.Ordinal);
        Assert.DoesNotContain("no longer exists", run.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("communes", run.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_missing_file_or_a_bad_period_is_said_in_the_runs_language_before_any_server_is_asked()
    {
        var missing = Path.Combine(_folder.FullName, "khong-co.csv");
        var nowhere = "http://127.0.0.1:9";
        string[] template = ["import", "template", "--district", "164", "--period", "2025-13", "-o", Path.Combine(_folder.FullName, "never.xlsx"), "--server", nowhere];

        var (file, fileEn) = (await RunCliAsync(["import", missing, "--server", nowhere]), await RunCliAsync(["import", missing, "--server", nowhere, "--en"]));
        var (period, periodEn) = (await RunCliAsync(template), await RunCliAsync([.. template, "--en"]));

        Assert.Equal(1, file.Exit);
        Assert.Contains($"Không có tệp {missing}", file.Err, StringComparison.Ordinal);
        Assert.Equal(1, fileEn.Exit);
        Assert.Contains($"No file {missing}", fileEn.Err, StringComparison.Ordinal);
        Assert.Equal(2, period.Exit);
        Assert.Contains("--period '2025-13' không phải kỳ báo cáo: hãy viết 2025-03 (một tháng)", period.Err, StringComparison.Ordinal);
        Assert.Equal(2, periodEn.Exit);
        Assert.Contains("--period '2025-13' is not a period: write 2025-03 (a month)", periodEn.Err, StringComparison.Ordinal);
        foreach (var run in new[] { file, fileEn, period, periodEn })
        {
            Assert.DoesNotContain(nowhere, run.Output, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task A_header_error_names_the_row_people_see_and_where_a_templates_ids_are()
    {
        // A CSV template whose row of ids was edited: people read the column by its heading on row 1.
        var edited = Path.Combine(_folder.FullName, "ma-cot-sai.csv");
        await File.WriteAllLinesAsync(edited,
        [
            "Mã đơn vị,Tên đơn vị,Kỳ báo cáo,Số hoạt động tuyên truyền phòng ngừa mại dâm đã tổ chức",
            "unit_code,unit_name,period,awareness_activitie",
            "05503,Xã Tân Cương,2024-06,1",
        ]);

        var vietnamese = await CliAsync("import", edited);

        Assert.Equal(1, vietnamese.Exit);
        Assert.Contains($"dòng 1, cột D (awareness_activitie): không phải mã hay tên chỉ số nào của chương trình {ServerFixture.Programme} (mã cột nằm ở dòng 2", vietnamese.Err, StringComparison.Ordinal);
        Assert.Contains("1 lỗi ở dòng tiêu đề", vietnamese.Err, StringComparison.Ordinal);
        Assert.Contains("Chưa nhập gì. Hãy sửa dòng tiêu đề", vietnamese.Err, StringComparison.Ordinal);

        // Blank lines above the header and between rows: rows keep the numbers a spreadsheet program shows.
        var spaced = Path.Combine(_folder.FullName, "spaced.csv");
        await File.WriteAllLinesAsync(spaced, ["", "", "unit_code,period,awareness_activities,unknown_column", "05503,2024-06,1,"]);
        var gaps = Path.Combine(_folder.FullName, "gaps.csv");
        await File.WriteAllLinesAsync(gaps, ["unit_code,period,awareness_activities", "", "05503,2024-06,abc"]);

        var ledger = await LedgerRowsAsync();
        var header = await CliAsync("import", spaced, "--valid-only", "--en");
        var row = await CliAsync("import", gaps, "--en");

        Assert.Equal(1, header.Exit);
        Assert.Contains($"row 3, column D (unknown_column): not a data element of {ServerFixture.Programme}", header.Err, StringComparison.Ordinal);
        Assert.Contains("1 error in the header", header.Err, StringComparison.Ordinal);
        Assert.Contains("Nothing was imported. Correct the header", header.Err, StringComparison.Ordinal);
        Assert.Equal(ledger, await LedgerRowsAsync());
        Assert.Equal(1, row.Exit);
        Assert.Contains("row 3, column C (awareness_activities): 'abc' is not a number", row.Err, StringComparison.Ordinal);
    }

    /// <summary>Four numbers written wrongly for Vietnamese notation and a code that lost its leading zero.</summary>
    private static string[] AmbiguousRows(string period) =>
    [
        "unit_code;period;workers_reached",
        $"05491;{period};1,000",
        $"05494;{period};1,5",
        $"05497;{period};1.5",
        $"05500;{period};1,000.5",
        $"5458;{period};1",
    ];

    /// <summary>Two valid rows, a row without values and a row with an error.</summary>
    private static string[] PartlyValidRows(string period) =>
    [
        "unit_code,period,awareness_activities,workers_reached",
        $"05491,{period},1,1.000",
        $"05494,{period},,",
        $"05497,{period},2,3",
        $"05500,{period},abc,",
    ];

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

    /// <summary>What an officer does in a spreadsheet program: types values into the template's rows and saves.</summary>
    private static void Fill(string path, Func<string, string, IEnumerable<(string Column, string Value, bool Typed)>> values) => OfficerSpreadsheet.Fill(path, values);

    private static WorksheetPart Sheet(WorkbookPart workbook, int index) =>
        (WorksheetPart)workbook.GetPartById(workbook.Workbook.Sheets!.Elements<Sheet>().ElementAt(index).Id!);

    private static long? Value(UnitRollup rollup, string element) => rollup.Values.Single(v => v.DataElement == element).Value;

    private async Task<long> LedgerRowsAsync() => (await RecordedRows.CountAsync(server.ConnectionString)).Ledger;

    /// <summary>Runs the CLI in this process as the tenant's operator, capturing what it prints (<see cref="CliRun.Output"/>: both streams).</summary>
    private Task<CliRun> CliAsync(params string[] args) =>
        RunCliAsync([.. args, "--server", server.Address, "--token", TestCredentials.Token(TestCredentials.Operator)]);

    /// <summary>
    /// The CLI in this process with standard output and error captured, as a terminal-less run sees them:
    /// the CLI binds its consoles to the streams as the run starts (<see cref="Ui.Configure(bool)"/>).
    /// </summary>
    private static async Task<CliRun> RunCliAsync(string[] args)
    {
        var (output, errors) = (new StringWriter(), new StringWriter());
        var (console, consoleErrors) = (Console.Out, Console.Error);
        Console.SetOut(output);
        Console.SetError(errors);
        try
        {
            var exit = await CliApp.Build().Parse(args).InvokeAsync();
            var (o, e) = (output.ToString().ReplaceLineEndings(" "), errors.ToString().ReplaceLineEndings(" "));
            return new CliRun(exit, o + " " + e, o, e);
        }
        finally
        {
            Console.SetOut(console);
            Console.SetError(consoleErrors);
        }
    }

    /// <summary>A run's exit code and what it printed: both streams, then standard output and standard error alone.</summary>
    private sealed record CliRun(int Exit, string Output, string Out, string Err)
    {
        public void Deconstruct(out int exit, out string output) => (exit, output) = (Exit, Output);
    }
}
