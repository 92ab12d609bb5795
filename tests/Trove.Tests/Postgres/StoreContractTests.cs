using Trove.Core.Data;
using Trove.Core.Errors;
using Trove.Data.Readers;
using Trove.Data.Stores;
using Trove.Tests.Data;
using Trove.Tests.Support;

namespace Trove.Tests.Postgres;

/// <summary>
/// The store contract: every test runs against SQLite and PostgreSQL (theory rows "sqlite" and "postgres"; each test
/// opens fresh stores: a new SQLite file, a new schema of the class's PostgreSQL database).
/// </summary>
public sealed class StoreContractTests(PostgresTestServer server) : IClassFixture<PostgresTestServer>
{
    /// <summary>A location for a new empty store (a SQLite path or a PostgreSQL connection string).</summary>
    private string NewLocation(string kind)
    {
        if (kind == StoresAttribute.Sqlite) return Path.Combine(TestPaths.NewTempDirectory(), "trove.db");
        server.Require();
        return server.NewSchema();
    }

    private static IInteractionStore Open(string location, bool create = true) => InteractionStores.Open(location, create);

    private static string Folder(string interactions, string? items = null)
    {
        var dir = TestPaths.NewTempDirectory();
        CsvTestFiles.Write(interactions, "interactions.csv", dir);
        if (items is not null) CsvTestFiles.Write(items, "items.csv", dir);
        return dir;
    }

    private static FeatureTable OneRow(params (string Column, string Value)[] values)
    {
        var table = new FeatureTable();
        foreach (var (column, value) in values) table.Categorical[column] = [value];
        return table;
    }

    [Theory, Stores, PostgresData]
    public void Catalogue_writes_create_replace_hide_and_survive_reopening(string kind)
    {
        var location = NewLocation(kind);
        using (var store = Open(location)) store.Import(DatasetLoader.Load(Folder("user,item\na,x\n", "item,category,title\nx,books,Old\n")));
        var published = new DateTimeOffset(2026, 5, 1, 12, 0, 0, TimeSpan.Zero);
        using (var store = Open(location, create: false))
        {
            Assert.Empty(store.CatalogueItems()); // imported items are not catalogue writes
            using var session = store.BeginImport();
            session.PutItem(new CatalogueItemWrite("new", OneRow(("category", "toys"), ("title", "Kite")), Hidden: null, published));
            session.PutItem(new CatalogueItemWrite("x", OneRow(("title", "New title")), Hidden: true, null));
            session.PutUser("b", OneRow(("country", "NO")));
            session.Commit();
        }
        using (var store = Open(location, create: false))
        {
            var rows = store.CatalogueItems().ToDictionary(r => r.Id);
            Assert.Equal(["new", "x"], rows.Keys.Order());
            Assert.Equal((false, (DateTimeOffset?)published), (rows["new"].Hidden, rows["new"].Timestamp));
            Assert.Equal((true, (DateTimeOffset?)null), (rows["x"].Hidden, rows["x"].Timestamp));
            var d = store.LoadDataset();
            var category = d.ItemFeatures.Categorical["category"];
            var title = d.ItemFeatures.Text["title"]; // the import declared it a text column; catalogue writes keep the declared kind
            Assert.Equal(("toys", "Kite"), (category[d.Items.IndexOf("new")], title[d.Items.IndexOf("new")]));
            // PUT replaces an item's features: the category it no longer names is gone.
            Assert.Equal((null, "New title"), (category[d.Items.IndexOf("x")], title[d.Items.IndexOf("x")]));
            Assert.Equal("NO", d.UserFeatures.Categorical["country"][d.Users.IndexOf("b")]);

            // Without features or flag the stored ones stay; hidden=false unhides.
            using var session = store.BeginImport();
            session.PutItem(new CatalogueItemWrite("x", null, Hidden: null, null));
            session.PutItem(new CatalogueItemWrite("new", null, Hidden: true, null));
            session.Commit();
            rows = store.CatalogueItems().ToDictionary(r => r.Id);
            Assert.Equal((true, true), (rows["x"].Hidden, rows["new"].Hidden));
            Assert.Equal(published, rows["new"].Timestamp);
            Assert.Equal("New title", store.LoadDataset().ItemFeatures.Text["title"][d.Items.IndexOf("x")]);
            using var unhide = store.BeginImport();
            unhide.PutItem(new CatalogueItemWrite("x", null, Hidden: false, null));
            unhide.Commit();
            Assert.False(store.CatalogueItems().Single(r => r.Id == "x").Hidden);
        }
    }

