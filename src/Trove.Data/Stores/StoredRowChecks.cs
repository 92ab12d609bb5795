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

    /// <summary>The item row id and the trimmed tag of one of <paramref name="user"/>'s tags.</summary>
    public static (long Item, string Tag) Tag(UserItemTag tag, string user, Func<string, long?> itemId)
    {
        if (tag.User != user) throw new TroveException($"Tags of user '{user}' include one of user '{tag.User}'; nothing was saved.");
        if (string.IsNullOrWhiteSpace(tag.Tag)) throw new TroveException($"Empty tag on item '{tag.Item}' of user '{user}'; nothing was saved.");
        return itemId(tag.Item) is long id ? (id, tag.Tag.Trim()) : throw new TroveException($"Tag '{tag.Tag}' of user '{user}' names unknown item '{tag.Item}'; nothing was saved.");
    }

    /// <summary>Tags in the order both stores return them: user, item, tag (ordinal).</summary>
    public static List<UserItemTag> SortTags(List<UserItemTag> tags)
    {
        tags.Sort((a, b) => string.CompareOrdinal(a.User, b.User) is int u and not 0 ? u
            : string.CompareOrdinal(a.Item, b.Item) is int i and not 0 ? i : string.CompareOrdinal(a.Tag, b.Tag));
        return tags;
    }
}
