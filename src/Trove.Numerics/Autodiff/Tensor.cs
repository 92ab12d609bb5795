namespace Trove.Numerics.Autodiff;

/// <summary>
/// A row-major matrix of floats (a batch of rows, or a 1 x 1 scalar) recorded on a <see cref="Tape"/>.
/// <see cref="Data"/> holds the values; <see cref="Grad"/> the gradient of the loss with respect to
/// them, allocated during <see cref="Tape.Backward"/> only for tensors that need one.
/// </summary>
public sealed class Tensor
{
    internal Tensor(int rows, int cols, float[] data, bool requiresGrad)
    {
        if ((long)rows * cols != data.Length) throw new ArgumentException($"Tensor {rows} x {cols} needs {(long)rows * cols} values, got {data.Length}.");
        Rows = rows; Cols = cols; Data = data; RequiresGrad = requiresGrad;
    }

    public int Rows { get; }
    public int Cols { get; }
    public int Length => Data.Length;
    public float[] Data { get; }
    public float[]? Grad { get; internal set; }
    public bool RequiresGrad { get; }
    internal Action? BackwardFn { get; set; }

    /// <summary>The gradient buffer, created (zeroed) on first use.</summary>
    internal float[] G => Grad ??= new float[Data.Length];

    public Span<float> Row(int r) => Data.AsSpan(r * Cols, Cols);
    public float this[int r, int c] => Data[r * Cols + c];
    /// <summary>The value of a 1 x 1 tensor (a loss).</summary>
    public float Scalar => Data.Length == 1 ? Data[0] : throw new InvalidOperationException($"Tensor is {Rows} x {Cols}, not a scalar.");
    public override string ToString() => $"Tensor {Rows} x {Cols}";
}

/// <summary>
/// A trainable array (a weight matrix, a bias, an embedding table) shared by every tape. Gradients
/// from tapes are summed into <see cref="Grad"/> by <see cref="Tape.AccumulateGradients"/>; embedding
/// tables (<see cref="Sparse"/>) track which rows received gradient so optimizers update only those.
/// </summary>
public sealed class Parameter
{
    private readonly bool[] _touched;
    private readonly List<int> _touchedRows = [];

    public Parameter(string name, int rows, int cols, bool sparse = false)
    {
        Name = name; Rows = rows; Cols = cols; Sparse = sparse;
        Value = new float[(long)rows * cols];
        Grad = new float[Value.Length];
        _touched = sparse ? new bool[rows] : [];
    }

    public string Name { get; }
    public int Rows { get; }
    public int Cols { get; }
    public bool Sparse { get; }
    public float[] Value { get; }
    public float[] Grad { get; }
    public int Length => Value.Length;

    /// <summary>Optimizer state (moments / accumulators), created by the optimizer.</summary>
    internal float[]? State1 { get; set; }
    internal float[]? State2 { get; set; }

    /// <summary>The optimizer's state arrays (null when not created yet), for checkpoints.</summary>
    public (float[]? First, float[]? Second) OptimizerState => (State1, State2);

    /// <summary>Puts back optimizer state saved from <see cref="OptimizerState"/> (arrays of <see cref="Length"/> or null).</summary>
    public void RestoreOptimizerState(float[]? first, float[]? second)
    {
        if (first is not null && first.Length != Length || second is not null && second.Length != Length)
            throw new ArgumentException($"Optimizer state of {Name} must have {Length} values.");
        State1 = first; State2 = second;
    }

    /// <summary>Forgets optimizer state (moments, accumulators) and gradients, for a fresh optimizer.</summary>
    public void ResetOptimizerState()
    {
        State1 = null; State2 = null;
        Array.Clear(Grad);
        if (Sparse) { Array.Clear(_touched); _touchedRows.Clear(); }
    }

    /// <summary>Rows of a sparse parameter that have gradient since the last <see cref="ZeroGrad"/>.</summary>
    public IReadOnlyList<int> TouchedRows => _touchedRows;

    public Span<float> Row(int r) => Value.AsSpan(r * Cols, Cols);

    internal void AddRowGrad(int row, ReadOnlySpan<float> g)
    {
        var dst = Grad.AsSpan(row * Cols, Cols);
        System.Numerics.Tensors.TensorPrimitives.Add(dst, g, dst);
        if (Sparse && !_touched[row]) { _touched[row] = true; _touchedRows.Add(row); }
    }

    internal void AddGrad(ReadOnlySpan<float> g)
    {
        var dst = Grad.AsSpan();
        System.Numerics.Tensors.TensorPrimitives.Add(dst, g, dst);
        if (Sparse) for (int r = 0; r < Rows; r++) if (!_touched[r]) { _touched[r] = true; _touchedRows.Add(r); }
    }

