using System.Numerics.Tensors;
using Trove.Core.Data;
using Trove.Core.Persistence;
using Trove.Models.Features;
using Trove.Semantic;
using Trove.Tests.Support;

namespace Trove.Tests.Search;

/// <summary>The pretrained "minilm" encoder: registered by name, paraphrases close, every distinct text encoded once.</summary>
// Not in parallel with other classes: one test counts the process-wide cache misses, which another class encoding at the same time would change.
[Collection(AloneCollection.Name)]
public class MiniLmEncoderTests
{
    private static EncoderInput Input(params string?[] titles)
    {
        var t = new FeatureTable();
        t.Text["title"] = titles;
        return new EncoderInput(t, new IdMap(Enumerable.Range(0, titles.Length).Select(i => $"i{i}")), "item");
    }

    private static float Cosine(float[] all, int a, int b, int d) => TensorPrimitives.Dot(all.AsSpan(a * d, d), all.AsSpan(b * d, d));

    [Fact]
    public void Minilm_is_created_by_name_and_puts_a_paraphrase_nearer_than_an_unrelated_text()
    {
        var encoder = FeatureEncoderRegistry.Default.Create(new EncoderSpec { Encoder = "minilm", Group = "text" });
        var input = Input("a hilarious comedy that makes you laugh", "a very funny film", "a spaceship battle in outer space", null);
        encoder.Fit(input);
        Assert.Equal(384, encoder.Dimensions);
        var v = encoder.EncodeAll(input);
        Assert.Equal(1f, TensorPrimitives.Norm(v.AsSpan(0, 384)), 3);
        Assert.True(Cosine(v, 0, 1, 384) > Cosine(v, 0, 2, 384) + 0.1f, $"paraphrase {Cosine(v, 0, 1, 384)} vs unrelated {Cosine(v, 0, 2, 384)}");
        Assert.All(v.AsSpan(3 * 384, 384).ToArray(), x => Assert.Equal(0f, x)); // no text: zeros
    }

    [Fact]
    public void Each_distinct_text_is_encoded_once_and_a_loaded_encoder_gives_the_same_vectors()
    {
        var text = $"a quiet documentary about bees {Guid.NewGuid():N}";
        var encoder = new MiniLmEncoder(new EncoderSpec { Encoder = "minilm", Group = "text" });
        var input = Input(text, text, text);
        encoder.Fit(input);
        long before = SentenceEmbeddings.Encoded;
        var first = encoder.EncodeAll(input);
        Assert.Equal(1, SentenceEmbeddings.Encoded - before); // three rows, one distinct text

        var loaded = EncoderArchive.RoundTrip(encoder, () => new MiniLmEncoder(new EncoderSpec()));
        Assert.Equal(first, loaded.EncodeAll(input));
        Assert.Equal(1, SentenceEmbeddings.Encoded - before); // answered from the cache
    }

    [Fact]
    public void A_categorical_column_is_embedded_as_its_labels_in_words_and_the_group_survives_saving()
    {
        var tags = new FeatureTable();
        tags.Categorical["tags"] = ["hip-hop|rap", null];
        var input = new EncoderInput(tags, new IdMap(["a", "b"]), "item");
        var encoder = new MiniLmEncoder(new EncoderSpec { Encoder = "minilm", Group = "categorical", Columns = ["tags"] });
        encoder.Fit(input);
        var v = encoder.EncodeAll(input);
        Assert.Equal(SentenceEmbeddings.Encode(["hip-hop, rap"], 1, 1)["hip-hop, rap"], v.AsSpan(0, 384).ToArray()); // the labels as the words "hip-hop, rap"
        Assert.All(v.AsSpan(384, 384).ToArray(), x => Assert.Equal(0f, x)); // no labels: zeros

        var loaded = EncoderArchive.RoundTrip(encoder, () => new MiniLmEncoder(new EncoderSpec()));
        Assert.Equal(v, loaded.EncodeAll(input));
    }

    [Fact]
    public void Without_registration_the_error_names_the_package()
    {
        var message = new FeatureEncoderRegistry().UnknownEncoder("minilm");
        Assert.Contains("Trove.Semantic", message);
        Assert.Contains("SemanticEncoders.Register()", message);
    }
}
