using System.Globalization;
using System.Text;
using System.Text.Json;
using Trove.Core.Errors;
using Trove.Core.Persistence;

namespace Trove.Models.Features;

/// <summary>
/// "precomputed": vectors computed elsewhere (audio embeddings such as CLAP, image or text
/// embeddings), looked up by the entity's id. Option "path": a .json file
/// (<c>{"id": [..], ...}</c> or <c>[{"id": .., "embedding": [..]}, ...]</c>, id keys item_id/user_id/song_id/id,
/// vector keys embedding/vector/values), a .csv file (id, v1, v2, ...; a header row is skipped), or
/// a .npy float32/float64 matrix whose rows follow option "ids" (a file of ids, one per line, or a
/// JSON array) or else the dataset's id order. Ids without a vector encode as zeros (so a cold-start
/// entity with an embedding still gets a profile). The vectors are kept in the model file.
/// Options: normalize (false): L2-normalise each vector; dimensions: the length every vector must have (e.g. 512 for
/// CLAP audio embeddings), checked when the file is read, so a file of the wrong model is an error before training.
/// </summary>
public sealed class PrecomputedEncoder(EncoderSpec spec) : IFeatureEncoder
{
    public const string Name = "precomputed";
    private string[] _ids = [];
    private float[] _vectors = [];
    private Dictionary<string, int> _index = [];

    public int Dimensions { get; private set; }
    public int Count => _ids.Length;

    public void Fit(EncoderInput input)
    {
        var options = new EncoderOptions(spec.Options, Name);
        var path = options.String("path") ?? throw new TroveException("Encoder 'precomputed' needs option \"path\" (a .json, .csv or .npy file of vectors).");
        if (!File.Exists(path)) throw new TroveException($"Encoder 'precomputed': vector file '{path}' does not exist.");
        var (ids, vectors, dims) = Path.GetExtension(path).ToLowerInvariant() switch
        {
            ".npy" => ReadNpy(path, options.String("ids"), input),
            ".csv" or ".tsv" or ".txt" => ReadCsv(path),
            _ => ReadJson(path),
        };
        int expected = options.Int("dimensions", 0, 0);
        if (expected > 0 && dims != expected)
            throw new TroveException($"Encoder 'precomputed': the vectors in '{path}' have {dims} values, the config says \"dimensions\": {expected}.");
        if (options.Bool("normalize", false))
            for (int r = 0; r < ids.Length; r++)
            {
                var v = vectors.AsSpan(r * dims, dims);
                float norm = System.Numerics.Tensors.TensorPrimitives.Norm(v);
                if (norm > 0) System.Numerics.Tensors.TensorPrimitives.Divide(v, norm, v);
            }
        (_ids, _vectors, Dimensions) = (ids, vectors, dims);
        Index();
        if (input.Rows > 0 && !Enumerable.Range(0, input.Rows).Any(r => _index.ContainsKey(input.Ids[r])))
            throw new TroveException($"Encoder 'precomputed': none of the {input.Entity} ids appear in '{path}' (first ids in the file: {string.Join(", ", ids.Take(3))}).");
    }

    private void Index()
    {
        _index = new Dictionary<string, int>(_ids.Length, StringComparer.Ordinal);
        for (int i = 0; i < _ids.Length; i++) _index.TryAdd(_ids[i], i);
    }

    private static (string[], float[], int) Pack(string path, List<(string Id, float[] V)> rows)
    {
        if (rows.Count == 0) throw new TroveException($"'{path}' holds no vectors.");
        int d = rows[0].V.Length;
        var data = new float[(long)rows.Count * d];
        for (int r = 0; r < rows.Count; r++)
        {
            if (rows[r].V.Length != d) throw new TroveException($"'{path}': the vector of '{rows[r].Id}' has {rows[r].V.Length} values, the first had {d}.");
            rows[r].V.CopyTo(data, (long)r * d);
        }
        return (rows.Select(r => r.Id).ToArray(), data, d);
    }

    private static float[] Vector(JsonElement e, string path, string id)
    {
        if (e.ValueKind != JsonValueKind.Array) throw new TroveException($"'{path}': the vector of '{id}' is not an array of numbers.");
        return e.EnumerateArray().Select(x => x.ValueKind == JsonValueKind.Number && float.IsFinite(x.GetSingle()) ? x.GetSingle()
            : throw new TroveException($"'{path}': the vector of '{id}' holds a value that is not a finite number.")).ToArray();
    }

    private static string IdText(JsonElement e) => e.ValueKind == JsonValueKind.String ? e.GetString()! : e.GetRawText();

    private static (string[], float[], int) ReadJson(string path)
    {
        using var stream = File.OpenRead(path);
        using var doc = JsonDocument.Parse(stream);
        var rows = new List<(string, float[])>();
        var root = doc.RootElement;
        if (root.ValueKind == JsonValueKind.Object)
        {
            foreach (var p in root.EnumerateObject()) rows.Add((p.Name, Vector(p.Value, path, p.Name)));
        }
        else if (root.ValueKind == JsonValueKind.Array)
        {
            int k = 0;
            foreach (var e in root.EnumerateArray())
            {
                string? id = null; JsonElement? vec = null;
                foreach (var p in e.EnumerateObject())
                {
                    var key = p.Name.ToLowerInvariant();
                    if (key is "id" or "item_id" or "user_id" or "song_id") id = IdText(p.Value);
                    else if (key is "embedding" or "vector" or "values" or "embeddings") vec = p.Value;
                }
                if (id is null || vec is null) throw new TroveException($"'{path}': element [{k}] needs an id (\"id\"/\"item_id\") and a vector (\"embedding\"/\"vector\").");
                rows.Add((id, Vector(vec.Value, path, id)));
                k++;
            }
        }
        else throw new TroveException($"'{path}': expected a JSON object of id to vector or an array of records.");
        return Pack(path, rows);
    }

