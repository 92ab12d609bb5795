using Trove.Core.Errors;

namespace Trove.Data.Stores;

/// <summary>
/// The checks every store applies to recommendation and user-similarity rows before writing them, so SQLite and
/// PostgreSQL refuse the same rows with the same messages (the write is one transaction: nothing is saved).
/// </summary>
internal static class StoredRowChecks
{
    public static void ModelVersion(string modelVersion)
    {
        if (string.IsNullOrWhiteSpace(modelVersion)) throw new TroveException("A model version is required to save recommendations.");
    }

    public static void Recommendation(RecommendationRow row)
    {
        if (row.Rank < 1) throw new TroveException($"Recommendation rank must start at 1 (user '{row.User}', rank {row.Rank}).");
        if (!float.IsFinite(row.Score)) throw new TroveException($"Recommendation score for user '{row.User}', item '{row.Item}' is not finite.");
    }

    /// <summary>The row ids of a similarity row's two users (external id -> row id in <paramref name="users"/>).</summary>
    public static (long User, long Other) Similarity(UserSimilarityRow row, IReadOnlyDictionary<string, long> users)
    {
        if (!users.TryGetValue(row.User, out long u)) throw new TroveException($"Unknown user '{row.User}' in the similarities; nothing was saved.");
        if (!users.TryGetValue(row.Other, out long o)) throw new TroveException($"Unknown user '{row.Other}' in the similarities; nothing was saved.");
        if (!float.IsFinite(row.Similarity)) throw new TroveException($"Similarity of '{row.User}' and '{row.Other}' is not finite; nothing was saved.");
        return (u, o);
    }
}
