using Trove.Core.Persistence;
using Trove.Core.Training;

namespace Trove.Data.Simulation;

/// <summary>
/// Writes a <see cref="SimulationResult"/> as CSV (UTF-8, no BOM, '\n' line ends, each file
/// written atomically through <see cref="AtomicFile"/>):
/// <list type="bullet">
/// <item>interactions.csv: <c>user,item,score,timestamp,event</c>; score is the 1-5 stars of rating events and empty otherwise; timestamp like 2024-01-15T10:30:00Z.</item>
/// <item>items.csv: <c>item,title,category,brand,rating,price,release_date,description,total_ratings,sold_count,stock,active,skus</c>
/// (rating one decimal, price two, date yyyy-MM-dd; total_ratings and sold_count include the simulated window; stock sums
/// the SKUs; active true/false; skus a JSON array of {sku, variant, price, stock}).</item>
/// <item>users.csv: <c>user,favourite_categories,favourite_brands,activity</c> (lists separated by '|').</item>
/// <item>negatives.csv (only with negatives): <c>user,item,label</c>, label always 0.</item>
/// </list>
/// Interaction rows are formatted in parallel, block by block, and written in order.
/// </summary>
public static class SimulationCsv
{
    public const string InteractionsHeader = "user,item,score,timestamp,event";
    public const string ItemsHeader = "item,title,category,brand,rating,price,release_date,description,total_ratings,sold_count,stock,active,skus";
    public const string UsersHeader = "user,favourite_categories,favourite_brands,activity";
    public const string NegativesHeader = "user,item,label";

    /// <summary>Writes every file into <paramref name="directory"/> (created when missing) and returns their paths.</summary>
    public static IReadOnlyList<string> WriteAll(SimulationResult result, string directory, IProgressReporter? progress = null)
    {
        progress ??= NullProgress.Instance;
        Directory.CreateDirectory(directory);
        var written = new List<string>();
        string Path_(string name) { var p = Path.Combine(directory, name); written.Add(p); return p; }
        WriteItems(result, Path_("items.csv"));
        WriteUsers(result, Path_("users.csv"));
        WriteInteractions(result, Path_("interactions.csv"), progress);
        if (result.NegativeItems.Length > 0 || result.Options.NegativesPerUser > 0) WriteNegatives(result, Path_("negatives.csv"));
        return written;
    }

    private static ReadOnlySpan<byte> NewLine => "\n"u8;

    /// <summary>An item id: i001.. formatted from the index for a generated catalogue, the catalogue's own id otherwise.</summary>
    private static void ItemId(Utf8Buffer b, SimulatedCatalogue cat, int item, int width)
    {
        if (cat.GeneratedIds) { b.Byte((byte)'i'); b.Padded(item + 1, width); }
        else b.Field(cat.ItemIds[item]);
    }

    public static void WriteItems(SimulationResult result, string path)
    {
        var cat = result.Catalogue;
        int width = SimulatedCatalogue.Digits(cat.Count);
        var sold = result.SoldCounts();
        var ratings = result.TotalRatings();
        AtomicFile.Write(path, stream =>
        {
            var b = new Utf8Buffer(1 << 20);
            b.Ascii(System.Text.Encoding.ASCII.GetBytes(ItemsHeader + "\n"));
            for (int i = 0; i < cat.Count; i++)
            {
                ItemId(b, cat, i, width); b.Byte((byte)',');
                b.Field(cat.Titles[i]); b.Byte((byte)',');
                b.Field(cat.CategoryNames[cat.Category[i]]); b.Byte((byte)',');
                b.Field(cat.BrandNames[cat.Brand[i]]); b.Byte((byte)',');
                b.Fixed(cat.RatingTenths[i], 1); b.Byte((byte)',');
                b.Fixed(cat.PriceCents[i], 2); b.Byte((byte)',');
                b.Date(cat.ReleaseDay[i]); b.Byte((byte)',');
                b.Field(cat.Descriptions[i]); b.Byte((byte)',');
                b.Int(ratings[i]); b.Byte((byte)',');
                b.Int(sold[i]); b.Byte((byte)',');
                b.Int(cat.Stock(i)); b.Byte((byte)',');
                b.Ascii(cat.Active[i] ? "true"u8 : "false"u8); b.Byte((byte)',');
                b.Field(cat.SkusJson(i));
                b.Ascii(NewLine);
                if (b.Length > 1 << 19) b.WriteTo(stream);
            }
            b.WriteTo(stream);
        });
    }

