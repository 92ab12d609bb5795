namespace Trove.Core.Recommending;

/// <summary>
/// A model that scores every item for several users at once faster than one user at a time (e.g. a
/// low-rank term that is one sgemm for the batch instead of one mat-vec over the catalogue per user).
/// The evaluator uses it for full ranking; the results equal <see cref="IRecommender.ScoreAllItems"/> per user
/// up to float rounding.
/// </summary>
public interface IBatchScorer
{
    /// <summary>
    /// Scores of every item for each user: row b of <paramref name="scores"/> (users.Length x items, row-major)
    /// belongs to users[b]. Safe to call from several threads at once.
    /// </summary>
    void ScoreAllItems(ReadOnlySpan<int> users, Span<float> scores);
}
