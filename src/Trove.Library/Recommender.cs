using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Trove.Core.Algorithms;
using Trove.Core.Data;
using Trove.Core.Errors;
using Trove.Core.Persistence;
using Trove.Core.Recommending;
using Trove.Core.Training;
using Trove.Evaluation;
using Trove.Models;

namespace Trove;

/// <summary>An item (or user) in your ids with its score, best first.</summary>
/// <param name="Id">Your item (or user) id.</param>
/// <param name="Score">The model's score: higher is better; only the order is comparable across users.</param>
public readonly record struct Recommendation(string Id, float Score);

/// <summary>One event of a history given at request time (a new user, or events after training).</summary>
/// <param name="ItemId">Your item id; ids the model never saw are ignored.</param>
/// <param name="Weight">Strength (a rating, a count); 1 when you have none.</param>
/// <param name="EventType">view, add_to_cart, purchase, rating...; its weight multiplies <paramref name="Weight"/>.</param>
public sealed record HistoryEvent(string ItemId, float Weight = 1f, string? EventType = null);

/// <summary>What a recommendation may contain.</summary>
public sealed record RecommendOptions
{
    /// <summary>Leave out items the user interacted with in training (default true).</summary>
    public bool ExcludeSeen { get; init; } = true;

    /// <summary>Item ids never to return (unknown ids are ignored).</summary>
    public IReadOnlyCollection<string>? Exclude { get; init; }

    /// <summary>When set, only these item ids may be returned (unknown ids are ignored).</summary>
    public IReadOnlyCollection<string>? AllowOnly { get; init; }
}

/// <summary>How to train: seed, threads, progress, logging.</summary>
public sealed record TrainOptions
{
    /// <summary>Seed for every random choice: the same seed and data give the same model.</summary>
    public int Seed { get; init; } = 42;

    /// <summary>Worker threads (default: every core).</summary>
    public int Threads { get; init; } = Environment.ProcessorCount;

    /// <summary>Receives a report for every progress step of training (epoch, loss, share done).</summary>
    public IProgress<TrainingProgress>? Progress { get; init; }

    /// <summary>Receives progress lines and notes at Information level.</summary>
    public ILogger? Logger { get; init; }
}

/// <summary>A progress report from training.</summary>
/// <param name="Step">What is running, e.g. "als iterations".</param>
/// <param name="Done">Units done.</param>
/// <param name="Total">Units in all.</param>
/// <param name="Status">Extra status, e.g. "loss 0.41", or null.</param>
public sealed record TrainingProgress(string Step, long Done, long Total, string? Status);

/// <summary>The model has not been trained (or loaded) yet.</summary>
public sealed class ModelNotFittedException(string algorithm)
    : TroveException($"The {algorithm} model is not trained: call Train or TrainAsync first, or load a model file with Recommender.LoadAsync.");

/// <summary>A user id the model does not know.</summary>
public sealed class UnknownUserException(string userId)
    : TroveException($"Unknown user '{userId}': the model was not trained with this user. Use RecommendForHistory for users the model has not seen.")
{
    /// <summary>The id that was asked for.</summary>
    public string UserId { get; } = userId;
}

/// <summary>An item id the model does not know.</summary>
public sealed class UnknownItemException(string itemId)
    : TroveException($"Unknown item '{itemId}': the model was not trained with this item.")
{
    /// <summary>The id that was asked for.</summary>
    public string ItemId { get; } = itemId;
}

/// <summary>
/// A recommender in your own ids: create one by algorithm name (see <see cref="Algorithms"/>) or typed parameters,
/// train it, evaluate it, save and load it, and ask it for recommendations, similar items and users, scores and
/// embeddings. Everything goes through the algorithm contract, so every algorithm works the same way; what an
/// algorithm cannot do (e.g. embeddings of a neighbourhood model) is a clear <see cref="TroveException"/>.
/// Reading methods are safe to call from several threads once the model is trained or loaded.
/// </summary>
public sealed class Recommender
{
    private static readonly ModelRegistry Registry = BuiltInAlgorithms.Registry;

