using System.Globalization;
using Trove.Core.Data;
using Trove.Core.Errors;
using Trove.Data.Formats;
using Trove.Data.Readers;

namespace Trove.Data.Simulation;

/// <summary>
/// An existing catalogue for <see cref="InteractionSimulator"/> (<c>trove simulate --items-from</c>): item ids with a
/// category per item (the taste cluster: the first label of a category/genre list) and optionally a brand, title,
/// rating, price, release date and description. Attributes the catalogue lacks are generated from the seed.
/// </summary>
public sealed class CatalogueInput
{
    /// <summary>Columns tried, in order, for the taste clusters when no column is named.</summary>
    public static readonly string[] CategoryColumns = ["category", "categories", "genre", "genres", "type", "department", "kind"];
    /// <summary>Columns tried, in order, for brands when no column is named.</summary>
    public static readonly string[] BrandColumns = ["brand", "brands", "manufacturer", "artist", "author", "publisher", "label", "studio"];

    /// <summary>Where the catalogue came from (for messages and the data set's name).</summary>
    public required string Source { get; init; }
    public required IReadOnlyList<string> Ids { get; init; }
    /// <summary>Each item's category index into <see cref="CategoryNames"/>.</summary>
    public required int[] Category { get; init; }
    public required IReadOnlyList<string> CategoryNames { get; init; }
    /// <summary>Each item's brand index into <see cref="BrandNames"/> (items without a brand share one "unbranded" brand per category).</summary>
    public required int[] Brand { get; init; }
    public required IReadOnlyList<string> BrandNames { get; init; }
    public IReadOnlyList<string?>? Titles { get; init; }
    public IReadOnlyList<string?>? Descriptions { get; init; }
    /// <summary>Average ratings (NaN = unknown), clamped to 1..5 when used.</summary>
    public float[]? Ratings { get; init; }
    /// <summary>Prices (NaN = unknown).</summary>
    public float[]? Prices { get; init; }
    /// <summary>Release dates as days since 1970-01-01 (null = unknown).</summary>
    public int?[]? ReleaseDays { get; init; }

    public int Count => Ids.Count;

