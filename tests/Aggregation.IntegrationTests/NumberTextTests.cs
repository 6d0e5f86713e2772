using Aggregation.Cli;
using Aggregation.Spreadsheets;

namespace Aggregation.IntegrationTests;

/// <summary>
/// The one reading of numbers people write, shared by spreadsheet imports and <c>submit --value</c> (no
/// server); its sentences are in the run's language, set here as <c>--en</c> (or its absence) sets it.
/// </summary>
public sealed class NumberTextTests
{
    [Theory]
    [InlineData("1.000", 1000)]
    [InlineData("3.500", 3500)]
    [InlineData("1.000.000", 1_000_000)]
    [InlineData("1000", 1000)]
    [InlineData(" 12 ", 12)]
    [InlineData("0", 0)]
    [InlineData("4,7", 4.7)]
    [InlineData("1.000,5", 1000.5)]
    [InlineData("0,250", 0.25)]
    [InlineData("-2", -2)]
    public void Vietnamese_notation_groups_thousands_with_dots_and_marks_decimals_with_a_comma(string text, double expected)
    {
        Assert.True(NumberText.TryParse(text, NumberFormat.Vi, out var value, out var problem), problem);
        Assert.Equal((decimal)expected, value);
    }

    [Theory]
    [InlineData("1,000", 1000)]
    [InlineData("3,500", 3500)]
    [InlineData("4.7", 4.7)]
    [InlineData("1,000.5", 1000.5)]
    public void English_notation_groups_thousands_with_commas_and_marks_decimals_with_a_dot(string text, double expected)
    {
        Assert.True(NumberText.TryParse(text, NumberFormat.En, out var value, out var problem), problem);
        Assert.Equal((decimal)expected, value);
    }

    [Theory]
    [InlineData("1,000", NumberFormat.Vi, "could mean 1 or one thousand", "write 1.000 (or 1000) for one thousand")]
    [InlineData("1.000", NumberFormat.En, "could mean 1 or one thousand", "write 1,000 (or 1000) for one thousand")]
    [InlineData("1.5", NumberFormat.Vi, "'.' groups thousands in threes", "write 1,5")]
    [InlineData("1,000.5", NumberFormat.Vi, "separators in the wrong order", "write 1.000,5")]
    [InlineData("1.000,5", NumberFormat.En, "separators in the wrong order", "write 1,000.5")]
    [InlineData("1.00.000", NumberFormat.Vi, "groups thousands in threes", "1.000.000")]
    [InlineData("1 000", NumberFormat.Vi, "is not a number", "1.000")]
    [InlineData("abc", NumberFormat.Vi, "is not a number", "2,5")]
    [InlineData("1e3", NumberFormat.Vi, "is not a number", "1.000")]
    public void Ambiguous_or_misgrouped_numbers_are_refused_with_a_sentence_showing_how_to_write_them(string text, NumberFormat format, string why, string how)
    {
        Ui.Configure(english: true);

        Assert.False(NumberText.TryParse(text, format, out _, out var problem));
        Assert.Contains($"'{text}'", problem, StringComparison.Ordinal);
        Assert.Contains(why, problem, StringComparison.Ordinal);
        Assert.Contains(how, problem, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("1,000", NumberFormat.Vi, "có thể hiểu là 1 hoặc một nghìn", "để ghi một nghìn hãy viết 1.000 (hoặc 1000), còn nếu muốn ghi 1 thì chỉ cần viết 1")]
    [InlineData("1.000", NumberFormat.En, "có thể hiểu là 1 hoặc một nghìn: theo cách viết số tiếng Anh", "hãy viết 1,000 (hoặc 1000)")]
    [InlineData("1.5", NumberFormat.Vi, "không đúng cách viết số tiếng Việt: dấu '.' tách hàng nghìn theo nhóm ba chữ số", "hãy viết 1,5")]
    [InlineData("1,000.5", NumberFormat.Vi, "đặt các dấu tách sai thứ tự theo cách viết số tiếng Việt", "hãy viết 1.000,5")]
    [InlineData("1.000,5", NumberFormat.En, "đặt các dấu tách sai thứ tự theo cách viết số tiếng Anh", "hãy viết 1,000.5")]
    [InlineData("1.00.000", NumberFormat.Vi, "tách hàng nghìn theo nhóm ba chữ số", "1.000.000")]
    [InlineData("abc", NumberFormat.Vi, "không phải là số", "1.000 hoặc 2,5")]
    public void In_a_vietnamese_run_the_sentences_are_vietnamese(string text, NumberFormat format, string why, string how)
    {
        Ui.Configure(english: false);

        Assert.False(NumberText.TryParse(text, format, out _, out var problem));
        Assert.Contains($"'{text}'", problem, StringComparison.Ordinal);
        Assert.Contains(why, problem, StringComparison.Ordinal);
        Assert.Contains(how, problem, StringComparison.Ordinal);
        foreach (var english in new[] { "could mean", "write", "notation", "groups", "number" })
        {
            Assert.DoesNotContain(english, problem, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("1,5", NumberFormat.Vi, true, "'1,5' is not a whole number", "write a whole number such as 1 or 2")]
    [InlineData("1.5", NumberFormat.En, true, "'1.5' is not a whole number", "write a whole number such as 1 or 2")]
    [InlineData("1,5", NumberFormat.Vi, false, "'1,5' không phải số nguyên", "hãy viết một số nguyên, ví dụ 1 hoặc 2")]
    [InlineData("-2,5", NumberFormat.Vi, false, "'-2,5' không phải số nguyên", "ví dụ -2 hoặc -3")]
    public void A_decimal_for_a_whole_number_element_is_refused_saying_it_is_not_whole(string text, NumberFormat format, bool english, string why, string how)
    {
        Ui.Configure(english);

        Assert.False(NumberText.TryParseWhole(text, format, out _, out var problem));
        Assert.Contains(why, problem, StringComparison.Ordinal);
        Assert.Contains(how, problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Whole_numbers_in_vietnamese_notation_are_read_whole()
    {
        Assert.True(NumberText.TryParseWhole("3.500", NumberFormat.Vi, out var value, out var problem), problem);
        Assert.Equal(3500m, value);
    }
}
