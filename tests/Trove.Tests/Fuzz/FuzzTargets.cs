using System.Text;
using Trove.Core.Data;
using Trove.Core.Persistence;
using Trove.Core.Training;
using Trove.Data.Formats;
using Trove.Data.Readers;
using Trove.Models;
using Trove.Workflows;
using Trove.Tests.Support;

namespace Trove.Tests.Fuzz;

/// <summary>Every input reader with small valid seed files (written here, in each format's real layout).</summary>
public static class FuzzTargets
{
    private static Dictionary<string, byte[]> Files(params (string Name, string Text)[] files) =>
        files.ToDictionary(f => f.Name, f => Encoding.UTF8.GetBytes(f.Text));

    private static string P(string dir, string file) => Path.Combine(dir, file);

    public static readonly FuzzTarget InteractionCsv = new("interaction-csv", Files(("interactions.csv",
        "user,item,score,timestamp,event\n" +
        "u1,i1,1,1700000000,view\nu1,i2,2.5,2024-03-01T12:00:00Z,purchase\n\"u,2\",i1,,2024-03-01,add_to_cart\n" +
        "u2,\"i \"\"3\"\"\",4,1700000100.5,rating\nu3,i2,1,,\nu3,i4,0.5,2024-03-01 12:00:00+02:00,view\r\nu4,i1,3,1700000200,purchase\n")),
        dir => InteractionCsvReader.Read(P(dir, "interactions.csv")));

    /// <summary>Renamed columns, ';' delimiter and strict event weights (an unknown event is an error).</summary>
    public static readonly FuzzTarget MappedCsv = new("interaction-csv-mapped", Files(("events.csv",
        "customer_id;sku;qty;ts;type\nc1;s1;1;1700000000;view\nc1;s2;2;1700000001;purchase\nc2;s1;3;1700000002;view\nc2;s3;1;1700000003;click\n")),
        dir =>
        {
            var options = new CsvOptions
            {
                Columns = CsvColumns.Parse("user=customer_id,item=sku,score=qty,timestamp=ts,event=type"),
                EventWeights = new EventWeights(new Dictionary<string, float> { ["view"] = 0.05f, ["purchase"] = 1f, ["click"] = 0.2f }, unknownEventWeight: null),
            };
            foreach (var _ in InteractionCsvReader.ReadRecords(P(dir, "events.csv"), options)) { }
        });

    /// <summary>A CSV folder: interactions.csv with items.csv and users.csv feature files, through the loader.</summary>
    public static readonly FuzzTarget CsvFolder = new("csv-folder", Files(
        ("interactions.csv", "user,item,score\na,x,1\nb,y,2\nc,x,3\n"),
        ("items.csv", "item,title,category,price\nx,\"Toy, \"\"big\"\"\",toys|kids,9.5\ny,Book,books,12\nz,Cold start,books,\n"),
        ("users.csv", "user,age,country\na,31,NL\nb,,DE\n")),
        dir => DatasetLoader.Load(dir));

    public static readonly FuzzTarget FeatureCsv = new("feature-csv", Files(("items.csv",
        "item,title,category,price,description\nx,Toy,toys|kids,9.5,\"multi\nline\"\ny,Book,books,12,\nz,Cold,books,,plain\n")),
        dir => FeatureCsvReader.ReadInto(P(dir, "items.csv"), "item", new IdMapBuilder(), new FeatureTableBuilder()));