    [Theory, Stores, PostgresData]
    public void A_users_interactions_after_a_mark_come_back_in_order(string kind)
    {
        using var store = Open(NewLocation(kind));
        Assert.Equal(0, store.LastInteractionId());
        using (var before = store.BeginImport())
        {
            before.AddInteractions([new InteractionRecord("ann", "x", 1f, null, 0, "view"), new InteractionRecord("bob", "x", 1f, null, 0, "view")]);
            before.Commit();
        }
        long mark = store.LastInteractionId();
        Assert.True(mark > 0);
        using (var after = store.BeginImport())
        {
            after.AddInteractions([new InteractionRecord("ann", "y", 0.6f, null, 1700000000, "purchase"), new InteractionRecord("bob", "z", 1f, null, 0, "view"),
                new InteractionRecord("ann", "z", 0.1f, null, 0, null)]);
            after.Commit();
        }
        var ann = store.InteractionsAfter("ann", mark);
        Assert.Equal(["y", "z"], ann.Select(r => r.Item).ToArray());
        Assert.Equal((0.6f, 1700000000L, "purchase"), (ann[0].Weight, ann[0].Timestamp, ann[0].Event));
        Assert.Null(ann[1].Event);
        Assert.Empty(store.InteractionsAfter("nobody", 0));
        Assert.Equal(3, store.InteractionsAfter("ann", 0).Count);
    }

    [Theory, Stores, PostgresData]
    public void Later_writes_find_existing_users_and_items_whether_few_or_many_ids_are_looked_up(string kind)
    {
        // A small write resolves ids one at a time; a write touching more than RowIds.ReadAllAfter ids reads the table once.
        // Either way an existing id must map to its row (no duplicate users/items) and a new id must get a fresh row.
        using var store = Open(NewLocation(kind));
        using (var first = store.BeginImport())
        {
            first.AddInteractions(Enumerable.Range(0, 400).Select(i => new InteractionRecord($"u{i}", $"i{i % 50}", 1f, null, 0, "view")));
            first.Commit();
        }
        using (var few = store.BeginImport())
        {
            few.AddInteractions([new InteractionRecord("u3", "i7", 1f, null, 0, "purchase"), new InteractionRecord("new-user", "new-item", 1f, null, 0, "view")]);
            var result = few.Commit();
            Assert.Equal((1L, 1L), (result.NewUsers, result.NewItems));
        }
        using (var many = store.BeginImport())
        {
            many.AddInteractions(Enumerable.Range(0, 400).Select(i => new InteractionRecord($"u{399 - i}", "new-item", 1f, null, 0, "view"))
                .Append(new InteractionRecord("another-user", "i1", 1f, null, 0, "view")));
            var result = many.Commit();
            Assert.Equal((1L, 0L), (result.NewUsers, result.NewItems));
        }
        var counts = store.Counts();
        Assert.Equal((402L, 51L, 803L), (counts.Users, counts.Items, counts.Interactions));
        var d = store.LoadDataset();
        Assert.Equal(3, Enumerable.Range(0, d.Interactions.Count).Count(k => d.Users[d.Interactions.Users[k]] == "u3"));
    }

