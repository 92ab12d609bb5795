using System.Numerics.Tensors;
using System.Text;
using Trove.Core.Data;
using Trove.Core.Recommending;
using Trove.Core.Training;
using Trove.Data.Formats;
using Trove.Models;
using Trove.Models.Content;

namespace Trove.Tests.Content;

/// <summary>
/// The seed's profile model: user_vector = sum(event_weight x item_vector) with the seed's event weights, scored by
/// dot product, so its top-K is what an inner-product search over the item vectors returns.
/// </summary>
public class ProfileModelTests
{
    private static readonly (string User, string Item, string Event)[] Events =
    [
        ("u1", "laptop", "view"), ("u1", "laptop", "purchase"), ("u1", "mouse", "add_to_cart"), ("u1", "novel", "view"),
        ("u2", "novel", "purchase"), ("u2", "cookbook", "rating"), ("u2", "mouse", "view"),
        ("u3", "tablet", "view"),
    ];

    private static Dataset Data()
    {
        var items = new[] { ("laptop", "electronics", "Dell laptop with a fast processor"), ("tablet", "electronics", "Android tablet with a large screen"),
            ("mouse", "electronics", "wireless mouse"), ("novel", "books", "a crime novel set in Oslo"), ("cookbook", "books", "Italian cooking at home"),
            ("atlas", "books", "a world atlas") };
        var json = new StringBuilder("{\"item_data\": [");
        json.AppendJoin(",", items.Select(i => $"{{\"item_id\": \"{i.Item1}\", \"categorical\": {{\"category\": \"{i.Item2}\"}}, \"text\": {{\"title\": \"{i.Item3}\"}}}}"));
        json.Append("], \"interactions\": [");
        json.AppendJoin(",", Events.Select(e => $"{{\"user_id\": \"{e.User}\", \"item_id\": \"{e.Item}\", \"interaction_type\": \"{e.Event}\"}}"));
        json.Append("]}");
        return UniversalJsonReader.ReadWithSchema(new MemoryStream(Encoding.UTF8.GetBytes(json.ToString())), "profile.json").Dataset;
    }

    /// <summary>The seed's weights, written out here rather than read from Trove, so the test checks them.</summary>
    private static readonly Dictionary<string, float> SeedWeights = new() { ["view"] = 0.1f, ["add_to_cart"] = 0.3f, ["purchase"] = 0.6f, ["rating"] = 0.2f };

    [Fact]
    public void A_user_vector_is_the_event_weighted_sum_of_item_vectors_and_scores_are_dot_products()
    {
        var data = Data();
        var model = (Profile)BuiltInAlgorithms.Registry.Create("profile");
        model.Fit(data, new FitContext { Seed = 1 });
        int d = model.Dimensions;
        Assert.True(d > 0);

        foreach (var user in new[] { "u1", "u2", "u3" })
        {
            // Scalar reference: one term per event, in the order the events happened.
            var expected = new double[d];
            foreach (var e in Events.Where(e => e.User == user))
            {
                var v = model.ItemVector(data.Items.IndexOf(e.Item));
                for (int j = 0; j < d; j++) expected[j] += SeedWeights[e.Event] * v[j];
            }
            var actual = model.UserVector(data.Users.IndexOf(user));
            for (int j = 0; j < d; j++) Assert.Equal(expected[j], actual[j], 5);

            var scores = new float[data.ItemCount];
            model.ScoreAllItems(data.Users.IndexOf(user), scores);
            for (int i = 0; i < data.ItemCount; i++)
                Assert.Equal(TensorPrimitives.Dot(actual, model.ItemVector(i)), scores[i], 5);
        }
        Assert.True(((IEmbeddingModel)model).ScoresAreDotProducts);

        // u1 bought electronics: the unseen electronics item (tablet) comes before the unseen books.
        var top = model.Recommend(data.Users.IndexOf("u1"), 3);
        Assert.Equal("tablet", data.Items[top[0].Index]);
    }

    [Fact]
    public void A_new_history_is_folded_in_the_same_way()
    {
        var data = Data();
        var model = new Profile();
        model.Fit(data, new FitContext { Seed = 1 });
        int u1 = data.Users.IndexOf("u1");
        var row = data.UserItems;
        var folded = model.EmbedHistory(row.RowIndices(u1), row.RowValues(u1));
        Assert.Equal(model.UserVector(u1).ToArray(), folded);

        int cookbook = data.Items.IndexOf("cookbook");
        var scores = new float[data.ItemCount];
        model.ScoreHistory([cookbook], [0.6f], scores);
        for (int i = 0; i < data.ItemCount; i++)
            Assert.Equal(0.6f * TensorPrimitives.Dot(model.ItemVector(cookbook), model.ItemVector(i)), scores[i], 5);
    }
}
