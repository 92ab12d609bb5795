using Trove.Core.Persistence;
using Trove.Core.Recommending;

namespace Trove.Cli.Infrastructure;

/// <summary>Prints ranked items with their score and a few descriptive features (title or name first, then category, genre, brand).</summary>
public static class ItemTable
{
    private static readonly string[] Descriptive = ["title", "name", "category", "genre", "genres", "brand"];

    /// <summary>The descriptive columns the model knows, text (titles) or categorical, in the order above, at most three.</summary>
    public static IReadOnlyList<(string Name, string?[] Values)> Columns(TrainedModel model) =>
        Descriptive.Select(c => model.ItemFeatures.Text.TryGetValue(c, out var text) ? (c, text)
                : model.ItemFeatures.Categorical.TryGetValue(c, out var categorical) ? (c, categorical) : (c, null!))
            .Where(c => c.Item2 is not null).Take(3).ToList();

    /// <summary>The descriptive features of item <paramref name="index"/> as name-value pairs (empty values left out).</summary>
    public static Dictionary<string, string> Describe(TrainedModel model, int index) =>
        Columns(model).Where(c => !string.IsNullOrEmpty(c.Values[index])).ToDictionary(c => c.Name, c => c.Values[index]!);

    public static void Print(TrainedModel model, IReadOnlyList<Scored> items)
    {
        var columns = Columns(model);
        Console.WriteLine($"{"rank",4}  {"item",-16} {"score",10}  {string.Join("  ", columns.Select(c => c.Name))}");
        for (int r = 0; r < items.Count; r++)
        {
            var s = items[r];
            var extra = string.Join("  ", columns.Select(c => c.Values[s.Index] ?? ""));
            Console.WriteLine($"{r + 1,4}  {model.Items[s.Index],-16} {s.Score,10:G5}  {extra}");
        }
    }
}
