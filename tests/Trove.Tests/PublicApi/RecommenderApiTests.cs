using Trove.Core.Errors;
using Trove.Models.Factorization;
using Trove.Tests.Support;

namespace Trove.Tests.PublicApi;

/// <summary>The public API a newcomer uses: your own string ids end to end, through the contract, for any algorithm.</summary>
public class RecommenderApiTests
{
    /// <summary>Two tastes: "a" users buy items a0..a19, "b" users buy b0..b19; each user buys a random half of their side.</summary>
    private static InteractionData TwoTastes()
    {
        var rng = new Random(3);
        var events = new List<Interaction>();
        foreach (var side in new[] { "a", "b" })
            for (int u = 0; u < 40; u++)
                for (int i = 0; i < 20; i++)
                    if (rng.NextDouble() < 0.5) events.Add(new Interaction($"{side}-user{u}", $"{side}{i}", EventType: i % 3 == 0 ? "purchase" : "view"));
        return InteractionData.FromInteractions(events);
    }

    [Theory]
    [InlineData("als")] [InlineData("ease")] [InlineData("itemknn")] [InlineData("rp3beta")] [InlineData("bpr")] [InlineData("popularity")]
    public async Task Train_evaluate_save_load_and_recommend_by_user_id(string algorithm)
    {
        var data = TwoTastes();
        var split = data.SplitHoldout(0.2, seed: 1);
        var model = Recommender.Create(algorithm);
        await model.TrainAsync(split.Train);
        var metrics = model.Evaluate(split);
        Assert.InRange(metrics["ndcg@10"], 0.0, 1.0);
        Assert.Contains("recall@20", metrics.Keys);

        await model.TrainAsync(data);
        var path = Path.Combine(TestPaths.NewTempDirectory(), algorithm + ".trove");
        await model.SaveAsync(path);
        Assert.StartsWith(algorithm + "-", model.ModelVersion);
        var loaded = await Recommender.LoadAsync(path);
        Assert.Equal(model.ModelVersion, loaded.ModelVersion);

        var recommended = loaded.Recommend("a-user3", 5);
        Assert.Equal(model.Recommend("a-user3", 5), recommended);
        Assert.Equal(5, recommended.Count);
        var seen = data.Dataset.UserItems.RowIndices(data.Dataset.Users.IndexOf("a-user3")).ToArray().Select(i => data.ItemIds[i]).ToHashSet();
        Assert.DoesNotContain(recommended, r => seen.Contains(r.Id));
        if (algorithm != "popularity") Assert.All(recommended, r => Assert.StartsWith("a", r.Id));
    }

    [Fact]
    public void Ids_the_model_does_not_know_and_untrained_models_have_their_own_exceptions()
    {
        var model = Recommender.Create("itemknn");
        var notTrained = Assert.Throws<ModelNotFittedException>(() => model.Recommend("a-user1"));
        Assert.Contains("not trained", notTrained.Message);
        model.Train(TwoTastes());
        var user = Assert.Throws<UnknownUserException>(() => model.Recommend("nobody"));
        Assert.Equal("nobody", user.UserId);
        var item = Assert.Throws<UnknownItemException>(() => model.SimilarItems("z9"));
        Assert.Equal("z9", item.ItemId);
        Assert.IsAssignableFrom<TroveException>(item);
        Assert.Throws<ArgumentOutOfRangeException>(() => model.Recommend("a-user1", 0));
    }

    [Fact]
    public void Typed_parameters_and_named_parameters_create_the_same_algorithm()
    {
        var typed = Recommender.Create(new AlsParameters { Factors = 8, Iterations = 3 });
        var named = Recommender.Create("als", new Dictionary<string, string> { ["factors"] = "8", ["iterations"] = "3" });
        Assert.Equal("als", typed.Algorithm);
        Assert.Equal(typed.Parameters, named.Parameters);
        var data = TwoTastes();
        typed.Train(data, new TrainOptions { Seed = 4 }); named.Train(data, new TrainOptions { Seed = 4 });
        Assert.Equal(typed.Recommend("b-user2"), named.Recommend("b-user2"));
        Assert.Equal(8, typed.UserEmbedding("b-user2").Length);
        Assert.Equal(8, typed.ItemEmbedding("b3").Length);

        var bad = Assert.Throws<TroveException>(() => Recommender.Create("als", new Dictionary<string, string> { ["factorz"] = "8" }));
        Assert.Contains("factorz", bad.Message);
        Assert.Throws<TroveException>(() => Recommender.Create("nosuchmodel"));
        var noEmbeddings = Assert.Throws<TroveException>(() => { var m = Recommender.Create("itemknn"); m.Train(data); m.UserEmbedding("a-user1"); });
        Assert.Contains("als", noEmbeddings.Message);
    }