    [Theory, Stores, PostgresData]
    public void Import_then_load_gives_the_same_interactions_features_and_kinds(string kind)
    {
        var original = DatasetLoader.Load(Folder(
            "user,item,score,timestamp,event\nu1,i1,2,100,view\nu2,i2,,200,purchase\nu1,i2,1,,\n",
            "item,category,price,title,kind\ni2,books,9.5,Dune,product\ni1,music,,Blue,track\ni9,toys,3,Cold,product\n"));
        var location = NewLocation(kind);
        using (var store = Open(location))
        {
            var result = store.Import(original);
            Assert.Equal((2L, 3L, 3L), (result.NewUsers, result.NewItems, result.Interactions));
        }
        using (var store = Open(location, create: false))
        {
            Assert.Equal(SqliteStore.LatestSchemaVersion, store.SchemaVersion);
            var loaded = store.LoadDataset();
            Assert.Equal(original.Users.Ids, loaded.Users.Ids);
            Assert.Equal(original.Items.Ids, loaded.Items.Ids);
            var a = original.Interactions; var b = loaded.Interactions;
            Assert.Equal(a.Users, b.Users);
            Assert.Equal(a.Items, b.Items);
            Assert.Equal(a.Weights, b.Weights);
            Assert.Equal(a.Timestamps, b.Timestamps);
            Assert.Equal(a.Events.Select(e => e < 0 ? null : a.EventNames[e]), b.Events.Select(e => e < 0 ? null : b.EventNames[e]));
            Assert.Equal(a.Scores, b.Scores);
            Assert.Equal(original.ItemFeatures.Categorical["category"], loaded.ItemFeatures.Categorical["category"]);
            Assert.Equal(original.ItemFeatures.Numeric["price"], loaded.ItemFeatures.Numeric["price"]);
            Assert.Equal(original.ItemFeatures.Text["title"], loaded.ItemFeatures.Text["title"]);
            Assert.Equal(original.Fingerprint(), loaded.Fingerprint());
            var kinds = store.Collaborative().ItemPopularity().ToDictionary(p => p.Item, p => p.Kind);
            Assert.Equal("track", kinds["i1"]);
            Assert.Equal("product", kinds["i2"]);
        }
    }

    [Theory, Stores, PostgresData]
    public void A_failed_import_rolls_back_everything_and_the_store_stays_usable(string kind)
    {
        using var store = Open(NewLocation(kind));
        store.Import(DatasetLoader.Load(Folder("user,item,score\na,x,1\nb,y,2\n")));
        var before = store.Counts();
        var users = new IdMap(["a", "new-user-1", "new-user-2"]);
        var items = new IdMap(["x", "new-item"]);
        var log = new InteractionLog([1, 2, 0], [1, 1, 0], [1f, float.NaN, 1f], new long[3], [-1, -1, -1], []);
        var e = Assert.Throws<TroveException>(() => store.Import(new Dataset(users, items, log)));
        Assert.Contains("nothing was imported", e.Message);
        Assert.Equal(before, store.Counts());
        Assert.Equal(["a", "b"], store.LoadDataset().Users.Ids);
        // The next import works and continues the ids.
        store.Import(DatasetLoader.Load(Folder("user,item,score\nc,x,1\n")));
        Assert.Equal(["a", "b", "c"], store.LoadDataset().Users.Ids);
    }

    /// <summary>Records for new users and items that cancel <paramref name="cancel"/> once <paramref name="cancelAfter"/> were taken.</summary>
    private static IEnumerable<InteractionRecord> CancellingRecords(int count, int cancelAfter, CancellationTokenSource cancel)
    {
        for (int n = 0; n < count; n++)
        {
            if (n == cancelAfter) cancel.Cancel();
            yield return new InteractionRecord($"cu{n % 3000}", $"ci{n % 700}", 1f, null, 1_700_000_000 + n, "view");
        }
    }

    [Theory, Stores, PostgresData]
    public async Task A_cancelled_import_stops_and_leaves_the_store_unchanged(string kind)
    {
        using var store = Open(NewLocation(kind));
        await store.ImportAsync(DatasetLoader.Load(Folder("user,item,score\na,x,1\nb,y,2\n")));
        var before = store.Counts();

        // Cancelled while rows stream in: the import stops long before the end of its 200,000 rows, and nothing of it stays.
        using (var cancel = new CancellationTokenSource())
        {
            var records = CancellingRecords(200_000, cancelAfter: 10_000, cancel);
            using var session = store.BeginImport();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => session.AddInteractionsAsync(records, cancel: cancel.Token));
        }
        Assert.Equal(before, store.Counts());