    public static readonly FuzzTarget UniversalJson = new("universal-json", Files(("data.json", """
        {
          "user_data": [
            { "user_id": 1, "image": {"profile_pic": "/p/1.jpg"}, "text": {"bio": "likes \"rock\""}, "categorical": {"country": "USA", "genres": ["rock", "pop"]},
              "continuous": {"age": 25.0}, "temporal": {"session_times": [5, 10, "2024-01-15T10:30:00Z"]} },
            { "user_id": "u2", "categorical": {"country": null}, "continuous": {"age": null} }
          ],
          "item_data": [
            { "item_id": 101, "text": {"title": "Product"}, "categorical": {"category": "electronics", "new": true}, "continuous": {"price": 99.99}, "temporal": {"price_history": [99.99, 89.99]} },
            { "item_id": 102, "text": {"title": ["two", "words"]} }
          ],
          "interactions": [
            {"user_id": 1, "item_id": 101, "interaction_type": "purchase", "timestamp": "2024-01-15T10:30:00"},
            {"user_id": "u2", "item_id": 102, "interaction_type": "view", "timestamp": 1705314600, "score": 2},
            {"user_id": 1, "item_id": 102, "weight": 0.5, "extra": {"ignored": [1, 2]}} // a comment
          ],
          "unknown_section": {"skipped": [1, {"a": 2}]}
        }
        """)),
        dir => UniversalJsonReader.ReadWithSchema(P(dir, "data.json"), new UniversalJsonOptions { BufferSize = 256 }));

    public static readonly FuzzTarget MovieLens100K = new("movielens-100k", Files(
        ("u.data", "196\t242\t3\t881250949\n186\t302\t3\t891717742\n22\t377\t1\t878887116\n196\t302\t5\t881250950\n"),
        ("u.item", "242|Kolya (1996)|24-Jan-1997||http://us.imdb.com/M/title-exact?Kolya%20(1996)|0|0|0|0|0|1|0|0|0|0|0|0|0|0|0|0|0|0|0\n" +
                   "302|L.A. Confidential (1997)|01-Jan-1997||http://x|0|0|0|0|0|0|1|0|0|0|0|0|0|1|0|0|1|0|0\n" +
                   "377|Heavyweights (1994)|01-Jan-1994||http://x|0|0|0|0|1|1|0|0|0|0|0|0|0|0|0|0|0|0|0\n"),
        ("u.user", "196|49|M|writer|55105\n186|39|F|executive|00000\n22|25|M|writer|40206\n")),
        dir => MovieLensReader.Read(dir));

    public static readonly FuzzTarget MovieLens1M = new("movielens-1m", Files(
        ("ratings.dat", "1::1193::5::978300760\n1::661::3::978302109\n2::1193::4::978298413\n"),
        ("movies.dat", "1193::One Flew Over the Cuckoo's Nest (1975)::Drama\n661::James and the Giant Peach (1996)::Animation|Children's|Musical\n"),
        ("users.dat", "1::F::1::10::48067\n2::M::56::16::70072\n")),
        dir => MovieLensReader.Read(dir));

    public static readonly FuzzTarget MovieLensLatest = new("movielens-latest", Files(
        ("ratings.csv", "userId,movieId,rating,timestamp\n1,1,4.0,964982703\n1,3,4.5,964981247\n2,1,2.5,1445714835\n"),
        ("movies.csv", "movieId,title,genres\n1,Toy Story (1995),Adventure|Animation\n3,\"President, The (1995)\",(no genres listed)\n"),
        ("tags.csv", "userId,movieId,tag,timestamp\n2,1,pixar,1445714994\n1,3,\"a, b\",1445714996\n")),
        dir => MovieLensReader.Read(dir));

    public static readonly FuzzTarget Playlists = new("playlists", Files(("playlists.json", """
        [
          {"id": "playlist_1", "song_ids": ["s1", "s2", 3], "user_handle": "user123"},
          {"id": 2, "song_ids": ["s2"], "user_handle": null, "name": "x", "extra": [1, {"a": [2]}]},
          {"id": "playlist_3", "song_ids": []}
        ]
        """)),
        dir => DatasetLoader.Load(P(dir, "playlists.json"), new LoadOptions { Format = PlaylistReader.FormatName, RequireInteractions = false }));

    public static readonly FuzzTarget LastFm = new("lastfm", Files(
        ("user_artists.dat", "userID\tartistID\tweight\n2\t51\t13883\n2\t52\t11690\n3\t51\t228\n"),
        ("artists.dat", "id\tname\turl\tpictureURL\n51\tDuran Duran\thttp://x\thttp://y\n52\tMorcheeba\thttp://x\thttp://y\n"),
        ("tags.dat", "tagID\ttagValue\n1\tmetal\n2\ttrip-hop|chill\n"),
        ("user_taggedartists.dat", "userID\tartistID\ttagID\tday\tmonth\tyear\n2\t52\t2\t1\t4\t2009\n3\t51\t1\t1\t4\t2009\n"),
        ("user_friends.dat", "userID\tfriendID\n2\t3\n3\t2\n")),
        dir => LastFmReader.Read(dir));

