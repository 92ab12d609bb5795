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

    /// <summary>
    /// Sets the scores of filtered-out items to -infinity (top-K never selects them): the <paramref name="seen"/> items
    /// when <see cref="ExcludeSeen"/>, the excluded ones, those outside <see cref="AllowOnly"/>, and those the predicate refuses.
    /// </summary>
    public void Apply(Span<float> scores, ReadOnlySpan<int> seen)
    {
        if (ExcludeSeen)
            foreach (int i in seen) if ((uint)i < (uint)scores.Length) scores[i] = float.NegativeInfinity;
        if (Exclude is { } exclude)
            foreach (int i in exclude) if ((uint)i < (uint)scores.Length) scores[i] = float.NegativeInfinity;
        if (AllowOnly is { } allow)
        {
            var keep = new bool[scores.Length];
            foreach (int i in allow) if ((uint)i < (uint)keep.Length) keep[i] = true;
            for (int i = 0; i < scores.Length; i++) if (!keep[i]) scores[i] = float.NegativeInfinity;
        }
        if (Predicate is { } test)
            for (int i = 0; i < scores.Length; i++) if (scores[i] > float.NegativeInfinity && !test(i)) scores[i] = float.NegativeInfinity;
    }
}
