using Aggregation.Programmes;
using Aggregation.Server.Ingestion;

namespace Aggregation.Server.Tests;

/// <summary>
/// How the browser's data entry form reads what an officer typed: numbers in the notation of the
/// page's language, strictly (what could be read two ways is refused with a sentence showing how to
/// write it), lists of ids one per line or comma separated, and each problem said in both languages.
/// </summary>
public sealed class EntryFormTests
{
    private const long Max = 1_000_000_000_000;

    [Theory]
    [InlineData("1.000", true, 1000)]
    [InlineData("1000", true, 1000)]
    [InlineData(" 12.345.678 ", true, 12_345_678)]
    [InlineData("0", true, 0)]
    [InlineData("1,000", false, 1000)]
    [InlineData("2,500", false, 2500)]
    public void A_whole_number_written_in_the_pages_notation_is_read_as_meant(string text, bool vietnamese, long expected)
    {
        Assert.True(WrittenNumbers.TryParseWhole(text, vietnamese, Max, out var value, out var problem), problem?.En);
        Assert.Equal(expected, value);
    }

    [Theory]
    [InlineData("1,5", true, "“1,5” không phải số nguyên; ô này đếm người hoặc sự việc: hãy viết một số nguyên, ví dụ 1 hoặc 2.")]
    [InlineData("1,000", true, "“1,000” có thể hiểu là 1 hoặc 1.000: theo cách viết số tiếng Việt, dấu “,” là dấu thập phân và dấu “.” tách hàng nghìn, nên hãy viết 1.000 (hoặc 1000).")]
    [InlineData("1.5", true, "“1.5” không đúng cách viết số tiếng Việt: dấu “.” tách hàng nghìn theo nhóm ba chữ số (1.000 là một nghìn) và dấu “,” là dấu thập phân; nếu 1.5 được viết theo cách viết số tiếng Anh thì hãy viết 1,5.")]
    [InlineData("1.0.0", true, "“1.0.0” không đúng cách viết số tiếng Việt: dấu “.” tách hàng nghìn theo nhóm ba chữ số, như 1.000.000.")]
    [InlineData("-4", true, "“-4” là số âm; số đếm và số lượng hiện có là 0 hoặc lớn hơn.")]
    [InlineData("ba", true, "“ba” không phải là số; hãy viết một số nguyên như 1.000 hoặc 25.")]
    [InlineData("", true, "Ô này chưa có số.")]
    public void Text_that_is_no_whole_number_or_could_be_read_two_ways_is_refused_with_a_vietnamese_sentence(string text, bool vietnamese, string sentence)
    {
        Assert.False(WrittenNumbers.TryParseWhole(text, vietnamese, Max, out _, out var problem));
        Assert.Equal(sentence, problem!.Vi);
        Assert.NotEmpty(problem.En);
    }

    [Fact]
    public void On_the_english_page_a_vietnamese_thousand_is_refused_as_ambiguous_in_english()
    {
        Assert.False(WrittenNumbers.TryParseWhole("1.000", vietnamese: false, Max, out _, out var problem));
        Assert.Equal("“1.000” could mean 1 or 1,000: in English notation “.” marks decimals and “,” groups thousands, so write 1,000 (or 1000).", problem!.En);
    }

    [Fact]
    public void A_number_above_the_largest_accepted_is_refused()
    {
        Assert.False(WrittenNumbers.TryParseWhole("2.000.000.000.000", true, Max, out _, out var problem));
        Assert.Equal("“2.000.000.000.000” lớn hơn giá trị lớn nhất được nhận (1.000.000.000.000).", problem!.Vi);
    }

