using System.Numerics.Tensors;

namespace Trove.Numerics.Autodiff;

/// <summary>
/// Updates parameters from their accumulated gradients, then zeroes the gradients. Embedding tables
/// (<see cref="Parameter.Sparse"/>) are updated lazily: only the rows that received gradient, so a
/// step costs the batch, not the catalogue.
/// </summary>
public abstract class Optimizer
{
    protected Optimizer(float learningRate, float weightDecay) { LearningRate = learningRate; WeightDecay = weightDecay; }

    /// <summary>Current step size (the trainer's schedule changes it between epochs).</summary>
    public float LearningRate { get; set; }
    /// <summary>L2 penalty added to the gradient (on touched rows only for embedding tables).</summary>
    public float WeightDecay { get; set; }
    public long Steps { get; private set; }

    /// <summary>Continues from a saved step count (Adam's bias correction depends on it), when resuming training.</summary>
    public void RestoreSteps(long steps) => Steps = steps >= 0 ? steps : throw new ArgumentOutOfRangeException(nameof(steps));

    public void Step(IEnumerable<Parameter> parameters)
    {
        Steps++;
        BeginStep();
        foreach (var p in parameters)
        {
            if (p.Sparse)
                foreach (int r in p.TouchedRows) Update(p, r * p.Cols, p.Cols);
            else Update(p, 0, p.Length);
            p.ZeroGrad();
        }
    }

    private void Update(Parameter p, int offset, int length)
    {
        var w = p.Value.AsSpan(offset, length);
        var g = p.Grad.AsSpan(offset, length);
        if (WeightDecay != 0) TensorPrimitives.MultiplyAdd(w, WeightDecay, g, g);
        Apply(p, offset, length, w, g);
    }

    /// <summary>Per-step constants (bias corrections) computed once before the parameters are updated.</summary>
    protected virtual void BeginStep() { }

    /// <summary>Applies the update to a contiguous range (a whole dense parameter or one embedding row).</summary>
    protected abstract void Apply(Parameter p, int offset, int length, Span<float> w, ReadOnlySpan<float> g);

    protected static float[] State1(Parameter p) => p.State1 ??= new float[p.Length];
    protected static float[] State2(Parameter p) => p.State2 ??= new float[p.Length];
}

/// <summary>
/// Adam (Kingma and Ba 2015). For embedding tables this is "lazy Adam": moments of rows without
/// gradient are not decayed, and bias correction uses the global step count.
/// </summary>
public sealed class Adam(float learningRate = 1e-3f, float beta1 = 0.9f, float beta2 = 0.999f, float epsilon = 1e-8f, float weightDecay = 0f)
    : Optimizer(learningRate, weightDecay)
{
    public float Beta1 { get; } = beta1;
    public float Beta2 { get; } = beta2;
    public float Epsilon { get; } = epsilon;

    private float _step, _epsHat;

    protected override void BeginStep()
    {
        double c1 = 1 - Math.Pow(Beta1, Steps), c2 = 1 - Math.Pow(Beta2, Steps);
        _step = (float)(LearningRate * Math.Sqrt(c2) / c1);
        _epsHat = (float)(Epsilon * Math.Sqrt(c2));
    }

    protected override void Apply(Parameter p, int offset, int length, Span<float> w, ReadOnlySpan<float> g)
    {
        var m = State1(p).AsSpan(offset, length);
        var v = State2(p).AsSpan(offset, length);
        float step = _step, epsHat = _epsHat;
        for (int i = 0; i < w.Length; i++)
        {
            m[i] = Beta1 * m[i] + (1 - Beta1) * g[i];
            v[i] = Beta2 * v[i] + (1 - Beta2) * g[i] * g[i];
            w[i] -= step * m[i] / (MathF.Sqrt(v[i]) + epsHat);
        }
    }
}

/// <summary>Adagrad (Duchi et al. 2011): per-coordinate steps lr / sqrt(sum of squared gradients).</summary>
public sealed class Adagrad(float learningRate = 0.05f, float initialAccumulator = 0f, float epsilon = 1e-10f, float weightDecay = 0f)
    : Optimizer(learningRate, weightDecay)
{
    public float InitialAccumulator { get; } = initialAccumulator;
    public float Epsilon { get; } = epsilon;

    protected override void Apply(Parameter p, int offset, int length, Span<float> w, ReadOnlySpan<float> g)
    {
        if (p.State1 is null) { p.State1 = new float[p.Length]; Array.Fill(p.State1, InitialAccumulator); }
        var acc = p.State1.AsSpan(offset, length);
        for (int i = 0; i < w.Length; i++)
        {
            acc[i] += g[i] * g[i];
            w[i] -= LearningRate * g[i] / (MathF.Sqrt(acc[i]) + Epsilon);
        }
    }
}
