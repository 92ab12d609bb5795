using System.Reflection;
using System.Text.Json;
using Trove.Core.Algorithms;
using Trove.Core.Data;
using Trove.Core.Errors;
using Trove.Core.Recommending;

namespace Trove.Core.Persistence;

/// <summary>What manifest.json says about a model file.</summary>
public sealed record ModelManifest
{
    public const string FormatName = "trove-model";
    /// <summary>2: manifest.json lists a SHA-256 per entry and its own checksum (version 1 files have none).</summary>
    public const int CurrentFormatVersion = 2;

    public string Format { get; init; } = FormatName;
    public int FormatVersion { get; init; } = CurrentFormatVersion;
    public string TroveVersion { get; init; } = typeof(ModelManifest).Assembly.GetName().Version?.ToString(3) ?? "0.0.0";
    public required string Algorithm { get; init; }
    public required JsonElement Parameters { get; init; }
    public DateTime CreatedUtc { get; init; } = DateTime.UtcNow;
    public required DataDescription Data { get; init; }
    public double TrainingSeconds { get; init; }
    public int Seed { get; init; }
    /// <summary>SHA-256 of every other entry of the file ("sha256:hex" by entry name); null until written.</summary>
    public SortedDictionary<string, string>? Entries { get; init; }
    /// <summary>SHA-256 of manifest.json with this value blanked: covers every field above and, through <see cref="Entries"/>, the whole file. Null until written.</summary>
    public string? Checksum { get; init; }
    /// <summary>A short id of this trained model (algorithm, data fingerprint and time), stored with its recommendations.</summary>
    public string ModelVersion => $"{Algorithm}-{CreatedUtc:yyyyMMddHHmmss}-{Data.Fingerprint.Replace("sha256:", "")[..8]}";
}

public sealed record DataDescription(string Source, string Fingerprint, int Users, int Items, int Interactions);

/// <summary>A model loaded from (or just written to) a model file, with the id maps that translate its indices.</summary>
public sealed record TrainedModel(ModelManifest Manifest, IRecommender Model, IdMap Users, IdMap Items, FeatureTable ItemFeatures);

public static class ModelFile
{
    public static TrainedModel Save(string path, IRecommender model, Dataset trainedOn, double trainingSeconds = 0, int seed = 0)
    {
        var manifest = Describe(model, trainedOn, trainingSeconds, seed);
        AtomicFile.Write(path, stream =>
        {
            using var sealing = new SealingStream(stream);
            using (var w = new ModelArchiveWriter(sealing))
            {
                w.WriteJson("users", trainedOn.Users.Ids);
                w.WriteJson("items", trainedOn.Items.Ids);
                w.WriteJson("item_categorical", trainedOn.ItemFeatures.Categorical);
                // Titles and descriptions too: search (BM25 and embeddings) works on any model trained with item text.
                if (trainedOn.ItemFeatures.Text.Count > 0) w.WriteJson("item_text", trainedOn.ItemFeatures.Text);
                model.SaveState(w);
                manifest = w.WriteManifest(manifest);
            }
            sealing.Seal();
        });
        return new TrainedModel(manifest, model, trainedOn.Users, trainedOn.Items, trainedOn.ItemFeatures);
    }

    /// <summary>The manifest of a model fitted on <paramref name="trainedOn"/>, whether or not it is saved.</summary>
    public static ModelManifest Describe(IRecommender model, Dataset trainedOn, double trainingSeconds, int seed) => new()
    {
        Algorithm = model.Algorithm,
        Parameters = JsonSerializer.SerializeToElement(model.Parameters, model.Parameters.GetType(), ModelJson.Options),
        Data = new DataDescription(trainedOn.Source, trainedOn.Fingerprint(), trainedOn.UserCount, trainedOn.ItemCount, trainedOn.Interactions.Count),
        TrainingSeconds = Math.Round(trainingSeconds, 3),
        Seed = seed,
    };

    /// <summary>The verified manifest of a model file (checksum included) without loading the model.</summary>
    public static ModelManifest Describe(string path)
    {
        using var stream = OpenExisting(path);
        using var r = new ModelArchiveReader(stream, path);
        return r.Verify();
    }

    public static TrainedModel Load(string path, ModelRegistry registry)
    {
        using var stream = OpenExisting(path);
        using var r = new ModelArchiveReader(stream, path);
        var manifest = r.Verify();
        if (manifest.FormatVersion > ModelManifest.CurrentFormatVersion)
            throw new TroveException($"{path}: model format version {manifest.FormatVersion} is newer than this Trove understands ({ModelManifest.CurrentFormatVersion}); upgrade Trove.");
        var model = registry.Create(manifest.Algorithm, manifest.Parameters);
        model.LoadState(r);
        var users = new IdMap(r.ReadJson<string[]>("users"));
        var items = new IdMap(r.ReadJson<string[]>("items"));
        var features = new FeatureTable();
        if (r.Has("item_categorical"))
            foreach (var (k, v) in r.ReadJson<Dictionary<string, string?[]>>("item_categorical")) features.Categorical[k] = v;
        if (r.Has("item_text"))
            foreach (var (k, v) in r.ReadJson<Dictionary<string, string?[]>>("item_text")) features.Text[k] = v;
        return new TrainedModel(manifest, model, users, items, features);
    }

    private static FileStream OpenExisting(string path)
    {
        if (!File.Exists(path)) throw new TroveException($"Model file '{path}' does not exist. Train one with: trove train --model NAME --out {path}");
        return File.OpenRead(path);
    }
}
