using System.Text.Json;
using Trove.Core.Data;
using Trove.Core.Errors;
using Trove.Core.Persistence;
using Trove.Models.Features;
using Trove.Onnx;
using Trove.Tests.Support;
using static Trove.Tests.Support.EncoderArchive;

namespace Trove.Tests.Content;

public class EncoderTests
{
    private static EncoderInput Input(FeatureTable t, int rows) => new(t, new IdMap(Enumerable.Range(0, rows).Select(i => $"i{i}")), "item");

    private static JsonElement Options(object o) => JsonSerializer.SerializeToElement(o);

    [Fact]
    public void OneHot_sets_one_slot_per_label_ordered_by_frequency()
    {
        var t = new FeatureTable();
        t.Categorical["genre"] = ["action|comedy", "comedy", null, "drama"];
        var enc = new OneHotEncoder(new EncoderSpec { Group = "categorical" });
        var input = Input(t, 4);
        enc.Fit(input);
        // comedy (2) first, then action, drama (1 each, alphabetical).
        Assert.Equal(["comedy", "action", "drama"], enc.Vocabulary[0]);
        Assert.Equal(3, enc.Dimensions);
        Assert.Equal([1f, 1f, 0f, 1f, 0f, 0f, 0f, 0f, 0f, 0f, 0f, 1f], enc.EncodeAll(input));
        var tokens = new int[4];
        Assert.Equal(2, enc.Tokens(input, 0, tokens));
        Assert.Equal([2, 1], tokens[..2]);

        var other = new FeatureTable();
        other.Categorical["genre"] = ["western|drama"];
        var loaded = RoundTrip(enc, () => new OneHotEncoder(new EncoderSpec()));
        Assert.Equal([0f, 0f, 1f], loaded.EncodeAll(Input(other, 1)));
    }

    [Fact]
    public void OneHot_max_categories_keeps_the_most_frequent()
    {
        var t = new FeatureTable();
        t.Categorical["c"] = ["a", "b", "b", "c", "c", "c"];
        var enc = new OneHotEncoder(new EncoderSpec { Group = "categorical", Options = Options(new { max_categories = 2 }) });
        enc.Fit(Input(t, 6));
        Assert.Equal(["c", "b"], enc.Vocabulary[0]);
    }

    [Fact]
    public void Standard_uses_training_mean_and_population_std()
    {
        var t = new FeatureTable();
        t.Numeric["price"] = [1f, 3f, float.NaN, 5f];
        t.Numeric["const"] = [2f, 2f, 2f, 2f];
        var enc = new StandardEncoder(new EncoderSpec { Group = "continuous" });
        var input = Input(t, 4);
        enc.Fit(input);
        // Columns sorted: const, price. price mean 3, std sqrt(8/3).
        float std = MathF.Sqrt(8f / 3f);
        var v = enc.EncodeAll(input);
        Assert.Equal(8, v.Length);
        Assert.Equal(0f, v[0]);
        Assert.Equal(-2f / std, v[1], 5);
        Assert.Equal(0f, v[3]);
        Assert.Equal(0f, v[5]); // missing -> mean
        Assert.Equal(2f / std, v[7], 5);
        var loaded = RoundTrip(enc, () => new StandardEncoder(new EncoderSpec()));
        Assert.Equal(v, loaded.EncodeAll(input));
    }

    [Fact]
    public void Standard_log_option_applies_log1p_first()
    {
        var t = new FeatureTable();
        t.Numeric["n"] = [0f, MathF.E - 1];
        var enc = new StandardEncoder(new EncoderSpec { Group = "continuous", Options = Options(new { log = true }) });
        enc.Fit(Input(t, 2));
        Assert.Equal(0.5f, enc.Mean[0], 5);
        Assert.Equal(0.5f, enc.Std[0], 5);
    }