    public static void WriteUsers(SimulationResult result, string path)
    {
        var users = result.Users;
        int width = SimulatedCatalogue.Digits(users.Count);
        AtomicFile.Write(path, stream =>
        {
            var b = new Utf8Buffer(1 << 20);
            b.Ascii("user,favourite_categories,favourite_brands,activity\n"u8);
            for (int u = 0; u < users.Count; u++)
            {
                b.Byte((byte)'u'); b.Padded(u + 1, width); b.Byte((byte)',');
                b.Field(result.FavouriteCategoriesText(u)); b.Byte((byte)',');
                b.Field(result.FavouriteBrandsText(u)); b.Byte((byte)',');
                b.Int(users.Activity[u]);
                b.Ascii(NewLine);
                if (b.Length > 1 << 19) b.WriteTo(stream);
            }
            b.WriteTo(stream);
        });
    }

    private static readonly byte[][] EventBytes = EventMix.EventNames.Select(n => System.Text.Encoding.ASCII.GetBytes(n)).ToArray();

    public static void WriteInteractions(SimulationResult result, string path, IProgressReporter? progress = null)
    {
        progress ??= NullProgress.Instance;
        int U = result.Users.Count;
        int uWidth = SimulatedCatalogue.Digits(U), iWidth = SimulatedCatalogue.Digits(result.Catalogue.Count);
        const int usersPerBlock = 2048;
        int blocks = (U + usersPerBlock - 1) / usersPerBlock;
        int threads = result.Options.Threads;
        int wave = Math.Max(1, threads * 2);
        var buffers = Enumerable.Range(0, wave).Select(_ => new Utf8Buffer(1 << 20)).ToArray();
        var offsets = result.UserOffsets;
        var cat = result.Catalogue;
        using var task = progress.Start("writing interactions.csv", result.Count);
        AtomicFile.Write(path, stream =>
        {
            stream.Write("user,item,score,timestamp,event\n"u8);
            for (int first = 0; first < blocks; first += wave)
            {
                int count = Math.Min(wave, blocks - first);
                Parallel.For(0, count, new ParallelOptions { MaxDegreeOfParallelism = threads }, k =>
                {
                    var b = buffers[k];
                    b.Clear();
                    int block = first + k;
                    int end = Math.Min(U, (block + 1) * usersPerBlock);
                    for (int u = block * usersPerBlock; u < end; u++)
                    {
                        for (int r = offsets[u]; r < offsets[u + 1]; r++)
                        {
                            b.Byte((byte)'u'); b.Padded(u + 1, uWidth); b.Byte((byte)',');
                            ItemId(b, cat, result.Items[r], iWidth); b.Byte((byte)',');
                            if (result.Scores[r] != 0) b.Byte((byte)('0' + result.Scores[r]));
                            b.Byte((byte)',');
                            b.Timestamp(result.Timestamps[r]); b.Byte((byte)',');
                            b.Ascii(EventBytes[result.Events[r]]);
                            b.Byte((byte)'\n');
                        }
                    }
                });
                for (int k = 0; k < count; k++) buffers[k].WriteTo(stream);
                int lastUser = Math.Min(U, (first + count) * usersPerBlock);
                task.Advance(offsets[lastUser] - offsets[first * usersPerBlock]);
            }
        });
    }

    public static void WriteNegatives(SimulationResult result, string path)
    {
        int U = result.Users.Count;
        int uWidth = SimulatedCatalogue.Digits(U), iWidth = SimulatedCatalogue.Digits(result.Catalogue.Count);
        AtomicFile.Write(path, stream =>
        {
            var b = new Utf8Buffer(1 << 20);
            b.Ascii("user,item,label\n"u8);
            for (int u = 0; u < U; u++)
            {
                for (int k = result.NegativeOffsets[u]; k < result.NegativeOffsets[u + 1]; k++)
                {
                    b.Byte((byte)'u'); b.Padded(u + 1, uWidth); b.Byte((byte)',');
                    ItemId(b, result.Catalogue, result.NegativeItems[k], iWidth);
                    b.Ascii(",0\n"u8);
                }
                if (b.Length > 1 << 19) b.WriteTo(stream);
            }
            b.WriteTo(stream);
        });
    }
}
