using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Trove.Core.Errors;
using Trove.Core.Persistence;
using Trove.Models.Features;

namespace Trove.Onnx;

/// <summary>
/// "onnx": bring-your-own encoder, any ONNX model run with Microsoft.ML.OnnxRuntime (CPU). What it
/// is fed depends on the spec's group (or option "input_kind"):
/// <list type="bullet">
/// <item>text ("tokens"): the columns' text tokenised (options tokenizer/vocab as for tfidf; max_length 32),
/// padded with 0 into an int64 (or int32) [N, L] input; an input whose name contains "mask" gets the
/// attention mask and one containing "type" gets zeros.</item>
/// <item>image ("image"): each row's image file, a .npy float array of C*H*W values or a binary PPM/PGM
/// (P6/P5) resized (nearest) to the input's H x W, scaled to 0..1 then (x - mean) / std per channel
/// (options mean, std). Input [N, C, H, W]; dynamic sizes default to 3 x 224 x 224.</item>
/// <item>continuous or anything else ("vector"): the numeric columns as a float [N, D] input (missing = 0).</item>
/// </list>
/// The output (option "output", default the first) is [N, D] or [N, L, D] (mean-pooled over L,
/// masked for tokens). Options: path (the .onnx file; its bytes are kept in the model file),
/// input (name, default the first input), batch_size (64).
/// </summary>
public sealed class OnnxEncoder(EncoderSpec spec) : IFeatureEncoder, IDisposable
{
    public const string Name = "onnx";
    private sealed record State(string Kind, string[] Columns, string? Input, string? Output, int MaxLength, int BatchSize, float[] Mean, float[] Std, string Tokenizer, string[] Vocabulary, int VocabSize, int Dimensions);

    private InferenceSession? _session;
    private byte[] _model = [];
    private State _state = new("vector", [], null, null, 32, 64, [0f], [1f], "builtin", [], 30000, 0);
    private TextTokenizer _tokenizer = new("builtin");

    public int Dimensions => _state.Dimensions;

    public void Fit(EncoderInput input)
    {
        var o = new EncoderOptions(spec.Options, Name);
        var path = o.String("path") ?? throw new TroveException("Encoder 'onnx' needs option \"path\" (an .onnx model file).");
        if (!File.Exists(path)) throw new TroveException($"Encoder 'onnx': model file '{path}' does not exist.");
        _model = File.ReadAllBytes(path);
        var group = (spec.Group ?? "continuous").ToLowerInvariant();
        var kind = o.String("input_kind") ?? group switch { "text" => "tokens", "image" => "image", _ => "vector" };
        if (kind is not ("tokens" or "image" or "vector")) throw new TroveException($"Encoder 'onnx': unknown input_kind '{kind}' (tokens, image, vector).");
        var columns = FeatureColumns.Resolve(spec with { Group = kind switch { "tokens" => "text", "image" => "image", _ => group == "text" || group == "image" ? "continuous" : group } },
            input.Table, input.Entity, Name);
        _tokenizer = kind == "tokens" ? TextTokenizer.FromOptions(o) : new TextTokenizer("builtin");
        _state = new State(kind, columns, o.String("input"), o.String("output"), o.Int("max_length", 32, 1), o.Int("batch_size", 64, 1),
            o.Floats("mean") ?? [0f], o.Floats("std") ?? [1f], _tokenizer.Kind, _tokenizer.VocabularyLines, _tokenizer.VocabularySize, 0);
        Open();
        int d = input.Rows > 0 ? Run(input, [0]).Length : 0;
        _state = _state with { Dimensions = d };
    }

    private void Open()
    {
        _session?.Dispose();
        try { _session = new InferenceSession(_model); }
        catch (OnnxRuntimeException e) { throw new TroveException($"Encoder 'onnx': cannot load the model: {e.Message}", e); }
        if (_state.Input is { } i && !_session.InputMetadata.ContainsKey(i))
            throw new TroveException($"Encoder 'onnx': the model has no input '{i}'. Inputs: {string.Join(", ", _session.InputMetadata.Keys)}.");
        if (_state.Output is { } oName && !_session.OutputMetadata.ContainsKey(oName))
            throw new TroveException($"Encoder 'onnx': the model has no output '{oName}'. Outputs: {string.Join(", ", _session.OutputMetadata.Keys)}.");
    }

