using Trove.Core.Errors;
using Trove.Core.Persistence;

namespace Trove.Models.Features;

/// <summary>
/// "onehot" (categorical): one slot per known label of each column (multi-labels "a|b" set
/// several slots), unknown labels encode as zeros. Vocabulary: labels seen at least min_count
/// times, the max_categories most frequent per column. Also gives token ids (1-based) for
/// embedding tables. Options: max_categories (1000), min_count (1).
/// </summary>
public sealed class OneHotEncoder(EncoderSpec spec) : IFeatureEncoder, ITokenEncoder
{
    public const string Name = "onehot";
    private sealed record State(string[] Columns, string[][] Vocabulary);

    private string[] _columns = [];
    private string[][] _vocabulary = [];
    private Dictionary<string, int>[] _index = [];
    private int[] _offsets = [];

    public int Dimensions { get; private set; }
    public int VocabularySize => Dimensions + 1;
    public IReadOnlyList<string> Columns => _columns;
    /// <summary>The known labels of each column, in slot order.</summary>
    public IReadOnlyList<string[]> Vocabulary => _vocabulary;

    public void Fit(EncoderInput input)
    {
        var options = new EncoderOptions(spec.Options, Name);
        int max = options.Int("max_categories", 1000, 1), minCount = options.Int("min_count", 1, 1);
        _columns = FeatureColumns.Resolve(spec with { Group = spec.Group ?? "categorical" }, input.Table, input.Entity, Name);
        _vocabulary = new string[_columns.Length][];
        for (int c = 0; c < _columns.Length; c++)
        {
            var counts = new Dictionary<string, int>(StringComparer.Ordinal);
            for (int row = 0; row < input.Rows; row++)
                foreach (var label in input.Table.Labels(_columns[c], row)) counts[label] = counts.GetValueOrDefault(label) + 1;
            _vocabulary[c] = counts.Where(kv => kv.Value >= minCount).OrderByDescending(kv => kv.Value).ThenBy(kv => kv.Key, StringComparer.Ordinal)
                .Take(max).Select(kv => kv.Key).ToArray();
        }
        Index();
    }

    private void Index()
    {
        _index = _vocabulary.Select(v => v.Select((label, i) => (label, i)).ToDictionary(x => x.label, x => x.i, StringComparer.Ordinal)).ToArray();
        _offsets = new int[_columns.Length];
        int d = 0;
        for (int c = 0; c < _columns.Length; c++) { _offsets[c] = d; d += _vocabulary[c].Length; }
        Dimensions = d;
    }

    public void Encode(EncoderInput input, ReadOnlySpan<int> rows, Span<float> output)
    {
        output[..(rows.Length * Dimensions)].Clear();
        for (int r = 0; r < rows.Length; r++)
        {
            var o = output.Slice(r * Dimensions, Dimensions);
            for (int c = 0; c < _columns.Length; c++)
                foreach (var label in input.Table.Labels(_columns[c], rows[r]))
                    if (_index[c].TryGetValue(label, out int at)) o[_offsets[c] + at] = 1f;
        }
    }

    public int Tokens(EncoderInput input, int row, Span<int> tokens)
    {
        int n = 0;
        for (int c = 0; c < _columns.Length && n < tokens.Length; c++)
            foreach (var label in input.Table.Labels(_columns[c], row))
                if (n < tokens.Length && _index[c].TryGetValue(label, out int at)) tokens[n++] = 1 + _offsets[c] + at;
        return n;
    }

    public void Save(ModelArchiveWriter writer) => writer.WriteJson("onehot", new State(_columns, _vocabulary));

    public void Load(ModelArchiveReader reader)
    {
        var s = reader.ReadJson<State>("onehot");
        _columns = s.Columns; _vocabulary = s.Vocabulary;
        Index();
    }
}

/// <summary>
/// "standard" (continuous): each column standardised, (x - mean) / std with the training mean
/// and population standard deviation (std 0 counts as 1); missing values encode as 0 (the mean).
/// Options: log (false): use log(1 + max(x, 0)) first, for skewed counts and prices.
/// </summary>
public sealed class StandardEncoder(EncoderSpec spec) : IFeatureEncoder, IStandardisedEncoder
{
    public const string Name = "standard";
    private sealed record State(string[] Columns, float[] Mean, float[] Std, bool Log);

    private string[] _columns = [];
    private float[] _mean = [], _std = [];
    private bool _log;

    public int Dimensions => _columns.Length;
    public bool Standardised => true;
    public IReadOnlyList<float> Mean => _mean;
    public IReadOnlyList<float> Std => _std;

    private float Value(float x) => _log ? MathF.Log(1 + MathF.Max(x, 0)) : x;

    public void Fit(EncoderInput input)
    {
        _log = new EncoderOptions(spec.Options, Name).Bool("log", false);
        _columns = FeatureColumns.Resolve(spec with { Group = spec.Group ?? "continuous" }, input.Table, input.Entity, Name);
        _mean = new float[_columns.Length]; _std = new float[_columns.Length];
        for (int c = 0; c < _columns.Length; c++)
        {
            var col = input.Table.Numeric[_columns[c]];
            double sum = 0, sq = 0; long n = 0;
            for (int row = 0; row < input.Rows && row < col.Length; row++)
            {
                if (float.IsNaN(col[row])) continue;
                double v = Value(col[row]); sum += v; sq += v * v; n++;
            }
            double mean = n > 0 ? sum / n : 0, variance = n > 0 ? Math.Max(0, sq / n - mean * mean) : 0;
            _mean[c] = (float)mean;
            _std[c] = variance > 1e-12 ? (float)Math.Sqrt(variance) : 1f;
        }
    }

