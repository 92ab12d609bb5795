namespace Trove.Server.Models;

/// <summary>A histogram bar: values in [From, To] and how many users or items fall there.</summary>
public sealed record Bin(int From, int To, int Count);

/// <summary>A ranked item with its number of users.</summary>
public sealed record PopularItem(string Item, int Users, string? Title);

/// <summary>What the dashboard shows about the data a model was trained on.</summary>
public sealed record DataStatistics(
    string Source, int Users, int Items, long Interactions, double Density,
    double MeanPerUser, int MedianPerUser, double MeanPerItem, int MedianPerItem, int ColdItems,
    IReadOnlyList<Bin> UserActivity, IReadOnlyList<Bin> ItemPopularity,
    IReadOnlyList<double> LongTail, IReadOnlyList<PopularItem> TopItems, IReadOnlyList<string> ItemFeatures)
{
    public static DataStatistics Compute(LoadedModel model)
    {
        var trained = model.Trained;
        int users = trained.Users.Count, items = trained.Items.Count;
        var perUser = new int[users];
        var perItem = new int[items];
        long nnz = 0;
        if (model.UserItems is { } m)
        {
            for (int u = 0; u < Math.Min(users, m.Rows); u++) perUser[u] = m.RowLength(u);
            var c = m.ColumnCounts();
            for (int i = 0; i < Math.Min(items, c.Length); i++) perItem[i] = c[i];
            nnz = m.NonZeros;
        }
        var ranked = Enumerable.Range(0, items).OrderByDescending(i => perItem[i]).ThenBy(i => i).ToArray();
        var longTail = new List<double>();
        if (nnz > 0)
        {
            // Share of interactions covered by the most popular 0%, 5%, ..., 100% of items.
            long running = 0; int next = 0;
            for (int step = 0; step <= 20; step++)
            {
                int upto = (int)Math.Round(items * step / 20.0);
                while (next < upto) running += perItem[ranked[next++]];
                longTail.Add(Math.Round((double)running / nnz, 4));
            }
        }
        return new DataStatistics(
            trained.Manifest.Data.Source, users, items, nnz,
            users == 0 || items == 0 ? 0 : Math.Round((double)nnz / ((double)users * items), 6),
            users == 0 ? 0 : Math.Round((double)nnz / users, 2), Median(perUser),
            items == 0 ? 0 : Math.Round((double)nnz / items, 2), Median(perItem),
            perItem.Count(c => c == 0),
            LogBins(perUser), LogBins(perItem), longTail,
            ranked.Take(10).Select(i => new PopularItem(trained.Items[i], perItem[i], ServingEngine.Title(model, i))).ToList(),
            trained.ItemFeatures.Categorical.Keys.ToList());
    }

    private static int Median(int[] values)
    {
        if (values.Length == 0) return 0;
        var sorted = (int[])values.Clone();
        Array.Sort(sorted);
        return sorted[sorted.Length / 2];
    }

    /// <summary>Counts in power-of-two bins: 0, 1, 2-3, 4-7, ...</summary>
    private static List<Bin> LogBins(int[] values)
    {
        var bins = new List<Bin>();
        if (values.Length == 0) return bins;
        int max = values.Max();
        int zeros = values.Count(v => v == 0);
        if (zeros > 0) bins.Add(new Bin(0, 0, zeros));
        for (int from = 1; from <= max; from *= 2)
        {
            int to = from * 2 - 1;
            bins.Add(new Bin(from, to, values.Count(v => v >= from && v <= to)));
            if (from > int.MaxValue / 2) break;
        }
        return bins;
    }
}
