using Trove.Core.Errors;
using Trove.Models.Factorization;

namespace Trove.Tests.Models;

/// <summary>
/// Factor matrices are sized in 64-bit: rows x factors past one array's limit is refused with the true product in the
/// message (32-bit arithmetic wraps 40M x 64 to a negative number and 70M x 64 to a small positive one), before anything
/// large is allocated.
/// </summary>
public sealed class FactorSizeTests
{
    [Fact]
    public void A_factor_matrix_has_rows_times_factors_values()
    {
        Assert.Equal(64_000, TrainingSupport.FactorArray("als", "user", 1000, 64).Length);
        Assert.Equal(3, TrainingSupport.FactorArray("bpr", "item", 3, 1).Length);
    }

    [Theory]
    [InlineData(40_000_000L, 64, "2,560,000,000")]  // wraps to -1,734,967,296 in int
    [InlineData(70_000_000L, 64, "4,480,000,000")]  // wraps to 185,032,704 in int: a silently short array
    public void Past_one_arrays_limit_the_error_names_the_true_size(long rows, int factors, string product)
    {
        Assert.NotEqual(rows * factors, (long)unchecked((int)rows * factors)); // the 32-bit product is wrong here
        var e = Assert.Throws<TroveException>(() => TrainingSupport.FactorArray("als", "user", rows, factors));
        Assert.Contains(product + " values", e.Message);
        Assert.Contains("--min-user-interactions", e.Message);
    }

    [Fact]
    public void The_limit_is_the_arrays_own()
    {
        long rows = Array.MaxLength / 64 + 1;
        Assert.Throws<TroveException>(() => TrainingSupport.FactorArray("bpr", "item", rows, 64));
    }
}
