using System.Numerics.Tensors;
using Trove.Numerics.Dense;

namespace Trove.Numerics.Autodiff;

/// <summary>
/// The differentiable operations. Each computes its forward value and, when an input needs a
/// gradient, attaches the backward function that adds its contribution to the inputs' gradients.
/// Shapes are (rows, cols) with rows the batch; every backward is checked against finite
/// differences in the tests.
/// </summary>
public static class Ops
{
    // ---------- embeddings ----------

    /// <summary>Rows of an embedding table (row -1 gives zeros). Sparse gradient: only these rows.</summary>
    public static Tensor Lookup(this Tape tape, Parameter table, int[] rows)
    {
        int d = table.Cols;
        var data = new float[rows.Length * d];
        for (int k = 0; k < rows.Length; k++)
            if (rows[k] >= 0) table.Value.AsSpan(rows[k] * d, d).CopyTo(data.AsSpan(k * d, d));
        var o = new Tensor(rows.Length, d, data, tape.Training);
        tape.AddSparse(table, rows, o);
        return o;
    }

    /// <summary>
    /// Mean of table rows per bag: bag b averages rows indices[offsets[b]..offsets[b+1]] (an empty bag
    /// gives zeros). Used for multi-label categorical fields and hashed text tokens. Sparse gradient.
    /// </summary>
    public static Tensor LookupBags(this Tape tape, Parameter table, int[] offsets, int[] indices)
    {
        int d = table.Cols, bags = offsets.Length - 1;
        var data = new float[bags * d];
        for (int b = 0; b < bags; b++)
        {
            int n = offsets[b + 1] - offsets[b];
            if (n == 0) continue;
            var dst = data.AsSpan(b * d, d);
            for (int k = offsets[b]; k < offsets[b + 1]; k++) TensorPrimitives.Add(dst, table.Value.AsSpan(indices[k] * d, d), dst);
            TensorPrimitives.Multiply(dst, 1f / n, dst);
        }
        var o = new Tensor(bags, d, data, tape.Training);
        tape.AddSparse(table, indices, o, g =>
        {
            var per = new float[indices.Length * d];
            for (int b = 0; b < bags; b++)
            {
                int n = offsets[b + 1] - offsets[b];
                for (int k = offsets[b]; k < offsets[b + 1]; k++)
                    TensorPrimitives.Multiply(g.AsSpan(b * d, d), 1f / n, per.AsSpan(k * d, d));
            }
            return per;
        });
        return o;
    }

    // ---------- linear algebra ----------

    /// <summary>a (n x k) times b (k x m).</summary>
    public static Tensor MatMul(this Tape tape, Tensor a, Tensor b)
    {
        if (a.Cols != b.Rows) throw new ArgumentException($"MatMul: {a} times {b}.");
        int n = a.Rows, k = a.Cols, m = b.Cols;
        var o = tape.Result(n, m, a, b);
        Blas.Gemm(false, false, n, m, k, 1f, a.Data, k, b.Data, m, 0f, o.Data, m);
        if (o.RequiresGrad) o.BackwardFn = () =>
        {
            var g = o.Grad!;
            if (a.RequiresGrad) Blas.Gemm(false, true, n, k, m, 1f, g, m, b.Data, m, 1f, a.G, k);
            if (b.RequiresGrad) Blas.Gemm(true, false, k, m, n, 1f, a.Data, k, g, m, 1f, b.G, m);
        };
        return o;
    }

    /// <summary>a (n x k) times the transpose of b (m x k): all pairwise dot products (n x m).</summary>
    public static Tensor MatMulTransposed(this Tape tape, Tensor a, Tensor b)
    {
        if (a.Cols != b.Cols) throw new ArgumentException($"MatMulTransposed: {a} and {b}.");
        int n = a.Rows, k = a.Cols, m = b.Rows;
        var o = tape.Result(n, m, a, b);
        Blas.Gemm(false, true, n, m, k, 1f, a.Data, k, b.Data, k, 0f, o.Data, m);
        if (o.RequiresGrad) o.BackwardFn = () =>
        {
            var g = o.Grad!;
            if (a.RequiresGrad) Blas.Gemm(false, false, n, k, m, 1f, g, m, b.Data, k, 1f, a.G, k);
            if (b.RequiresGrad) Blas.Gemm(true, false, m, k, n, 1f, g, m, a.Data, k, 1f, b.G, k);
        };
        return o;
    }

