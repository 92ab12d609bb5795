using Trove.Models;
using System.Text.Json;
using Trove.Core.Data;
using Trove.Core.Errors;
using Trove.Core.Persistence;
using Trove.Core.Recommending;
using Trove.Data.Formats;
using Trove.Models.Content;
using Trove.Models.Features;
using Trove.Models.Neural;
using Trove.Numerics.Selection;

namespace Trove.Workflows;

/// <summary>What an inference run wrote.</summary>
public sealed record InferenceReport(int Users, int UnknownUsers, int NewItems, int ScoredPairs, int Dimensions, string OutputPath);

/// <summary>
/// <c>trove infer --model MODEL --config CONFIG.json --data INPUT.json --out OUT.json</c>: reads
/// universal JSON input (users, possibly new items with features, possibly new interactions) and
/// writes one JSON document:
/// <code>
/// { "model": "hybrid", "model_version": "...", "generated_utc": "...", "k": 10, "dimensions": 96,
///   "user_embeddings": { "1": [..], ... },          // user profiles / vectors (when the model has vectors)
///   "item_embeddings": { "101": [..], ... },        // the input's items, of item_data and interactions (all model items when the input has none)
///   "scores": [ { "user_id": "1", "item_id": "101", "score": 0.83 }, ... ],  // each user x each of the input's items
///   "recommendations": { "1": [ { "item_id": "205", "score": 0.91, "rank": 1 }, ... ] },
///   "unknown_users": [ ... ] }                       // users the model knows nothing about (no training or input history):
///                                                    // no recommendations, except from a hybrid, which falls back to
///                                                    // popularity within the user's declared preferences (categorical user_data)
/// </code>
/// Users: those in the input (user_data and interactions), or every model user when the input has
/// none. Content and hybrid models also score new items (encoded from their features) and users
/// known only from the input's interactions (profile from those items). A two-tower model with
/// features embeds new items with its item tower and new users with features with its user tower
/// (feature paths, no ID embedding), then scores by dot product.
/// </summary>
public static class ConfigInference
{
    public static InferenceReport Run(string modelPath, string? configPath, string inputPath, string outPath)
    {
        var config = configPath is null ? TrainingConfig.Default : TrainingConfig.Load(configPath);
        var model = ModelFile.Load(modelPath, BuiltInAlgorithms.Registry);
        var input = UniversalJsonReader.Read(inputPath, new UniversalJsonOptions { EventWeights = config.EventWeights });
        return Run(model, config.Inference, input, outPath);
    }

    public static InferenceReport Run(TrainedModel trained, InferenceSettings settings, Dataset input, string outPath)
    {
        var model = trained.Model;
        ContentBased? content = model as ContentBased ?? (model as Hybrid)?.Content;
        var hybrid = model as Hybrid;
        // A two-tower model with features embeds new items (and users) through its towers' feature paths.
        var tower = model as TwoTower;
        bool scoresNewItems = content is not null || tower is { CanScoreColdItems: true };
        int m = trained.Items.Count;

        // Candidates: the model's items, then the input's new items.
        var newItems = new List<int>();
        // New items need features to be scored (an id alone says nothing about the item).
        for (int i = 0; i < input.ItemCount; i++) if (!trained.Items.Contains(input.Items[i]) && HasFeatures(input.ItemFeatures, i)) newItems.Add(i);
        if (!scoresNewItems) newItems.Clear();
        int candidates = m + newItems.Count;
        var candidateIds = new List<string>(trained.Items.Ids);
        candidateIds.AddRange(newItems.Select(i => input.Items[i]));
        var candidateIndex = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int c = 0; c < candidateIds.Count; c++) candidateIndex[candidateIds[c]] = c;

        int d = content?.Dimensions ?? (model as IEmbeddingModel)?.Dimensions ?? 0;
        // Item vectors of every candidate, when the model ranks by vectors that new items can also get.
        float[] vectors = [];
        if (tower is not null)
        {
            vectors = new float[(long)candidates * d];
            for (int i = 0; i < m; i++) tower.ItemVector(i).CopyTo(vectors.AsSpan(i * d, d));
            if (newItems.Count > 0) tower.ItemVectorsFromFeatures(input.ItemFeatures, newItems.ToArray()).CopyTo(vectors.AsSpan(m * d));
        }
        else if (content is not null)
        {
            vectors = new float[(long)candidates * d];
            content.ItemVectors.CopyTo(vectors);
            if (newItems.Count > 0)
            {
                var encoded = content.EncodeItems(new EncoderInput(input.ItemFeatures, input.Items, "item"));
                for (int k = 0; k < newItems.Count; k++)
                    encoded.AsSpan(newItems[k] * d, d).CopyTo(vectors.AsSpan((m + k) * d, d));
            }
        }

