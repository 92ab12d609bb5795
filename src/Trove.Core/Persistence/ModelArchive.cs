using System.IO.Compression;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using Trove.Core.Errors;
using Trove.Numerics.Dense;
using Trove.Numerics.Sparse;

namespace Trove.Core.Persistence;

/// <summary>
/// A model file is a zip archive: <c>manifest.json</c> (algorithm, parameters, versions, data
/// fingerprint), the id maps as JSON, and each learned array as a NumPy <c>.npy</c> entry, so
/// the arrays can also be inspected with numpy.load.
/// </summary>
public sealed class ModelArchiveWriter : IDisposable
{
    private readonly ZipArchive _zip;
    private readonly string _prefix = "";
    private readonly bool _owner = true;
    /// <summary>SHA-256 of every entry written so far (shared with scoped views), for the manifest.</summary>
    private readonly SortedDictionary<string, string> _digests;
    public ModelArchiveWriter(Stream stream)
    {
        _zip = new ZipArchive(stream, ZipArchiveMode.Create, leaveOpen: true);
        _digests = new SortedDictionary<string, string>(StringComparer.Ordinal);
    }
    private ModelArchiveWriter(ZipArchive zip, string prefix, SortedDictionary<string, string> digests) { _zip = zip; _prefix = prefix; _owner = false; _digests = digests; }

    /// <summary>
    /// A view that writes every entry under "<paramref name="prefix"/>/" (for composite models whose
    /// parts save their own state, e.g. a hybrid's collaborative model). Disposing the view does nothing.
    /// </summary>
    public ModelArchiveWriter Scoped(string prefix) => new(_zip, _prefix + prefix + "/", _digests);

    /// <summary>Writes manifest.json last, listing the digest of every entry and its own checksum (see <see cref="ModelIntegrity"/>). Returns the manifest as written.</summary>
    public ModelManifest WriteManifest(ModelManifest manifest)
    {
        var bytes = ModelIntegrity.Seal(manifest, _digests, out var sealedManifest);
        var entry = _zip.CreateEntry(ModelIntegrity.ManifestEntry, CompressionLevel.Fastest);
        using var s = entry.Open();
        s.Write(bytes);
        return sealedManifest;
    }

    private Stream Create(string name)
    {
        var full = _prefix + name;
        if (full == ModelIntegrity.ManifestEntry) throw new ArgumentException($"'{name}' is reserved for the manifest; use WriteManifest.");
        return new DigestingStream(_zip.CreateEntry(full, CompressionLevel.Fastest).Open(), full, _digests);
    }

    /// <summary>Raw bytes as an entry (e.g. an ONNX encoder kept inside the model file).</summary>
    public void WriteBytes(string name, ReadOnlySpan<byte> bytes)
    {
        using var s = Create(name);
        s.Write(bytes);
    }

    public void WriteArray(string name, ReadOnlySpan<float> data, params int[] shape) => WriteNpy(name, NpyWriter.Float32, MemoryMarshal.AsBytes(data), shape.Length == 0 ? [data.Length] : shape);
    public void WriteArray(string name, ReadOnlySpan<int> data, params int[] shape) => WriteNpy(name, NpyWriter.Int32, MemoryMarshal.AsBytes(data), shape.Length == 0 ? [data.Length] : shape);
    public void WriteArray(string name, ReadOnlySpan<long> data, params int[] shape) => WriteNpy(name, NpyWriter.Int64, MemoryMarshal.AsBytes(data), shape.Length == 0 ? [data.Length] : shape);
    public void WriteArray(string name, ReadOnlySpan<double> data, params int[] shape) => WriteNpy(name, NpyWriter.Float64, MemoryMarshal.AsBytes(data), shape.Length == 0 ? [data.Length] : shape);