    private IdMap? _users;
    private IdMap? _items;

    private Recommender(IRecommender model) => Model = model;

    /// <summary>The algorithm behind this recommender (the contract), for the lower-level packages.</summary>
    public IRecommender Model { get; private set; }

    /// <summary>Registered algorithm name, e.g. "als".</summary>
    public string Algorithm => Model.Algorithm;

    /// <summary>The parameters record of the algorithm.</summary>
    public object Parameters => Model.Parameters;

    /// <summary>True once trained or loaded.</summary>
    public bool IsTrained => _users is not null;

    /// <summary>The version of the saved or loaded model file (algorithm, time, data fingerprint), or null before one is saved or loaded.</summary>
    public string? ModelVersion { get; private set; }

    /// <summary>The algorithms available, with a one-line description each.</summary>
    public static IReadOnlyList<(string Name, string Description)> Algorithms => Registry.Algorithms.ToList();

    /// <summary>
    /// A recommender for a registered algorithm with parameters given as strings (as on the command line,
    /// e.g. <c>["factors"] = "128"</c>). An unknown algorithm, an unknown parameter name or a value of the wrong
    /// type is a <see cref="TroveException"/> naming it.
    /// </summary>
    public static Recommender Create(string algorithm, IReadOnlyDictionary<string, string>? parameters = null) =>
        new(Registry.Create(algorithm, parameters));

    /// <summary>A recommender from a typed parameters record, e.g. <c>new AlsParameters { Factors = 128 }</c>.</summary>
    public static Recommender Create(object parameters) => new(Registry.Create(parameters));

    /// <summary>Trains on <paramref name="data"/> (replacing what was learned before).</summary>
    public void Train(InteractionData data, TrainOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(data);
        options ??= new TrainOptions();
        var logger = options.Logger ?? NullLogger.Instance;
        var watch = Stopwatch.StartNew();
        Model.Fit(data.Dataset, new FitContext
        {
            Seed = options.Seed,
            Threads = Math.Max(1, options.Threads),
            Cancellation = cancellationToken,
            Progress = new ProgressBridge(options.Progress, logger),
        });
        _users = data.Dataset.Users;
        _items = data.Dataset.Items;
        TrainedOn = data.Dataset;
        TrainingSeconds = watch.Elapsed.TotalSeconds;
        ModelVersion = null;
        logger.LogInformation("{Algorithm}: trained on {Users} users, {Items} items, {Interactions} interactions in {Seconds:F1} s",
            Algorithm, data.UserCount, data.ItemCount, data.InteractionCount, TrainingSeconds);
    }

    /// <summary>Trains on a worker thread; <paramref name="cancellationToken"/> stops training between steps.</summary>
    public Task TrainAsync(InteractionData data, TrainOptions? options = null, CancellationToken cancellationToken = default) =>
        Task.Run(() => Train(data, options, cancellationToken), cancellationToken);

    private Dataset? TrainedOn { get; set; }

    private double TrainingSeconds { get; set; }

    /// <summary>
    /// Ranking metrics on the held-out part of <paramref name="split"/> (the model must have been trained on
    /// <see cref="HoldoutSplit.Train"/>): hr, ndcg, recall, precision, map at each K, mrr and auc, by name
    /// (e.g. <c>"ndcg@10"</c>).
    /// </summary>
    public IReadOnlyDictionary<string, double> Evaluate(HoldoutSplit split, IReadOnlyList<int>? ks = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(split);
        EnsureTrained();
        if (TrainedOn is not null && TrainedOn.Interactions.Count != split.Split.Train.Interactions.Count)
            throw new TroveException("Evaluate needs a model trained on the split's Train data (it was trained on other data).");
        var result = Evaluator.Evaluate(Model, split.Split.Test, new EvaluationOptions
        {
            Ks = ks ?? Trove.Evaluation.Metrics.MetricNames.DefaultKs,
            Cancellation = cancellationToken,
        });
        return result.Metrics;
    }

