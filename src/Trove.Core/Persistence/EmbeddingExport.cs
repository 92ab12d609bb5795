using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using Trove.Core.Data;
using Trove.Core.Errors;
using Trove.Core.Recommending;

namespace Trove.Core.Persistence;

public enum EmbeddingFormat { Npy, Csv }

/// <summary>One file written by <see cref="EmbeddingExport.Write"/>.</summary>
public sealed record ExportedFile(string Path, string Description);

/// <summary>
/// Writes a trained model's user and item vectors (<see cref="IEmbeddingModel"/>) to a directory:
/// as .npy (<c>user_embeddings.npy</c>, users x dimensions float32, with <c>users.txt</c> giving the
/// original ids in row order; the same for items) or as CSV (<c>id,d0,d1,...</c>). Each file is
/// written atomically.
/// </summary>
public static class EmbeddingExport
{
    /// <summary>
    /// Writes the embeddings; throws a <see cref="TroveException"/> when the model has no vectors
    /// (<paramref name="modelsWithEmbeddings"/> names the algorithms that do, for the message).
    /// </summary>
    public static IReadOnlyList<ExportedFile> Write(TrainedModel trained, string directory, EmbeddingFormat format, IEnumerable<string>? modelsWithEmbeddings = null)
    {
        var algorithm = trained.Manifest.Algorithm;
        var known = modelsWithEmbeddings is null ? "" : $" Models with embeddings: {string.Join(", ", modelsWithEmbeddings)}.";
        if (trained.Model is not IEmbeddingModel model)
            throw new TroveException($"The {algorithm} model has no user/item embeddings.{known}");
        if (model.Dimensions <= 0)
            throw new TroveException($"This {algorithm} model has no user/item embeddings (0 dimensions; e.g. trained without content features).{known}");

        if (format == EmbeddingFormat.Npy)
            foreach (var (kind, ids) in new[] { ("user", trained.Users), ("item", trained.Items) })
                if (ids.Ids.FirstOrDefault(id => id.AsSpan().IndexOfAny('\n', '\r') >= 0) is { } bad)
                    throw new TroveException($"The {kind} id '{bad.ReplaceLineEndings(" ")}' contains a line break, so it cannot go into {kind}s.txt; use --format csv instead.");

        var files = new List<ExportedFile>();
        foreach (var (kind, ids, vector) in new (string, IdMap, Func<int, float[]>)[]
        {
            ("user", trained.Users, u => Vector(model.UserVector(u), model.Dimensions, "user", u)),
            ("item", trained.Items, i => Vector(model.ItemVector(i), model.Dimensions, "item", i)),
        })
        {
            var what = $"{ids.Count:N0} {kind}s x {model.Dimensions} dimensions";
            if (format == EmbeddingFormat.Npy)
            {
                var npy = Path.Combine(directory, $"{kind}_embeddings.npy");
                AtomicFile.Write(npy, s => WriteNpy(s, ids.Count, model.Dimensions, vector));
                files.Add(new ExportedFile(npy, $"{what}, float32"));
                var txt = Path.Combine(directory, $"{kind}s.txt");
                AtomicFile.Write(txt, s => WriteIds(s, ids));
                files.Add(new ExportedFile(txt, $"{ids.Count:N0} {kind} ids in row order"));
            }
            else
            {
                var csv = Path.Combine(directory, $"{kind}_embeddings.csv");
                AtomicFile.Write(csv, s => WriteCsv(s, ids, model.Dimensions, vector));
                files.Add(new ExportedFile(csv, what));
            }
        }
        return files;
    }

    private static float[] Vector(ReadOnlySpan<float> v, int dimensions, string kind, int index) =>
        v.Length == dimensions ? v.ToArray()
            : throw new InvalidOperationException($"The {kind} vector of row {index} has {v.Length} values, expected {dimensions}.");

    private static void WriteNpy(Stream stream, int rows, int dimensions, Func<int, float[]> vector)
    {
        NpyWriter.WriteHeader(stream, NpyWriter.Float32, [rows, dimensions]);
        for (int r = 0; r < rows; r++) stream.Write(MemoryMarshal.AsBytes(vector(r).AsSpan()));
    }

    private static void WriteIds(Stream stream, IdMap ids)
    {
        using var w = new StreamWriter(stream, new UTF8Encoding(false), 1 << 16, leaveOpen: true) { NewLine = "\n" };
        foreach (var id in ids.Ids) w.WriteLine(id);
    }

    private static void WriteCsv(Stream stream, IdMap ids, int dimensions, Func<int, float[]> vector)
    {
        using var w = new StreamWriter(stream, new UTF8Encoding(false), 1 << 16, leaveOpen: true) { NewLine = "\n" };
        w.Write("id");
        for (int d = 0; d < dimensions; d++) w.Write($",d{d}");
        w.WriteLine();
        Span<char> buffer = stackalloc char[32];
        for (int r = 0; r < ids.Count; r++)
        {
            w.Write(CsvField(ids[r]));
            foreach (var x in vector(r))
            {
                w.Write(',');
                // Shortest text that parses back to the same float ("R" round-trips exactly).
                x.TryFormat(buffer, out int written, "R", CultureInfo.InvariantCulture);
                w.Write(buffer[..written]);
            }
            w.WriteLine();
        }
    }

    private static string CsvField(string value) =>
        value.AsSpan().IndexOfAny(",\"\r\n") < 0 ? value : "\"" + value.Replace("\"", "\"\"") + "\"";
}