    /// <summary>
    /// A CSR matrix as four entries: indptr (int32 while the matrix has at most 2^31 - 1 entries, the format every earlier
    /// file has; int64 beyond), indices and data (streamed chunk by chunk, so they may pass 2^31 elements) and the shape.
    /// </summary>
    public void WriteCsr(string name, CsrMatrix m)
    {
        if (m.NonZeros <= int.MaxValue)
        {
            var narrow = new int[m.Rows + 1];
            for (int r = 0; r <= m.Rows; r++) narrow[r] = (int)m.RowPointers[r];
            WriteArray($"{name}.indptr", narrow);
        }
        else WriteArray($"{name}.indptr", m.RowPointers);
        using (var s = Create($"{name}.indices.npy"))
        {
            NpyWriter.WriteHeader(s, NpyWriter.Int32, [m.NonZeros]);
            for (int c = 0; c < m.Layout.ChunkCount; c++) s.Write(MemoryMarshal.AsBytes(m.IndexChunk(c)));
        }
        using (var s = Create($"{name}.data.npy"))
        {
            NpyWriter.WriteHeader(s, NpyWriter.Float32, [m.NonZeros]);
            for (int c = 0; c < m.Layout.ChunkCount; c++) s.Write(MemoryMarshal.AsBytes(m.ValueChunk(c)));
        }
        WriteJson($"{name}.shape", new[] { m.Rows, m.Columns });
    }

    /// <summary>
    /// A dense matrix as one .npy entry of shape (rows, columns), streamed chunk by chunk: the bytes are those
    /// <see cref="WriteArray(string, ReadOnlySpan{float}, int[])"/> writes for the same values in one array, so a file of a
    /// chunked matrix differs from an unchunked one only in being too large for readers that need one array.
    /// </summary>
    public void WriteMatrix(string name, RowChunkedMatrix m)
    {
        using var s = Create(name + ".npy");
        NpyWriter.WriteHeader(s, NpyWriter.Float32, [m.Rows, m.Columns]);
        for (int c = 0; c < m.ChunkCount; c++) s.Write(MemoryMarshal.AsBytes(m.Chunk(c)));
    }

    public void WriteJson<T>(string name, T value)
    {
        using var s = Create(name + ".json");
        JsonSerializer.Serialize(s, value, ModelJson.Options);
    }

    private void WriteNpy(string name, string dtype, ReadOnlySpan<byte> bytes, int[] shape)
    {
        using var s = Create(name + ".npy");
        try { NpyWriter.Write(s, dtype, bytes, shape); }
        catch (ArgumentException e) { throw new ArgumentException($"Array '{name}': {e.Message}", e); }
    }

    public void Dispose() { if (_owner) _zip.Dispose(); }
}

public sealed class ModelArchiveReader : IDisposable
{
    private readonly ZipArchive _zip;
    private readonly Stream? _stream;
    private readonly string _path;
    private readonly string _prefix = "";
    private readonly bool _owner = true;

    private ModelArchiveReader(ZipArchive zip, string path, string prefix) { _zip = zip; _path = path; _prefix = prefix; _owner = false; }

    /// <summary>A view that reads entries written through <see cref="ModelArchiveWriter.Scoped"/> with the same prefix.</summary>
    public ModelArchiveReader Scoped(string prefix) => new(_zip, _path, _prefix + prefix + "/");

    public byte[] ReadBytes(string name)
    {
        var entry = _zip.GetEntry(_prefix + name) ?? throw Missing(name);
        using var s = entry.Open();
        using var ms = new MemoryStream();
        s.CopyTo(ms);
        return ms.ToArray();
    }

    public ModelArchiveReader(Stream stream, string path)
    {
        _path = path;
        _stream = stream;
        try { _zip = new ZipArchive(stream, ZipArchiveMode.Read, leaveOpen: true); }
        catch (InvalidDataException e) { throw ModelIntegrity.Corrupted(path, $"not a Trove model file ({e.Message.TrimEnd('.')}).", e); }
    }

    /// <summary>Checks manifest.json and every entry against their checksums (see <see cref="ModelIntegrity"/>); returns the manifest.</summary>
    public ModelManifest Verify() => ModelIntegrity.Verify(_zip, _stream ?? throw new InvalidOperationException("Verify the archive, not a scoped view."), _path);

    public bool Has(string name) => _zip.GetEntry(_prefix + name + ".npy") is not null || _zip.GetEntry(_prefix + name + ".json") is not null || _zip.GetEntry(_prefix + name) is not null;