    public void Encode(EncoderInput input, ReadOnlySpan<int> rows, Span<float> output)
    {
        int d = Dimensions;
        for (int c = 0; c < d; c++)
        {
            var col = input.Table.Numeric.GetValueOrDefault(_columns[c]);
            for (int r = 0; r < rows.Length; r++)
            {
                float x = col is not null && rows[r] < col.Length ? col[rows[r]] : float.NaN;
                output[r * d + c] = float.IsNaN(x) ? 0f : (Value(x) - _mean[c]) / _std[c];
            }
        }
    }

    public void Save(ModelArchiveWriter writer) => writer.WriteJson("standard", new State(_columns, _mean, _std, _log));

    public void Load(ModelArchiveReader reader)
    {
        var s = reader.ReadJson<State>("standard");
        (_columns, _mean, _std, _log) = (s.Columns, s.Mean, s.Std, s.Log);
    }
}

/// <summary>
/// "pooled" (temporal): each numeric sequence pooled into fixed statistics (options: pooling,
/// any of "mean", "min", "max", "sum", "last", "first", "std", "length"; default mean, max, last,
/// length where length is log(1 + n)), then standardised over the training rows (standardize: true).
/// Missing or empty sequences encode as zeros.
/// </summary>
public sealed class PooledSequenceEncoder(EncoderSpec spec) : IFeatureEncoder, IStandardisedEncoder
{
    public const string Name = "pooled";
    private static readonly string[] Known = ["mean", "min", "max", "sum", "last", "first", "std", "length"];
    private sealed record State(string[] Columns, string[] Pooling, float[] Mean, float[] Std, bool Standardised = true);

    private string[] _columns = [], _pooling = [];
    private float[] _mean = [], _std = [];

    public int Dimensions => _columns.Length * _pooling.Length;
    public bool Standardised { get; private set; } = true;

    public static float Pool(ReadOnlySpan<float> x, string how)
    {
        if (x.Length == 0) return 0;
        switch (how)
        {
            case "mean": { double s = 0; foreach (var v in x) s += v; return (float)(s / x.Length); }
            case "sum": { double s = 0; foreach (var v in x) s += v; return (float)s; }
            case "min": { float m = x[0]; foreach (var v in x) m = MathF.Min(m, v); return m; }
            case "max": { float m = x[0]; foreach (var v in x) m = MathF.Max(m, v); return m; }
            case "last": return x[^1];
            case "first": return x[0];
            case "std":
            {
                double s = 0, sq = 0; foreach (var v in x) { s += v; sq += (double)v * v; }
                double mean = s / x.Length; return (float)Math.Sqrt(Math.Max(0, sq / x.Length - mean * mean));
            }
            default: return MathF.Log(1 + x.Length);
        }
    }

    private void Raw(EncoderInput input, int row, Span<float> o)
    {
        int p = _pooling.Length;
        for (int c = 0; c < _columns.Length; c++)
        {
            var col = input.Table.Sequences.GetValueOrDefault(_columns[c]);
            var seq = col is not null && row < col.Length ? col[row] : null;
            for (int k = 0; k < p; k++) o[c * p + k] = seq is { Length: > 0 } ? Pool(seq, _pooling[k]) : float.NaN;
        }
    }

    public void Fit(EncoderInput input)
    {
        var options = new EncoderOptions(spec.Options, Name);
        _pooling = options.Strings("pooling") ?? ["mean", "max", "last", "length"];
        foreach (var p in _pooling)
            if (!Known.Contains(p)) throw new TroveException($"Encoder '{Name}': unknown pooling '{p}'. Known: {string.Join(", ", Known)}.");
        _columns = FeatureColumns.Resolve(spec with { Group = spec.Group ?? "temporal" }, input.Table, input.Entity, Name);
        int d = Dimensions;
        _mean = new float[d]; _std = Enumerable.Repeat(1f, d).ToArray();
        Standardised = options.Bool("standardize", true);
        if (!Standardised) return;
        var sum = new double[d]; var sq = new double[d]; var n = new long[d];
        var buf = new float[d];
        for (int row = 0; row < input.Rows; row++)
        {
            Raw(input, row, buf);
            for (int j = 0; j < d; j++) if (!float.IsNaN(buf[j])) { sum[j] += buf[j]; sq[j] += (double)buf[j] * buf[j]; n[j]++; }
        }
        for (int j = 0; j < d; j++)
        {
            double mean = n[j] > 0 ? sum[j] / n[j] : 0, variance = n[j] > 0 ? Math.Max(0, sq[j] / n[j] - mean * mean) : 0;
            _mean[j] = (float)mean; _std[j] = variance > 1e-12 ? (float)Math.Sqrt(variance) : 1f;
        }
    }

    public void Encode(EncoderInput input, ReadOnlySpan<int> rows, Span<float> output)
    {
        int d = Dimensions;
        for (int r = 0; r < rows.Length; r++)
        {
            var o = output.Slice(r * d, d);
            Raw(input, rows[r], o);
            for (int j = 0; j < d; j++) o[j] = float.IsNaN(o[j]) ? 0f : (o[j] - _mean[j]) / _std[j];
        }
    }

    public void Save(ModelArchiveWriter writer) => writer.WriteJson("pooled", new State(_columns, _pooling, _mean, _std, Standardised));

    public void Load(ModelArchiveReader reader)
    {
        var s = reader.ReadJson<State>("pooled");
        (_columns, _pooling, _mean, _std, Standardised) = (s.Columns, s.Pooling, s.Mean, s.Std, s.Standardised);
    }
}