    [Theory]
    [InlineData("als")] [InlineData("ease")] [InlineData("itemknn")] [InlineData("rp3beta")]
    public void A_new_users_history_gets_recommendations_of_its_taste(string algorithm)
    {
        var model = Recommender.Create(algorithm);
        model.Train(TwoTastes());
        var history = new[] { new HistoryEvent("b1"), new HistoryEvent("b2", 2f), new HistoryEvent("b5", EventType: "purchase"), new HistoryEvent("never-seen-item") };
        var recommended = model.RecommendForHistory(history, 5);
        Assert.Equal(5, recommended.Count);
        Assert.All(recommended, r => Assert.StartsWith("b", r.Id));
        Assert.DoesNotContain(recommended, r => r.Id is "b1" or "b2" or "b5");

        var allowed = model.RecommendForHistory(history, 3, new RecommendOptions { AllowOnly = ["a1", "a2", "b7"] });
        Assert.Equal(["b7", "a1", "a2"], allowed.Select(r => r.Id).OrderBy(id => id[0] == 'b' ? 0 : 1).ThenBy(id => id).ToArray());
        Assert.Equal("b7", allowed[0].Id);
    }

    [Fact]
    public void Filters_and_scores_use_item_ids()
    {
        var model = Recommender.Create("ease");
        model.Train(TwoTastes());
        var top = model.Recommend("a-user5", 3);
        var without = model.Recommend("a-user5", 3, new RecommendOptions { Exclude = [top[0].Id] });
        Assert.DoesNotContain(without, r => r.Id == top[0].Id);
        var scores = model.Score("a-user5", [top[0].Id, "b0"]);
        Assert.Equal(top[0].Score, scores[0], 5);
        Assert.True(scores[0] > scores[1]);
        Assert.Equal(4, model.SimilarItems("a3", 4).Count);
    }

    [Fact]
    public void Models_without_history_scoring_say_which_have_it()
    {
        var model = Recommender.Create("popularity");
        model.Train(TwoTastes());
        var e = Assert.Throws<TroveException>(() => model.RecommendForHistory([new HistoryEvent("a1")]));
        Assert.Contains("itemknn", e.Message);
        Assert.Contains("ease", e.Message);
    }

    [Fact]
    public async Task Training_reports_progress_and_stops_when_cancelled()
    {
        var steps = new List<TrainingProgress>();
        var model = Recommender.Create("als", new Dictionary<string, string> { ["iterations"] = "3" });
        model.Train(TwoTastes(), new TrainOptions { Progress = new Collect(steps) });
        Assert.NotEmpty(steps);
        Assert.Contains(steps, s => s.Done == s.Total && s.Total > 0);

        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Recommender.Create("als").TrainAsync(TwoTastes(), cancellationToken: cancelled.Token));
    }

    [Fact]
    public async Task Loading_data_reads_a_csv_with_the_users_ids()
    {
        var path = Path.Combine(TestPaths.NewTempDirectory(), "events.csv");
        await File.WriteAllTextAsync(path, "user,item,score\nalice,book,5\nalice,pen,3\nbob,book,4\n");
        var data = await InteractionData.LoadAsync(path);
        Assert.Equal(2, data.UserCount);
        Assert.Equal(["book", "pen"], data.ItemIds.Order().ToArray());
        Assert.Equal(3, data.InteractionCount);
    }

    /// <summary>Progress&lt;T&gt; posts to the thread pool; this collects synchronously so the test sees every report.</summary>
    private sealed class Collect(List<TrainingProgress> into) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value) { lock (into) into.Add(value); }
    }
}