    /// <summary>x (n x m) plus the row vector b (1 x m) on every row.</summary>
    public static Tensor AddBias(this Tape tape, Tensor x, Tensor b)
    {
        if (b.Rows != 1 || b.Cols != x.Cols) throw new ArgumentException($"AddBias: {x} and {b}.");
        int n = x.Rows, m = x.Cols;
        var o = tape.Result(n, m, x, b);
        for (int r = 0; r < n; r++) TensorPrimitives.Add(x.Data.AsSpan(r * m, m), b.Data, o.Data.AsSpan(r * m, m));
        if (o.RequiresGrad) o.BackwardFn = () =>
        {
            var g = o.Grad!;
            if (x.RequiresGrad) TensorPrimitives.Add(x.G, g, x.G);
            if (b.RequiresGrad) for (int r = 0; r < n; r++) TensorPrimitives.Add(b.G, g.AsSpan(r * m, m), b.G);
        };
        return o;
    }

    /// <summary>x W + b with W (in x out) and b (1 x out) parameters.</summary>
    public static Tensor Linear(this Tape tape, Tensor x, Parameter w, Parameter? b)
    {
        var y = tape.MatMul(x, tape.Param(w));
        return b is null ? y : tape.AddBias(y, tape.Param(b));
    }

    // ---------- element-wise ----------

    public static Tensor Add(this Tape tape, Tensor a, Tensor b)
    {
        CheckSame(a, b, "Add");
        var o = tape.Result(a.Rows, a.Cols, a, b);
        TensorPrimitives.Add(a.Data, b.Data, o.Data);
        if (o.RequiresGrad) o.BackwardFn = () =>
        {
            if (a.RequiresGrad) TensorPrimitives.Add(a.G, o.Grad!, a.G);
            if (b.RequiresGrad) TensorPrimitives.Add(b.G, o.Grad!, b.G);
        };
        return o;
    }

    /// <summary>Element-wise (Hadamard) product.</summary>
    public static Tensor Mul(this Tape tape, Tensor a, Tensor b)
    {
        CheckSame(a, b, "Mul");
        var o = tape.Result(a.Rows, a.Cols, a, b);
        TensorPrimitives.Multiply(a.Data, b.Data, o.Data);
        if (o.RequiresGrad) o.BackwardFn = () =>
        {
            var g = o.Grad!;
            if (a.RequiresGrad) TensorPrimitives.MultiplyAdd(g, b.Data, a.G, a.G);
            if (b.RequiresGrad) TensorPrimitives.MultiplyAdd(g, a.Data, b.G, b.G);
        };
        return o;
    }

    public static Tensor Scale(this Tape tape, Tensor x, float factor)
    {
        var o = tape.Result(x.Rows, x.Cols, x);
        TensorPrimitives.Multiply(x.Data, factor, o.Data);
        if (o.RequiresGrad) o.BackwardFn = () => TensorPrimitives.MultiplyAdd(o.Grad!, factor, x.G, x.G);
        return o;
    }

    public static Tensor Relu(this Tape tape, Tensor x)
    {
        var o = tape.Result(x.Rows, x.Cols, x);
        TensorPrimitives.Max(x.Data, 0f, o.Data);
        if (o.RequiresGrad) o.BackwardFn = () =>
        {
            var g = o.Grad!; var gx = x.G;
            for (int i = 0; i < g.Length; i++) if (x.Data[i] > 0) gx[i] += g[i];
        };
        return o;
    }

    public static Tensor Sigmoid(this Tape tape, Tensor x)
    {
        var o = tape.Result(x.Rows, x.Cols, x);
        TensorPrimitives.Sigmoid(x.Data, o.Data);
        if (o.RequiresGrad) o.BackwardFn = () =>
        {
            var g = o.Grad!; var gx = x.G; var y = o.Data;
            for (int i = 0; i < g.Length; i++) gx[i] += g[i] * y[i] * (1 - y[i]);
        };
        return o;
    }

    public static Tensor Tanh(this Tape tape, Tensor x)
    {
        var o = tape.Result(x.Rows, x.Cols, x);
        TensorPrimitives.Tanh(x.Data, o.Data);
        if (o.RequiresGrad) o.BackwardFn = () =>
        {
            var g = o.Grad!; var gx = x.G; var y = o.Data;
            for (int i = 0; i < g.Length; i++) gx[i] += g[i] * (1 - y[i] * y[i]);
        };
        return o;
    }

