namespace Trove.Core.Data;

/// <summary>
/// Side features of users or items, column by column, indexed by the dense index of the id map.
/// Categorical values may hold several labels separated by '|' (e.g. movie genres).
/// Missing values are null (categorical/text/image/sequence) or NaN (numeric).
/// Images hold a path or URL per row (encoded by bring-your-own encoders); Sequences hold a
/// variable-length numeric series per row (the universal JSON format's "temporal" group).
/// </summary>
public sealed class FeatureTable
{
    public Dictionary<string, string?[]> Categorical { get; } = new(StringComparer.OrdinalIgnoreCase);
    public Dictionary<string, float[]> Numeric { get; } = new(StringComparer.OrdinalIgnoreCase);
    public Dictionary<string, string?[]> Text { get; } = new(StringComparer.OrdinalIgnoreCase);
    /// <summary>Image references (file path or URL) per row.</summary>
    public Dictionary<string, string?[]> Images { get; } = new(StringComparer.OrdinalIgnoreCase);
    /// <summary>Numeric sequences per row (e.g. price history, session lengths); null when missing.</summary>
    public Dictionary<string, float[]?[]> Sequences { get; } = new(StringComparer.OrdinalIgnoreCase);

    public bool IsEmpty => Categorical.Count == 0 && Numeric.Count == 0 && Text.Count == 0 && Images.Count == 0 && Sequences.Count == 0;
    public IEnumerable<string> ColumnNames => Categorical.Keys.Concat(Numeric.Keys).Concat(Text.Keys).Concat(Images.Keys).Concat(Sequences.Keys);

    /// <summary>Extends every column to <paramref name="count"/> rows (new rows missing), e.g. after new ids were added.</summary>
    public void Resize(int count)
    {
        foreach (var key in Categorical.Keys.ToList()) { var a = Categorical[key]; if (a.Length < count) { Array.Resize(ref a, count); Categorical[key] = a; } }
        foreach (var key in Text.Keys.ToList()) { var a = Text[key]; if (a.Length < count) { Array.Resize(ref a, count); Text[key] = a; } }
        foreach (var key in Images.Keys.ToList()) { var a = Images[key]; if (a.Length < count) { Array.Resize(ref a, count); Images[key] = a; } }
        foreach (var key in Sequences.Keys.ToList()) { var a = Sequences[key]; if (a.Length < count) { Array.Resize(ref a, count); Sequences[key] = a; } }
        foreach (var key in Numeric.Keys.ToList())
        {
            var a = Numeric[key];
            if (a.Length < count) { int old = a.Length; Array.Resize(ref a, count); a.AsSpan(old).Fill(float.NaN); Numeric[key] = a; }
        }
    }

    /// <summary>The labels of a categorical field for one row ("Action|Comedy" gives two).</summary>
    public string[] Labels(string column, int row)
    {
        if (!Categorical.TryGetValue(column, out var values) || row >= values.Length || values[row] is not { } v) return [];
        return v.Split('|', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
    }
}
