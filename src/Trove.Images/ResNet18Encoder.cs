using Trove.Core.Errors;
using Trove.Core.Persistence;
using Trove.Models.Features;

namespace Trove.Images;

/// <summary>
/// "resnet18" (image): the 512 pooled features of ImageNet ResNet-18 (the ONNX model that ML.NET ships in
/// Microsoft.ML.DnnImageFeaturizer.ResNet18, inside this assembly, so it runs offline) for each image column
/// the spec reads, side by side (512 values per column). Images are JPEG, PNG, WebP, BMP or GIF files; a relative
/// path in a universal JSON file is relative to that file's folder. Each image is resized (shorter side to 224,
/// centre crop to 224 x 224) and normalised as the network was trained (see <see cref="ResNetImage"/>).
/// <para>A row without an image value encodes as zeros. A file that does not exist or cannot be decoded is an
/// error naming the file and the record, unless option <c>on_missing</c> is <c>"zero"</c>: then that image encodes
/// as zeros too. Nothing is skipped without a word.</para>
/// Options: on_missing ("error" or "zero"), threads (the processor count). Nothing is learned: the model file keeps
/// the columns and options; features are computed once per image file (and its modification time) per process.
/// </summary>
public sealed class ResNet18Encoder(EncoderSpec spec) : IFeatureEncoder
{
    /// <summary>The registered encoder name.</summary>
    public const string Name = "resnet18";
    private sealed record State(string[] Columns, bool ZeroWhenMissing, int Threads);

    private State _state = new([], false, Environment.ProcessorCount);

    /// <inheritdoc/>
    public int Dimensions { get; private set; }

    /// <inheritdoc/>
    public void Fit(EncoderInput input)
    {
        var o = new EncoderOptions(spec.Options, Name);
        var onMissing = (o.String("on_missing", "error") ?? "error").ToLowerInvariant();
        if (onMissing is not ("error" or "zero"))
            throw new TroveException($"Encoder '{Name}': option 'on_missing' must be \"error\" or \"zero\", not \"{onMissing}\".");
        var columns = FeatureColumns.Resolve(spec with { Group = spec.Group ?? "image" }, input.Table, input.Entity, Name);
        _state = new State(columns, onMissing == "zero", o.Int("threads", Environment.ProcessorCount, 1));
        Dimensions = columns.Length * ImageFeatures.Dimensions;
    }

    /// <inheritdoc/>
    public void Encode(EncoderInput input, ReadOnlySpan<int> rows, Span<float> output)
    {
        int d = Dimensions, per = ImageFeatures.Dimensions;
        output[..(rows.Length * d)].Clear();
        var requests = new List<(int Row, int Column, string Path, string Record)>();
        for (int r = 0; r < rows.Length; r++)
            for (int c = 0; c < _state.Columns.Length; c++)
            {
                var values = input.Table.Images.GetValueOrDefault(_state.Columns[c]);
                if (values is null || rows[r] >= values.Length || string.IsNullOrWhiteSpace(values[rows[r]])) continue;
                requests.Add((r, c, values[rows[r]]!, $"{input.Entity} '{input.Ids[rows[r]]}', image '{_state.Columns[c]}'"));
            }
        if (requests.Count == 0) return;
        var features = ImageFeatures.Compute(requests.Select(q => (q.Path, q.Record)).ToArray(), _state.ZeroWhenMissing, _state.Threads);
        for (int k = 0; k < requests.Count; k++)
            if (features[k] is { } f)
                f.CopyTo(output.Slice(requests[k].Row * d + requests[k].Column * per, per));
    }

    /// <inheritdoc/>
    public void Save(ModelArchiveWriter writer) => writer.WriteJson("resnet18", _state);

    /// <inheritdoc/>
    public void Load(ModelArchiveReader reader)
    {
        _state = reader.ReadJson<State>("resnet18");
        Dimensions = _state.Columns.Length * ImageFeatures.Dimensions;
    }
}
