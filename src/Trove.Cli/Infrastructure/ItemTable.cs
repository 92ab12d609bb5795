using Trove.Core.Persistence;
using Trove.Core.Recommending;

namespace Trove.Cli.Infrastructure;

/// <summary>Prints ranked items with their score and a few descriptive features.</summary>
public static class ItemTable
{
    private static readonly string[] Descriptive = ["title", "name", "category", "genre", "brand"];

    public static void Print(TrainedModel model, IReadOnlyList<Scored> items)
    {
        var columns = Descriptive.Where(model.ItemFeatures.Categorical.ContainsKey).Take(3).ToArray();
        Console.WriteLine($"{"rank",4}  {"item",-16} {"score",10}  {string.Join("  ", columns)}");
        for (int r = 0; r < items.Count; r++)
        {
            var s = items[r];
            var extra = string.Join("  ", columns.Select(c => model.ItemFeatures.Categorical[c][s.Index] ?? ""));
            Console.WriteLine($"{r + 1,4}  {model.Items[s.Index],-16} {s.Score,10:G5}  {extra}");
        }
    }
}