    public void Encode(EncoderInput input, ReadOnlySpan<int> rows, Span<float> output)
    {
        int d = Dimensions, batch = _state.BatchSize;
        for (int start = 0; start < rows.Length; start += batch)
        {
            var chunk = rows.Slice(start, Math.Min(batch, rows.Length - start));
            var result = Run(input, chunk.ToArray());
            if (result.Length != chunk.Length * d)
                throw new TroveException($"Encoder 'onnx': the model returned {result.Length / Math.Max(1, chunk.Length)} values per row, expected {d}.");
            result.CopyTo(output.Slice(start * d, chunk.Length * d));
        }
    }

    /// <summary>Runs the model on some rows; returns rows x D floats.</summary>
    private float[] Run(EncoderInput input, int[] rows)
    {
        var session = _session ?? throw new InvalidOperationException("The ONNX encoder is not fitted.");
        var inputName = _state.Input ?? session.InputMetadata.Keys.First();
        var meta = session.InputMetadata[inputName];
        var feeds = new List<NamedOnnxValue>();
        int n = rows.Length;
        float[]? mask = null; int length = 0;
        switch (_state.Kind)
        {
            case "tokens":
            {
                length = _state.MaxLength;
                var ids = new long[n * length];
                mask = new float[n * length];
                for (int r = 0; r < n; r++)
                {
                    var text = string.Join(" ", _state.Columns.Select(c => input.Table.Text.GetValueOrDefault(c) is { } col && rows[r] < col.Length ? col[rows[r]] : null).Where(t => t is not null));
                    var tokenIds = _tokenizer.Ids(text);
                    for (int t = 0; t < Math.Min(length, tokenIds.Count); t++) { ids[r * length + t] = tokenIds[t]; mask[r * length + t] = 1; }
                }
                int[] dims = [n, length];
                feeds.Add(IntTensor(inputName, meta, ids, dims));
                foreach (var (other, m) in session.InputMetadata)
                {
                    if (other == inputName) continue;
                    if (other.Contains("mask", StringComparison.OrdinalIgnoreCase)) feeds.Add(IntTensor(other, m, mask.Select(x => (long)x).ToArray(), dims));
                    else if (other.Contains("type", StringComparison.OrdinalIgnoreCase)) feeds.Add(IntTensor(other, m, new long[n * length], dims));
                }
                break;
            }
            case "image":
            {
                var shape = meta.Dimensions;
                int c = shape.Length > 1 && shape[1] > 0 ? shape[1] : 3, h = shape.Length > 2 && shape[2] > 0 ? shape[2] : 224, w = shape.Length > 3 && shape[3] > 0 ? shape[3] : 224;
                var data = new float[n * c * h * w];
                for (int r = 0; r < n; r++)
                {
                    var col = input.Table.Images.GetValueOrDefault(_state.Columns[0]);
                    var file = col is not null && rows[r] < col.Length ? col[rows[r]] : null;
                    if (file is null) continue;
                    ImageLoader.Load(file, c, h, w, data.AsSpan(r * c * h * w, c * h * w), _state.Mean, _state.Std);
                }
                feeds.Add(NamedOnnxValue.CreateFromTensor(inputName, new DenseTensor<float>(data, [n, c, h, w])));
                break;
            }
            default:
            {
                int d = _state.Columns.Length;
                var data = new float[n * d];
                for (int r = 0; r < n; r++)
                    for (int j = 0; j < d; j++)
                    {
                        var col = input.Table.Numeric.GetValueOrDefault(_state.Columns[j]);
                        float x = col is not null && rows[r] < col.Length ? col[rows[r]] : float.NaN;
                        data[r * d + j] = float.IsNaN(x) ? 0 : x;
                    }
                feeds.Add(NamedOnnxValue.CreateFromTensor(inputName, new DenseTensor<float>(data, [n, d])));
                break;
            }
        }
        try
        {
            using var results = session.Run(feeds);
            var result = _state.Output is { } name ? results.First(x => x.Name == name) : results.First();
            var tensor = result.AsTensor<float>();
            var dims = tensor.Dimensions.ToArray();
            var values = tensor.ToArray();
            if (dims.Length == 3)
            {
                int l = dims[1], d = dims[2];
                var pooled = new float[n * d];
                for (int r = 0; r < n; r++)
                {
                    float count = 0;
                    for (int t = 0; t < l; t++)
                    {
                        float weight = mask is not null && t < length ? mask[r * length + t] : 1f;
                        if (weight == 0) continue;
                        count += weight;
                        for (int j = 0; j < d; j++) pooled[r * d + j] += weight * values[(r * l + t) * d + j];
                    }
                    if (count > 0) for (int j = 0; j < d; j++) pooled[r * d + j] /= count;
                }
                return pooled;
            }
            return values;
        }
        catch (OnnxRuntimeException e)
        {
            throw new TroveException($"Encoder 'onnx': running the model failed: {e.Message}", e);
        }
    }

