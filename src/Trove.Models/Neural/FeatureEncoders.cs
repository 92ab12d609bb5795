using System.Text;
using Trove.Core.Data;
using Trove.Numerics.Autodiff;

namespace Trove.Models.Neural;

/// <summary>
/// Turns rows of a <see cref="FeatureTable"/> into a (rows x dimensions) tensor. Encoders are built
/// from the training features (vocabularies, statistics), own their parameters, and describe
/// themselves as a <see cref="EncoderSpec"/> so a model file can rebuild them. The two-tower model
/// only sees this interface, so other encoders (e.g. the content module's) can replace these.
/// </summary>
public interface IFeatureEncoder
{
    string Name { get; }
    int Dimensions { get; }
    IReadOnlyList<Parameter> Parameters { get; }
    Tensor Encode(Tape tape, FeatureTable table, int[] rows);
    EncoderSpec Spec { get; }
}

/// <summary>Serializable description of an encoder (kind, columns, vocabulary, statistics).</summary>
public sealed record EncoderSpec
{
    public required string Kind { get; init; }
    public required string[] Columns { get; init; }
    public int Dimensions { get; init; }
    public string[]? Vocabulary { get; init; }
    public float[]? Means { get; init; }
    public float[]? Stds { get; init; }
    public int Buckets { get; init; }
}

public static class FeatureEncoders
{
    /// <summary>One encoder per categorical and text column, one for all numeric columns together.</summary>
    public static List<IFeatureEncoder> FromTable(FeatureTable table, int rows, string prefix, int dimensions, int textBuckets)
    {
        var list = new List<IFeatureEncoder>();
        foreach (var column in table.Categorical.Keys.Order(StringComparer.OrdinalIgnoreCase))
        {
            var vocab = new SortedSet<string>(StringComparer.Ordinal);
            for (int r = 0; r < rows; r++) foreach (var label in table.Labels(column, r)) vocab.Add(label);
            if (vocab.Count > 0) list.Add(new CategoricalEncoder(prefix, new EncoderSpec { Kind = "categorical", Columns = [column], Dimensions = dimensions, Vocabulary = vocab.ToArray() }));
        }
        var numeric = table.Numeric.Keys.Order(StringComparer.OrdinalIgnoreCase).ToArray();
        if (numeric.Length > 0)
        {
            var means = new float[numeric.Length]; var stds = new float[numeric.Length];
            for (int c = 0; c < numeric.Length; c++)
            {
                var values = table.Numeric[numeric[c]].Take(rows).Where(float.IsFinite).Select(v => (double)v).ToArray();
                double mean = values.Length > 0 ? values.Average() : 0;
                double var = values.Length > 1 ? values.Sum(v => (v - mean) * (v - mean)) / values.Length : 1;
                means[c] = (float)mean; stds[c] = var > 1e-12 ? (float)Math.Sqrt(var) : 1f;
            }
            list.Add(new NumericEncoder(prefix, new EncoderSpec { Kind = "numeric", Columns = numeric, Dimensions = dimensions, Means = means, Stds = stds }));
        }
        foreach (var column in table.Text.Keys.Order(StringComparer.OrdinalIgnoreCase))
            list.Add(new TextEncoder(prefix, new EncoderSpec { Kind = "text", Columns = [column], Dimensions = dimensions, Buckets = textBuckets }));
        return list;
    }

    public static IFeatureEncoder FromSpec(string prefix, EncoderSpec spec) => spec.Kind switch
    {
        "categorical" => new CategoricalEncoder(prefix, spec),
        "numeric" => new NumericEncoder(prefix, spec),
        "text" => new TextEncoder(prefix, spec),
        _ => throw new Core.Errors.TroveException($"Unknown feature encoder kind '{spec.Kind}'."),
    };
}

/// <summary>An embedding per label of a categorical field; several labels ("Action|Comedy") are averaged; unknown labels are skipped.</summary>
public sealed class CategoricalEncoder : IFeatureEncoder
{
    private readonly Dictionary<string, int> _index;
    private readonly Parameter _table;

    public CategoricalEncoder(string prefix, EncoderSpec spec)
    {
        Spec = spec;
        _index = spec.Vocabulary!.Select((v, i) => (v, i)).ToDictionary(p => p.v, p => p.i, StringComparer.Ordinal);
        _table = new Parameter($"{prefix}.cat.{spec.Columns[0]}", Math.Max(1, _index.Count), spec.Dimensions, sparse: true);
    }

