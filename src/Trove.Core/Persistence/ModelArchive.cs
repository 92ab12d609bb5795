using System.IO.Compression;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using Trove.Core.Errors;
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
    public ModelArchiveWriter(Stream stream) => _zip = new ZipArchive(stream, ZipArchiveMode.Create, leaveOpen: true);
    private ModelArchiveWriter(ZipArchive zip, string prefix) { _zip = zip; _prefix = prefix; _owner = false; }

    /// <summary>
    /// A view that writes every entry under "<paramref name="prefix"/>/" (for composite models whose
    /// parts save their own state, e.g. a hybrid's collaborative model). Disposing the view does nothing.
    /// </summary>
    public ModelArchiveWriter Scoped(string prefix) => new(_zip, _prefix + prefix + "/");

    /// <summary>Raw bytes as an entry (e.g. an ONNX encoder kept inside the model file).</summary>
    public void WriteBytes(string name, ReadOnlySpan<byte> bytes)
    {
        var entry = _zip.CreateEntry(_prefix + name, CompressionLevel.Fastest);
        using var s = entry.Open();
        s.Write(bytes);
    }

    public void WriteArray(string name, ReadOnlySpan<float> data, params int[] shape) => WriteNpy(name, NpyWriter.Float32, MemoryMarshal.AsBytes(data), shape.Length == 0 ? [data.Length] : shape);
    public void WriteArray(string name, ReadOnlySpan<int> data, params int[] shape) => WriteNpy(name, NpyWriter.Int32, MemoryMarshal.AsBytes(data), shape.Length == 0 ? [data.Length] : shape);
    public void WriteArray(string name, ReadOnlySpan<long> data, params int[] shape) => WriteNpy(name, NpyWriter.Int64, MemoryMarshal.AsBytes(data), shape.Length == 0 ? [data.Length] : shape);
    public void WriteArray(string name, ReadOnlySpan<double> data, params int[] shape) => WriteNpy(name, NpyWriter.Float64, MemoryMarshal.AsBytes(data), shape.Length == 0 ? [data.Length] : shape);

    public void WriteCsr(string name, CsrMatrix m)
    {
        WriteArray($"{name}.indptr", m.RowPointers);
        WriteArray($"{name}.indices", m.ColumnIndices);
        WriteArray($"{name}.data", m.Values);
        WriteJson($"{name}.shape", new[] { m.Rows, m.Columns });
    }

    public void WriteJson<T>(string name, T value)
    {
        var entry = _zip.CreateEntry(_prefix + name + ".json", CompressionLevel.Fastest);
        using var s = entry.Open();
        JsonSerializer.Serialize(s, value, ModelJson.Options);
    }

    private void WriteNpy(string name, string dtype, ReadOnlySpan<byte> bytes, int[] shape)
    {
        var entry = _zip.CreateEntry(_prefix + name + ".npy", CompressionLevel.Fastest);
        using var s = entry.Open();
        try { NpyWriter.Write(s, dtype, bytes, shape); }
        catch (ArgumentException e) { throw new ArgumentException($"Array '{name}': {e.Message}", e); }
    }

    public void Dispose() { if (_owner) _zip.Dispose(); }
}

public sealed class ModelArchiveReader : IDisposable
{
    private readonly ZipArchive _zip;
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
        try { _zip = new ZipArchive(stream, ZipArchiveMode.Read, leaveOpen: true); }
        catch (InvalidDataException e) { throw new TroveException($"{path}: not a Trove model file ({e.Message}).", e); }
    }

    public bool Has(string name) => _zip.GetEntry(_prefix + name + ".npy") is not null || _zip.GetEntry(_prefix + name + ".json") is not null || _zip.GetEntry(_prefix + name) is not null;

    public float[] ReadFloats(string name) => ReadNpy<float>(name, "<f4");
    public int[] ReadInts(string name) => ReadNpy<int>(name, "<i4");
    public long[] ReadLongs(string name) => ReadNpy<long>(name, "<i8");
    public double[] ReadDoubles(string name) => ReadNpy<double>(name, "<f8");

    public CsrMatrix ReadCsr(string name)
    {
        var shape = ReadJson<int[]>($"{name}.shape");
        return new CsrMatrix(shape[0], shape[1], ReadInts($"{name}.indptr"), ReadInts($"{name}.indices"), ReadFloats($"{name}.data"));
    }

    public T ReadJson<T>(string name)
    {
        var entry = _zip.GetEntry(_prefix + name + ".json") ?? throw Missing(name + ".json");
        using var s = entry.Open();
        return JsonSerializer.Deserialize<T>(s, ModelJson.Options) ?? throw new TroveException($"{_path}: entry {name}.json is empty.");
    }

    private T[] ReadNpy<T>(string name, string dtype) where T : unmanaged
    {
        var entry = _zip.GetEntry(_prefix + name + ".npy") ?? throw Missing(name + ".npy");
        using var s = entry.Open();
        Span<byte> magic = stackalloc byte[10];
        s.ReadExactly(magic);
        if (magic[0] != 0x93 || magic[1] != (byte)'N') throw new TroveException($"{_path}: entry {name}.npy is not a NumPy array.");
        int headerLength = BitConverter.ToUInt16(magic[8..10]);
        var headerBytes = new byte[headerLength];
        s.ReadExactly(headerBytes);
        var header = Encoding.ASCII.GetString(headerBytes);
        if (!header.Contains($"'{dtype}'")) throw new TroveException($"{_path}: entry {name}.npy has type {header}, expected {dtype}.");
        int shapeStart = header.IndexOf("'shape': (", StringComparison.Ordinal) + 10;
        int shapeEnd = header.IndexOf(')', shapeStart);
        long count = 1;
        foreach (var d in header[shapeStart..shapeEnd].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)) count *= long.Parse(d);
        var result = new T[count];
        s.ReadExactly(MemoryMarshal.AsBytes(result.AsSpan()));
        return result;
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