    /// <summary>Inverted dropout: zeroes each value with probability p and scales the rest by 1/(1-p). Identity at inference.</summary>
    public static Tensor Dropout(this Tape tape, Tensor x, float p)
    {
        if (!tape.Training || p <= 0) return x;
        var mask = new float[x.Length];
        float keep = 1f / (1f - p);
        for (int i = 0; i < mask.Length; i++) mask[i] = tape.Random.NextSingle() < p ? 0f : keep;
        return tape.Mul(x, tape.Constant(mask, x.Rows, x.Cols));
    }

    // ---------- shape ----------

    /// <summary>Concatenates along columns (same rows).</summary>
    public static Tensor Concat(this Tape tape, params Tensor[] parts)
    {
        int n = parts[0].Rows, m = 0;
        foreach (var p in parts) { if (p.Rows != n) throw new ArgumentException("Concat: different row counts."); m += p.Cols; }
        var o = tape.Result(n, m, parts);
        int off = 0;
        foreach (var p in parts)
        {
            for (int r = 0; r < n; r++) p.Data.AsSpan(r * p.Cols, p.Cols).CopyTo(o.Data.AsSpan(r * m + off, p.Cols));
            off += p.Cols;
        }
        if (o.RequiresGrad) o.BackwardFn = () =>
        {
            int at = 0;
            foreach (var p in parts)
            {
                if (p.RequiresGrad)
                    for (int r = 0; r < n; r++)
                    {
                        var dst = p.G.AsSpan(r * p.Cols, p.Cols);
                        TensorPrimitives.Add(dst, o.Grad!.AsSpan(r * m + at, p.Cols), dst);
                    }
                at += p.Cols;
            }
        };
        return o;
    }

    /// <summary>
    /// Interleaves L tensors of shape (B x d) into a sequence tensor (B*L x d): row b*L + l is row b
    /// of parts[l] (the layout <see cref="Attention"/> and <see cref="MeanGroups"/> expect).
    /// </summary>
    public static Tensor StackSequence(this Tape tape, params Tensor[] parts)
    {
        int b = parts[0].Rows, d = parts[0].Cols, L = parts.Length;
        foreach (var p in parts) if (p.Rows != b || p.Cols != d) throw new ArgumentException("StackSequence: shapes differ.");
        var o = tape.Result(b * L, d, parts);
        for (int l = 0; l < L; l++)
            for (int r = 0; r < b; r++) parts[l].Data.AsSpan(r * d, d).CopyTo(o.Data.AsSpan((r * L + l) * d, d));
        if (o.RequiresGrad) o.BackwardFn = () =>
        {
            for (int l = 0; l < L; l++)
            {
                if (!parts[l].RequiresGrad) continue;
                var gp = parts[l].G;
                for (int r = 0; r < b; r++)
                {
                    var dst = gp.AsSpan(r * d, d);
                    TensorPrimitives.Add(dst, o.Grad!.AsSpan((r * L + l) * d, d), dst);
                }
            }
        };
        return o;
    }

    /// <summary>Mean of each consecutive group of <paramref name="group"/> rows (sequence pooling).</summary>
    public static Tensor MeanGroups(this Tape tape, Tensor x, int group)
    {
        if (x.Rows % group != 0) throw new ArgumentException("MeanGroups: rows not a multiple of the group size.");
        int b = x.Rows / group, d = x.Cols;
        var o = tape.Result(b, d, x);
        for (int r = 0; r < b; r++)
        {
            var dst = o.Data.AsSpan(r * d, d);
            for (int l = 0; l < group; l++) TensorPrimitives.Add(dst, x.Data.AsSpan((r * group + l) * d, d), dst);
            TensorPrimitives.Multiply(dst, 1f / group, dst);
        }
        if (o.RequiresGrad) o.BackwardFn = () =>
        {
            for (int r = 0; r < b; r++)
                for (int l = 0; l < group; l++)
                {
                    var dst = x.G.AsSpan((r * group + l) * d, d);
                    TensorPrimitives.MultiplyAdd(o.Grad!.AsSpan(r * d, d), 1f / group, dst, dst);
                }
        };
        return o;
    }

    // ---------- reductions and normalisation ----------

