using Aggregation.Cli;

namespace Aggregation.IntegrationTests;

/// <summary>The one reading of numbers people write, shared by spreadsheet imports and <c>submit --value</c> (no server).</summary>
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
        Assert.False(NumberText.TryParse(text, format, out _, out var problem));
        Assert.Contains($"'{text}'", problem, StringComparison.Ordinal);
        Assert.Contains(why, problem, StringComparison.Ordinal);
        Assert.Contains(how, problem, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("1,5", NumberFormat.Vi)]
    [InlineData("1.5", NumberFormat.En)]
    public void A_decimal_for_a_whole_number_element_is_refused_saying_it_is_not_whole(string text, NumberFormat format)
    {
        Assert.False(NumberText.TryParseWhole(text, format, out _, out var problem));
        Assert.Contains($"'{text}' is not a whole number", problem, StringComparison.Ordinal);
        Assert.Contains("write a whole number such as 1 or 2", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Whole_numbers_in_vietnamese_notation_are_read_whole()
    {
        Assert.True(NumberText.TryParseWhole("3.500", NumberFormat.Vi, out var value, out var problem), problem);
        Assert.Equal(3500m, value);
    }
}