    public string Name => "categorical:" + Spec.Columns[0];
    public int Dimensions => Spec.Dimensions;
    public EncoderSpec Spec { get; }
    public IReadOnlyList<Parameter> Parameters => [_table];

    public Tensor Encode(Tape tape, FeatureTable table, int[] rows)
    {
        var offsets = new int[rows.Length + 1];
        var indices = new List<int>();
        for (int k = 0; k < rows.Length; k++)
        {
            foreach (var label in table.Labels(Spec.Columns[0], rows[k]))
                if (_index.TryGetValue(label, out int id)) indices.Add(id);
            offsets[k + 1] = indices.Count;
        }
        return tape.LookupBags(_table, offsets, indices.ToArray());
    }
}

/// <summary>All numeric columns standardised (missing values at the mean, i.e. 0) then one linear layer.</summary>
public sealed class NumericEncoder : IFeatureEncoder
{
    private readonly Parameter _w, _b;

    public NumericEncoder(string prefix, EncoderSpec spec)
    {
        Spec = spec;
        _w = new Parameter($"{prefix}.num.w", spec.Columns.Length, spec.Dimensions);
        _b = new Parameter($"{prefix}.num.b", 1, spec.Dimensions);
    }

    public string Name => "numeric:" + string.Join(",", Spec.Columns);
    public int Dimensions => Spec.Dimensions;
    public EncoderSpec Spec { get; }
    public IReadOnlyList<Parameter> Parameters => [_w, _b];

    public Tensor Encode(Tape tape, FeatureTable table, int[] rows)
    {
        int c = Spec.Columns.Length;
        var x = new float[rows.Length * c];
        for (int j = 0; j < c; j++)
        {
            table.Numeric.TryGetValue(Spec.Columns[j], out var column);
            for (int k = 0; k < rows.Length; k++)
            {
                float v = column is not null && rows[k] < column.Length ? column[rows[k]] : float.NaN;
                x[k * c + j] = float.IsFinite(v) ? (v - Spec.Means![j]) / Spec.Stds![j] : 0f;
            }
        }
        return tape.Linear(tape.Constant(x, rows.Length, c), _w, _b);
    }
}

/// <summary>
/// Text as the average of hashed token and bigram embeddings (the hashing trick: no vocabulary,
/// unseen words still land in a bucket). Tokens are lower-cased runs of letters and digits.
/// </summary>
public sealed class TextEncoder : IFeatureEncoder
{
    private readonly Parameter _table;

    public TextEncoder(string prefix, EncoderSpec spec)
    {
        Spec = spec;
        _table = new Parameter($"{prefix}.text.{spec.Columns[0]}", spec.Buckets, spec.Dimensions, sparse: true);
    }

    public string Name => "text:" + Spec.Columns[0];
    public int Dimensions => Spec.Dimensions;
    public EncoderSpec Spec { get; }
    public IReadOnlyList<Parameter> Parameters => [_table];

    public Tensor Encode(Tape tape, FeatureTable table, int[] rows)
    {
        table.Text.TryGetValue(Spec.Columns[0], out var column);
        var offsets = new int[rows.Length + 1];
        var indices = new List<int>();
        for (int k = 0; k < rows.Length; k++)
        {
            var text = column is not null && rows[k] < column.Length ? column[rows[k]] : null;
            if (text is not null) indices.AddRange(Hashes(text, Spec.Buckets));
            offsets[k + 1] = indices.Count;
        }
        return tape.LookupBags(_table, offsets, indices.ToArray());
    }

    public static IEnumerable<int> Hashes(string text, int buckets)
    {
        var tokens = Tokens(text);
        for (int t = 0; t < tokens.Count; t++)
        {
            yield return (int)(Fnv1a(tokens[t]) % (uint)buckets);
            if (t > 0) yield return (int)(Fnv1a(tokens[t - 1] + " " + tokens[t]) % (uint)buckets);
        }
    }

    public static List<string> Tokens(string text)
    {
        var tokens = new List<string>();
        var sb = new StringBuilder();
        foreach (char ch in text)
        {
            if (char.IsLetterOrDigit(ch)) sb.Append(char.ToLowerInvariant(ch));
            else if (sb.Length > 0) { tokens.Add(sb.ToString()); sb.Clear(); }
        }
        if (sb.Length > 0) tokens.Add(sb.ToString());
        return tokens;
    }

    private static uint Fnv1a(string s)
    {
        uint h = 2166136261;
        foreach (char c in s) { h ^= c; h *= 16777619; }
        return h;
    }
}
