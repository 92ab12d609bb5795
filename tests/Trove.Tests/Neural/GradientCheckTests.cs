using Trove.Numerics.Autodiff;

namespace Trove.Tests.Neural;

/// <summary>
/// Every differentiable op's backward pass against central finite differences. The output is reduced
/// with random weights (so every output gradient entry differs), the numeric loss is summed in double,
/// and each gradient entry must match within |analytic - numeric| &lt;= 2e-3 + 2e-2 * |numeric|.
/// </summary>
public class GradientCheckTests
{
    private sealed record Input(float[] Data, int Rows, int Cols);

    private static Input Rand(int rows, int cols, int seed, float scale = 1f, float awayFromZero = 0f)
    {
        var rng = new Random(seed);
        var d = new float[rows * cols];
        for (int i = 0; i < d.Length; i++)
        {
            float v = (2 * rng.NextSingle() - 1) * scale;
            if (awayFromZero > 0 && MathF.Abs(v) < awayFromZero) v = v < 0 ? v - awayFromZero : v + awayFromZero;
            d[i] = v;
        }
        return new Input(d, rows, cols);
    }

    private static Parameter RandParam(string name, int rows, int cols, int seed, bool sparse = false)
    {
        var p = new Parameter(name, rows, cols, sparse);
        Init.Uniform(p.Value, 1f, new Random(seed));
        return p;
    }

    /// <summary>Checks gradients of f's output w.r.t. every input and parameter.</summary>
    private static void Check(Input[] inputs, Parameter[] parameters, Func<Tape, Tensor[], Tensor> f, double eps = 1e-2)
    {
        float[]? weights = null;
        double Eval()
        {
            var tape = new Tape(training: true, seed: 7);
            var xs = inputs.Select(i => tape.Variable(i.Data, i.Rows, i.Cols)).ToArray();
            var y = f(tape, xs);
            if (weights is null)
            {
                var rng = new Random(99);
                weights = Enumerable.Range(0, y.Length).Select(_ => 2 * rng.NextSingle() - 1).ToArray();
            }
            double s = 0;
            for (int i = 0; i < y.Length; i++) s += (double)y.Data[i] * weights[i];
            return s;
        }
        Eval();

        // analytic
        foreach (var p in parameters) p.ZeroGrad();
        var tape = new Tape(training: true, seed: 7);
        var xs = inputs.Select(i => tape.Variable(i.Data, i.Rows, i.Cols)).ToArray();
        var loss = tape.WeightedSum(f(tape, xs), weights);
        tape.Backward(loss);
        tape.AccumulateGradients();
        var analyticInputs = xs.Select(x => x.Grad ?? new float[x.Length]).ToArray();
        var analyticParams = parameters.Select(p => (float[])p.Grad.Clone()).ToArray();

        void Compare(float[] values, float[] analytic, string what)
        {
            for (int k = 0; k < values.Length; k++)
            {
                float orig = values[k];
                values[k] = (float)(orig + eps); double plus = Eval();
                values[k] = (float)(orig - eps); double minus = Eval();
                values[k] = orig;
                double numeric = (plus - minus) / (2 * eps);
                double err = Math.Abs(analytic[k] - numeric);
                Assert.True(err <= 2e-3 + 2e-2 * Math.Abs(numeric), $"{what}[{k}]: analytic {analytic[k]}, numeric {numeric}");
            }
        }
        for (int i = 0; i < inputs.Length; i++) Compare(inputs[i].Data, analyticInputs[i], $"input {i}");
        for (int j = 0; j < parameters.Length; j++) Compare(parameters[j].Value, analyticParams[j], parameters[j].Name);
    }

    [Fact]
    public void Lookup_sparse_rows_with_repeats_and_missing()
    {
        var table = RandParam("table", 6, 3, 1, sparse: true);
        Check([], [table], (t, _) => t.Lookup(table, [2, 0, 2, -1, 5]));
        Assert.Equal(3, table.TouchedRows.Count); // rows 2, 0, 5 only
    }

    [Fact]
    public void LookupBags_mean_pooling()
    {
        var table = RandParam("table", 7, 4, 2, sparse: true);
        Check([], [table], (t, _) => t.LookupBags(table, [0, 2, 2, 5], [1, 3, 0, 3, 6]));
    }

    [Fact] public void MatMul() => Check([Rand(3, 4, 1), Rand(4, 5, 2)], [], (t, x) => t.MatMul(x[0], x[1]));
    [Fact] public void MatMulTransposed() => Check([Rand(3, 4, 1), Rand(5, 4, 2)], [], (t, x) => t.MatMulTransposed(x[0], x[1]));
    [Fact] public void AddBias() => Check([Rand(3, 4, 1), Rand(1, 4, 2)], [], (t, x) => t.AddBias(x[0], x[1]));

    [Fact]
    public void Linear_layer_parameters()
    {
        var w = RandParam("w", 4, 3, 3); var b = RandParam("b", 1, 3, 4);
        Check([Rand(5, 4, 1)], [w, b], (t, x) => t.Linear(x[0], w, b));
    }