        // Users and their input interactions (as candidate indices).
        var inputHistory = new Dictionary<int, List<(int Candidate, float Weight)>>();
        var log = input.Interactions;
        for (int k = 0; k < log.Count; k++)
        {
            if (!candidateIndex.TryGetValue(input.Items[log.Items[k]], out int c)) continue;
            if (!inputHistory.TryGetValue(log.Users[k], out var list)) inputHistory[log.Users[k]] = list = [];
            list.Add((c, log.Weights[k]));
        }
        var userIds = input.UserCount > 0 ? input.Users.Ids.ToList() : trained.Users.Ids.ToList();
        var scoredItems = Enumerable.Range(0, input.ItemCount).Select(i => input.Items[i]).Where(candidateIndex.ContainsKey).ToList();
        int k2 = settings.TopK;
        var unknown = new List<string>();
        int pairs = 0;

        AtomicFile.Write(outPath, stream =>
        {
            using var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
            w.WriteStartObject();
            w.WriteString("model", trained.Manifest.Algorithm);
            w.WriteString("model_version", trained.Manifest.ModelVersion);
            w.WriteString("generated_utc", DateTime.UtcNow.ToString("O"));
            w.WriteNumber("k", k2);
            w.WriteNumber("dimensions", settings.Embeddings ? d : 0);

            // Per user: the embedding, the scores of the pairs to report and the top-K; full score
            // vectors are dropped as soon as those are taken, so memory does not grow with users x items.
            var scoredSet = scoredItems.Select(s => candidateIndex[s]).ToArray();
            var results = new (string User, float[]? Embedding, (int Item, float Score)[]? Pairs, Scored[]? Top)[userIds.Count];
            var coldStart = new bool[userIds.Count];
            Parallel.For(0, userIds.Count, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, x =>
            {
                var id = userIds[x];
                bool known = trained.Users.TryGetIndex(id, out int u);
                var seen = new HashSet<int>();
                var history = new List<(int, float)>();
                if (known)
                    foreach (var i in TrainHistory(model, u)) { seen.Add(i.Item); history.Add(i); }
                List<(int Candidate, float Weight)>? extra = null;
                if (!input.Users.TryGetIndex(id, out int iu)) iu = -1;
                if (iu >= 0 && inputHistory.TryGetValue(iu, out extra))
                    foreach (var h in extra) { seen.Add(h.Candidate); history.Add(h); }

                float[]? embedding = null, scores = null;
                Scored[]? top = null;
                // A new user's input interactions are usable only through a content part.
                bool usableHistory = history.Count > 0 && (known || content is not null);
                if (!usableHistory && hybrid is not null && hybrid.Params.PopularityWeight > 0)
                {
                    // Cold start: no usable history, so the hybrid falls back to popularity within the user's declared preferences.
                    var declared = input.Users.TryGetIndex(id, out int row) ? DeclaredPreferences.Of(input.UserFeatures, row) : DeclaredPreferences.None;
                    var matches = new int[candidates];
                    if (!declared.IsEmpty)
                        for (int c = 0; c < candidates; c++)
                            matches[c] = c < m ? declared.Matches(trained.ItemFeatures, c) : declared.Matches(input.ItemFeatures, newItems[c - m]);
                    scores = new float[candidates];
                    hybrid.ColdStartScores(matches, scores);
                    coldStart[x] = true;
                }
                else if (content is not null && history.Count > 0)
                {
                    embedding = new float[d];
                    foreach (var (c, weight) in history)
                        System.Numerics.Tensors.TensorPrimitives.MultiplyAdd(vectors.AsSpan(c * d, d), content.Params.WeightedProfile ? weight : 1f, embedding, embedding);
                    ContentBased.NormaliseRows(embedding, d);
                    var contentScores = new float[candidates];
                    ContentBased.ScoreVectors(embedding, vectors, d, contentScores);
                    if (hybrid is not null)
                    {
                        float[]? collaborative = null;
                        if (known && hybrid.CollaborativeModel is { } cf) { collaborative = new float[m]; cf.ScoreAllItems(u, collaborative); }
                        scores = new float[candidates];
                        hybrid.Blend(contentScores, collaborative, hybrid.Popularity, scores);
                    }
                    else scores = contentScores;
                }
                else if (tower is not null && (known || (tower.CanEmbedUsersFromFeatures && iu >= 0 && HasFeatures(input.UserFeatures, iu))))
                {
                    // A new user with features: the user tower's feature path (no ID embedding).
                    embedding = known ? tower.UserVector(u).ToArray() : tower.UserVectorFromFeatures(input.UserFeatures, iu);
                    scores = new float[candidates];
                    for (int c = 0; c < candidates; c++) scores[c] = System.Numerics.Tensors.TensorPrimitives.Dot(embedding, vectors.AsSpan(c * d, d));
                }
                else if (known)
                {
                    scores = new float[m];
                    model.ScoreAllItems(u, scores);
                    top = model.Recommend(u, k2, settings.ExcludeSeen ? ItemFilter.Default : ItemFilter.None).ToArray();
                    if (model is IEmbeddingModel e && e.Dimensions > 0) embedding = e.UserVector(u).ToArray();
                }
                if (scores is null) { results[x] = (id, null, null, null); return; }

                var pairItems = new SortedSet<int>(scoredSet);
                if (extra is not null) foreach (var h in extra) pairItems.Add(h.Candidate);
                var pairs = pairItems.Where(c => c < scores.Length).Select(c => (c, scores[c])).ToArray();
                if (top is null)
                {
                    if (settings.ExcludeSeen) foreach (var c in seen) if (c < scores.Length) scores[c] = float.NegativeInfinity;
                    var (idx, sc) = TopK.Select(scores, k2);
                    top = idx.Select((c, r) => new Scored(c, sc[r])).Where(t => !float.IsNegativeInfinity(t.Score)).ToArray();
                }
                results[x] = (id, embedding, pairs, top);
            });
            for (int x = 0; x < results.Length; x++) if (results[x].Pairs is null || coldStart[x]) unknown.Add(results[x].User);

            if (settings.Embeddings && d > 0)
            {
                w.WriteStartObject("user_embeddings");
                foreach (var (id, embedding, _, _) in results)
                    if (embedding is not null) WriteVector(w, id, embedding);
                w.WriteEndObject();
                w.WriteStartObject("item_embeddings");
                var items = scoredItems.Count > 0 ? scoredItems : trained.Items.Ids.ToList();
                foreach (var id in items)
                {
                    int c = candidateIndex[id];
                    if (vectors.Length > 0) WriteVector(w, id, vectors.AsSpan(c * d, d));
                    else if (model is IEmbeddingModel e && c < m) WriteVector(w, id, e.ItemVector(c));
                }
                w.WriteEndObject();
            }

            w.WriteStartArray("scores");
            foreach (var (id, _, userPairs, _) in results)
            {
                if (userPairs is null) continue;
                foreach (var (c, score) in userPairs)
                {
                    w.WriteStartObject();
                    w.WriteString("user_id", id);
                    w.WriteString("item_id", candidateIds[c]);
                    w.WriteNumber("score", Math.Round(score, 6));
                    w.WriteEndObject();
                    pairs++;
                }
            }
            w.WriteEndArray();

            w.WriteStartObject("recommendations");
            foreach (var (id, _, userPairs, top) in results)
            {
                if (top is null) continue;
                w.WriteStartArray(id);
                for (int r = 0; r < top.Length; r++)
                {
                    w.WriteStartObject();
                    w.WriteString("item_id", candidateIds[top[r].Index]);
                    w.WriteNumber("score", Math.Round(top[r].Score, 6));
                    w.WriteNumber("rank", r + 1);
                    w.WriteEndObject();
                }
                w.WriteEndArray();
            }
            w.WriteEndObject();

            w.WriteStartArray("unknown_users");
            foreach (var id in unknown) w.WriteStringValue(id);
            w.WriteEndArray();
            w.WriteEndObject();
        });
        return new InferenceReport(userIds.Count, unknown.Count, newItems.Count, pairs, d, Path.GetFullPath(outPath));
    }

    private static List<(int Item, float Weight)> TrainHistory(IRecommender model, int user)
    {
        var matrix = (model as ITrainingInteractions)?.UserItems;
        var list = new List<(int, float)>();
        if (matrix is null || user >= matrix.Rows) return list;
        var idx = matrix.RowIndices(user); var val = matrix.RowValues(user);
        for (int k = 0; k < idx.Length; k++) list.Add((idx[k], val[k]));
        return list;
    }

    private static bool HasFeatures(FeatureTable t, int row) =>
        t.Categorical.Values.Any(c => row < c.Length && c[row] is not null) || t.Text.Values.Any(c => row < c.Length && c[row] is not null)
        || t.Images.Values.Any(c => row < c.Length && c[row] is not null) || t.Numeric.Values.Any(c => row < c.Length && !float.IsNaN(c[row]))
        || t.Sequences.Values.Any(c => row < c.Length && c[row] is not null);

    private static void WriteVector(Utf8JsonWriter w, string id, ReadOnlySpan<float> v)
    {
        w.WriteStartArray(id);
        foreach (var x in v) w.WriteNumberValue(MathF.Round(x, 6));
        w.WriteEndArray();
    }
}