    [Fact]
    public void The_form_becomes_the_report_a_grpc_client_would_send_with_ids_one_per_line_or_comma_separated()
    {
        var (programme, dataSet) = PoliceForm();
        var errors = new List<EntryFieldError>();
        var now = new DateTimeOffset(2025, 8, 20, 3, 0, 0, TimeSpan.Zero);
        var form = new EntrySubmission("key-1", dataSet.Id, "2025-07", "01840", "vi",
        [
            new EntryValue("establishments_at_risk", "1.200", null, null, false),
            new EntryValue("establishments_inspected", null, null, "CS-01\nCS-02, CS-03;\n\n", false),
            new EntryValue("workers_at_establishments", null, null, null, true),
        ]);

        var report = EntryForm.ToReport(form, programme, dataSet, now, errors);

        Assert.Empty(errors);
        Assert.NotNull(report);
        Assert.Equal(("key-1", "01840", "2025-07", EntryForm.Source), (report.IdempotencyKey, report.UnitCode, report.Period, report.SourceSystem));
        Assert.Equal(now, report.ReportedAt.ToDateTimeOffset());
        Assert.Equal(1200, report.Values[0].Number);
        Assert.Equal(["CS-01", "CS-02", "CS-03"], report.Values[1].Entities.Ids);
        Assert.NotNull(report.Values[2].Withdrawn);
    }

    [Fact]
    public void Every_field_with_a_problem_is_named_and_nothing_is_built()
    {
        var (programme, dataSet) = PoliceForm();
        var errors = new List<EntryFieldError>();
        var form = new EntrySubmission("key-2", dataSet.Id, "2025-07", "01840", "vi",
        [
            new EntryValue("establishments_at_risk", "12,5", null, null, false),
            new EntryValue("establishments_inspected", null, null, "CS-01\nCS 02", false),
            new EntryValue("awareness_activities", "3", null, null, false),
        ]);

        Assert.Null(EntryForm.ToReport(form, programme, dataSet, DateTimeOffset.UnixEpoch, errors));
        Assert.Equal(["establishments_at_risk", "establishments_inspected", "form"], errors.Select(e => e.Field));
        Assert.Contains("không có ô “awareness_activities”", errors[2].Vi, StringComparison.Ordinal);
    }

    private static (Programme Programme, DataSet DataSet) PoliceForm()
    {
        var programme = Shipped.Catalog.Programmes[Shipped.Programme];
        return (programme, programme.DataSets.Single(d => d.Id == "commune-police-monthly"));
    }
}

/// <summary>How the submission path's violations reach the form: on the field of the element they name, in the page's language.</summary>
public sealed class EntryErrorTests
{
    private static readonly Protos.V1.Report Sent = new()
    {
        Values =
        {
            new Protos.V1.DataValue { DataElement = "complaints_received", Number = 3 },
            new Protos.V1.DataValue { DataElement = "complaints_handled_on_time", Number = 5 },
        },
    };

    [Fact]
    public void A_violation_of_a_value_lands_on_its_elements_field_with_its_vietnamese_sentence()
    {
        var error = Dashboard.DataEntryApi.FieldOf(new Aggregation.Rollup.FieldError("values[1].number", "complaints_handled_on_time (5) may not exceed complaints_received (3)", "Không được lớn hơn."), Sent);
        Assert.Equal(("complaints_handled_on_time", "Không được lớn hơn.", "complaints_handled_on_time (5) may not exceed complaints_received (3)."), (error.Field, error.Vi, error.En));
    }

    [Fact]
    public void A_refusal_on_the_period_that_names_an_approval_says_the_figures_are_locked_until_it_is_withdrawn()
    {
        var error = Dashboard.DataEntryApi.FieldOf(new Aggregation.Rollup.FieldError("period", "covered by approvals/7 (DISTRICT, approved by district-164 on 2025-08-12)"), Sent);
        Assert.Equal("period", error.Field);
        Assert.StartsWith("Số liệu của kỳ này đã được phê duyệt nên đã bị khóa", error.Vi, StringComparison.Ordinal);
        Assert.Contains("approvals/7", error.Vi, StringComparison.Ordinal);
        Assert.StartsWith("The figures of this period are approved and so locked", error.En, StringComparison.Ordinal);
    }
}
