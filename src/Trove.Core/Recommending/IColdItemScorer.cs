namespace Trove.Core.Recommending;

/// <summary>
/// A model that can rank items which had no training interactions (cold-start items) from what is
/// known about them besides interactions, i.e. their features. Models without it (popularity, ALS,
/// item-KNN...) give such items a constant or meaningless score, so a cold-start evaluation reports
/// them as not applicable instead of ranking cold items by noise.
/// </summary>
public interface IColdItemScorer
{
    /// <summary>
    /// True when the fitted model scores items without training interactions from their features
    /// (false e.g. for a two-tower model trained without item features).
    /// </summary>
    bool CanScoreColdItems { get; }
}
