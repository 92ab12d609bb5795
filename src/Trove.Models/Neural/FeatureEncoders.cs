using System.Text;
using Trove.Core.Data;
using Trove.Numerics.Autodiff;

namespace Trove.Models.Neural;

/// <summary>
/// Turns rows of a <see cref="FeatureTable"/> into a trainable (rows x dimensions) embedding tensor
/// for a two-tower model. Embedders are built
/// from the training features (vocabularies, statistics), own their parameters, and describe
/// themselves as a <see cref="EmbedderSpec"/> so a model file can rebuild them. The two-tower model
/// only sees this interface, so other encoders (e.g. the content module's) can replace these.
/// </summary>
public interface IFeatureEmbedder
{
    string Name { get; }
    int Dimensions { get; }
    IReadOnlyList<Parameter> Parameters { get; }
    Tensor Encode(Tape tape, FeatureTable table, int[] rows);
    /// <summary>Learned state beyond the parameters (e.g. a wrapped content encoder's vocabulary).</summary>
    void SaveState(Core.Persistence.ModelArchiveWriter writer) { }
    EmbedderSpec Spec { get; }
}

/// <summary>Serializable description of an encoder (kind, columns, vocabulary, statistics).</summary>
public sealed record EmbedderSpec
{
    public required string Kind { get; init; }
    public required string[] Columns { get; init; }
    public int Dimensions { get; init; }
    public string[]? Vocabulary { get; init; }
    public float[]? Means { get; init; }
    public float[]? Stds { get; init; }
    public int Buckets { get; init; }
    /// <summary>For kind "content": the content module's encoder specification (its state is saved beside).</summary>
    public Features.EncoderSpec? Content { get; init; }
}

public static class FeatureEmbedders
{
    /// <summary>One encoder per categorical and text column, one for all numeric columns together.</summary>
    public static List<IFeatureEmbedder> FromTable(FeatureTable table, int rows, string prefix, int dimensions, int textBuckets)
    {
        var list = new List<IFeatureEmbedder>();
        foreach (var column in table.Categorical.Keys.Order(StringComparer.OrdinalIgnoreCase))
        {
            var vocab = new SortedSet<string>(StringComparer.Ordinal);
            for (int r = 0; r < rows; r++) foreach (var label in table.Labels(column, r)) vocab.Add(label);
            if (vocab.Count > 0) list.Add(new CategoricalEncoder(prefix, new EmbedderSpec { Kind = "categorical", Columns = [column], Dimensions = dimensions, Vocabulary = vocab.ToArray() }));
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
            list.Add(new NumericEncoder(prefix, new EmbedderSpec { Kind = "numeric", Columns = numeric, Dimensions = dimensions, Means = means, Stds = stds }));
        }
        foreach (var column in table.Text.Keys.Order(StringComparer.OrdinalIgnoreCase))
            list.Add(new TextEncoder(prefix, new EmbedderSpec { Kind = "text", Columns = [column], Dimensions = dimensions, Buckets = textBuckets }));
        return list;
    }

    public static IFeatureEmbedder FromSpec(string prefix, EmbedderSpec spec) => spec.Kind switch
    {
        "categorical" => new CategoricalEncoder(prefix, spec),
        "numeric" => new NumericEncoder(prefix, spec),
        "text" => new TextEncoder(prefix, spec),
        "content" => throw new Core.Errors.TroveException("Content embedders are restored with ContentEmbedder.Load."),
        _ => throw new Core.Errors.TroveException($"Unknown feature encoder kind '{spec.Kind}'."),
    };
}

/// <summary>An embedding per label of a categorical field; several labels ("Action|Comedy") are averaged; unknown labels are skipped.</summary>
public sealed class CategoricalEncoder : IFeatureEmbedder
{
    private readonly Dictionary<string, int> _index;
    private readonly Parameter _table;

    public CategoricalEncoder(string prefix, EmbedderSpec spec)
    {
        Spec = spec;
        _index = spec.Vocabulary!.Select((v, i) => (v, i)).ToDictionary(p => p.v, p => p.i, StringComparer.Ordinal);
        _table = new Parameter($"{prefix}.cat.{spec.Columns[0]}", Math.Max(1, _index.Count), spec.Dimensions, sparse: true);
    }

    public string Name => "categorical:" + Spec.Columns[0];
    public int Dimensions => Spec.Dimensions;
    public EmbedderSpec Spec { get; }
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
public sealed class NumericEncoder : IFeatureEmbedder
{
    private readonly Parameter _w, _b;

    public NumericEncoder(string prefix, EmbedderSpec spec)
    {
        Spec = spec;
        _w = new Parameter($"{prefix}.num.w", spec.Columns.Length, spec.Dimensions);
        _b = new Parameter($"{prefix}.num.b", 1, spec.Dimensions);
    }

    public string Name => "numeric:" + string.Join(",", Spec.Columns);
    public int Dimensions => Spec.Dimensions;
    public EmbedderSpec Spec { get; }
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
public sealed class TextEncoder : IFeatureEmbedder
{
    private readonly Parameter _table;

    public TextEncoder(string prefix, EmbedderSpec spec)
    {
        Spec = spec;
        _table = new Parameter($"{prefix}.text.{spec.Columns[0]}", spec.Buckets, spec.Dimensions, sparse: true);
    }

    public string Name => "text:" + Spec.Columns[0];
    public int Dimensions => Spec.Dimensions;
    public EmbedderSpec Spec { get; }
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

/// <summary>
/// Adapts an encoder of the content module (<see cref="Features.IFeatureEncoder"/>: one-hot, standard,
/// TF-IDF, pooled sequences, precomputed or ONNX vectors) to a tower input: token encoders
/// (<see cref="Features.ITokenEncoder"/>, e.g. one-hot categorical labels) feed an embedding table
/// averaged over the row's tokens; any other encoder's fixed vector goes through a trainable linear layer.
/// </summary>
public sealed class ContentEmbedder : IFeatureEmbedder
{
    private readonly Features.IFeatureEncoder _encoder;
    private readonly Parameter? _table, _w, _b;
    private readonly string _entity;
    private readonly IdMap _ids;

