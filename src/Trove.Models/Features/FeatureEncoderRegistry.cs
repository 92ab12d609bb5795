using System.Numerics.Tensors;
using Trove.Core.Data;
using Trove.Core.Errors;
using Trove.Core.Persistence;

namespace Trove.Models.Features;

/// <summary>
/// Encoders by name, and the default encoder of each feature group. Configs and models create
/// encoders only through here, so adding one is: implement <see cref="IFeatureEncoder"/>, then
/// <c>FeatureEncoderRegistry.Default.Register("mine", "what it does", spec =&gt; new MyEncoder(spec))</c>
/// (before training or loading a model that uses it).
/// </summary>
public sealed class FeatureEncoderRegistry
{
    private sealed record Entry(string Name, string Description, Func<EncoderSpec, IFeatureEncoder> Create);
    private readonly Dictionary<string, Entry> _entries = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<string, string> _defaults = new(StringComparer.OrdinalIgnoreCase);
    private readonly object _lock = new();

    public static FeatureEncoderRegistry Default { get; } = new FeatureEncoderRegistry()
        .Register(OneHotEncoder.Name, "categorical labels as one-hot slots (and token ids for embeddings)", s => new OneHotEncoder(s), "categorical")
        .Register(StandardEncoder.Name, "continuous values standardised with the training mean and std", s => new StandardEncoder(s), "continuous")
        .Register(TfidfEncoder.Name, "text as hashed n-gram TF-IDF (built-in or WordPiece/BERT tokenizer)", s => new TfidfEncoder(s), "text")
        .Register(PooledSequenceEncoder.Name, "numeric sequences pooled (mean, max, last, length) and standardised", s => new PooledSequenceEncoder(s), "temporal")
        .Register(PrecomputedEncoder.Name, "vectors from a JSON/CSV/.npy file keyed by id (e.g. audio embeddings)", s => new PrecomputedEncoder(s));

    /// <summary>
    /// Encoders that ship in their own package (heavy native dependencies) and register themselves
    /// into a registry when the host asks them to: name -> what to do when it is missing.
    /// </summary>
    private static readonly Dictionary<string, string> PackagedElsewhere = new(StringComparer.OrdinalIgnoreCase)
    {
        ["onnx"] = "the 'onnx' encoder is in the Trove.Onnx package: reference it and call Trove.Onnx.OnnxEncoders.Register() at startup (the trove command does)",
        ["resnet18"] = "the 'resnet18' encoder (pretrained ImageNet ResNet-18) is in the Trove.Images package: reference it and call Trove.Images.ImageEncoders.Register() at startup (the trove command does)",
        ["minilm"] = "the 'minilm' encoder (pretrained all-MiniLM-L6-v2) is in the Trove.Semantic package: reference it and call Trove.Semantic.SemanticEncoders.Register() at startup (the trove command does)",
    };

    /// <param name="defaultFor">Feature groups for which this becomes the default encoder.</param>
    public FeatureEncoderRegistry Register(string name, string description, Func<EncoderSpec, IFeatureEncoder> create, params string[] defaultFor)
    {
        lock (_lock)
        {
            _entries[name] = new Entry(name, description, create);
            foreach (var g in defaultFor) _defaults[g] = name;
        }
        return this;
    }

    public IEnumerable<(string Name, string Description)> Encoders { get { lock (_lock) return _entries.Values.Select(e => (e.Name, e.Description)).ToList(); } }
    public bool Contains(string name) { lock (_lock) return _entries.ContainsKey(name); }

    /// <summary>The encoder a group uses when the config names none.</summary>
    public string DefaultEncoder(string group)
    {
        lock (_lock)
            return _defaults.TryGetValue(group, out var name) ? name
                : throw new TroveException($"No default encoder for feature group '{group}'. Groups: {string.Join(", ", _defaults.Keys)}; or name an encoder"
                    + (group.Equals("image", StringComparison.OrdinalIgnoreCase) ? $" ({PackagedElsewhere["resnet18"]}; or {PackagedElsewhere["onnx"]})." : "."));
    }

    /// <summary>The spec with its encoder name filled in (the group's default when empty).</summary>
    public EncoderSpec Complete(EncoderSpec spec) =>
        spec.Encoder.Length > 0 ? spec : spec with { Encoder = DefaultEncoder(spec.Group ?? throw new TroveException("An encoder entry needs \"encoder\" or \"group\".")) };

    public IFeatureEncoder Create(EncoderSpec spec)
    {
        spec = Complete(spec);
        Entry? e;
        lock (_lock) _entries.TryGetValue(spec.Encoder, out e);
        if (e is null) throw new TroveException(UnknownEncoder(spec.Encoder));
        return e.Create(spec);
    }

    /// <summary>The one-line error for an encoder name that is not registered (says which package holds it, when one does).</summary>
    public string UnknownEncoder(string name) =>
        PackagedElsewhere.TryGetValue(name, out var hint)
            ? $"unknown encoder '{name}': {hint}."
            : $"unknown encoder '{name}'. Available: {string.Join(", ", Encoders.Select(x => x.Name).Order())}.";
}