    /// <summary>Row-wise dot products of two (n x d) tensors: (n x 1).</summary>
    public static Tensor RowDot(this Tape tape, Tensor a, Tensor b)
    {
        CheckSame(a, b, "RowDot");
        int n = a.Rows, d = a.Cols;
        var o = tape.Result(n, 1, a, b);
        for (int r = 0; r < n; r++) o.Data[r] = TensorPrimitives.Dot(a.Data.AsSpan(r * d, d), b.Data.AsSpan(r * d, d));
        if (o.RequiresGrad) o.BackwardFn = () =>
        {
            var g = o.Grad!;
            for (int r = 0; r < n; r++)
            {
                if (a.RequiresGrad) { var dst = a.G.AsSpan(r * d, d); TensorPrimitives.MultiplyAdd(b.Data.AsSpan(r * d, d), g[r], dst, dst); }
                if (b.RequiresGrad) { var dst = b.G.AsSpan(r * d, d); TensorPrimitives.MultiplyAdd(a.Data.AsSpan(r * d, d), g[r], dst, dst); }
            }
        };
        return o;
    }

    /// <summary>Sum of all values times constant weights (a scalar); weights null means plain sum.</summary>
    public static Tensor WeightedSum(this Tape tape, Tensor x, float[]? weights = null)
    {
        var o = tape.Result(1, 1, x);
        o.Data[0] = weights is null ? TensorPrimitives.Sum(x.Data) : TensorPrimitives.Dot(x.Data, weights);
        if (o.RequiresGrad) o.BackwardFn = () =>
        {
            float g = o.Grad![0];
            if (weights is null) TensorPrimitives.Add(x.G, g, x.G);
            else TensorPrimitives.MultiplyAdd(weights, g, x.G, x.G);
        };
        return o;
    }

    /// <summary>Layer normalisation of each row, then gain and bias (1 x d each).</summary>
    public static Tensor LayerNorm(this Tape tape, Tensor x, Tensor gain, Tensor bias, float eps = 1e-5f)
    {
        int n = x.Rows, d = x.Cols;
        var o = tape.Result(n, d, x, gain, bias);
        var xhat = new float[n * d];
        var inv = new float[n];
        for (int r = 0; r < n; r++)
        {
            var row = x.Data.AsSpan(r * d, d);
            float mean = TensorPrimitives.Sum(row) / d;
            var h = xhat.AsSpan(r * d, d);
            TensorPrimitives.Subtract(row, mean, h);
            float var = TensorPrimitives.SumOfSquares(h) / d;
            inv[r] = 1f / MathF.Sqrt(var + eps);
            TensorPrimitives.Multiply(h, inv[r], h);
            var y = o.Data.AsSpan(r * d, d);
            TensorPrimitives.Multiply(h, gain.Data, y);
            TensorPrimitives.Add(y, bias.Data, y);
        }
        if (o.RequiresGrad) o.BackwardFn = () =>
        {
            var g = o.Grad!;
            var gh = new float[d];
            for (int r = 0; r < n; r++)
            {
                var gr = g.AsSpan(r * d, d); var h = xhat.AsSpan(r * d, d);
                if (gain.RequiresGrad) TensorPrimitives.MultiplyAdd(gr, h, gain.G, gain.G);
                if (bias.RequiresGrad) TensorPrimitives.Add(bias.G, gr, bias.G);
                if (!x.RequiresGrad) continue;
                TensorPrimitives.Multiply(gr, gain.Data, gh);
                float meanG = TensorPrimitives.Sum(gh) / d;
                float meanGH = TensorPrimitives.Dot(gh, h) / d;
                var gx = x.G.AsSpan(r * d, d);
                for (int c = 0; c < d; c++) gx[c] += inv[r] * (gh[c] - meanG - h[c] * meanGH);
            }
        };
        return o;
    }

    /// <summary>Scales each row to unit Euclidean norm (cosine-similarity towers).</summary>
    public static Tensor L2Normalize(this Tape tape, Tensor x, float eps = 1e-8f)
    {
        int n = x.Rows, d = x.Cols;
        var o = tape.Result(n, d, x);
        var norms = new float[n];
        for (int r = 0; r < n; r++)
        {
            norms[r] = MathF.Max(TensorPrimitives.Norm(x.Data.AsSpan(r * d, d)), eps);
            TensorPrimitives.Multiply(x.Data.AsSpan(r * d, d), 1f / norms[r], o.Data.AsSpan(r * d, d));
        }
        if (o.RequiresGrad) o.BackwardFn = () =>
        {
            for (int r = 0; r < n; r++)
            {
                var g = o.Grad!.AsSpan(r * d, d); var y = o.Data.AsSpan(r * d, d);
                float dot = TensorPrimitives.Dot(g, y);
                var gx = x.G.AsSpan(r * d, d);
                for (int c = 0; c < d; c++) gx[c] += (g[c] - dot * y[c]) / norms[r];
            }
        };
        return o;
    }