    private static NamedOnnxValue IntTensor(string name, NodeMetadata meta, long[] values, int[] dims) =>
        meta.ElementType == typeof(int)
            ? NamedOnnxValue.CreateFromTensor(name, new DenseTensor<int>(values.Select(v => (int)v).ToArray(), dims))
            : meta.ElementType == typeof(float)
                ? NamedOnnxValue.CreateFromTensor(name, new DenseTensor<float>(values.Select(v => (float)v).ToArray(), dims))
                : NamedOnnxValue.CreateFromTensor(name, new DenseTensor<long>(values, dims));

    public void Save(ModelArchiveWriter writer)
    {
        writer.WriteJson("onnx", _state);
        writer.WriteBytes("model.onnx", _model);
    }

    public void Load(ModelArchiveReader reader)
    {
        _state = reader.ReadJson<State>("onnx");
        _model = reader.ReadBytes("model.onnx");
        _tokenizer = new TextTokenizer(_state.Tokenizer, _state.Vocabulary, _state.VocabSize);
        Open();
    }

    public void Dispose() => _session?.Dispose();
}

/// <summary>Loads an image file into a C x H x W float tensor: .npy (already shaped) or binary PPM (P6) / PGM (P5).</summary>
public static class ImageLoader
{
    public static void Load(string path, int c, int h, int w, Span<float> output, float[] mean, float[] std)
    {
        if (!File.Exists(path)) throw new TroveException($"Image '{path}' does not exist.");
        if (path.EndsWith(".npy", StringComparison.OrdinalIgnoreCase))
        {
            var (data, _) = Npy.Read(path);
            if (data.Length != output.Length) throw new TroveException($"Image tensor '{path}' has {data.Length} values; the model expects {c}x{h}x{w} = {output.Length}.");
            data.CopyTo(output);
            return;
        }
        var bytes = File.ReadAllBytes(path);
        int pos = 0;
        string Token()
        {
            while (pos < bytes.Length && (char.IsWhiteSpace((char)bytes[pos]) || bytes[pos] == '#'))
            {
                if (bytes[pos] == '#') while (pos < bytes.Length && bytes[pos] != '\n') pos++;
                else pos++;
            }
            int start = pos;
            while (pos < bytes.Length && !char.IsWhiteSpace((char)bytes[pos])) pos++;
            return System.Text.Encoding.ASCII.GetString(bytes, start, pos - start);
        }
        var magic = Token();
        if (magic is not ("P6" or "P5"))
            throw new TroveException($"Image '{path}': only binary PPM/PGM (P6/P5) and .npy tensors are decoded here; convert other formats, or precompute embeddings and use the \"precomputed\" encoder.");
        int channels = magic == "P6" ? 3 : 1;
        int width = int.Parse(Token()), height = int.Parse(Token()), max = int.Parse(Token());
        pos++;
        if (max > 255) throw new TroveException($"Image '{path}': 16-bit PPM is not supported.");
        if (bytes.Length - pos < width * height * channels) throw new TroveException($"Image '{path}' is truncated.");
        for (int ch = 0; ch < c; ch++)
        {
            float m = mean[Math.Min(ch, mean.Length - 1)], s = std[Math.Min(ch, std.Length - 1)];
            int src = Math.Min(ch, channels - 1);
            for (int y = 0; y < h; y++)
            {
                int sy = Math.Min(height - 1, (int)((y + 0.5) * height / h));
                for (int x = 0; x < w; x++)
                {
                    int sx = Math.Min(width - 1, (int)((x + 0.5) * width / w));
                    float v = bytes[pos + (sy * width + sx) * channels + src] / (float)max;
                    output[(ch * h + y) * w + x] = (v - m) / s;
                }
            }
        }
    }
}