    private static (string[], float[], int) ReadCsv(string path)
    {
        var rows = new List<(string, float[])>();
        int lineNo = 0;
        foreach (var line in File.ReadLines(path))
        {
            lineNo++;
            if (line.Length == 0) continue;
            var parts = line.Split(line.Contains('\t') ? '\t' : ',');
            var values = new float[parts.Length - 1];
            bool numeric = true;
            for (int j = 1; j < parts.Length; j++)
                numeric &= float.TryParse(parts[j], NumberStyles.Float, CultureInfo.InvariantCulture, out values[j - 1]);
            if (!numeric)
            {
                if (rows.Count == 0 && lineNo == 1) continue; // header
                throw new DataFormatException(path, lineNo, null, "expected an id followed by numbers.");
            }
            rows.Add((parts[0].Trim().Trim('"'), values));
        }
        return Pack(path, rows);
    }

    private static (string[], float[], int) ReadNpy(string path, string? idsPath, EncoderInput input)
    {
        var (data, shape) = Npy.Read(path);
        if (shape.Length != 2) throw new TroveException($"'{path}': expected a 2-D array (rows x dimensions), got shape ({string.Join(", ", shape)}).");
        int n = shape[0], d = shape[1];
        string[] ids;
        if (idsPath is not null)
        {
            if (!File.Exists(idsPath)) throw new TroveException($"Id file '{idsPath}' does not exist.");
            var text = File.ReadAllText(idsPath).Trim();
            ids = text.StartsWith('[')
                ? JsonDocument.Parse(text).RootElement.EnumerateArray().Select(IdText).ToArray()
                : text.Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0).ToArray();
        }
        else ids = Enumerable.Range(0, Math.Min(n, input.Rows)).Select(i => input.Ids[i]).ToArray();
        if (ids.Length != n) throw new TroveException($"'{path}' has {n} rows but {ids.Length} ids were given.");
        return (ids, data, d);
    }

    public void Encode(EncoderInput input, ReadOnlySpan<int> rows, Span<float> output)
    {
        int d = Dimensions;
        output[..(rows.Length * d)].Clear();
        for (int r = 0; r < rows.Length; r++)
            if (_index.TryGetValue(input.Ids[rows[r]], out int at))
                _vectors.AsSpan(at * d, d).CopyTo(output.Slice(r * d, d));
    }

    public void Save(ModelArchiveWriter writer)
    {
        writer.WriteJson("ids", _ids);
        writer.WriteArray("vectors", _vectors, _ids.Length, Dimensions);
    }

    public void Load(ModelArchiveReader reader)
    {
        _ids = reader.ReadJson<string[]>("ids");
        _vectors = reader.ReadFloats("vectors");
        Dimensions = _ids.Length > 0 ? _vectors.Length / _ids.Length : 0;
        Index();
    }
}

/// <summary>Minimal NumPy .npy reader (little-endian float32/float64/int32/int64, C order) into float32.</summary>
public static class Npy
{
    public static (float[] Data, int[] Shape) Read(string path)
    {
        using var s = File.OpenRead(path);
        Span<byte> magic = stackalloc byte[8];
        s.ReadExactly(magic);
        if (magic[0] != 0x93 || magic[1] != (byte)'N' || magic[2] != (byte)'U') throw new TroveException($"'{path}' is not a NumPy .npy file.");
        int headerLength;
        if (magic[6] == 1) { Span<byte> h = stackalloc byte[2]; s.ReadExactly(h); headerLength = BitConverter.ToUInt16(h); }
        else { Span<byte> h = stackalloc byte[4]; s.ReadExactly(h); headerLength = (int)BitConverter.ToUInt32(h); }
        var headerBytes = new byte[headerLength];
        s.ReadExactly(headerBytes);
        var header = Encoding.ASCII.GetString(headerBytes);
        if (header.Contains("'fortran_order': True")) throw new TroveException($"'{path}': Fortran-order arrays are not supported; save with numpy.ascontiguousarray.");
        string descr = header.Contains("'<f4'") ? "<f4" : header.Contains("'<f8'") ? "<f8" : header.Contains("'<i4'") ? "<i4" : header.Contains("'<i8'") ? "<i8"
            : throw new TroveException($"'{path}': unsupported dtype in header {header.Trim()}; use float32.");
        int shapeStart = header.IndexOf("'shape': (", StringComparison.Ordinal) + 10;
        int shapeEnd = header.IndexOf(')', shapeStart);
        var shape = header[shapeStart..shapeEnd].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(int.Parse).ToArray();
        long count = shape.Aggregate(1L, (a, b) => a * b);
        int size = descr[2] == '4' ? 4 : 8;
        var bytes = new byte[count * size];
        s.ReadExactly(bytes);
        var data = new float[count];
        for (long i = 0; i < count; i++)
            data[i] = descr switch
            {
                "<f4" => BitConverter.ToSingle(bytes, (int)(i * 4)),
                "<f8" => (float)BitConverter.ToDouble(bytes, (int)(i * 8)),
                "<i4" => BitConverter.ToInt32(bytes, (int)(i * 4)),
                _ => BitConverter.ToInt64(bytes, (int)(i * 8)),
            };
        return (data, shape);
    }

    /// <summary>Writes a float32 .npy file (for tests and exports), atomically.</summary>
    public static void Write(string path, ReadOnlySpan<float> data, params int[] shape)
    {
        var values = data.ToArray();
        Core.Persistence.AtomicFile.Write(path, s => Core.Persistence.NpyWriter.Write(s, values, shape));
    }
}
