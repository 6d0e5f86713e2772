using Aggregation.Server.Review;

namespace Aggregation.Server.Tests;

/// <summary>
/// When a reported value is far enough from the unit's own history to be put before the reviewer:
/// beyond median ± 3 × MAD, and never for a change of a few units, even when the history is so steady
/// that its MAD is 0.
/// </summary>
public sealed class OutlierRuleTests
{
    private static readonly double[] SteadyTwos = [2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2];

    private static readonly double[] Workers = [13, 10, 11, 12, 13, 10, 11, 12, 13, 10, 11, 12];

    [Fact]
    public void A_jump_of_one_from_a_history_that_never_varied_is_not_an_outlier()
    {
        Assert.False(ReviewFindings.IsFarFromHistory(SteadyTwos, 3, out var median, out var mad));
        Assert.Equal(2, median);
        Assert.Equal(0, mad);
    }

    [Fact]
    public void A_jump_beyond_the_floor_from_a_history_that_never_varied_is_an_outlier()
    {
        Assert.True(ReviewFindings.IsFarFromHistory(SteadyTwos, 12, out _, out _));
        Assert.True(ReviewFindings.IsFarFromHistory(SteadyTwos, 5, out _, out _));
    }

    [Fact]
    public void A_value_beyond_three_mads_is_an_outlier_and_one_within_is_not()
    {
        Assert.True(ReviewFindings.IsFarFromHistory(Workers, 400, out var median, out var mad));
        Assert.Equal(11.5, median);
        Assert.Equal(1, mad);
        Assert.False(ReviewFindings.IsFarFromHistory(Workers, 14, out _, out _));

        // 15 is beyond 3 × MAD (3.5 from 11.5) but less than half the median away: the usual ups and downs.
        Assert.False(ReviewFindings.IsFarFromHistory(Workers, 15, out _, out _));
        Assert.True(ReviewFindings.IsFarFromHistory(Workers, 18, out _, out _));
    }

    [Fact]
    public void A_small_relative_change_of_a_large_stock_is_not_an_outlier()
    {
        double[] stock = [1000, 1000, 1000, 1000, 1000, 1000];

        Assert.False(ReviewFindings.IsFarFromHistory(stock, 1004, out _, out _));
        Assert.False(ReviewFindings.IsFarFromHistory(stock, 1400, out _, out _));
        Assert.True(ReviewFindings.IsFarFromHistory(stock, 1600, out _, out _));
    }
}
