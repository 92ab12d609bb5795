using System.Globalization;
using Microsoft.Extensions.Configuration;
using Trove.Core.Data;
using Trove.Core.Errors;
using Trove.Server.Models;

namespace Trove.Server.Hosting;

/// <summary>
/// <see cref="ServerOptions"/> from a configuration section (appsettings.json's <c>"Trove"</c>, environment variables
/// such as <c>Trove__ApiKey</c>): what <c>AddTrove(configuration)</c> and `trove serve` read. A key it does not know is an
/// error naming the key, so a typo never leaves a setting silently at its default.
/// </summary>
public static class ServerConfiguration
{
    /// <summary>The keys of the section, as written in appsettings.json.</summary>
    public static readonly IReadOnlyList<string> Keys =
    [
        "Models", "ApiKey", "Database", "Data", "Retrieval", "MaxK", "MaxEventsInMemory", "MaxRequestBytes", "RateLimit",
        "WriteRateLimit", "CorsOrigins", "Evaluation", "Figures", "EventWeights", "WatchModelFiles", "HnswMinItems", "ExactBatching",
        "Retrain", "RetrainModel",
    ];

    /// <summary>
    /// Reads <paramref name="section"/> over <paramref name="defaults"/>: <c>"Models": { "als": "als.trove" }</c> (the first is
    /// the default model), <c>"ApiKey"</c>, <c>"Database"</c> (SQLite file or PostgreSQL connection string), <c>"Data"</c>,
    /// <c>"Retrieval"</c> (exact, hnsw, auto), <c>"MaxK"</c>, <c>"MaxEventsInMemory"</c>, <c>"MaxRequestBytes"</c>,
    /// <c>"RateLimit"</c> / <c>"WriteRateLimit"</c> (requests per second per client), <c>"CorsOrigins"</c> (array),
    /// <c>"Evaluation"</c>, <c>"Figures"</c>, <c>"EventWeights"</c> ("view=0.1,purchase=0.6"), <c>"WatchModelFiles"</c>,
    /// <c>"HnswMinItems"</c>, <c>"ExactBatching"</c>, <c>"Retrain"</c> (a cron schedule of background retraining from the
    /// database, e.g. "0 3 * * *") and <c>"RetrainModel"</c> (the served model it retrains).
    /// </summary>
    /// <exception cref="TroveException">An unknown key or a value of the wrong form, named with its configuration path.</exception>
    public static ServerOptions Read(IConfiguration section, ServerOptions? defaults = null)
    {
        var options = defaults ?? new ServerOptions();
        string where = section is IConfigurationSection s ? s.Path + ":" : "";
        foreach (var child in section.GetChildren())
            if (!Keys.Contains(child.Key, StringComparer.OrdinalIgnoreCase))
                throw new TroveException($"Configuration key '{where}{child.Key}' is not a Trove setting. Known: {string.Join(", ", Keys)}.");

        var models = section.GetSection("Models").GetChildren().Select(m => new ModelSource(m.Key, m.Value ?? "")).ToList();
        if (models.FirstOrDefault(m => m.Path.Length == 0) is { } empty)
            throw new TroveException($"Configuration key '{where}Models:{empty.Name}' needs the path of a model file.");
        if (models.Count > 0) options = options with { Models = models };
        if (section["ApiKey"] is { Length: > 0 } key) options = options with { ApiKey = key };
        if (section["Database"] is { Length: > 0 } db) options = options with { DatabasePath = db };
        if (section["Data"] is { Length: > 0 } data) options = options with { DataPath = data };
        if (section["Evaluation"] is { Length: > 0 } evaluation) options = options with { EvaluationPath = evaluation };
        if (section["Figures"] is { Length: > 0 } figures) options = options with { FiguresPath = figures };
        if (section["Retrieval"] is { Length: > 0 } retrieval)
            options = options with { Retrieval = RetrievalModes.TryParse(retrieval, out var mode) ? mode : throw Bad("Retrieval", retrieval, RetrievalModes.Names) };
        if (Number(section, where, "MaxK") is { } maxK) options = options with { MaxK = checked((int)maxK) };
        if (Number(section, where, "MaxEventsInMemory") is { } events) options = options with { MaxEventsInMemory = (long)events };
        if (Number(section, where, "MaxRequestBytes") is { } bytes) options = options with { MaxRequestBytes = (long)bytes };
        if (Number(section, where, "HnswMinItems") is { } minItems) options = options with { HnswMinItems = checked((int)minItems) };
        if (Number(section, where, "RateLimit", positive: false) is { } rate) options = options with { RateLimit = rate > 0 ? rate : null };
        if (Number(section, where, "WriteRateLimit", positive: false) is { } writeRate) options = options with { WriteRateLimit = writeRate > 0 ? writeRate : null };
        if (Flag(section, where, "WatchModelFiles") is { } watch) options = options with { WatchModelFiles = watch };
        if (Flag(section, where, "ExactBatching") is { } batching) options = options with { ExactBatching = batching };
        if (section["Retrain"] is { Length: > 0 } retrain) options = options with { RetrainSchedule = retrain };
        if (section["RetrainModel"] is { Length: > 0 } retrainModel) options = options with { RetrainModel = retrainModel };
        if (section["EventWeights"] is { Length: > 0 } weights) options = options with { EventWeights = EventWeights.Parse(weights) };
        var origins = section.GetSection("CorsOrigins").GetChildren().Select(o => o.Value ?? "").Where(o => o.Length > 0).ToList();
        if (origins.Count > 0) options = options with { CorsOrigins = origins };
        return options;

        TroveException Bad(string name, string value, string expected) =>
            new($"Configuration key '{where}{name}' must be {expected}, got '{value}'.");
    }

    private static double? Number(IConfiguration section, string where, string name, bool positive = true)
    {
        if (section[name] is not { Length: > 0 } text) return null;
        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || double.IsNaN(value) || value < 0 || (positive && value < 1)
            || value > long.MaxValue)
            throw new TroveException($"Configuration key '{where}{name}' must be a {(positive ? "positive" : "non-negative")} number, got '{text}'.");
        return value;
    }

    private static bool? Flag(IConfiguration section, string where, string name) => section[name] switch
    {
        null or "" => null,
        var text when bool.TryParse(text, out var value) => value,
        var text => throw new TroveException($"Configuration key '{where}{name}' must be true or false, got '{text}'."),
    };
}