    [Fact]
    public void Tfidf_matches_hand_computed_weights()
    {
        var t = new FeatureTable();
        t.Text["title"] = ["Red apple", "green APPLE", null];
        const int dims = 1 << 20;
        var enc = new TfidfEncoder(new EncoderSpec { Group = "text", Options = Options(new { dimensions = dims }) });
        var input = Input(t, 3);
        enc.Fit(input);
        int red = TfidfEncoder.Bucket("red", dims), apple = TfidfEncoder.Bucket("apple", dims), green = TfidfEncoder.Bucket("green", dims);
        Assert.Equal(3, new[] { red, apple, green }.Distinct().Count());
        // N = 3 rows; df(apple) = 2, df(red) = 1.
        double idfApple = Math.Log(4.0 / 3.0) + 1, idfRed = Math.Log(4.0 / 2.0) + 1;
        double norm = Math.Sqrt(idfApple * idfApple + idfRed * idfRed);
        var row = enc.EncodeRow(input, 0);
        Assert.Equal(idfRed / norm, row[red], 5);
        Assert.Equal(idfApple / norm, row[apple], 5);
        Assert.Equal(0f, row[green]);
        Assert.All(enc.EncodeRow(input, 2), x => Assert.Equal(0f, x));
        var loaded = RoundTrip(enc, () => new TfidfEncoder(new EncoderSpec()));
        Assert.Equal(row, loaded.EncodeRow(input, 0));
    }

    [Fact]
    public void Text_encoders_read_categorical_labels_as_words_and_refuse_other_groups()
    {
        // Last.fm's tags are a categorical column ("rock|indie"); with group categorical, tfidf reads them as the words
        // "rock, indie", exactly as it reads the same words in a text column (before, it encoded zeros without a word).
        var tags = new FeatureTable();
        tags.Categorical["tags"] = ["rock|indie", "jazz", null];
        var words = new FeatureTable();
        words.Text["tags"] = ["rock, indie", "jazz", null];
        var fromLabels = new TfidfEncoder(new EncoderSpec { Group = "categorical", Columns = ["tags"], Options = Options(new { dimensions = 4096 }) });
        var fromText = new TfidfEncoder(new EncoderSpec { Group = "text", Columns = ["tags"], Options = Options(new { dimensions = 4096 }) });
        fromLabels.Fit(Input(tags, 3)); fromText.Fit(Input(words, 3));
        for (int row = 0; row < 3; row++) Assert.Equal(fromText.EncodeRow(Input(words, 3), row), fromLabels.EncodeRow(Input(tags, 3), row));
        Assert.Contains(fromLabels.EncodeRow(Input(tags, 3), 0), x => x > 0);
        var loaded = RoundTrip(fromLabels, () => new TfidfEncoder(new EncoderSpec()));
        Assert.Equal(fromLabels.EncodeRow(Input(tags, 3), 0), loaded.EncodeRow(Input(tags, 3), 0)); // the group is saved

        var numbers = new FeatureTable();
        numbers.Numeric["year"] = [1999f];
        var e = Assert.Throws<TroveException>(() => new TfidfEncoder(new EncoderSpec { Group = "continuous" }).Fit(Input(numbers, 1)));
        Assert.Contains("group must be text or categorical", e.Message);
    }