    public float[] ReadFloats(string name) => ReadNpy<float>(name, "<f4");
    public int[] ReadInts(string name) => ReadNpy<int>(name, "<i4");
    public long[] ReadLongs(string name) => ReadNpy<long>(name, "<i8");
    public double[] ReadDoubles(string name) => ReadNpy<double>(name, "<f8");

    /// <summary>A matrix written by <see cref="ModelArchiveWriter.WriteCsr"/> (int32 or int64 indptr; more than one array of entries is read into chunks).</summary>
    public CsrMatrix ReadCsr(string name) => ReadCsr(name, CsrChunkLayout.DefaultCapacity);

    internal CsrMatrix ReadCsr(string name, long chunkCapacity)
    {
        var shape = ReadJson<int[]>($"{name}.shape");
        if (shape.Length != 2 || shape[0] < 0 || shape[1] < 0) throw ModelIntegrity.Corrupted(_path, $"entry {name}.shape.json is not a rows, columns pair.");
        long[] pointers;
        using (var s = OpenNpy($"{name}.indptr", null, out string dtype, out _))
        {
            if (dtype == "<i8") pointers = ReadLongs($"{name}.indptr");
            else
            {
                var narrow = ReadInts($"{name}.indptr");
                pointers = new long[narrow.Length];
                for (int r = 0; r < narrow.Length; r++) pointers[r] = narrow[r];
            }
        }
        if (pointers.Length != shape[0] + 1) throw ModelIntegrity.Corrupted(_path, $"entry {name}.indptr has {pointers.Length} entries for {shape[0]} rows.");
        CsrMatrixBuilder builder;
        try { builder = new CsrMatrixBuilder(shape[0], shape[1], pointers, chunkCapacity); }
        catch (ArgumentException e) { throw ModelIntegrity.Corrupted(_path, $"entry {name}.indptr: {e.Message}", e); }
        long nonZeros = pointers[^1];
        using (var s = OpenNpy($"{name}.indices", "<i4", out _, out long count))
        {
            if (count != nonZeros) throw ModelIntegrity.Corrupted(_path, $"entry {name}.indices has {count:N0} entries, indptr says {nonZeros:N0}.");
            for (int c = 0; c < builder.Layout.ChunkCount; c++) s.ReadExactly(MemoryMarshal.AsBytes(builder.IndexChunk(c)));
        }
        using (var s = OpenNpy($"{name}.data", "<f4", out _, out long count))
        {
            if (count != nonZeros) throw ModelIntegrity.Corrupted(_path, $"entry {name}.data has {count:N0} entries, indptr says {nonZeros:N0}.");
            for (int c = 0; c < builder.Layout.ChunkCount; c++) s.ReadExactly(MemoryMarshal.AsBytes(builder.ValueChunk(c)));
        }
        return builder.Build();
    }

    /// <summary>
    /// A float entry read as a <paramref name="rows"/> x <paramref name="columns"/> matrix in chunks of at most
    /// <paramref name="chunkCapacity"/> floats (any .npy shape with exactly rows x columns values, so 1-d arrays of
    /// earlier versions load too). A different count is a one-line error naming the entry.
    /// </summary>
    public RowChunkedMatrix ReadMatrix(string name, int rows, int columns, long chunkCapacity)
    {
        using var s = OpenNpy(name, "<f4", out _, out long count);
        if (count != (long)rows * columns)
            throw new TroveException($"{_path}: entry {name}.npy has {count:N0} values, expected {rows:N0} x {columns} = {(long)rows * columns:N0}.");
        var m = new RowChunkedMatrix(rows, columns, chunkCapacity);
        for (int c = 0; c < m.ChunkCount; c++) s.ReadExactly(MemoryMarshal.AsBytes(m.Chunk(c)));
        return m;
    }

    /// <summary>As <see cref="ReadMatrix(string, int, int, long)"/> in chunks of the longest array (one chunk whenever it fits).</summary>
    public RowChunkedMatrix ReadMatrix(string name, int rows, int columns) => ReadMatrix(name, rows, columns, RowChunkedMatrix.DefaultCapacity);