        // Cancelled after the rows are in, before the commit: still nothing.
        using (var cancel = new CancellationTokenSource())
        {
            using var session = store.BeginImport();
            await session.AddInteractionsAsync(CancellingRecords(5_000, cancelAfter: -1, cancel));
            cancel.Cancel();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => session.CommitAsync(cancel.Token));
        }
        Assert.Equal(before, store.Counts());

        // A whole dataset with a token cancelled before it starts.
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => store.ImportAsync(DatasetLoader.Load(Folder("user,item\nc,z\n")), cancel: new CancellationToken(canceled: true)));
        Assert.Equal(before, store.Counts());
        Assert.Equal(["a", "b"], store.LoadDataset().Users.Ids);

        // The store is usable afterwards, and the async reads see what the sync ones see.
        long mark = await store.LastInteractionIdAsync();
        Assert.Equal(store.LastInteractionId(), mark);
        using (var session = store.BeginImport())
        {
            Assert.Equal(2, await session.AddInteractionsAsync([new InteractionRecord("a", "y", 1f, null, 5, "view"), new InteractionRecord("c", "x", 2f, 0.5f, 6, null)]));
            await session.CommitAsync();
        }
        Assert.Equal(before.Interactions + 2, store.Counts().Interactions);
        var after = await store.InteractionsAfterAsync("a", mark);
        Assert.Equal([new InteractionRecord("a", "y", 1f, null, 5, "view")], after);
        Assert.Equal(store.InteractionsAfter("c", mark), await store.InteractionsAfterAsync("c", mark));
    }

    [Theory, Stores, PostgresData]
    public async Task Cancelled_recommendation_and_similarity_writes_keep_the_previous_rows(string kind)
    {
        using var store = Open(NewLocation(kind));
        await store.ImportAsync(DatasetLoader.Load(Folder("user,item\na,x\nb,y\n")));
        Assert.Equal(2, await store.SaveRecommendationsAsync("m1", [new RecommendationRow("a", 1, "y", 0.5f), new RecommendationRow("b", 1, "x", 0.25f)]));
        var saved = store.GetRecommendations("m1");

        using var cancel = new CancellationTokenSource();
        IEnumerable<RecommendationRow> Many()
        {
            for (int n = 0; n < 100_000; n++)
            {
                if (n == 20_000) cancel.Cancel();
                yield return new RecommendationRow($"u{n}", 1, "x", 1f);
            }
        }
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => store.SaveRecommendationsAsync("m1", Many(), cancel.Token));
        Assert.Equal(saved, store.GetRecommendations("m1"));

        // The same for a metric's user similarities.
        var collaborative = store.Collaborative();
        Assert.Equal(1, await collaborative.SaveUserSimilaritiesAsync("cosine", [new UserSimilarityRow("a", 1, "b", 0.5f, 1)]));
        var similar = collaborative.GetUserSimilarities(metric: "cosine");
        using var stop = new CancellationTokenSource();
        IEnumerable<UserSimilarityRow> ManySimilar()
        {
            for (int n = 0; n < 100_000; n++)
            {
                if (n == 20_000) stop.Cancel();
                yield return new UserSimilarityRow("a", n + 1, "b", 0.1f, 1);
            }
        }
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => collaborative.SaveUserSimilaritiesAsync("cosine", ManySimilar(), stop.Token));
        Assert.Equal(similar, collaborative.GetUserSimilarities(metric: "cosine"));
    }

    [Theory, Stores, PostgresData]
    public void A_malformed_csv_line_late_in_the_file_leaves_the_store_unchanged(string kind)
    {
        using var store = Open(NewLocation(kind));
        DataImporter.Import(store, Folder("user,item,score\na,x,1\n"));
        var before = store.Counts();
        var lines = string.Join("", Enumerable.Range(0, 5000).Select(i => $"u{i},i{i % 97},1\n"));
        var e = Assert.ThrowsAny<TroveException>(() => DataImporter.Import(store, Folder("user,item,score\n" + lines + "bad,row,notanumber\n")));
        Assert.Contains("5002", e.Message);
        Assert.Equal(before, store.Counts());
    }

    [Theory, Stores, PostgresData]
    public void Appending_maps_existing_ids_to_existing_rows_and_merges_features(string kind)
    {
        using var store = Open(NewLocation(kind));
        store.Import(DatasetLoader.Load(Folder("user,item\na,x\n", "item,genre\nx,rock\n")));
        var second = store.Import(DatasetLoader.Load(Folder("user,item\na,y\nb,x\n", "item,year\nx,1999\ny,2001\n")));
        Assert.Equal((1L, 1L), (second.NewUsers, second.NewItems));
        var d = store.LoadDataset();
        Assert.Equal(["x", "y"], d.Items.Ids);
        Assert.Equal("rock", d.ItemFeatures.Categorical["genre"][0]);
        Assert.Equal(1999f, d.ItemFeatures.Numeric["year"][0]);
        Assert.Equal(3, d.Interactions.Count);
    }

    [Theory, Stores, PostgresData]
    public void Recommendations_are_replaced_per_model_version_and_a_bad_batch_keeps_the_old_rows(string kind)
    {
        using var store = Open(NewLocation(kind));
        store.SaveRecommendations("m1", [new("u", 1, "a", 0.9f), new("u", 2, "b", 0.5f)]);
        store.SaveRecommendations("m2", [new("u", 1, "c", 0.7f)]);
        Assert.Equal(1, store.SaveRecommendations("m1", [new("v", 1, "z", 0.1f)]));
        Assert.Equal([new RecommendationRow("v", 1, "z", 0.1f)], store.GetRecommendations("m1"));
        Assert.Single(store.GetRecommendations("m2"));
        Assert.Throws<TroveException>(() => store.SaveRecommendations("m1", [new("w", 1, "a", 1f), new("w", 1, "b", 1f)]));
        Assert.Throws<TroveException>(() => store.SaveRecommendations("m1", [new("w", 1, "a", float.NaN)]));
        Assert.Equal([new RecommendationRow("v", 1, "z", 0.1f)], store.GetRecommendations("m1"));
        Assert.Equal(2, store.Counts().Recommendations);
    }

    [Theory, Stores, PostgresData]
    public void Models_are_registered_updated_and_listed(string kind)
    {
        using var store = Open(NewLocation(kind));
        var created = new DateTime(2026, 1, 2, 3, 4, 5, DateTimeKind.Utc);
        store.RegisterModel(new ModelRecord { Algorithm = "ease", ModelVersion = "v1", CreatedUtc = created, ParametersJson = "{\"lambda\":1}" });
        store.RegisterModel(new ModelRecord { Algorithm = "ease", ModelVersion = "v1", CreatedUtc = created, Path = "/m" });
        store.SetModelMetrics("v1", "{\"ndcg@10\":0.3}");
        var m = Assert.Single(store.ListModels());
        Assert.Equal(("/m", "{\"ndcg@10\":0.3}", created), (m.Path, m.MetricsJson, m.CreatedUtc));
        Assert.Throws<TroveException>(() => store.SetModelMetrics("nope", "{}"));
    }

    [Theory, Stores, PostgresData]
    public void Reopening_is_idempotent_and_keeps_the_data(string kind)
    {
        var location = NewLocation(kind);
        using (var store = Open(location)) store.Import(DatasetLoader.Load(Folder("user,item\na,x\n")));
        for (int k = 0; k < 3; k++)
        {
            using var store = Open(location, create: false);
            Assert.Equal(SqliteStore.LatestSchemaVersion, store.SchemaVersion);
            Assert.Equal(1, store.Counts().Interactions);
        }
    }

    [Theory, Stores, PostgresData]
    public void User_similarities_of_each_metric_are_replaced_atomically_and_kept_side_by_side(string kind)
    {
        using var store = Open(NewLocation(kind));
        store.Import(DatasetLoader.Load(Folder("user,item\na,x\nb,x\nc,x\n")));
        var c = store.Collaborative();
        Assert.Equal(2, c.SaveUserSimilarities("cosine", [new("a", 1, "b", 0.9f, 3), new("a", 2, "c", 0.5f, 2)]));
        Assert.Equal(1, c.SaveUserSimilarities("jaccard", [new("b", 1, "c", 0.25f, 1)]));
        UserSimilarityRow[] cosine = [new("a", 1, "b", 0.9f, 3, "cosine"), new("a", 2, "c", 0.5f, 2, "cosine")];
        UserSimilarityRow[] jaccard = [new("b", 1, "c", 0.25f, 1, "jaccard")];
        Assert.Equal([.. cosine, .. jaccard], c.GetUserSimilarities());
        Assert.Equal(jaccard, c.GetUserSimilarities(metric: "jaccard"));
        Assert.Equal(cosine, c.GetUserSimilarities("a", "cosine"));
        // A failing run (unknown user half way, duplicate rank) keeps that metric's previous rows.
        Assert.Throws<TroveException>(() => c.SaveUserSimilarities("cosine", [new("a", 1, "b", 0.9f, 3), new("a", 2, "nobody", 0.5f, 2)]));
        Assert.Throws<TroveException>(() => c.SaveUserSimilarities("cosine", [new("a", 1, "b", 0.9f, 3), new("a", 1, "c", 0.5f, 2)]));
        Assert.Equal([.. cosine, .. jaccard], c.GetUserSimilarities());
        // A new run of one metric replaces only that metric's rows.
        Assert.Equal(1, c.SaveUserSimilarities("cosine", [new("c", 1, "a", 0.4f, 1)]));
        Assert.Equal([new UserSimilarityRow("c", 1, "a", 0.4f, 1, "cosine"), .. jaccard], c.GetUserSimilarities());
        Assert.Empty(c.GetUserSimilarities("a"));
    }

    [Theory, Stores, PostgresData]
    public void Profiles_and_tags_are_written_with_the_users_interactions_and_replaced_with_them(string kind)
    {
        using var store = Open(NewLocation(kind));
        var c = store.Collaborative();
        var items = new IdMap(["t1", "t2"]);
        var features = new FeatureTable();
        features.Categorical["kind"] = ["track", "track"];
        var registered = new DateTime(2010, 5, 1, 12, 0, 0, DateTimeKind.Utc);
        c.ReplaceUserInteractions("ann", ["play", "tag"], items, features, [new("ann", "t1", 3, 3, 0, "play"), new("ann", "t2", 1, 1, 0, "tag")],
            new LastFmUserProfile("ann", "Ann A", "Norway", 1234, registered, "https://www.last.fm/user/ann"),
            [new UserItemTag("ann", "t2", "jazz"), new UserItemTag("ann", "t1", "rock"), new UserItemTag("ann", "t2", "bebop")]);
        var p = Assert.Single(c.LastFmUsers());
        Assert.Equal(new LastFmUserProfile("ann", "Ann A", "Norway", 1234, registered, "https://www.last.fm/user/ann") { FetchedUtc = p.FetchedUtc }, p);
        Assert.NotNull(p.FetchedUtc);
        Assert.Equal([new UserItemTag("ann", "t1", "rock"), new UserItemTag("ann", "t2", "bebop"), new UserItemTag("ann", "t2", "jazz")], c.UserItemTags());

        // A tag on an item that is neither stored nor in the rows fails the whole write: interactions, profile and tags stay as they were.
        Assert.Throws<TroveException>(() => c.ReplaceUserInteractions("ann", ["play", "tag"], new IdMap(), new FeatureTable(), [new("ann", "t1", 9, 9, 0, "play")],
            new LastFmUserProfile("ann", null, null, null, null, null), [new UserItemTag("ann", "nowhere", "pop")]));
        Assert.Equal("Norway", Assert.Single(c.LastFmUsers()).Country);
        Assert.Equal(3, c.UserItemTags("ann").Count);
        Assert.Equal(3.0, Assert.Single(c.UserStats()).TotalPlays);

        // A new write replaces the profile and the tags (an empty list clears them).
        c.ReplaceUserInteractions("ann", ["play", "tag"], new IdMap(), new FeatureTable(), [new("ann", "t1", 5, 5, 0, "play")],
            new LastFmUserProfile("ann", "Ann B", null, 1300, null, null), []);
        Assert.Equal(("Ann B", (string?)null, 1300L), (c.LastFmUsers()[0].RealName, c.LastFmUsers()[0].Country, c.LastFmUsers()[0].PlayCount));
        Assert.Empty(c.UserItemTags());
    }

    [Theory, Stores, PostgresData]
    public void A_tag_given_twice_in_one_write_is_stored_once(string kind)
    {
        // Last.fm can list a tag twice (also with stray spaces); both stores keep one row per user, item and tag.
        using var store = Open(NewLocation(kind));
        var c = store.Collaborative();
        c.ReplaceUserInteractions("ann", null, new IdMap(["t1"]), new FeatureTable(), [new("ann", "t1", 1, 1, 0, "play")], null,
            [new UserItemTag("ann", "t1", "jazz"), new UserItemTag("ann", "t1", " jazz "), new UserItemTag("ann", "t1", "rock")]);
        Assert.Equal([new UserItemTag("ann", "t1", "jazz"), new UserItemTag("ann", "t1", "rock")], c.UserItemTags("ann"));
    }

    [Theory, Stores, PostgresData]
    public void Views_count_items_plays_loves_and_users(string kind)
    {
        using var store = Open(NewLocation(kind));
        var c = store.Collaborative();
        var items = new IdMap(["t1", "t2", "t3"]);
        var features = new FeatureTable();
        features.Categorical["kind"] = ["track", "track", "album"];
        // ann: t1 12 plays + loved, t2 3 plays, t3 5 plays; bob: t1 4 plays, t3 loved only.
        c.ReplaceUserInteractions("ann", null, items, features,
        [
            new("ann", "t1", 12, 12, 0, "play"), new("ann", "t1", 1, null, 1700000000, "love"),
            new("ann", "t2", 3, 3, 0, "play"), new("ann", "t3", 5, 5, 0, "play"),
        ]);
        c.ReplaceUserInteractions("bob", null, new IdMap(), new FeatureTable(), [new("bob", "t1", 4, 4, 0, "play"), new("bob", "t3", 1, null, 0, "love")]);
        var stats = c.UserStats().ToDictionary(s => s.User);
        Assert.Equal((3L, 4L, 20.0, 1L), (stats["ann"].Items, stats["ann"].Interactions, stats["ann"].TotalPlays, stats["ann"].Loves));
        Assert.Equal((2L, 2L, 4.0, 1L), (stats["bob"].Items, stats["bob"].Interactions, stats["bob"].TotalPlays, stats["bob"].Loves));
        Assert.NotNull(stats["ann"].LastUpdateUtc);
        Assert.InRange(stats["ann"].LastUpdateUtc!.Value, DateTime.UtcNow.AddMinutes(-5), DateTime.UtcNow.AddMinutes(5));
        var pop = c.ItemPopularity();
        Assert.Equal(["t1", "t3", "t2"], pop.Select(p => p.Item));
        Assert.Equal(new ItemPopularityRow("t1", "track", 2, 16, 1, 8), pop[0]);
        Assert.Equal(new ItemPopularityRow("t3", "album", 2, 5, 1, 2.5), pop[1]);
        Assert.Equal(new ItemPopularityRow("t2", "track", 1, 3, 0, 3), pop[2]);

        // Re-fetching ann replaces only her play/love rows.
        c.ReplaceUserInteractions("ann", ["play", "love"], new IdMap(), new FeatureTable(), [new("ann", "t2", 7, 7, 0, "play")]);
        stats = c.UserStats().ToDictionary(s => s.User);
        Assert.Equal((1L, 7.0, 0L), (stats["ann"].Items, stats["ann"].TotalPlays, stats["ann"].Loves));
        Assert.Equal((2L, 4.0), (stats["bob"].Items, stats["bob"].TotalPlays));
        Assert.Throws<TroveException>(() => c.ReplaceUserInteractions("ann", null, new IdMap(), new FeatureTable(), [new("ann", "t1", 1), new("bob", "t1", 1)]));
        Assert.Equal(7.0, c.UserStats().Single(s => s.User == "ann").TotalPlays);
    }

    [Theory, Stores, PostgresData]
    public void Ingest_logs_round_trip_newest_first(string kind)
    {
        using var store = Open(NewLocation(kind));
        var c = store.Collaborative();
        var t0 = new DateTime(2026, 3, 1, 10, 0, 0, DateTimeKind.Utc);
        c.LogIngest(new IngestLogEntry { Source = "import", Target = "/data", StartedUtc = t0, FinishedUtc = t0.AddSeconds(2), Rows = 92834 });
        c.LogIngest(new IngestLogEntry { Source = "lastfm:user.getTopTracks", Target = "rj", StartedUtc = t0.AddMinutes(1), FinishedUtc = t0.AddMinutes(1), Status = IngestStatus.Skipped, Error = "private profile", Requests = 1 });
        var logs = c.IngestLogs();
        Assert.Equal(["lastfm:user.getTopTracks", "import"], logs.Select(l => l.Source));
        Assert.Equal((IngestStatus.Skipped, "private profile", 1, "rj"), (logs[0].Status, logs[0].Error, logs[0].Requests, logs[0].Target));
        Assert.Equal((92834L, t0, t0.AddSeconds(2), IngestStatus.Ok), (logs[1].Rows, logs[1].StartedUtc, logs[1].FinishedUtc, logs[1].Status));
    }

    [Theory, Stores, PostgresData]
    public void HetRec_LastFm_imports_with_the_published_counts_tags_friends_and_kinds(string kind)
    {
        using var store = Open(NewLocation(kind));
        var result = DataImporter.Import(store, TestPaths.Dataset("lastfm-2k"));
        var totals = store.Counts();
        Assert.Equal((1892L, 17632L, 92834L), (totals.Users, totals.Items, totals.Interactions));
        Assert.Equal((1892L, 17632L, 92834L), (result.NewUsers, result.NewItems, result.Interactions));
        var d = store.LoadDataset();
        Assert.Equal(92834, d.Interactions.Count);
        Assert.Equal(13883f, d.Interactions.Scores![0]);
        Assert.Equal("MALICE MIZER", d.ItemFeatures.Text["name"][d.Items.IndexOf("1")]);
        Assert.InRange(d.ItemFeatures.Labels("tags", d.Items.IndexOf("52")).Length, 1, LastFmReader.TopTags);
        // user_friends.dat: 25,434 (user, friend) pairs, all of users with plays.
        Assert.Equal(25434, Enumerable.Range(0, d.UserCount).Sum(u => d.UserFeatures.Labels("friends", u).Length));
        Assert.Contains("275", d.UserFeatures.Labels("friends", d.Users.IndexOf("2")));
        var c = store.Collaborative();
        Assert.All(c.ItemPopularity(5), p => Assert.Equal("artist", p.Kind));
        var stats = c.UserStats();
        Assert.Equal(1892, stats.Count);
        Assert.Equal(92834, stats.Sum(s => s.Items));
        Assert.Equal(d.Interactions.Weights.Sum(w => (double)w), stats.Sum(s => s.TotalPlays), 0);
    }
}