    [Fact] public void Add() => Check([Rand(3, 4, 1), Rand(3, 4, 2)], [], (t, x) => t.Add(x[0], x[1]));
    [Fact] public void Elementwise_product() => Check([Rand(3, 4, 1), Rand(3, 4, 2)], [], (t, x) => t.Mul(x[0], x[1]));
    [Fact] public void Scale() => Check([Rand(3, 4, 1)], [], (t, x) => t.Scale(x[0], -2.5f));
    [Fact] public void Relu() => Check([Rand(4, 5, 1, awayFromZero: 0.05f)], [], (t, x) => t.Relu(x[0]));
    [Fact] public void Sigmoid() => Check([Rand(4, 5, 1, 3f)], [], (t, x) => t.Sigmoid(x[0]));
    [Fact] public void Tanh() => Check([Rand(4, 5, 1, 2f)], [], (t, x) => t.Tanh(x[0]));
    [Fact] public void Dropout() => Check([Rand(6, 5, 1)], [], (t, x) => t.Dropout(x[0], 0.3f));
    [Fact] public void Concat() => Check([Rand(3, 2, 1), Rand(3, 4, 2), Rand(3, 1, 3)], [], (t, x) => t.Concat(x[0], x[1], x[2]));
    [Fact] public void StackSequence() => Check([Rand(3, 2, 1), Rand(3, 2, 2), Rand(3, 2, 3)], [], (t, x) => t.StackSequence(x[0], x[1], x[2]));
    [Fact] public void MeanGroups() => Check([Rand(6, 3, 1)], [], (t, x) => t.MeanGroups(x[0], 3));
    [Fact] public void Dot_product() => Check([Rand(4, 5, 1), Rand(4, 5, 2)], [], (t, x) => t.RowDot(x[0], x[1]));
    [Fact] public void WeightedSum() => Check([Rand(4, 5, 1)], [], (t, x) => t.WeightedSum(x[0], Rand(4, 5, 9).Data));
    [Fact] public void L2Normalize() => Check([Rand(4, 5, 1)], [], (t, x) => t.L2Normalize(x[0]));

    [Fact]
    public void LayerNorm()
    {
        Check([Rand(4, 6, 1, 2f), Rand(1, 6, 2), Rand(1, 6, 3)], [], (t, x) => t.LayerNorm(x[0], x[1], x[2]), eps: 5e-3);
    }

    [Fact] public void Softmax() => Check([Rand(3, 5, 1, 3f)], [], (t, x) => t.Softmax(x[0]));
    [Fact] public void LogSumExp() => Check([Rand(3, 5, 1, 3f)], [], (t, x) => t.LogSumExp(x[0]));

    [Fact]
    public void Scaled_dot_product_attention()
    {
        Check([Rand(6, 4, 1, 1.5f), Rand(6, 4, 2, 1.5f), Rand(6, 4, 3)], [], (t, x) => t.Attention(x[0], x[1], x[2], seqLen: 3));
    }

    [Fact]
    public void Bce_with_logits()
    {
        float[] labels = [1, 0, 1, 0, 0.3f, 1];
        Check([Rand(6, 1, 1, 4f)], [], (t, x) => t.BceWithLogits(x[0], labels));
    }

    [Fact]
    public void Sampled_softmax_infonce()
    {
        Check([Rand(4, 6, 1, 3f)], [], (t, x) => t.SoftmaxCrossEntropy(x[0], [0, 3, 5, 1]));
    }

    [Fact]
    public void InfoNCE_over_two_towers_with_log_q_correction()
    {
        var logQ = new float[] { -1f, -2f, -0.5f, -3f, -1.5f };
        Check([Rand(3, 4, 1), Rand(5, 4, 2)], [], (t, x) =>
        {
            var logits = t.Scale(t.MatMulTransposed(t.L2Normalize(x[0]), t.L2Normalize(x[1])), 1f / 0.2f);
            var corrected = t.AddBias(logits, t.Constant(logQ.Select(v => -v).ToArray(), 1, 5));
            return t.SoftmaxCrossEntropy(corrected, [0, 1, 2]);
        });
    }

    [Fact]
    public void Composite_mlp_with_layer_norm_and_attention()
    {
        var emb = RandParam("emb", 5, 4, 1, sparse: true);
        var w1 = RandParam("w1", 8, 4, 2); var b1 = RandParam("b1", 1, 4, 3);
        var g = RandParam("g", 1, 4, 4); var beta = RandParam("beta", 1, 4, 5);
        var wq = RandParam("wq", 4, 4, 6);
        Check([Rand(3, 4, 9)], [emb, w1, b1, g, beta, wq], (t, x) =>
        {
            var e = t.Lookup(emb, [1, 4, 1]);
            var h = t.Tanh(t.Linear(t.Concat(e, x[0]), w1, b1));
            var n = t.LayerNorm(h, t.Param(g), t.Param(beta));
            var seq = t.StackSequence(n, e);
            var a = t.Attention(t.MatMul(seq, t.Param(wq)), seq, seq, 2);
            return t.BceWithLogits(t.RowDot(t.MeanGroups(a, 2), x[0]), [1, 0, 1]);
        }, eps: 5e-3);
    }
}