    /// <summary>Saves the model with its ids and parameters to <paramref name="path"/> (written atomically, checksummed).</summary>
    public Task SaveAsync(string path, CancellationToken cancellationToken = default)
    {
        EnsureTrained();
        if (TrainedOn is null) throw new TroveException($"This {Algorithm} model was loaded from a file; copy that file instead of saving it again.");
        return Task.Run(() => { ModelVersion = ModelFile.Save(path, Model, TrainedOn, TrainingSeconds).Manifest.ModelVersion; }, cancellationToken);
    }

    /// <summary>Loads a model file written by <see cref="SaveAsync"/> or <c>trove train</c> (checksums verified).</summary>
    public static Task<Recommender> LoadAsync(string path, CancellationToken cancellationToken = default) =>
        Task.Run(() =>
        {
            var trained = ModelFile.Load(path, Registry);
            return new Recommender(trained.Model) { _users = trained.Users, _items = trained.Items, ModelVersion = trained.Manifest.ModelVersion };
        }, cancellationToken);

    /// <summary>The top <paramref name="count"/> items for a known user.</summary>
    public IReadOnlyList<Recommendation> Recommend(string userId, int count = 10, RecommendOptions? options = null)
    {
        int user = UserIndex(userId);
        return Items(Model.Recommend(user, CheckCount(count), Filter(options)));
    }

    /// <summary>
    /// The top <paramref name="count"/> items for a history given now (a new user, or a user's latest events).
    /// Needs an algorithm that scores any history (item-KNN, ALS, EASE, RP3beta, ...): others throw.
    /// The history's own items are left out unless <see cref="RecommendOptions.ExcludeSeen"/> is false.
    /// </summary>
    public IReadOnlyList<Recommendation> RecommendForHistory(IEnumerable<HistoryEvent> history, int count = 10, RecommendOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(history);
        EnsureTrained();
        if (Model is not IHistoryScorer scorer)
            throw new TroveException($"The {Algorithm} model cannot score a new history; use one of: {string.Join(", ", HistoryAlgorithms())}.");
        var weightsByItem = new Dictionary<int, float>();
        foreach (var e in history)
        {
            if (!_items!.TryGetIndex(e.ItemId, out int item)) continue;
            float eventWeight = 1f;
            if (e.EventType is { Length: > 0 } type && !EventWeights.Default.TryGetWeight(type, out eventWeight))
                throw new TroveException($"Unknown event type '{type}' (known: {string.Join(", ", EventWeights.Default.Weights.Keys)}).");
            weightsByItem[item] = weightsByItem.GetValueOrDefault(item) + e.Weight * eventWeight;
        }
        var items = weightsByItem.Keys.Order().ToArray();
        var weights = items.Select(i => weightsByItem[i]).ToArray();
        var scores = new float[_items!.Count];
        scorer.ScoreHistory(items, weights, scores);
        Filter(options).Apply(scores, items); // the history's own items count as seen
        int k = Math.Min(CheckCount(count), scores.Length);
        var topItems = new int[k]; var topScores = new float[k];
        int found = Trove.Numerics.Selection.TopK.Select(scores, k, topItems, topScores); // never selects -inf (filtered out)
        var result = new List<Recommendation>(found);
        for (int j = 0; j < found; j++) result.Add(new Recommendation(_items[topItems[j]], topScores[j]));
        return result;
    }

    /// <summary>The <paramref name="count"/> items most similar to an item (the item itself left out).</summary>
    public IReadOnlyList<Recommendation> SimilarItems(string itemId, int count = 10) =>
        Items(Model.SimilarItems(ItemIndex(itemId), CheckCount(count)));

    /// <summary>The <paramref name="count"/> users most similar to a user (the user itself left out).</summary>
    public IReadOnlyList<Recommendation> SimilarUsers(string userId, int count = 10)
    {
        var similar = Model.SimilarUsers(UserIndex(userId), CheckCount(count));
        return similar.Select(s => new Recommendation(_users![s.Index], s.Score)).ToList();
    }

