using Trove.Core.Errors;
using Trove.Core.Persistence;

namespace Trove.Models.Search;

/// <summary>
/// A model's search index kept next to its file (<c>MODEL.search</c>, as the recommendation graphs are kept in
/// <c>MODEL.index</c>), so <c>trove search</c> and <c>trove serve</c> embed the catalogue once, not at every start.
/// It lives beside the search code rather than in a host because the command line and the server share it.
/// </summary>
public static class SearchIndexFile
{
    /// <summary>Where the index of <paramref name="modelPath"/> is kept.</summary>
    public static string PathFor(string modelPath) => modelPath + ".search";

    /// <summary>
    /// The search index of a loaded model: read from <c>MODEL.search</c> when it matches the model's items and the
    /// wanted encoder, else built (and saved when <paramref name="persist"/>). <paramref name="source"/> says
    /// which ("loaded", "built", "rebuilt: why"). Throws a one-line error when the model holds no item text or labels.
    /// </summary>
    /// <param name="encoder">The dense encoder's name; null accepts whatever the saved index used (else the default).</param>
    /// <param name="registry">Where encoders come from (default: <see cref="Models.Features.FeatureEncoderRegistry.Default"/>).</param>
    public static SearchIndex LoadOrBuild(string modelPath, TrainedModel trained, string? encoder, bool persist, IProgress<string>? log, out string source,
        CancellationToken cancellationToken = default, Models.Features.FeatureEncoderRegistry? registry = null)
    {
        registry ??= Models.Features.FeatureEncoderRegistry.Default;
        var file = PathFor(modelPath);
        string? problem = null;
        if (File.Exists(file))
        {
            try
            {
                using var stream = File.OpenRead(file);
                var loaded = SearchIndex.TryLoad(stream, file, trained.ItemFeatures, trained.Items, out problem, out bool unavailable, registry);
                // Built by a host that has an encoder this one lacks (minilm without Trove.Semantic): serve from a
                // rebuilt index in memory, but leave the file for the hosts that can read it.
                if (unavailable) persist = false;
                if (loaded is not null && (encoder is null || string.Equals(loaded.Encoder.Encoder, encoder, StringComparison.OrdinalIgnoreCase)))
                {
                    source = "loaded";
                    return loaded;
                }
                problem ??= $"it was built with encoder '{loaded!.Encoder.Encoder}', not '{encoder}'";
            }
            catch (Exception e) when (e is TroveException or IOException or InvalidDataException or System.Text.Json.JsonException)
            {
                problem = e.Message;
            }
            log?.Report($"search index {file} not used ({problem}); rebuilding it");
        }
        var index = SearchIndex.Build(trained.ItemFeatures, trained.Items, SearchIndex.Spec(encoder ?? SearchIndex.DefaultEncoder(registry)), log, cancellationToken, registry);
        if (!index.HasText)
            throw new TroveException($"Model '{modelPath}' holds no item text or labels to search: train it on data with item titles, descriptions or categories, or build a catalogue with `trove index --data items.csv --out catalogue.trove`.");
        source = problem is null ? "built" : $"rebuilt ({problem})";
        if (persist)
        {
            try { AtomicFile.Write(file, index.Save); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { log?.Report($"search index not saved to {file}: {e.Message}"); }
        }
        return index;
    }
}
