namespace Trove.Numerics.Sparse;

/// <summary>
/// Dense values with the list of entries touched since the last <see cref="Clear"/> (Gustavson's sparse accumulator):
/// a sum of sparse rows costs the number of non-zeros it touches, and clearing costs the same, never the full length.
/// </summary>
public sealed class SparseAccumulator
{
    private bool[] _seen;

    /// <summary>An accumulator over indices 0..<paramref name="size"/>-1.</summary>
    public SparseAccumulator(int size = 0)
    {
        Values = new float[size];
        Touched = new int[size];
        _seen = new bool[size];
    }

    /// <summary>The accumulated values (zero where untouched).</summary>
    public float[] Values { get; private set; }

    /// <summary>The touched indices, in first-touch order; the first <see cref="Count"/> are valid.</summary>
    public int[] Touched { get; private set; }

    /// <summary>How many indices have been touched.</summary>
    public int Count { get; private set; }

    /// <summary>Grows to cover indices 0..<paramref name="size"/>-1 (call it while empty).</summary>
    public void EnsureSize(int size)
    {
        if (Values.Length >= size) return;
        if (Count > 0) throw new InvalidOperationException("Clear the accumulator before growing it.");
        Values = new float[size]; Touched = new int[size]; _seen = new bool[size];
    }

    /// <summary>Values[index] += value, remembering the index the first time.</summary>
    public void Add(int index, float value)
    {
        if (!_seen[index]) { _seen[index] = true; Touched[Count++] = index; }
        Values[index] += value;
    }

    /// <summary>Zeroes the touched entries and forgets them.</summary>
    public void Clear()
    {
        for (int t = 0; t < Count; t++) { int j = Touched[t]; Values[j] = 0; _seen[j] = false; }
        Count = 0;
    }
}
