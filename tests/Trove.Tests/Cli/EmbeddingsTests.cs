using System.Globalization;
using System.Text;
using Trove.Cli.Infrastructure;
using Trove.Core.Data;
using Trove.Core.Persistence;
using Trove.Core.Recommending;
using Trove.Tests.Support;

namespace Trove.Tests.Cli;

[Collection(ConsoleCollection.Name)]
public class EmbeddingsTests
{
    /// <summary>A small random implicit data set (40 users, 25 items), trained with the given model through the CLI.</summary>
    private static (string Dir, string ModelPath) Train(string algorithm, params string[] parameters)
    {
        var dir = TestPaths.NewTempDirectory();
        var csv = Path.Combine(dir, "interactions.csv");
        var rng = new Random(7);
        var lines = new List<string> { "user,item,event" };
        for (int u = 0; u < 40; u++)
            foreach (var i in Enumerable.Range(0, 25).OrderBy(_ => rng.Next()).Take(3 + rng.Next(6)))
                lines.Add($"user{u},item{i},{(rng.Next(3) == 0 ? "purchase" : "view")}");
        File.WriteAllLines(csv, lines);
        var model = Path.Combine(dir, $"{algorithm}.trove");
        var args = new List<string> { "train", "--data", csv, "--model", algorithm, "--out", model, "--threads", "1" };
        foreach (var p in parameters) { args.Add("--param"); args.Add(p); }
        Assert.Equal(0, Run([.. args]).Code);
        return (dir, model);
    }

    private static (int Code, string Out, string Error) Run(params string[] args)
    {
        var (previousOut, previousError) = (Console.Out, Console.Error);
        var (output, error) = (new StringWriter(), new StringWriter());
        Console.SetOut(output); Console.SetError(error);
        try { return (Trove.Cli.Program.Main(args), output.ToString(), error.ToString()); }
        finally { Console.SetOut(previousOut); Console.SetError(previousError); }
    }

    /// <summary>Parses a .npy file independently of NpyWriter: magic, version 1.0, header dict, then little-endian float32 data.</summary>
    private static (int Rows, int Columns, float[] Data) ReadNpy(string path)
    {
        var bytes = File.ReadAllBytes(path);
        Assert.Equal(new byte[] { 0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 1, 0 }, bytes[..8]);
        int headerLength = bytes[8] | bytes[9] << 8;
        Assert.Equal(0, (10 + headerLength) % 64);
        var header = Encoding.ASCII.GetString(bytes, 10, headerLength);
        Assert.EndsWith("\n", header);
        Assert.Contains("'descr': '<f4'", header);
        Assert.Contains("'fortran_order': False", header);
        int start = header.IndexOf("'shape': (", StringComparison.Ordinal) + 10;
        var shape = header[start..header.IndexOf(')', start)].Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Select(int.Parse).ToArray();
        Assert.Equal(2, shape.Length);
        int offset = 10 + headerLength;
        Assert.Equal((long)shape[0] * shape[1] * 4, bytes.Length - offset);
        var data = new float[shape[0] * shape[1]];
        for (int k = 0; k < data.Length; k++) data[k] = BitConverter.ToSingle(bytes, offset + 4 * k);
        return (shape[0], shape[1], data);
    }