    /// <summary>Row-wise softmax.</summary>
    public static Tensor Softmax(this Tape tape, Tensor x)
    {
        int n = x.Rows, m = x.Cols;
        var o = tape.Result(n, m, x);
        for (int r = 0; r < n; r++) StableSoftmax(x.Data.AsSpan(r * m, m), o.Data.AsSpan(r * m, m));
        if (o.RequiresGrad) o.BackwardFn = () => SoftmaxBackward(o.Data, o.Grad!, x.G, n, m);
        return o;
    }

    private static void SoftmaxBackward(float[] y, float[] g, float[] gx, int n, int m)
    {
        for (int r = 0; r < n; r++)
        {
            var yr = y.AsSpan(r * m, m); var gr = g.AsSpan(r * m, m); var dst = gx.AsSpan(r * m, m);
            float dot = TensorPrimitives.Dot(yr, gr);
            for (int c = 0; c < m; c++) dst[c] += yr[c] * (gr[c] - dot);
        }
    }

    /// <summary>Row-wise log-sum-exp (n x 1), computed stably.</summary>
    public static Tensor LogSumExp(this Tape tape, Tensor x)
    {
        int n = x.Rows, m = x.Cols;
        var o = tape.Result(n, 1, x);
        for (int r = 0; r < n; r++) o.Data[r] = LogSumExp(x.Data.AsSpan(r * m, m));
        if (o.RequiresGrad) o.BackwardFn = () =>
        {
            for (int r = 0; r < n; r++)
            {
                var xr = x.Data.AsSpan(r * m, m); var dst = x.G.AsSpan(r * m, m);
                float g = o.Grad![r], lse = o.Data[r];
                for (int c = 0; c < m; c++) dst[c] += g * MathF.Exp(xr[c] - lse);
            }
        };
        return o;
    }

    /// <summary>Softmax with the maximum subtracted first (no overflow); source and destination may be the same span.</summary>
    public static void StableSoftmax(ReadOnlySpan<float> x, Span<float> y)
    {
        float max = TensorPrimitives.Max(x);
        TensorPrimitives.Subtract(x, max, y);
        TensorPrimitives.Exp(y, y);
        TensorPrimitives.Multiply(y, 1f / TensorPrimitives.Sum(y), y);
    }

    internal static float LogSumExp(ReadOnlySpan<float> x)
    {
        float max = TensorPrimitives.Max(x);
        if (float.IsNegativeInfinity(max)) return max;
        double s = 0;
        foreach (var v in x) s += Math.Exp(v - max);
        return max + (float)Math.Log(s);
    }

    // ---------- attention ----------

    /// <summary>
    /// Scaled dot-product attention within sequences of <paramref name="seqLen"/> rows: q, k, v are
    /// (B*L x d) in the <see cref="StackSequence"/> layout; output row i of sequence s is
    /// sum_j softmax_j(q_i . k_j / sqrt(d)) v_j over the rows j of the same sequence.
    /// </summary>
    public static Tensor Attention(this Tape tape, Tensor q, Tensor k, Tensor v, int seqLen)
    {
        CheckSame(q, k, "Attention"); CheckSame(q, v, "Attention");
        if (q.Rows % seqLen != 0) throw new ArgumentException("Attention: rows not a multiple of the sequence length.");
        int L = seqLen, d = q.Cols, seqs = q.Rows / L;
        float scale = 1f / MathF.Sqrt(d);
        var o = tape.Result(q.Rows, d, q, k, v);
        var att = new float[seqs * L * L];
        for (int s = 0; s < seqs; s++)
        {
            int b0 = s * L;
            for (int i = 0; i < L; i++)
            {
                var a = att.AsSpan((s * L + i) * L, L);
                var qi = q.Data.AsSpan((b0 + i) * d, d);
                for (int j = 0; j < L; j++) a[j] = scale * TensorPrimitives.Dot(qi, k.Data.AsSpan((b0 + j) * d, d));
                StableSoftmax(a, a);
                var oi = o.Data.AsSpan((b0 + i) * d, d);
                for (int j = 0; j < L; j++) TensorPrimitives.MultiplyAdd(v.Data.AsSpan((b0 + j) * d, d), a[j], oi, oi);
            }
        }
        if (o.RequiresGrad) o.BackwardFn = () =>
        {
            var g = o.Grad!;
            var ga = new float[L];
            for (int s = 0; s < seqs; s++)
            {
                int b0 = s * L;
                for (int i = 0; i < L; i++)
                {
                    var a = att.AsSpan((s * L + i) * L, L);
                    var gi = g.AsSpan((b0 + i) * d, d);
                    for (int j = 0; j < L; j++)
                    {
                        ga[j] = TensorPrimitives.Dot(gi, v.Data.AsSpan((b0 + j) * d, d));
                        if (v.RequiresGrad) { var dv = v.G.AsSpan((b0 + j) * d, d); TensorPrimitives.MultiplyAdd(gi, a[j], dv, dv); }
                    }
                    float dot = TensorPrimitives.Dot(a, ga);
                    var qi = q.Data.AsSpan((b0 + i) * d, d);
                    for (int j = 0; j < L; j++)
                    {
                        float gs = a[j] * (ga[j] - dot) * scale; // gradient of the pre-softmax score
                        if (gs == 0) continue;
                        if (q.RequiresGrad) { var dq = q.G.AsSpan((b0 + i) * d, d); TensorPrimitives.MultiplyAdd(k.Data.AsSpan((b0 + j) * d, d), gs, dq, dq); }
                        if (k.RequiresGrad) { var dk = k.G.AsSpan((b0 + j) * d, d); TensorPrimitives.MultiplyAdd(qi, gs, dk, dk); }
                    }
                }
            }
        };
        return o;
    }