/// <summary>
/// Several encoders concatenated into one vector per entity: each encoder's block is L2-normalised
/// (when it is not all zeros) and scaled by sqrt(weight), so the cosine of two concatenated vectors
/// is the weight-averaged cosine of their blocks. Standardised blocks (<see cref="IStandardisedEncoder"/>)
/// keep their magnitude instead: they are scaled by sqrt(weight / dimensions). Used by the content-based model, the hybrid and
/// neural towers.
/// </summary>
public sealed class FeaturePipeline
{
    private readonly List<(EncoderSpec Spec, IFeatureEncoder Encoder)> _blocks = [];

    public FeaturePipeline(IEnumerable<EncoderSpec> specs, FeatureEncoderRegistry? registry = null)
    {
        registry ??= FeatureEncoderRegistry.Default;
        foreach (var s in specs)
        {
            var spec = registry.Complete(s);
            if (!(spec.Weight >= 0) || !float.IsFinite(spec.Weight)) throw new TroveException($"Encoder {spec}: weight must be a non-negative number.");
            _blocks.Add((spec, registry.Create(spec)));
        }
    }

    /// <summary>One spec per feature group the table has, with the group's default encoder (images need an explicit encoder and are skipped).</summary>
    public static List<EncoderSpec> DefaultSpecs(FeatureTable table) =>
        FeatureColumns.Groups.Where(g => g != "image" && FeatureColumns.Names(table, g).Length > 0).Select(g => new EncoderSpec { Group = g }).ToList();

    /// <summary>
    /// The feature groups of <paramref name="table"/> that hold data but that no spec reads, with their columns, e.g.
    /// "image (photo)"; null when every group is used. Models say this in a note so no data is left out without a word.
    /// </summary>
    public static string? UnusedGroups(FeatureTable table, IEnumerable<EncoderSpec> specs)
    {
        var used = specs.Select(s => s.Group).OfType<string>().ToHashSet(StringComparer.OrdinalIgnoreCase);
        var unused = FeatureColumns.Groups.Where(g => !used.Contains(g))
            .Select(g => (Group: g, Columns: FeatureColumns.Names(table, g)))
            .Where(x => x.Columns.Length > 0)
            .Select(x => $"{x.Group} ({string.Join(", ", x.Columns)})")
            .ToList();
        return unused.Count == 0 ? null : string.Join("; ", unused);
    }

    /// <summary>The one-line note for <see cref="UnusedGroups"/>, or null.</summary>
    public static string? UnusedGroupsNote(string model, string entity, FeatureTable table, IEnumerable<EncoderSpec> specs) =>
        UnusedGroups(table, specs) is { } unused
            ? $"note: {model}: {entity} feature groups with data but no encoder, not used: {unused}; name them in the config's features.{entity} to use them"
              + (unused.StartsWith("image", StringComparison.Ordinal) || unused.Contains("; image", StringComparison.Ordinal) ? " (images: {\"group\": \"image\", \"encoder\": \"resnet18\"})" : "")
            : null;

    public IReadOnlyList<(EncoderSpec Spec, IFeatureEncoder Encoder)> Blocks => _blocks;
    public int Dimensions => _blocks.Sum(b => b.Encoder.Dimensions);
    public bool IsEmpty => _blocks.Count == 0;

    public void Fit(EncoderInput input)
    {
        foreach (var (_, encoder) in _blocks) encoder.Fit(input);
    }

    /// <summary>Rows x Dimensions, each block normalised and weighted.</summary>
    public void Encode(EncoderInput input, ReadOnlySpan<int> rows, Span<float> output)
    {
        int total = Dimensions, offset = 0;
        foreach (var (spec, encoder) in _blocks)
        {
            int d = encoder.Dimensions;
            if (d == 0) continue;
            var block = new float[rows.Length * d];
            encoder.Encode(input, rows, block);
            float scale = MathF.Sqrt(spec.Weight);
            bool keepMagnitude = encoder is IStandardisedEncoder { Standardised: true };
            for (int r = 0; r < rows.Length; r++)
            {
                var v = block.AsSpan(r * d, d);
                float norm = TensorPrimitives.Norm(v);
                var o = output.Slice(r * total + offset, d);
                if (norm > 0 && float.IsFinite(norm)) TensorPrimitives.Multiply(v, scale / (keepMagnitude ? MathF.Sqrt(d) : norm), o);
                else o.Clear();
            }
            offset += d;
        }
    }

    public float[] EncodeAll(EncoderInput input)
    {
        var output = new float[(long)input.Rows * Dimensions];
        const int chunk = 4096;
        for (int start = 0; start < input.Rows; start += chunk)
        {
            var rows = Enumerable.Range(start, Math.Min(chunk, input.Rows - start)).ToArray();
            Encode(input, rows, output.AsSpan(start * Dimensions, rows.Length * Dimensions));
        }
        return output;
    }

    public void Save(ModelArchiveWriter writer)
    {
        for (int b = 0; b < _blocks.Count; b++) _blocks[b].Encoder.Save(writer.Scoped($"encoder{b}"));
    }

    public void Load(ModelArchiveReader reader)
    {
        for (int b = 0; b < _blocks.Count; b++) _blocks[b].Encoder.Load(reader.Scoped($"encoder{b}"));
    }
}
