using Trove.Core.Persistence;
using Trove.Core.Training;
using Trove.Models;
using Trove.Models.Factorization;
using Trove.Tests.Support;

namespace Trove.Tests.Models;

/// <summary>
/// ALS and BPR keep their factors in row-aligned chunks past one array (more than 33.5M users or items at 64 factors).
/// Here the chunks are forced small (a few rows each) so training, scoring, fold-in and save/load run through many
/// chunks on small data, against the same model in one chunk.
/// </summary>
public sealed class FactorChunkTests
{
    private static readonly Trove.Core.Data.Dataset Data = ToyData.Random(90, 70, 12, 5);
    private const long SmallChunk = 100; // 12 rows of 8 factors per chunk: 8 user chunks, 6 item chunks

    private static Als TrainAls(AlsSolver solver, long chunkCapacity)
    {
        var als = new Als(new AlsParameters { Factors = 8, Iterations = 4, Solver = solver, BinaryWeights = false }) { FactorChunkCapacity = chunkCapacity };
        als.Fit(Data, new FitContext { Seed = 9, Threads = 1 });
        return als;
    }

    [Theory]
    [InlineData(AlsSolver.ConjugateGradient)]
    [InlineData(AlsSolver.Cholesky)]
    public void Als_trained_in_many_chunks_gives_the_factors_and_rankings_of_one_chunk(AlsSolver solver)
    {
        var whole = TrainAls(solver, Trove.Numerics.Dense.RowChunkedMatrix.DefaultCapacity);
        var chunked = TrainAls(solver, SmallChunk);
        Assert.Equal(1, whole.UserFactors.ChunkCount);
        Assert.True(chunked.UserFactors.ChunkCount >= 7 && chunked.ItemFactors.ChunkCount >= 5,
            $"{chunked.UserFactors.ChunkCount} user chunks, {chunked.ItemFactors.ChunkCount} item chunks");
        // The row solves are the same arithmetic; only the Gram matrix is summed chunk by chunk (other rounding), so the
        // factors agree to float precision rather than to the bit.
        var a = whole.UserFactors.ToArray(); var b = chunked.UserFactors.ToArray();
        for (int i = 0; i < a.Length; i++) Assert.Equal(a[i], b[i], 1e-5f);
        a = whole.ItemFactors.ToArray(); b = chunked.ItemFactors.ToArray();
        for (int i = 0; i < a.Length; i++) Assert.Equal(a[i], b[i], 1e-5f);
        for (int u = 0; u < Data.UserCount; u++)
            Assert.Equal(whole.Recommend(u, 10).Select(s => s.Index), chunked.Recommend(u, 10).Select(s => s.Index));
        var ui = Data.UserItems;
        var foldedWhole = whole.FoldIn(ui.RowIndices(4), ui.RowValues(4));
        var foldedChunked = chunked.FoldIn(ui.RowIndices(4), ui.RowValues(4));
        for (int d = 0; d < foldedWhole.Length; d++) Assert.Equal(foldedWhole[d], foldedChunked[d], 1e-5f);
    }

    [Fact]
    public void Als_with_the_same_gram_solves_every_row_to_the_same_bits_in_many_chunks()
    {
        // One iteration from the same initial factors: the user step uses the Gram of the initial item factors. With
        // one item chunk that Gram is the one-chunk product, so the users (solved in 8 chunks) must match to the bit.
        var p = new AlsParameters { Factors = 8, Iterations = 1, Solver = AlsSolver.Cholesky, BinaryWeights = false };
        var whole = new Als(p);
        var chunked = new Als(p) { FactorChunkCapacity = 8 * 80 }; // 80 rows per chunk: items (70) in one, users (90) in two
        whole.Fit(Data, new FitContext { Seed = 3, Threads = 1 });
        chunked.Fit(Data, new FitContext { Seed = 3, Threads = 1 });
        Assert.Equal(2, chunked.UserFactors.ChunkCount);
        Assert.Equal(1, chunked.ItemFactors.ChunkCount);
        Assert.Equal(whole.UserFactors.ToArray(), chunked.UserFactors.ToArray());
    }

    [Fact]
    public void Bpr_trained_in_many_chunks_with_one_thread_is_bit_identical_to_one_chunk()
    {
        var p = new BprParameters { Factors = 7, Epochs = 5, ItemBias = true }; // 8 dimensions with the bias
        var whole = new Bpr(p);
        var chunked = new Bpr(p) { FactorChunkCapacity = 40 }; // 5 rows per chunk
        whole.Fit(Data, new FitContext { Seed = 4, Threads = 1 });
        chunked.Fit(Data, new FitContext { Seed = 4, Threads = 1 });
        var s1 = new float[Data.ItemCount]; var s2 = new float[Data.ItemCount];
        for (int u = 0; u < Data.UserCount; u++)
        {
            Assert.Equal(whole.UserVector(u).ToArray(), chunked.UserVector(u).ToArray());
            whole.ScoreAllItems(u, s1); chunked.ScoreAllItems(u, s2);
            Assert.Equal(s1, s2);
        }
        for (int i = 0; i < Data.ItemCount; i++) Assert.Equal(whole.ItemVector(i).ToArray(), chunked.ItemVector(i).ToArray());
    }