    private ContentEmbedder(string prefix, int index, EmbedderSpec spec, Features.IFeatureEncoder encoder, IdMap ids)
    {
        Spec = spec; _encoder = encoder; _entity = prefix; _ids = ids;
        string name = $"{prefix}.content{index}";
        if (encoder is Features.ITokenEncoder tokens) _table = new Parameter(name + ".emb", Math.Max(1, tokens.VocabularySize), spec.Dimensions, sparse: true);
        else { _w = new Parameter(name + ".w", Math.Max(1, encoder.Dimensions), spec.Dimensions); _b = new Parameter(name + ".b", 1, spec.Dimensions); }
    }

    /// <summary>One embedder per block of the content module's default pipeline for the table (one per feature group).</summary>
    public static List<IFeatureEmbedder> FromTable(FeatureTable table, IdMap ids, string prefix, int dimensions) =>
        FromSpecs(table, ids, prefix, dimensions, Features.FeaturePipeline.DefaultSpecs(table), required: false);

    /// <summary>
    /// One embedder per encoder spec, each created from the registry and fitted on the table now (so a bad spec fails
    /// before training). <paramref name="required"/>: the specs were configured, so an encoder that yields no
    /// dimensions is an error rather than left out.
    /// </summary>
    public static List<IFeatureEmbedder> FromSpecs(FeatureTable table, IdMap ids, string prefix, int dimensions, IEnumerable<Features.EncoderSpec> specs, bool required)
    {
        var list = new List<IFeatureEmbedder>();
        var input = new Features.EncoderInput(table, ids, prefix);
        int index = 0;
        foreach (var spec in specs)
        {
            Features.EncoderSpec complete;
            Features.IFeatureEncoder encoder;
            try
            {
                complete = Features.FeatureEncoderRegistry.Default.Complete(spec);
                encoder = Features.FeatureEncoderRegistry.Default.Create(complete);
                encoder.Fit(input);
            }
            catch (Core.Errors.TroveException e) { throw new Core.Errors.TroveException($"twotower {prefix} tower, encoder {spec}: {e.Message}", e); }
            if (encoder.Dimensions == 0)
            {
                if (required) throw new Core.Errors.TroveException($"twotower {prefix} tower, encoder {complete}: it yields no values on the training {prefix}s (no labels or values in its columns).");
                continue;
            }
            list.Add(new ContentEmbedder(prefix, index++, new EmbedderSpec { Kind = "content", Columns = complete.Columns ?? [], Dimensions = dimensions, Content = complete }, encoder, ids));
        }
        return list;
    }

    /// <summary>Restores an embedder written by <see cref="SaveState"/> under scope <paramref name="scope"/>.</summary>
    public static ContentEmbedder Load(string prefix, int index, EmbedderSpec spec, Core.Persistence.ModelArchiveReader reader, string scope, IdMap ids)
    {
        var encoder = Features.FeatureEncoderRegistry.Default.Create(spec.Content!);
        encoder.Load(reader.Scoped(scope));
        return new ContentEmbedder(prefix, index, spec, encoder, ids);
    }

    public string Name => $"content:{Spec.Content!.Encoder}({Spec.Content.Group ?? "id"})";
    public int Dimensions => Spec.Dimensions;
    public EmbedderSpec Spec { get; }
    public IReadOnlyList<Parameter> Parameters => _table is not null ? [_table] : [_w!, _b!];

    public void SaveState(Core.Persistence.ModelArchiveWriter writer) => _encoder.Save(writer);

    public Tensor Encode(Tape tape, FeatureTable table, int[] rows)
    {
        var ids = ReferenceEquals(table, _trainTable) ? _ids : SyntheticIds(table);
        var input = new Features.EncoderInput(table, ids, _entity);
        if (_encoder is Features.ITokenEncoder tokens)
        {
            var offsets = new int[rows.Length + 1];
            var indices = new List<int>();
            Span<int> buffer = stackalloc int[256];
            for (int k = 0; k < rows.Length; k++)
            {
                int n = tokens.Tokens(input, rows[k], buffer);
                for (int t = 0; t < n; t++) if (buffer[t] > 0 && buffer[t] < _table!.Rows) indices.Add(buffer[t]);
                offsets[k + 1] = indices.Count;
            }
            return tape.LookupBags(_table!, offsets, indices.ToArray());
        }
        var x = new float[rows.Length * _encoder.Dimensions];
        _encoder.Encode(input, rows, x);
        return tape.Linear(tape.Constant(x, rows.Length, _encoder.Dimensions), _w!, _b);
    }

    private FeatureTable? _trainTable;
    /// <summary>The training table, whose rows are the id map's indices (other tables get placeholder ids).</summary>
    internal void BindTrainingTable(FeatureTable table) => _trainTable = table;

    private static IdMap SyntheticIds(FeatureTable table)
    {
        int rows = 0;
        foreach (var c in table.Categorical.Values) rows = Math.Max(rows, c.Length);
        foreach (var c in table.Numeric.Values) rows = Math.Max(rows, c.Length);
        foreach (var c in table.Text.Values) rows = Math.Max(rows, c.Length);
        foreach (var c in table.Images.Values) rows = Math.Max(rows, c.Length);
        foreach (var c in table.Sequences.Values) rows = Math.Max(rows, c.Length);
        return new IdMap(Enumerable.Range(0, rows).Select(i => "\u0001new:" + i));
    }
}