    private static void AssertRowsEqual(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int d = 0; d < expected.Length; d++)
            Assert.Equal(BitConverter.SingleToInt32Bits(expected[d]), BitConverter.SingleToInt32Bits(actual[d]));
    }

    [Fact]
    public void Npy_export_matches_the_model_vectors_exactly_with_ids_in_row_order()
    {
        var (dir, modelPath) = Train("als", "factors=8", "iterations=3");
        var outDir = Path.Combine(dir, "emb");
        var (code, stdout, _) = Run("embeddings", "--model", modelPath, "--out", outDir);
        Assert.Equal(0, code);

        var trained = ModelOptions.Load(modelPath);
        var model = Assert.IsAssignableFrom<IEmbeddingModel>(trained.Model);
        Assert.Equal(8, model.Dimensions);
        foreach (var (kind, ids, vector) in new (string, IdMap, Func<int, float[]>)[]
        {
            ("user", trained.Users, u => model.UserVector(u).ToArray()),
            ("item", trained.Items, i => model.ItemVector(i).ToArray()),
        })
        {
            var npy = Path.Combine(outDir, $"{kind}_embeddings.npy");
            var (rows, columns, data) = ReadNpy(npy);
            Assert.Equal(ids.Count, rows);
            Assert.Equal(model.Dimensions, columns);
            Assert.Equal(ids.Ids, File.ReadAllLines(Path.Combine(outDir, $"{kind}s.txt")));
            for (int r = 0; r < rows; r++) AssertRowsEqual(vector(r), data.AsSpan(r * columns, columns));
            Assert.Contains(npy, stdout);
            Assert.Contains(Path.Combine(outDir, $"{kind}s.txt"), stdout);
        }
        Assert.Equal(40, trained.Users.Count);
        Assert.Empty(Directory.GetFiles(outDir, "*.tmp", SearchOption.AllDirectories).Concat(Directory.GetFiles(outDir, ".*")));
    }

    [Fact]
    public void Csv_export_matches_the_model_vectors_exactly_with_ids_in_row_order()
    {
        var (dir, modelPath) = Train("als", "factors=6", "iterations=3");
        var outDir = Path.Combine(dir, "csv");
        var (code, stdout, _) = Run("embeddings", "--model", modelPath, "--out", outDir, "--format", "csv");
        Assert.Equal(0, code);
        Assert.False(File.Exists(Path.Combine(outDir, "user_embeddings.npy")));

        var trained = ModelOptions.Load(modelPath);
        var model = (IEmbeddingModel)trained.Model;
        foreach (var (kind, ids, vector) in new (string, IdMap, Func<int, float[]>)[]
        {
            ("user", trained.Users, u => model.UserVector(u).ToArray()),
            ("item", trained.Items, i => model.ItemVector(i).ToArray()),
        })
        {
            var path = Path.Combine(outDir, $"{kind}_embeddings.csv");
            Assert.Contains(path, stdout);
            var lines = File.ReadAllLines(path);
            Assert.Equal("id," + string.Join(",", Enumerable.Range(0, 6).Select(d => $"d{d}")), lines[0]);
            Assert.Equal(ids.Count + 1, lines.Length);
            for (int r = 0; r < ids.Count; r++)
            {
                var fields = lines[r + 1].Split(',');
                Assert.Equal(ids[r], fields[0]);
                AssertRowsEqual(vector(r), fields[1..].Select(f => float.Parse(f, CultureInfo.InvariantCulture)).ToArray());
            }
        }
    }

    [Fact]
    public void Csv_quotes_ids_with_commas_and_quotes()
    {
        var (dir, modelPath) = Train("als", "factors=2", "iterations=1");
        var trained = ModelOptions.Load(modelPath);
        var renamed = trained with { Users = new IdMap(trained.Users.Ids.Select((id, k) => k == 0 ? "a,\"b\"" : id)) };
        var outDir = Path.Combine(dir, "quoted");
        EmbeddingExport.Write(renamed, outDir, EmbeddingFormat.Csv);
        Assert.StartsWith("\"a,\"\"b\"\"\",", File.ReadAllLines(Path.Combine(outDir, "user_embeddings.csv"))[1]);
    }

    [Fact]
    public void Ncf_exports_its_gmf_and_mlp_embeddings_side_by_side_and_answers_similar_items()
    {
        var (dir, modelPath) = Train("ncf", "factors=4", "layers=8,4", "epochs=1", "validation=false");
        var outDir = Path.Combine(dir, "emb");
        Assert.Equal(0, Run("embeddings", "--model", modelPath, "--out", outDir).Code);
        var (rows, columns, data) = ReadNpy(Path.Combine(outDir, "item_embeddings.npy"));
        Assert.Equal(25, rows);
        Assert.Equal(4 + 8 / 2, columns); // GMF factors, then half of the first MLP layer

        // Each row is the item's GMF embedding followed by its MLP embedding, as stored in the model file.
        float[] Stored(string name)
        {
            using var zip = System.IO.Compression.ZipFile.OpenRead(modelPath);
            var entry = zip.Entries.Single(e => e.FullName.EndsWith($"nn.{name}.npy", StringComparison.Ordinal));
            var file = Path.Combine(dir, name + ".npy");
            System.IO.Compression.ZipFileExtensions.ExtractToFile(entry, file, overwrite: true);
            return ReadNpy(file).Data;
        }
        var (gmf, mlp) = (Stored("gmf_item"), Stored("mlp_item"));
        for (int r = 0; r < rows; r++)
        {
            AssertRowsEqual(gmf.AsSpan(r * 4, 4), data.AsSpan(r * columns, 4));
            AssertRowsEqual(mlp.AsSpan(r * 4, 4), data.AsSpan(r * columns + 4, 4));
        }

        var trained = ModelOptions.Load(modelPath);
        Assert.False(Assert.IsAssignableFrom<IEmbeddingModel>(trained.Model).ScoresAreDotProducts); // no inner-product index for its top-K
        var similar = trained.Model.SimilarItems(0, 5);
        Assert.Equal(5, similar.Count);
        Assert.DoesNotContain(similar, s => s.Index == 0);
        Assert.Equal(similar.Select(s => s.Score).OrderByDescending(x => x), similar.Select(s => s.Score));
    }

    [Fact]
    public void A_model_without_embeddings_is_a_one_line_user_error_naming_the_models_that_have_them()
    {
        var (dir, modelPath) = Train("itemknn", "neighbours=5");
        var outDir = Path.Combine(dir, "emb");
        var (code, _, error) = Run("embeddings", "--model", modelPath, "--out", outDir);
        Assert.Equal(2, code);
        var line = Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("error: The itemknn model has no user/item embeddings.", line);
        Assert.Contains("als", line);
        Assert.Contains("bpr", line);
        Assert.DoesNotContain("itemknn,", line);
        Assert.False(Directory.Exists(outDir));
    }

    [Fact]
    public void An_unknown_format_is_a_user_error()
    {
        var (code, _, error) = Run("embeddings", "--model", "m.trove", "--out", "x", "--format", "parquet");
        Assert.Equal(2, code);
        Assert.StartsWith("error: ", error);
    }
}
