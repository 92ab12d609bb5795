using System.CommandLine;
using Trove.Core.Errors;
using Trove.Core.Persistence;
using Trove.Core.Recommending;
using Trove.Models;

namespace Trove.Cli.Infrastructure;

/// <summary>Options shared by commands that read a trained model file.</summary>
public static class ModelOptions
{
    public static Option<string> ModelPath() => new("--model", "-m") { Description = "Model file written by `trove train`.", Required = true };

    public static TrainedModel Load(string path) => ModelFile.Load(path, BuiltInAlgorithms.Registry);

    /// <summary>
    /// Builds an item filter from CLI values: explicit exclusions (original ids) and
    /// feature filters like "category=books" (matched against the item's labels, case-insensitive).
    /// </summary>
    public static ItemFilter Filter(TrainedModel model, bool includeSeen, IEnumerable<string> exclude, IEnumerable<string> featureFilters)
    {
        var excluded = exclude.SelectMany(e => e.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            .Select(id => model.Items.IndexOf(id, "item")).ToArray();
        var tests = new List<Func<int, bool>>();
        foreach (var f in featureFilters)
        {
            int eq = f.IndexOf('=');
            if (eq <= 0) throw new TroveException($"Bad --filter '{f}': expected feature=value, e.g. category=books.");
            var column = f[..eq].Trim(); var value = f[(eq + 1)..].Trim();
            if (!model.ItemFeatures.Categorical.ContainsKey(column))
                throw new TroveException($"Bad --filter '{f}': items have no categorical feature '{column}'. Known: {string.Join(", ", model.ItemFeatures.Categorical.Keys.DefaultIfEmpty("(none)"))}.");
            tests.Add(item => model.ItemFeatures.Labels(column, item).Contains(value, StringComparer.OrdinalIgnoreCase));
        }
        return new ItemFilter
        {
            ExcludeSeen = !includeSeen,
            Exclude = excluded.Length > 0 ? excluded : null,
            Predicate = tests.Count > 0 ? item => tests.All(t => t(item)) : null,
        };
    }
}