    /// <summary>The model's scores of the given items for a user, in the order given.</summary>
    public float[] Score(string userId, IReadOnlyList<string> itemIds)
    {
        ArgumentNullException.ThrowIfNull(itemIds);
        int user = UserIndex(userId);
        var items = itemIds.Select(ItemIndex).ToArray();
        var scores = new float[items.Length];
        Model.Score(user, items, scores);
        return scores;
    }

    /// <summary>A user's vector (models whose scores are dot products of user and item vectors: als, bpr, twotower...).</summary>
    public float[] UserEmbedding(string userId) => Embeddings().UserVector(UserIndex(userId)).ToArray();

    /// <summary>An item's vector (see <see cref="UserEmbedding"/>).</summary>
    public float[] ItemEmbedding(string itemId) => Embeddings().ItemVector(ItemIndex(itemId)).ToArray();

    private IEmbeddingModel Embeddings()
    {
        EnsureTrained();
        return Model as IEmbeddingModel
            ?? throw new TroveException($"The {Algorithm} model has no embeddings; models with embeddings: {string.Join(", ", EmbeddingAlgorithms())}.");
    }

    private static IEnumerable<string> HistoryAlgorithms() => Registry.Algorithms.Select(a => a.Name).Where(n => Registry.Create(n) is IHistoryScorer);

    private static IEnumerable<string> EmbeddingAlgorithms() => Registry.Algorithms.Select(a => a.Name).Where(n => Registry.Create(n) is IEmbeddingModel);

    private void EnsureTrained()
    {
        if (_users is null) throw new ModelNotFittedException(Algorithm);
    }

    private int UserIndex(string userId)
    {
        ArgumentNullException.ThrowIfNull(userId);
        EnsureTrained();
        return _users!.TryGetIndex(userId, out int index) ? index : throw new UnknownUserException(userId);
    }

    private int ItemIndex(string itemId)
    {
        ArgumentNullException.ThrowIfNull(itemId);
        EnsureTrained();
        return _items!.TryGetIndex(itemId, out int index) ? index : throw new UnknownItemException(itemId);
    }

    private static int CheckCount(int count) =>
        count > 0 ? count : throw new ArgumentOutOfRangeException(nameof(count), count, "The number of results must be positive.");

    private IEnumerable<int> Indices(IEnumerable<string>? ids) =>
        (ids ?? []).Select(id => _items!.TryGetIndex(id, out int i) ? i : -1).Where(i => i >= 0);

    private ItemFilter Filter(RecommendOptions? options)
    {
        if (options is null) return ItemFilter.Default;
        return new ItemFilter
        {
            ExcludeSeen = options.ExcludeSeen,
            Exclude = options.Exclude is null ? null : Indices(options.Exclude).ToHashSet(),
            AllowOnly = options.AllowOnly is null ? null : Indices(options.AllowOnly).ToHashSet(),
        };
    }

    private List<Recommendation> Items(IReadOnlyList<Scored> scored) =>
        scored.Select(s => new Recommendation(_items![s.Index], s.Score)).ToList();

    /// <summary>Training progress to <see cref="IProgress{T}"/> and the logger.</summary>
    private sealed class ProgressBridge(IProgress<TrainingProgress>? progress, ILogger logger) : IProgressReporter
    {
        public IProgressTask Start(string description, long total) => new Task(this, description, total);

        public void Info(string message) => logger.LogInformation("{Message}", message);

        private sealed class Task(ProgressBridge owner, string description, long total) : IProgressTask
        {
            private long _done;
            private string? _status;

            public void Advance(long amount = 1)
            {
                long done = Interlocked.Add(ref _done, amount);
                owner.Report(new TrainingProgress(description, done, total, _status));
            }

            public void Status(string status)
            {
                _status = status;
                owner.Report(new TrainingProgress(description, Interlocked.Read(ref _done), total, status));
            }

            public void Dispose() { }
        }

        private void Report(TrainingProgress step)
        {
            progress?.Report(step);
            if (logger.IsEnabled(LogLevel.Debug))
                logger.LogDebug("{Step}: {Done}/{Total} {Status}", step.Step, step.Done, step.Total, step.Status);
        }
    }
}
