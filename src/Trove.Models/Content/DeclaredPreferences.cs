using Trove.Core.Data;

namespace Trove.Models.Content;

/// <summary>
/// What a user without any history told us: the labels of their categorical features (e.g.
/// <c>"categorical": {"favourite_categories": ["books", "music"], "favourite_brands": "Penguin"}</c>
/// in universal JSON, or the same columns of users.csv). A label is a preference when it names an
/// item label of some categorical item column (category, brand, ...); labels that name no item
/// label (a country, an age band) match nothing and are harmless. Matching ignores case.
/// Used by the hybrid's cold start: <see cref="Hybrid.ColdStartScores"/>.
/// </summary>
public sealed class DeclaredPreferences
{
    private readonly HashSet<string> _labels;

    public DeclaredPreferences(IEnumerable<string> labels) => _labels = new HashSet<string>(labels, StringComparer.OrdinalIgnoreCase);

    /// <summary>Nothing declared.</summary>
    public static DeclaredPreferences None { get; } = new([]);

    /// <summary>Every categorical label of one user's row (multi-labels "a|b" split).</summary>
    public static DeclaredPreferences Of(FeatureTable users, int row) =>
        new(users.Categorical.Keys.SelectMany(column => users.Labels(column, row)));

    public bool IsEmpty => _labels.Count == 0;
    public IReadOnlyCollection<string> Labels => _labels;

    /// <summary>How many of the item's categorical columns carry a declared label (0 = none; a books item by Penguin matches 2 for the example above).</summary>
    public int Matches(FeatureTable items, int row)
    {
        if (IsEmpty) return 0;
        int matched = 0;
        foreach (var column in items.Categorical.Keys)
            if (items.Labels(column, row).Any(_labels.Contains)) matched++;
        return matched;
    }
}