    public void ZeroGrad()
    {
        if (!Sparse) { Array.Clear(Grad); return; }
        foreach (int r in _touchedRows) { Grad.AsSpan(r * Cols, Cols).Clear(); _touched[r] = false; }
        _touchedRows.Clear();
    }

    /// <summary>Copies the values (for keeping the best weights).</summary>
    public float[] Snapshot() => (float[])Value.Clone();
    public void Restore(float[] values) => values.CopyTo(Value, 0);
}

/// <summary>
/// Records the operations of one forward pass so <see cref="Backward"/> can run them in reverse
/// (reverse-mode automatic differentiation). A tape is single-threaded; data-parallel training uses
/// one tape per shard and sums their gradients in shard order (<see cref="AccumulateGradients"/>),
/// so results do not depend on the number of threads. With <c>training: false</c> nothing is
/// recorded (inference) and dropout is the identity.
/// </summary>
public sealed class Tape
{
    private readonly List<Tensor> _nodes = [];
    private readonly List<(Parameter Param, Tensor Leaf)> _dense = [];
    private readonly Dictionary<Parameter, Tensor> _leafOf = new(ReferenceEqualityComparer.Instance);
    private readonly List<(Parameter Table, int[] Rows, Tensor Out, Func<float[], float[]>? Expand)> _sparse = [];

    public Tape(bool training = true, int seed = 0)
    {
        Training = training;
        Random = new Random(seed);
    }

    /// <summary>True when gradients are recorded and dropout is active.</summary>
    public bool Training { get; }
    /// <summary>Randomness of this tape (dropout masks).</summary>
    public Random Random { get; }

    /// <summary>A constant input (no gradient).</summary>
    public Tensor Constant(float[] data, int rows, int cols) => new(rows, cols, data, false);

    /// <summary>A tensor that receives a gradient but is not a parameter (inputs in gradient checks).</summary>
    public Tensor Variable(float[] data, int rows, int cols) => new(rows, cols, data, Training);

    /// <summary>The parameter as a tensor (values shared, gradient local to this tape).</summary>
    public Tensor Param(Parameter p)
    {
        if (_leafOf.TryGetValue(p, out var leaf)) return leaf;
        leaf = new Tensor(p.Rows, p.Cols, p.Value, Training);
        _leafOf[p] = leaf;
        if (Training) _dense.Add((p, leaf));
        return leaf;
    }

    /// <summary>A new result node; its backward function is attached by the op when it needs a gradient.</summary>
    internal Tensor Result(int rows, int cols, params ReadOnlySpan<Tensor> inputs) => Result(new float[rows * cols], rows, cols, inputs);

    internal Tensor Result(float[] data, int rows, int cols, params ReadOnlySpan<Tensor> inputs)
    {
        bool grad = false;
        if (Training) foreach (var t in inputs) grad |= t.RequiresGrad;
        var o = new Tensor(rows, cols, data, grad);
        if (grad) _nodes.Add(o);
        return o;
    }

    /// <summary>Registers a sparse (row) gradient for an embedding table: rows[k] receives row k of
    /// <paramref name="expand"/>(out.Grad) (or of out.Grad itself).</summary>
    internal void AddSparse(Parameter table, int[] rows, Tensor output, Func<float[], float[]>? expand = null)
    {
        if (Training) _sparse.Add((table, rows, output, expand));
    }

    /// <summary>Back-propagates from a scalar loss; <paramref name="seed"/> scales the gradient (shard weight).</summary>
    public void Backward(Tensor loss, float seed = 1f)
    {
        if (!Training) throw new InvalidOperationException("Backward on an inference tape.");
        if (loss.Length != 1) throw new ArgumentException("Backward needs a scalar (1 x 1) loss.");
        if (!loss.RequiresGrad) return;
        loss.G[0] += seed;
        for (int n = _nodes.Count - 1; n >= 0; n--)
        {
            var node = _nodes[n];
            if (node.Grad is not null) node.BackwardFn?.Invoke();
        }
    }

    /// <summary>Adds this tape's gradients into the parameters' <see cref="Parameter.Grad"/>.</summary>
    public void AccumulateGradients()
    {
        foreach (var (p, leaf) in _dense)
            if (leaf.Grad is { } g) p.AddGrad(g);
        foreach (var (table, rows, output, expand) in _sparse)
        {
            if (output.Grad is null) continue;
            var g = expand is null ? output.Grad : expand(output.Grad);
            int d = table.Cols;
            for (int k = 0; k < rows.Length; k++)
                if (rows[k] >= 0) table.AddRowGrad(rows[k], g.AsSpan(k * d, d));
        }
    }

    public int NodeCount => _nodes.Count;
}