/// <summary>Upgrading a version-2 database (the schema before the Last.fm guide's relations) keeps its similarities.</summary>
public sealed class SchemaUpgradeTests(PostgresTestServer server) : IClassFixture<PostgresTestServer>
{
    private const string V2Rows = """
        INSERT INTO users(id, external_id) VALUES (1, 'a'), (2, 'b');
        INSERT INTO user_similarities(user_id, rank, similar_user_id, similarity, shared_items, metric, computed_utc) VALUES (1, 1, 2, 0.5, 3, 'cosine', '2026-01-01T00:00:00Z');
        """;

    [Theory, Stores, PostgresData]
    public void A_version_2_database_migrates_to_the_latest_with_its_similarities_kept(string kind)
    {
        string location;
        if (kind == StoresAttribute.Sqlite)
        {
            location = Path.Combine(TestPaths.NewTempDirectory(), "v2.db");
            using var c = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={location};Pooling=False");
            c.Open();
            using var cmd = c.CreateCommand();
            cmd.CommandText = "CREATE TABLE schema_version (version INTEGER PRIMARY KEY, applied_utc TEXT NOT NULL);" +
                              SqliteStore.Migrations[0] + ";" + SqliteStore.Migrations[1] + ";" +
                              "INSERT INTO schema_version VALUES (1, 'x'), (2, 'x');" + V2Rows;
            cmd.ExecuteNonQuery();
        }
        else
        {
            server.Require();
            location = server.NewSchema();
            var b = new Npgsql.NpgsqlConnectionStringBuilder(location);
            using var c = new Npgsql.NpgsqlConnection(location);
            c.Open();
            using var cmd = c.CreateCommand();
            cmd.CommandText = $"CREATE SCHEMA {b.SearchPath}; SET search_path = {b.SearchPath};" +
                              "CREATE TABLE schema_version (version integer PRIMARY KEY, applied_utc timestamptz NOT NULL);" +
                              PostgresSchema.Migrations[0] + ";" + PostgresSchema.Migrations[1] + ";" +
                              "INSERT INTO schema_version VALUES (1, now()), (2, now());" + V2Rows;
            cmd.ExecuteNonQuery();
        }
        using var store = InteractionStores.Open(location, createIfMissing: false);
        Assert.Equal(InteractionStores.IsPostgres(location) ? PostgresStore.LatestSchemaVersion : SqliteStore.LatestSchemaVersion, store.SchemaVersion);
        var c2 = store.Collaborative();
        Assert.Equal([new UserSimilarityRow("a", 1, "b", 0.5f, 3, "cosine")], c2.GetUserSimilarities());
        // The new key lets another metric sit beside the kept rows.
        c2.SaveUserSimilarities("jaccard", [new("a", 1, "b", 0.25f, 3)]);
        Assert.Equal(2, c2.GetUserSimilarities("a").Count);
    }
}