    [Fact]
    public void A_model_trained_in_many_chunks_saves_the_one_array_format_and_loads_into_one_chunk_or_many()
    {
        var chunked = TrainAls(AlsSolver.ConjugateGradient, SmallChunk);
        var dir = TestPaths.NewTempDirectory();
        var path = Path.Combine(dir, "als.trove");
        ModelFile.Save(path, chunked, Data);

        // The file holds the (users, factors) array a one-array writer writes: older readers see no difference.
        using (var stream = File.OpenRead(path))
        using (var reader = new ModelArchiveReader(stream, path))
        {
            Assert.Equal(chunked.UserFactors.ToArray(), reader.ReadFloats("user_factors"));
            Assert.Equal(chunked.ItemFactors.ToArray(), reader.ReadFloats("item_factors"));
            var again = new Als(chunked.Params) { FactorChunkCapacity = 24 }; // 3 rows per chunk
            again.LoadState(reader);
            Assert.True(again.UserFactors.ChunkCount >= 30);
            AssertSameScores(chunked, again);
        }
        var loaded = ModelFile.Load(path, BuiltInAlgorithms.Registry).Model;
        Assert.Equal(1, ((Als)loaded).UserFactors.ChunkCount);
        AssertSameScores(chunked, loaded);
    }

    [Fact]
    public void Model_state_written_as_one_array_by_earlier_versions_loads_into_chunks()
    {
        // Earlier versions wrote each side with WriteArray(name, floats, rows, factors); that state must still load.
        var als = TrainAls(AlsSolver.Cholesky, Trove.Numerics.Dense.RowChunkedMatrix.DefaultCapacity);
        using var ms = new MemoryStream();
        using (var w = new ModelArchiveWriter(ms))
        {
            w.WriteCsr("train", Data.UserItems);
            w.WriteArray("user_factors", als.UserFactors.ToArray(), Data.UserCount, 8);
            w.WriteArray("item_factors", als.ItemFactors.ToArray(), Data.ItemCount, 8);
        }
        ms.Position = 0;
        using var reader = new ModelArchiveReader(ms, "old.trove");
        var loaded = new Als(als.Params) { FactorChunkCapacity = SmallChunk };
        loaded.LoadState(reader);
        Assert.True(loaded.ItemFactors.ChunkCount > 1);
        AssertSameScores(als, loaded);
    }

    [Fact]
    public void A_bpr_model_in_many_chunks_round_trips_through_a_model_file()
    {
        var bpr = new Bpr(new BprParameters { Factors = 7, Epochs = 3 }) { FactorChunkCapacity = 40 };
        bpr.Fit(Data, new FitContext { Seed = 2, Threads = 1 });
        var path = Path.Combine(TestPaths.NewTempDirectory(), "bpr.trove");
        ModelFile.Save(path, bpr, Data);
        AssertSameScores(bpr, ModelFile.Load(path, BuiltInAlgorithms.Registry).Model);
    }

    [Fact]
    public void A_factor_entry_of_the_wrong_size_is_a_one_line_error_naming_the_entry()
    {
        var als = TrainAls(AlsSolver.ConjugateGradient, SmallChunk);
        using var ms = new MemoryStream();
        using (var w = new ModelArchiveWriter(ms)) w.WriteMatrix("user_factors", als.UserFactors);
        ms.Position = 0;
        using var reader = new ModelArchiveReader(ms, "model.trove");
        var e = Assert.Throws<Trove.Core.Errors.TroveException>(() => reader.ReadMatrix("user_factors", Data.UserCount + 1, 8));
        Assert.Equal($"model.trove: entry user_factors.npy has {Data.UserCount * 8} values, expected {Data.UserCount + 1} x 8 = {(Data.UserCount + 1) * 8}.", e.Message);
    }

    private static void AssertSameScores(Trove.Core.Recommending.IRecommender expected, Trove.Core.Recommending.IRecommender actual)
    {
        var s1 = new float[Data.ItemCount]; var s2 = new float[Data.ItemCount];
        for (int u = 0; u < Data.UserCount; u++)
        {
            expected.ScoreAllItems(u, s1); actual.ScoreAllItems(u, s2);
            Assert.Equal(s1, s2);
        }
    }
}