    // ---------- losses ----------

    /// <summary>Mean binary cross-entropy of logits (n x 1) against labels in [0, 1], computed stably.</summary>
    public static Tensor BceWithLogits(this Tape tape, Tensor logits, float[] labels)
    {
        if (logits.Length != labels.Length) throw new ArgumentException("BceWithLogits: one label per logit.");
        int n = logits.Length;
        var o = tape.Result(1, 1, logits);
        double sum = 0;
        for (int i = 0; i < n; i++)
        {
            float z = logits.Data[i];
            sum += Math.Max(z, 0) - z * labels[i] + Math.Log(1 + Math.Exp(-Math.Abs(z)));
        }
        o.Data[0] = (float)(sum / n);
        if (o.RequiresGrad) o.BackwardFn = () =>
        {
            float g = o.Grad![0] / n;
            var gl = logits.G;
            for (int i = 0; i < n; i++) gl[i] += g * (Sigmoid(logits.Data[i]) - labels[i]);
        };
        return o;
    }

    /// <summary>
    /// Mean softmax cross-entropy of each row of <paramref name="logits"/> (n x m) against its target
    /// column: the sampled-softmax / InfoNCE loss (logits = user . item / temperature, target = the
    /// positive). Columns set to -infinity are masked out.
    /// </summary>
    public static Tensor SoftmaxCrossEntropy(this Tape tape, Tensor logits, int[] targets)
    {
        int n = logits.Rows, m = logits.Cols;
        if (targets.Length != n) throw new ArgumentException("SoftmaxCrossEntropy: one target per row.");
        var o = tape.Result(1, 1, logits);
        var lse = new float[n];
        double sum = 0;
        for (int r = 0; r < n; r++)
        {
            lse[r] = LogSumExp(logits.Data.AsSpan(r * m, m));
            sum += lse[r] - logits.Data[r * m + targets[r]];
        }
        o.Data[0] = (float)(sum / n);
        if (o.RequiresGrad) o.BackwardFn = () =>
        {
            float g = o.Grad![0] / n;
            for (int r = 0; r < n; r++)
            {
                var xr = logits.Data.AsSpan(r * m, m); var dst = logits.G.AsSpan(r * m, m);
                for (int c = 0; c < m; c++) dst[c] += g * MathF.Exp(xr[c] - lse[r]);
                dst[targets[r]] -= g;
            }
        };
        return o;
    }

    public static float Sigmoid(float z) => z >= 0 ? 1f / (1f + MathF.Exp(-z)) : MathF.Exp(z) / (1f + MathF.Exp(z));

    private static void CheckSame(Tensor a, Tensor b, string op)
    {
        if (a.Rows != b.Rows || a.Cols != b.Cols) throw new ArgumentException($"{op}: shapes {a.Rows}x{a.Cols} and {b.Rows}x{b.Cols} differ.");
    }
}