    /// <summary>
    /// Reads a catalogue from an items CSV (an <c>item</c> column plus features) or a universal JSON file (its
    /// <c>item_data</c>). <paramref name="categoryColumn"/> and <paramref name="brandColumn"/> name the columns; when null,
    /// the first of <see cref="CategoryColumns"/> / <see cref="BrandColumns"/> present is used (no brand column is fine).
    /// </summary>
    public static CatalogueInput Load(string path, string? categoryColumn = null, string? brandColumn = null)
    {
        if (!File.Exists(path)) throw new TroveException($"Catalogue '{path}' does not exist (expected an items CSV with an 'item' column or a universal JSON file).");
        IdMap ids;
        FeatureTable features;
        if (path.EndsWith(".json", StringComparison.OrdinalIgnoreCase))
        {
            var data = UniversalJsonReader.Read(path);
            ids = data.Items;
            features = data.ItemFeatures;
        }
        else
        {
            var idBuilder = new IdMapBuilder();
            var builder = new FeatureTableBuilder();
            FeatureCsvReader.ReadInto(path, "item", idBuilder, builder);
            ids = new IdMap(idBuilder.Ids.ToList());
            features = builder.Build(ids.Count);
        }
        if (ids.Count == 0) throw new TroveException($"Catalogue '{path}' has no items.");
        var labels = Labels(features);
        var category = categoryColumn ?? CategoryColumns.FirstOrDefault(c => labels.ContainsKey(c))
            ?? throw new TroveException($"Catalogue '{path}' has no category column ({string.Join(", ", CategoryColumns)}); name one with --category-column (columns: {string.Join(", ", labels.Keys)}).");
        if (!labels.TryGetValue(category, out var categories)) throw new TroveException($"Catalogue '{path}' has no column '{category}' (columns: {string.Join(", ", labels.Keys)}).");
        string?[]? brands = null;
        if (brandColumn is not null && !labels.TryGetValue(brandColumn, out brands)) throw new TroveException($"Catalogue '{path}' has no column '{brandColumn}' (columns: {string.Join(", ", labels.Keys)}).");
        brands ??= BrandColumns.Where(c => c != category).Select(c => labels.GetValueOrDefault(c)).FirstOrDefault(c => c is not null);

        int n = ids.Count;
        var categoryIndex = new Dictionary<string, int>(StringComparer.Ordinal);
        var categoryOf = new int[n];
        for (int i = 0; i < n; i++)
        {
            var label = FirstLabel(categories[i]) ?? "unknown";
            if (!categoryIndex.TryGetValue(label, out categoryOf[i])) categoryIndex[label] = categoryOf[i] = categoryIndex.Count;
        }
        var categoryNames = categoryIndex.OrderBy(kv => kv.Value).Select(kv => kv.Key).ToArray();
        var brandIndex = new Dictionary<string, int>(StringComparer.Ordinal);
        var brandOf = new int[n];
        for (int i = 0; i < n; i++)
        {
            var label = FirstLabel(brands?[i]) ?? $"unbranded {categoryNames[categoryOf[i]]}";
            if (!brandIndex.TryGetValue(label, out brandOf[i])) brandIndex[label] = brandOf[i] = brandIndex.Count;
        }

        return new CatalogueInput
        {
            Source = path,
            Ids = ids.Ids,
            Category = categoryOf,
            CategoryNames = categoryNames,
            Brand = brandOf,
            BrandNames = brandIndex.OrderBy(kv => kv.Value).Select(kv => kv.Key).ToArray(),
            Titles = features.Text.GetValueOrDefault("title") ?? features.Text.GetValueOrDefault("name"),
            Descriptions = features.Text.GetValueOrDefault("description"),
            Ratings = Numbers(features, "rating", "avg_rating", "average_rating"),
            Prices = Numbers(features, "price"),
            ReleaseDays = ReleaseDaysOf(features, n),
        };
    }

    /// <summary>Categorical and text columns by name (case-insensitive).</summary>
    private static Dictionary<string, string?[]> Labels(FeatureTable t)
    {
        var all = new Dictionary<string, string?[]>(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, col) in t.Categorical) all.TryAdd(name, col);
        foreach (var (name, col) in t.Text) all.TryAdd(name, col);
        return all;
    }

    /// <summary>The first label of a '|'-separated list (MovieLens genres "Adventure|Animation" -> "Adventure").</summary>
    private static string? FirstLabel(string? value)
    {
        if (string.IsNullOrWhiteSpace(value)) return null;
        var first = value.Split('|', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).FirstOrDefault();
        return first is null || first.StartsWith('(') ? null : first; // "(no genres listed)"
    }

    private static float[]? Numbers(FeatureTable t, params string[] names)
    {
        foreach (var name in names)
            foreach (var (key, col) in t.Numeric)
                if (string.Equals(key, name, StringComparison.OrdinalIgnoreCase)) return col;
        return null;
    }

    private static int?[]? ReleaseDaysOf(FeatureTable t, int n)
    {
        var dates = t.Categorical.FirstOrDefault(kv => string.Equals(kv.Key, "release_date", StringComparison.OrdinalIgnoreCase)).Value;
        var years = Numbers(t, "release_year", "year");
        if (dates is null && years is null) return null;
        var days = new int?[n];
        for (int i = 0; i < n; i++)
        {
            if (dates?[i] is { } d && DateTime.TryParse(d, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var date))
                days[i] = (int)(date - DateTime.UnixEpoch).TotalDays;
            else if (years is not null && years[i] is var y && float.IsFinite(y) && y is >= 1800 and <= 9000)
                days[i] = (int)(new DateTime((int)y, 7, 1, 0, 0, 0, DateTimeKind.Utc) - DateTime.UnixEpoch).TotalDays;
        }
        return days;
    }
}
