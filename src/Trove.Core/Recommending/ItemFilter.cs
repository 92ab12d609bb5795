namespace Trove.Core.Recommending;

/// <summary>
/// Which items may be recommended. By default the items a user already interacted with in the
/// training data are excluded.
/// </summary>
public sealed record ItemFilter
{
    public static ItemFilter Default { get; } = new();
    public static ItemFilter None { get; } = new() { ExcludeSeen = false };

    public bool ExcludeSeen { get; init; } = true;
    /// <summary>Items never to return (e.g. out of stock, or a caller's explicit list).</summary>
    public IReadOnlyCollection<int>? Exclude { get; init; }
    /// <summary>When set, only these items may be returned.</summary>
    public IReadOnlyCollection<int>? AllowOnly { get; init; }
    /// <summary>Arbitrary test on an item index (category, brand...). False removes the item.</summary>
    public Func<int, bool>? Predicate { get; init; }
}
