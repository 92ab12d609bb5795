using System.Globalization;
using Trove.Core.Data;
using Trove.Data.Readers;
using Trove.Evaluation;
using Trove.Evaluation.Protocols;

namespace Trove;

/// <summary>One user-item event in your own ids: an optional weight (rating, count), time and event type.</summary>
/// <param name="UserId">Your user id.</param>
/// <param name="ItemId">Your item id.</param>
/// <param name="Weight">Strength of the interaction (a rating, a play count); 1 when you have none.</param>
/// <param name="Timestamp">When it happened, if known (temporal splits use it).</param>
/// <param name="EventType">view, add_to_cart, purchase, rating or your own; its weight multiplies <paramref name="Weight"/> (see <see cref="EventWeights"/>).</param>
public sealed record Interaction(string UserId, string ItemId, float Weight = 1f, DateTimeOffset? Timestamp = null, string? EventType = null);

/// <summary>
/// Interactions (and user/item features) ready to train on: loaded from a CSV file, a folder (the simulator's
/// layout, MovieLens, Last.fm), universal JSON, a Trove database, or built from your own records.
/// </summary>
public sealed class InteractionData
{
    internal InteractionData(Dataset dataset) => Dataset = dataset;

    /// <summary>The underlying dataset (dense indices, CSR matrices), for the lower-level packages.</summary>
    public Dataset Dataset { get; }

    /// <summary>Distinct users.</summary>
    public int UserCount => Dataset.UserCount;

    /// <summary>Distinct items.</summary>
    public int ItemCount => Dataset.ItemCount;

    /// <summary>Interactions (events).</summary>
    public int InteractionCount => Dataset.Interactions.Count;

    /// <summary>Your user ids, in index order.</summary>
    public IReadOnlyList<string> UserIds => Dataset.Users.Ids;

    /// <summary>Your item ids, in index order.</summary>
    public IReadOnlyList<string> ItemIds => Dataset.Items.Ids;

    /// <summary>
    /// Reads a path, detecting its format: a <c>.csv</c> file (<c>user,item[,score][,timestamp][,event]</c>), a folder
    /// (<c>interactions.csv</c> + <c>items.csv</c>/<c>users.csv</c>, MovieLens, Last.fm), universal JSON or a <c>.db</c> file.
    /// Malformed input throws <see cref="Core.Errors.DataFormatException"/> naming the file, line and field.
    /// </summary>
    public static Task<InteractionData> LoadAsync(string path, LoadOptions? options = null, CancellationToken cancellationToken = default) =>
        Task.Run(() => new InteractionData(DatasetLoader.Load(path, options)), cancellationToken);

    /// <summary>Builds the data from your own records (event types weigh as in <paramref name="eventWeights"/>, default <see cref="EventWeights.Default"/>).</summary>
    public static InteractionData FromInteractions(IEnumerable<Interaction> interactions, EventWeights? eventWeights = null, string source = "in-memory")
    {
        ArgumentNullException.ThrowIfNull(interactions);
        var weights = eventWeights ?? EventWeights.Default;
        var users = new IdMap(); var items = new IdMap();
        var u = new List<int>(); var i = new List<int>(); var w = new List<float>(); var t = new List<long>(); var e = new List<short>();
        var eventNames = new List<string>();
        foreach (var x in interactions)
        {
            if (string.IsNullOrEmpty(x.UserId) || string.IsNullOrEmpty(x.ItemId)) throw new ArgumentException("Every interaction needs a user id and an item id.", nameof(interactions));
            if (!float.IsFinite(x.Weight)) throw new ArgumentException($"Interaction {x.UserId}/{x.ItemId}: weight {x.Weight.ToString(CultureInfo.InvariantCulture)} is not a finite number.", nameof(interactions));
            float eventWeight = 1f;
            short eventIndex = -1;
            if (x.EventType is { Length: > 0 } type)
            {
                if (!weights.TryGetWeight(type, out eventWeight))
                    throw new ArgumentException($"Interaction {x.UserId}/{x.ItemId}: unknown event type '{type}' (known: {string.Join(", ", weights.Weights.Keys)}).", nameof(interactions));
                int at = eventNames.FindIndex(n => n.Equals(type, StringComparison.OrdinalIgnoreCase));
                if (at < 0) { at = eventNames.Count; eventNames.Add(type); }
                eventIndex = (short)at;
            }
            u.Add(users.GetOrAdd(x.UserId)); i.Add(items.GetOrAdd(x.ItemId));
            w.Add(x.Weight * eventWeight); t.Add(x.Timestamp?.ToUnixTimeSeconds() ?? 0); e.Add(eventIndex);
        }
        var log = new InteractionLog(u.ToArray(), i.ToArray(), w.ToArray(), t.ToArray(), e.ToArray(), eventNames.ToArray());
        return new InteractionData(new Dataset(users, items, log, source: source));
    }

    /// <summary>
    /// Holds out a random <paramref name="testFraction"/> of each user's interactions (seeded) for evaluation:
    /// train on <see cref="HoldoutSplit.Train"/>, then <see cref="Recommender.Evaluate"/> on the split.
    /// </summary>
    public HoldoutSplit SplitHoldout(double testFraction = 0.2, int seed = 42) =>
        new(HoldoutProtocol.Split(Dataset, testFraction, 0, seed));
}

/// <summary>A train/test split of <see cref="InteractionData"/> (full ranking: every unseen item is a candidate).</summary>
public sealed class HoldoutSplit
{
    internal HoldoutSplit(EvaluationSplit split)
    {
        Split = split;
        Train = new InteractionData(split.Train);
    }

    internal EvaluationSplit Split { get; }

    /// <summary>The interactions to train on (the same user and item ids as the whole data).</summary>
    public InteractionData Train { get; }

    /// <summary>How the split was made, e.g. "random per-user holdout: test 20%, seed 42; full ranking".</summary>
    public string Description => Split.Description;
}