    public static readonly FuzzTarget Ncf = new("ncf", Files(
        ("ml.train.rating", "0\t32\t4\t881250949\n0\t33\t3\t881250950\n1\t32\t5\t891717742\n1\t34\t2\t891717743\n"),
        ("ml.test.rating", "0\t34\t5\t881250960\n1\t33\t3\t891717750\n"),
        ("ml.test.negative", "(0,34)\t35\t36\t37\n(1,33)\t35\t38\t32\n")),
        dir => NcfSplitReader.Read(P(dir, "ml.train.rating"), P(dir, "ml.test.rating"), P(dir, "ml.test.negative"), ratingAsWeight: true));

    public static readonly FuzzTarget LightGcn = new("lightgcn", Files(
        ("train.txt", "0 10 11 12\n1 11 13\n2 10 14 15\n"),
        ("test.txt", "0 13 14\n1 10\n2 11\n3 12\n")),
        dir => LightGcnReader.ReadSplit(P(dir, "train.txt"), P(dir, "test.txt")));

    public static readonly FuzzTarget Config = new("training-config", Files(("config.json", """
        {
          "model": "hybrid",
          "features": {
            "item": ["categorical", "continuous", {"group": "text", "encoder": "tfidf", "columns": ["title"], "weight": 2, "options": {"dimensions": 64}}],
            "user": ["categorical"]
          },
          "encoders": {"text": {"encoder": "tfidf", "dimensions": 128}},
          "samples": {"negative_ratio": 4, "strategy": "uniform"},
          "training": {"seed": 42, "threads": 2, "epochs": 10},
          "hybrid": {"weights": {"content": 0.5, "collaborative": 0.4, "popularity": 0.1}, "collaborative": "itemknn", "collaborative_parameters": {"neighbours": 50}, "normalization": "minmax"},
          "parameters": {},
          "event_weights": {"view": 0.1, "purchase": 0.6},
          "inference": {"top_k": 10, "exclude_seen": true, "embeddings": true}
        }
        """)),
        dir => TrainingConfig.Load(P(dir, "config.json")));

    /// <summary>A saved item-kNN model: every mutation of it must be refused as corrupted (or load unchanged).</summary>
    public static readonly FuzzTarget Model = new("model-file", new Dictionary<string, byte[]> { ["model.trove"] = SavedModel() },
        dir => ModelFile.Load(P(dir, "model.trove"), BuiltInAlgorithms.Registry), Phrase: "is corrupted");

    public static byte[] SavedModel(string algorithm = "itemknn")
    {
        var users = new IdMap(["alice", "bob", "carol"]);
        var items = new IdMap(["x", "y", "z", "w"]);
        var log = new InteractionLog([0, 0, 1, 1, 2, 2, 2], [0, 1, 1, 2, 0, 2, 3], [1, 1, 1, 1, 1, 1, 1], new long[7], new short[7], ["view"]);
        var features = new FeatureTable();
        features.Categorical["category"] = ["books", "music", "books", "toys"];
        var data = new Dataset(users, items, log, itemFeatures: features, source: "fuzz");
        var path = Path.Combine(TestPaths.NewTempDirectory(), "seed.trove");
        ModelTrainer.Train(data, algorithm, new Dictionary<string, string>(), FitContext.Default, path);
        return File.ReadAllBytes(path);
    }

    public static readonly FuzzTarget[] All = [InteractionCsv, MappedCsv, CsvFolder, FeatureCsv, UniversalJson, MovieLens100K, MovieLens1M, MovieLensLatest, Playlists, LastFm, Ncf, LightGcn, Config, Model];

    public static TheoryData<string> Names() => new(All.Select(t => t.Name));

    public static FuzzTarget Get(string name) => All.Single(t => t.Name == name);
}
