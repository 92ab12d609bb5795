using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Trove.Numerics.Dense;

/// <summary>
/// Item vectors rearranged for batched dot products: panels of <see cref="Width"/> items stored factor-major
/// (the 8 items' values of factor 0, then of factor 1...), zero-padded to an even number of panels, each pair of
/// panels interleaved factor by factor (16 floats per factor) so the kernels read one sequential stream.
/// <see cref="Score"/> then computes eight items' scores per fused multiply-add with no horizontal sums, and
/// reads each pair of panels (4 KB at 64 factors) from memory once for all queries of the batch: the item matrix is
/// streamed once per call whatever the batch size, and no packing is repeated per call (unlike sgemm).
/// </summary>
public sealed class ItemPanels
{
    /// <summary>Items per panel (one Vector256 of floats).</summary>
    public const int Width = 8;

    private readonly float[] _data;
    private readonly int _panels;

    /// <param name="rows">Item vectors, <paramref name="count"/> x <paramref name="dimensions"/> row-major.</param>
    public ItemPanels(ReadOnlySpan<float> rows, int count, int dimensions)
    {
        if (count < 0 || dimensions < 1) throw new ArgumentException($"Invalid sizes: {count} rows, {dimensions} dimensions.");
        if (rows.Length < (long)count * dimensions) throw new ArgumentException($"rows has {rows.Length} floats, needs {(long)count * dimensions}.");
        Count = count; Dimensions = dimensions;
        _panels = (count + Width - 1) / Width;
        _panels += _panels % 2; // the kernels take panels in pairs
        long size = (long)_panels * dimensions * Width;
        if (size > Array.MaxLength)
            throw new ArgumentException($"{count:N0} items x {dimensions} dimensions (padded to {size:N0} floats) are more than one array holds ({Array.MaxLength:N0}).");
        _data = new float[size];
        for (int i = 0; i < count; i++)
        {
            var row = rows.Slice(i * dimensions, dimensions);
            // Panels p (even) and p + 1 are interleaved factor by factor: 16 floats per factor, one sequential stream.
            int at = i / (2 * Width) * dimensions * 2 * Width + i % (2 * Width);
            for (int f = 0; f < dimensions; f++) _data[at + f * 2 * Width] = row[f];
        }
    }

    public int Count { get; }
    public int Dimensions { get; }

    /// <summary>
    /// outputs[j][i] = item i · queries[j] for every item and each of the <paramref name="batch"/> queries
    /// (<paramref name="queries"/>: batch x d row-major; each output at least <see cref="Count"/> long).
    /// Queries go four at a time against two panels (eight accumulators), the rest one at a time (four accumulators).
    /// </summary>
    public void Score(ReadOnlySpan<float> queries, int batch, ReadOnlySpan<float[]> outputs)
    {
        int d = Dimensions;
        BatchScoring.Check(Count, d, queries, batch, outputs);
        int stride = d * 2 * Width, step = 2 * Width; // a pair of panels, and one factor of it
        ref float data = ref MemoryMarshal.GetArrayDataReference(_data);
        ref float q = ref MemoryMarshal.GetReference(queries);
        for (int p = 0; p < _panels; p += 2)
        {
            ref float a = ref Unsafe.Add(ref data, (nint)(p / 2) * stride);
            ref float b = ref Unsafe.Add(ref a, Width);
            int j = 0;
            for (; j + 4 <= batch; j += 4)
            {
                ref float q0 = ref Unsafe.Add(ref q, j * d);
                ref float q1 = ref Unsafe.Add(ref q0, d);
                ref float q2 = ref Unsafe.Add(ref q1, d);
                ref float q3 = ref Unsafe.Add(ref q2, d);
                Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default, b0 = default, b1 = default, b2 = default, b3 = default;
                for (int f = 0; f < d; f++)
                {
                    var va = Vector256.LoadUnsafe(ref a, (nuint)(f * step));
                    var vb = Vector256.LoadUnsafe(ref b, (nuint)(f * step));
                    var s0 = Vector256.Create(Unsafe.Add(ref q0, f));
                    var s1 = Vector256.Create(Unsafe.Add(ref q1, f));
                    var s2 = Vector256.Create(Unsafe.Add(ref q2, f));
                    var s3 = Vector256.Create(Unsafe.Add(ref q3, f));
                    a0 = Vector256.FusedMultiplyAdd(va, s0, a0); b0 = Vector256.FusedMultiplyAdd(vb, s0, b0);
                    a1 = Vector256.FusedMultiplyAdd(va, s1, a1); b1 = Vector256.FusedMultiplyAdd(vb, s1, b1);
                    a2 = Vector256.FusedMultiplyAdd(va, s2, a2); b2 = Vector256.FusedMultiplyAdd(vb, s2, b2);
                    a3 = Vector256.FusedMultiplyAdd(va, s3, a3); b3 = Vector256.FusedMultiplyAdd(vb, s3, b3);
                }
                Store(outputs[j], p, a0, b0); Store(outputs[j + 1], p, a1, b1);
                Store(outputs[j + 2], p, a2, b2); Store(outputs[j + 3], p, a3, b3);
            }
            for (; j < batch; j++)
            {
                ref float q0 = ref Unsafe.Add(ref q, j * d);
                // Even and odd factors in separate accumulators: four independent chains instead of two.
                Vector256<float> aEven = default, aOdd = default, bEven = default, bOdd = default;
                int f = 0;
                for (; f + 2 <= d; f += 2)
                {
                    var s = Vector256.Create(Unsafe.Add(ref q0, f));
                    var t = Vector256.Create(Unsafe.Add(ref q0, f + 1));
                    aEven = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref a, (nuint)(f * step)), s, aEven);
                    bEven = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref b, (nuint)(f * step)), s, bEven);
                    aOdd = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref a, (nuint)((f + 1) * step)), t, aOdd);
                    bOdd = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref b, (nuint)((f + 1) * step)), t, bOdd);
                }
                if (f < d)
                {
                    var s = Vector256.Create(Unsafe.Add(ref q0, f));
                    aEven = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref a, (nuint)(f * step)), s, aEven);
                    bEven = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref b, (nuint)(f * step)), s, bEven);
                }
                Store(outputs[j], p, aEven + aOdd, bEven + bOdd);
            }
        }
    }

    /// <summary>Writes the scores of panels p and p + 1 (items 8p .. 8p + 15), leaving out padding items.</summary>
    private void Store(float[] output, int p, Vector256<float> first, Vector256<float> second)
    {
        Put(output, p * Width, first);
        Put(output, (p + 1) * Width, second);
    }

    private void Put(float[] output, int at, Vector256<float> scores)
    {
        if (at + Width <= Count) scores.StoreUnsafe(ref MemoryMarshal.GetArrayDataReference(output), (nuint)at);
        else for (int l = 0; at + l < Count; l++) output[at + l] = scores.GetElement(l);
    }
}