    [Fact]
    public void Tfidf_bigrams_and_wordpiece_tokenizer()
    {
        var dir = TestPaths.NewTempDirectory();
        var vocab = Path.Combine(dir, "vocab.txt");
        File.WriteAllLines(vocab, ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "red", "apple", "##s"]);
        var t = new FeatureTable();
        t.Text["title"] = ["red apples"];
        const int dims = 1 << 20;
        var enc = new TfidfEncoder(new EncoderSpec { Group = "text", Options = Options(new { dimensions = dims, ngram_max = 2, tokenizer = "wordpiece", vocab }) });
        var input = Input(t, 1);
        enc.Fit(input);
        var row = enc.EncodeRow(input, 0);
        // WordPiece: red, apple, ##s; bigrams "red apple", "apple ##s": five terms with equal weight.
        foreach (var term in new[] { "red", "apple", "##s", "red apple", "apple ##s" })
            Assert.Equal(1 / MathF.Sqrt(5), row[TfidfEncoder.Bucket(term, dims)], 5);
    }

    [Fact]
    public void Pooled_sequences_hand_computed()
    {
        var t = new FeatureTable();
        t.Sequences["views"] = [[1f, 2f, 6f], [4f], null];
        var raw = new PooledSequenceEncoder(new EncoderSpec { Group = "temporal", Options = Options(new { pooling = new[] { "mean", "max", "last", "length" }, standardize = false }) });
        var input = Input(t, 3);
        raw.Fit(input);
        Assert.Equal([3f, 6f, 6f, MathF.Log(4), 4f, 4f, 4f, MathF.Log(2), 0f, 0f, 0f, 0f], raw.EncodeAll(input));

        var standard = new PooledSequenceEncoder(new EncoderSpec { Group = "temporal", Options = Options(new { pooling = new[] { "mean" } }) });
        standard.Fit(input);
        // Means 3 and 4 over the two rows with values: mean 3.5, std 0.5.
        Assert.Equal([-1f, 1f, 0f], standard.EncodeAll(input));
    }

    [Fact]
    public void Precomputed_reads_json_csv_and_npy_by_id()
    {
        var dir = TestPaths.NewTempDirectory();
        var ids = new IdMap(["a", "b", "c"]);
        var input = new EncoderInput(new FeatureTable(), ids, "item");
        var json = Path.Combine(dir, "v.json");
        File.WriteAllText(json, """{"a": [1, 2], "b": [3, 4], "zzz": [9, 9]}""");
        var csv = Path.Combine(dir, "v.csv");
        File.WriteAllText(csv, "id,x,y\na,1,2\nb,3,4\n");
        var list = Path.Combine(dir, "v2.json");
        File.WriteAllText(list, """[{"song_id": "a", "embedding": [1, 2]}, {"song_id": "b", "embedding": [3, 4]}]""");
        var npy = Path.Combine(dir, "v.npy");
        Npy.Write(npy, [3f, 4f, 1f, 2f], 2, 2);
        var npyIds = Path.Combine(dir, "ids.txt");
        File.WriteAllText(npyIds, "b\na\n");
        foreach (var options in new object[] { new { path = json }, new { path = csv }, new { path = list }, new { path = npy, ids = npyIds } })
        {
            var enc = new PrecomputedEncoder(new EncoderSpec { Encoder = "precomputed", Options = Options(options) });
            enc.Fit(input);
            Assert.Equal(2, enc.Dimensions);
            Assert.Equal([1f, 2f, 3f, 4f, 0f, 0f], enc.EncodeAll(input));
        }
        var normalised = new PrecomputedEncoder(new EncoderSpec { Options = Options(new { path = json, normalize = true }) });
        normalised.Fit(input);
        Assert.Equal(0.6f, normalised.EncodeRow(input, 1)[0], 5);
        var loaded = RoundTrip(normalised, () => new PrecomputedEncoder(new EncoderSpec()));
        Assert.Equal(normalised.EncodeAll(input), loaded.EncodeAll(input));

        var none = new PrecomputedEncoder(new EncoderSpec { Options = Options(new { path = json }) });
        Assert.Throws<TroveException>(() => none.Fit(new EncoderInput(new FeatureTable(), new IdMap(["x"]), "item")));
    }

    private sealed class LengthEncoder(EncoderSpec spec) : IFeatureEncoder
    {
        public int Dimensions => 1;
        public void Fit(EncoderInput input) { }
        public void Encode(EncoderInput input, ReadOnlySpan<int> rows, Span<float> output)
        {
            for (int r = 0; r < rows.Length; r++) output[r] = input.Table.Text[spec.Columns![0]][rows[r]]?.Length ?? 0;
        }
        public void Save(ModelArchiveWriter writer) { }
        public void Load(ModelArchiveReader reader) { }
    }

    [Fact]
    public void Registry_creates_defaults_and_custom_encoders_by_name()
    {
        var registry = new FeatureEncoderRegistry()
            .Register("onehot", "", s => new OneHotEncoder(s), "categorical")
            .Register("length", "text length", s => new LengthEncoder(s));
        Assert.IsType<OneHotEncoder>(registry.Create(new EncoderSpec { Group = "categorical" }));
        Assert.IsType<LengthEncoder>(registry.Create(new EncoderSpec { Encoder = "length", Group = "text" }));
        var e = Assert.Throws<TroveException>(() => registry.Create(new EncoderSpec { Encoder = "nope" }));
        Assert.Contains("length", e.Message);
        Assert.Equal("tfidf", FeatureEncoderRegistry.Default.DefaultEncoder("text"));

        // A pipeline with the custom encoder and a weighted block.
        var t = new FeatureTable();
        t.Text["title"] = ["abc", "abcdef"];
        t.Categorical["c"] = ["x", "y"];
        var pipeline = new FeaturePipeline([
            new EncoderSpec { Encoder = "length", Group = "text", Columns = ["title"] },
            new EncoderSpec { Group = "categorical", Weight = 4 }], registry);
        var input = Input(t, 2);
        pipeline.Fit(input);
        Assert.Equal(3, pipeline.Dimensions);
        // Each block normalised then scaled by sqrt(weight): length block -> 1, one-hot block -> 2.
        Assert.Equal([1f, 2f, 0f, 1f, 0f, 2f], pipeline.EncodeAll(input));
    }

    [Fact]
    public void Pipeline_keeps_the_magnitude_of_standardised_blocks()
    {
        // Prices 10, 20, 30 and 20.5: the 20.5 item is average-priced, so its price block must stay
        // near zero instead of being blown up to a unit vector (which would make it look as "expensive"
        // as the 30 item in cosine similarity). Standardised blocks are scaled by sqrt(weight / dimensions).
        var t = new FeatureTable();
        t.Numeric["price"] = [10f, 20f, 30f, 20.5f];
        t.Numeric["rating"] = [4f, 4f, 4f, 4f];
        t.Categorical["c"] = ["x", "x", "y", "y"];
        var pipeline = new FeaturePipeline([new EncoderSpec { Group = "continuous", Weight = 2 }, new EncoderSpec { Group = "categorical" }]);
        var input = Input(t, 4);
        pipeline.Fit(input);
        var v = pipeline.EncodeAll(input);
        int d = pipeline.Dimensions; // price, rating, x, y
        Assert.Equal(4, d);
        var price = (StandardEncoder)pipeline.Blocks[0].Encoder;
        float z(float x) => (x - price.Mean[0]) / price.Std[0];
        for (int row = 0; row < 4; row++)
        {
            Assert.Equal(z(t.Numeric["price"][row]) * MathF.Sqrt(2f / 2f), v[row * d], 5);
            Assert.Equal(0f, v[row * d + 1]);        // constant rating: standardised to 0
            Assert.Equal(1f, v[row * d + 2] + v[row * d + 3]); // the one-hot block is still unit length
        }
        Assert.InRange(MathF.Abs(v[3 * d]), 0f, 0.1f);
        Assert.True(v[2 * d] > 1f);
    }

    [Fact]
    public void Onnx_matmul_encoder_runs_a_hand_built_model()
    {
        var dir = TestPaths.NewTempDirectory();
        var path = Path.Combine(dir, "matmul.onnx");
        File.WriteAllBytes(path, OnnxModelBuilder.MatMul([1, 2, 3, 4, 5, 6], 3, 2));
        var t = new FeatureTable();
        t.Numeric["a"] = [1f, 0f];
        t.Numeric["b"] = [0f, 1f];
        t.Numeric["c"] = [2f, float.NaN];
        var enc = new OnnxEncoder(new EncoderSpec { Encoder = "onnx", Group = "continuous", Options = Options(new { path }) });
        var input = Input(t, 2);
        enc.Fit(input);
        Assert.Equal(2, enc.Dimensions);
        // [1,0,2] x W = [1+10, 2+12]; [0,1,0] x W = [3, 4].
        Assert.Equal([11f, 14f, 3f, 4f], enc.EncodeAll(input));
        var loaded = RoundTrip(enc, () => new OnnxEncoder(new EncoderSpec()));
        File.Delete(path); // the model bytes live in the archive
        Assert.Equal([11f, 14f, 3f, 4f], loaded.EncodeAll(input));
    }

    [Fact]
    public void Onnx_text_encoder_feeds_token_ids_and_mean_pools()
    {
        var dir = TestPaths.NewTempDirectory();
        var path = Path.Combine(dir, "embed.onnx");
        // Row t of the table is [t, 10t].
        int vocabulary = 8;
        var table = new float[vocabulary * 2];
        for (int i = 0; i < vocabulary; i++) { table[2 * i] = i; table[2 * i + 1] = 10 * i; }
        File.WriteAllBytes(path, OnnxModelBuilder.Embedding(table, vocabulary, 2));
        var vocab = Path.Combine(dir, "vocab.txt");
        File.WriteAllLines(vocab, ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "red", "apple", "green"]);
        var t = new FeatureTable();
        t.Text["title"] = ["red apple", "green", null];
        var enc = new OnnxEncoder(new EncoderSpec { Encoder = "onnx", Group = "text", Options = Options(new { path, tokenizer = "wordpiece", vocab, max_length = 4 }) });
        var input = Input(t, 3);
        enc.Fit(input);
        // red=5, apple=6 -> mean [5.5, 55]; green=7 -> [7, 70]; empty -> zeros (fully masked).
        Assert.Equal([5.5f, 55f, 7f, 70f, 0f, 0f], enc.EncodeAll(input));
    }

    [Fact]
    public void Onnx_image_encoder_reads_ppm_files()
    {
        var dir = TestPaths.NewTempDirectory();
        var path = Path.Combine(dir, "mean.onnx");
        File.WriteAllBytes(path, OnnxModelBuilder.ChannelMean(3, 2, 2));
        var image = Path.Combine(dir, "a.ppm");
        var pixels = new byte[] { 255, 0, 0, 255, 0, 0, 0, 0, 255, 0, 0, 255 }; // 2x2: two red, two blue
        File.WriteAllBytes(image, [.. System.Text.Encoding.ASCII.GetBytes("P6\n2 2\n255\n"), .. pixels]);
        var t = new FeatureTable();
        t.Images["photo"] = [image, null];
        var enc = new OnnxEncoder(new EncoderSpec { Encoder = "onnx", Group = "image", Options = Options(new { path }) });
        var input = Input(t, 2);
        enc.Fit(input);
        var v = enc.EncodeAll(input);
        Assert.Equal([0.5f, 0f, 0.5f, 0f, 0f, 0f], v);
    }

    [Fact]
    public void Onnx_errors_are_clear()
    {
        var t = new FeatureTable();
        t.Numeric["a"] = [1f];
        var missing = new OnnxEncoder(new EncoderSpec { Group = "continuous", Options = Options(new { path = "/nonexistent/model.onnx" }) });
        Assert.Contains("does not exist", Assert.Throws<TroveException>(() => missing.Fit(Input(t, 1))).Message);
        var dir = TestPaths.NewTempDirectory();
        var bad = Path.Combine(dir, "bad.onnx");
        File.WriteAllText(bad, "not a model");
        var garbage = new OnnxEncoder(new EncoderSpec { Group = "continuous", Options = Options(new { path = bad }) });
        Assert.Contains("cannot load", Assert.Throws<TroveException>(() => garbage.Fit(Input(t, 1))).Message);
    }

    [Fact]
    public void Onnx_comes_from_its_own_package_and_a_registry_without_it_says_where()
    {
        var bare = new FeatureEncoderRegistry();
        var unknown = Assert.Throws<TroveException>(() => bare.Create(new EncoderSpec { Encoder = "onnx", Group = "image" }));
        Assert.Contains("Trove.Onnx.OnnxEncoders.Register()", unknown.Message);
        var noDefault = Assert.Throws<TroveException>(() => bare.DefaultEncoder("image"));
        Assert.Contains("Trove.Onnx", noDefault.Message);
        Assert.Contains("Trove.Images", noDefault.Message);   // the pretrained image encoder is named first

        OnnxEncoders.Register(bare);
        Assert.Equal("onnx", bare.DefaultEncoder("image"));
        Assert.IsType<OnnxEncoder>(bare.Create(new EncoderSpec { Group = "image" }));
    }
}
