using System.Runtime.InteropServices;
using System.Text;

namespace Trove.Core.Persistence;

/// <summary>
/// Writes NumPy <c>.npy</c> (format 1.0, little-endian, C order) so numpy.load reads the arrays
/// directly: the model archive's entries and the exported embeddings both go through here.
/// </summary>
public static class NpyWriter
{
    public const string Float32 = "<f4";
    public const string Float64 = "<f8";
    public const string Int32 = "<i4";
    public const string Int64 = "<i8";

    /// <summary>A whole array: the header, then <paramref name="data"/> (which must hold exactly the shape's elements).</summary>
    public static void Write(Stream stream, ReadOnlySpan<float> data, ReadOnlySpan<int> shape) => Write(stream, Float32, MemoryMarshal.AsBytes(data), shape);
    public static void Write(Stream stream, ReadOnlySpan<double> data, ReadOnlySpan<int> shape) => Write(stream, Float64, MemoryMarshal.AsBytes(data), shape);
    public static void Write(Stream stream, ReadOnlySpan<int> data, ReadOnlySpan<int> shape) => Write(stream, Int32, MemoryMarshal.AsBytes(data), shape);
    public static void Write(Stream stream, ReadOnlySpan<long> data, ReadOnlySpan<int> shape) => Write(stream, Int64, MemoryMarshal.AsBytes(data), shape);

    /// <summary>The header then the raw little-endian bytes of an array of <paramref name="dtype"/> (e.g. "&lt;f4").</summary>
    public static void Write(Stream stream, string dtype, ReadOnlySpan<byte> bytes, ReadOnlySpan<int> shape)
    {
        long expected = ElementCount(shape);
        int itemSize = ItemSize(dtype);
        if (expected * itemSize != bytes.Length)
            throw new ArgumentException($"Shape {ShapeText(shape)} does not match {bytes.Length / itemSize} elements of {dtype}.");
        WriteHeader(stream, dtype, shape);
        stream.Write(bytes);
    }

    /// <summary>
    /// Only the header, for callers that stream the data afterwards (e.g. one row at a time); they
    /// must then write exactly the shape's elements of <paramref name="dtype"/>, little-endian, row-major.
    /// </summary>
    public static void WriteHeader(Stream stream, string dtype, ReadOnlySpan<int> shape)
    {
        var wide = new long[shape.Length];
        for (int d = 0; d < wide.Length; d++) wide[d] = shape[d];
        WriteHeader(stream, dtype, wide);
    }

    /// <summary>As <see cref="WriteHeader(Stream, string, ReadOnlySpan{int})"/> with 64-bit dimensions (arrays streamed from several chunks, past 2^31 elements).</summary>
    public static void WriteHeader(Stream stream, string dtype, ReadOnlySpan<long> shape)
    {
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("Writing .npy files needs a little-endian machine.");
        ItemSize(dtype);
        var header = $"{{'descr': '{dtype}', 'fortran_order': False, 'shape': {ShapeText(shape)}, }}";
        // Magic (6) + version (2) + header length (2) + header + '\n', padded with spaces to a multiple of 64.
        int total = 10 + header.Length + 1;
        int pad = (64 - total % 64) % 64;
        header = header + new string(' ', pad) + "\n";
        stream.Write([0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 1, 0]);
        stream.Write(BitConverter.GetBytes((ushort)header.Length));
        stream.Write(Encoding.ASCII.GetBytes(header));
    }

    private static long ElementCount(ReadOnlySpan<int> shape)
    {
        long count = 1;
        foreach (var d in shape)
        {
            if (d < 0) throw new ArgumentException($"Negative dimension in shape {ShapeText(shape)}.");
            count *= d;
        }
        return count;
    }

    private static int ItemSize(string dtype) => dtype switch
    {
        Float32 or Int32 => 4,
        Float64 or Int64 => 8,
        _ => throw new ArgumentException($"Unsupported .npy dtype '{dtype}'."),
    };

    private static string ShapeText(ReadOnlySpan<int> shape) => shape.Length == 1 ? $"({shape[0]},)" : "(" + string.Join(", ", shape.ToArray()) + ")";
    private static string ShapeText(ReadOnlySpan<long> shape) => shape.Length == 1 ? $"({shape[0]},)" : "(" + string.Join(", ", shape.ToArray()) + ")";
}