    public T ReadJson<T>(string name)
    {
        var entry = _zip.GetEntry(_prefix + name + ".json") ?? throw Missing(name + ".json");
        using var s = entry.Open();
        // Verified files cannot fail here; files written before checksums (format 1) are checked only now.
        try { return JsonSerializer.Deserialize<T>(s, ModelJson.Options) ?? throw new TroveException($"{_path}: entry {name}.json is empty."); }
        catch (JsonException e) { throw ModelIntegrity.Corrupted(_path, $"entry {name}.json is not valid JSON ({e.Message.Split(" Path:")[0]})", e); }
    }

    private T[] ReadNpy<T>(string name, string dtype) where T : unmanaged
    {
        using var s = OpenNpy(name, dtype, out _, out long count);
        if (count > Array.MaxLength) throw ModelIntegrity.Corrupted(_path, $"entry {name}.npy has {count:N0} values, more than one array holds.");
        var result = new T[count];
        s.ReadExactly(MemoryMarshal.AsBytes(result.AsSpan()));
        return result;
    }

    /// <summary>
    /// Opens an .npy entry past its header: its dtype (checked against <paramref name="expectedDtype"/> unless null) and its
    /// element count, which must account for exactly the bytes that follow (never trust what a damaged header claims).
    /// </summary>
    private Stream OpenNpy(string name, string? expectedDtype, out string dtype, out long count)
    {
        var entry = _zip.GetEntry(_prefix + name + ".npy") ?? throw Missing(name + ".npy");
        var s = entry.Open();
        try
        {
            (dtype, count) = ReadNpyHeader(s, entry.Length, name, expectedDtype);
            return s;
        }
        catch { s.Dispose(); throw; }
    }

    private (string Dtype, long Count) ReadNpyHeader(Stream s, long entryLength, string name, string? expectedDtype)
    {
        Span<byte> magic = stackalloc byte[10];
        s.ReadExactly(magic);
        if (magic[0] != 0x93 || magic[1] != (byte)'N') throw new TroveException($"{_path}: entry {name}.npy is not a NumPy array.");
        int headerLength = BitConverter.ToUInt16(magic[8..10]);
        var headerBytes = new byte[headerLength];
        s.ReadExactly(headerBytes);
        var header = Encoding.ASCII.GetString(headerBytes);
        string dtype = header.Contains("'<i8'") ? "<i8" : header.Contains("'<i4'") ? "<i4" : header.Contains("'<f8'") ? "<f8" : header.Contains("'<f4'") ? "<f4" : "?";
        if (expectedDtype is not null && dtype != expectedDtype) throw new TroveException($"{_path}: entry {name}.npy has type {header}, expected {expectedDtype}.");
        int size = dtype is "<i8" or "<f8" ? 8 : 4;
        int shapeStart = header.IndexOf("'shape': (", StringComparison.Ordinal) + 10;
        int shapeEnd = header.IndexOf(')', shapeStart);
        long count = 1;
        if (shapeStart < 10 || shapeEnd < 0) throw ModelIntegrity.Corrupted(_path, $"entry {name}.npy has no shape in its header.");
        foreach (var d in header[shapeStart..shapeEnd].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            count = long.TryParse(d, out long n) && n >= 0 && (n == 0 || count <= (long.MaxValue / 8) / n) ? count * n : throw ModelIntegrity.Corrupted(_path, $"entry {name}.npy has a bad shape '{header[shapeStart..shapeEnd]}'.");
        // The header's shape must account for exactly the bytes that follow it (never allocate what a damaged header claims).
        if (count * size != entryLength - 10 - headerLength)
            throw ModelIntegrity.Corrupted(_path, $"entry {name}.npy: its shape needs {count:N0} values but the entry holds {entryLength - 10 - headerLength:N0} bytes.");
        return (dtype, count);
    }

    private TroveException Missing(string entry) => new($"{_path}: the model file has no entry '{_prefix}{entry}' (written by another Trove version?).");

    public void Dispose() { if (_owner) _zip.Dispose(); }
}

internal static class ModelJson
{
    public static readonly JsonSerializerOptions Options = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
    };
}
