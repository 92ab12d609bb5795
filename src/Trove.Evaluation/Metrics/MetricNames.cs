namespace Trove.Evaluation.Metrics;

/// <summary>The metric keys used in results and reports ("hr@10", "ndcg@10", "mrr", ...), in report order.</summary>
public static class MetricNames
{
    public const string HitRate = "hr";
    public const string Ndcg = "ndcg";
    public const string Recall = "recall";
    public const string Precision = "precision";
    public const string Map = "map";
    public const string Mrr = "mrr";
    public const string Auc = "auc";
    public const string Coverage = "coverage";

    public static IReadOnlyList<int> DefaultKs { get; } = [5, 10, 20];

    public static string At(string metric, int k) => $"{metric}@{k}";

    /// <summary>All keys computed for a K list, grouped by metric: hr@5, hr@10, ..., ndcg@5, ..., mrr, auc, coverage@5, ...</summary>
    public static IReadOnlyList<string> All(IReadOnlyList<int> ks)
    {
        var list = new List<string>();
        foreach (var m in new[] { HitRate, Ndcg, Recall, Precision, Map }) list.AddRange(ks.Select(k => At(m, k)));
        list.Add(Mrr); list.Add(Auc);
        list.AddRange(ks.Select(k => At(Coverage, k)));
        return list;
    }

    /// <summary>Parses "5,10,20" into a sorted distinct list of positive K values.</summary>
    public static IReadOnlyList<int> ParseKs(string spec)
    {
        var ks = new SortedSet<int>();
        foreach (var part in spec.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!int.TryParse(part, out int k) || k <= 0)
                throw new Core.Errors.TroveException($"Bad K '{part}' in '{spec}': expected positive integers separated by commas, e.g. 5,10,20.");
            ks.Add(k);
        }
        if (ks.Count == 0) throw new Core.Errors.TroveException($"No K values in '{spec}': expected e.g. 5,10,20.");
        return ks.ToArray();
    }
}
