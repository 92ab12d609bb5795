using System.Diagnostics;
using System.Globalization;
using Trove.Numerics.Index;

using Trove.Core.Persistence;
using Trove.Core.Recommending;

// Recall@k and query time of HNSW against exact SIMD search on random or clustered vectors, or on
// a trained embedding model's item vectors with its user vectors as queries (--model).
// Usage: dotnet run -c Release --project bench/Trove.IndexBench -- [--n 100000] [--dim 64] [--queries 1000]
//        [--clusters 100] [--metric cosine|ip|mips|euclidean] [--m 16] [--ef-construction 200] [--ef 32,64,128] [--threads 2]
//        [--model als.trove]   (item vectors of the model; queries: random users' vectors)
//        [--exclude-seen true] (with --model: each query's own training items are filtered out during the graph walk
//                               with the filter `trove serve` uses for GET /users/{id}/recommendations (ExcludedRows,
//                               its bits set and cleared inside the timed search); recall against exact search with the
//                               same items removed)
//        [--graph-file true]   (with --model --metric ip: search the graph `trove serve` loads from MODEL.index
//                               instead of building one here; parallel builds differ run to run)
//        [--compare-built true] (with --graph-file: also build the graph here and report where the two differ)
//        [--reload true]       (save the built graph and load it again before searching: the file round trip)
//        [--usearch true]      (the same vectors and queries through USearch, a native HNSW, one index per ef)
//        [--users FILE]        (with --model: the queries are these users' vectors, one raw user id a line, in order)
//        [--bursts true]       (with --model and one --ef: after a warm-up pass, read a number of seconds a line from
//                               stdin and search the queries in turn (as served) for that long, then print
//                               "burst QUERIES WALL_MS"; bench/overhead/interleaved.sh alternates these with server load)
//        [--search-threads N]  (with --bursts: N threads search at once; 1 unless told)
// Metrics for maximum-inner-product search, both compared with exact inner-product search:
// ip = HNSW graph built on the raw inner product (what `trove serve` uses for recommendations);
// mips = the reduction of Bachrach et al. 2014: each item gets an extra coordinate sqrt(R² - |x|²)
// (R the largest norm), queries get 0 there, and a cosine graph searches the equal-length vectors.
var opts = new Dictionary<string, string>();
for (int a = 0; a + 1 < args.Length; a += 2) opts[args[a].TrimStart('-')] = args[a + 1];
string Get(string key, string fallback) => opts.TryGetValue(key, out var v) ? v : fallback;
int n = int.Parse(Get("n", "100000")), dim = int.Parse(Get("dim", "64")), queries = int.Parse(Get("queries", "1000"));
int clusters = int.Parse(Get("clusters", "100")), k = int.Parse(Get("k", "10"));
string metricName = Get("metric", "cosine");
var metric = metricName switch { "ip" or "mips" => VectorMetric.InnerProduct, "euclidean" => VectorMetric.Euclidean, _ => VectorMetric.Cosine };
var parameters = new HnswParameters { M = int.Parse(Get("m", "16")), EfConstruction = int.Parse(Get("ef-construction", "200")), Threads = int.Parse(Get("threads", Environment.ProcessorCount.ToString())) };
var efs = Get("ef", "16,32,64,128").Split(',').Select(int.Parse).ToArray();

var random = new Random(7);
float[] data, query;
string described;
string? modelVersion = null;
int[][]? seenOf = null; // per query: the user's training items (ascending), when --exclude-seen
if (opts.TryGetValue("model", out var modelPath))
{
    var trained = ModelFile.Load(modelPath, Trove.Models.BuiltInAlgorithms.Registry);
    if (trained.Model is not IEmbeddingModel embedding) throw new InvalidOperationException($"{modelPath} has no item vectors.");
    dim = embedding.Dimensions; n = trained.Items.Count;
    data = new float[n * dim];
    for (int i = 0; i < n; i++) embedding.ItemVector(i).CopyTo(data.AsSpan(i * dim, dim));
    int[] users;
    if (opts.TryGetValue("users", out var usersFile))
    {
        var ids = File.ReadAllLines(usersFile);
        users = new int[ids.Length];
        for (int line = 0; line < ids.Length; line++)
            if (!trained.Users.TryGetIndex(ids[line].Trim(), out users[line]))
                throw new InvalidOperationException($"{usersFile}, line {line + 1}: user '{ids[line].Trim()}' is not in {modelPath}.");
        queries = users.Length;
    }
    else
    {
        queries = Math.Min(queries, trained.Users.Count);
        users = Enumerable.Range(0, trained.Users.Count).OrderBy(_ => random.Next()).Take(queries).ToArray();
    }
    query = new float[queries * dim];
    for (int q = 0; q < queries; q++) embedding.UserVector(users[q]).CopyTo(query.AsSpan(q * dim, dim));
    if (Get("exclude-seen", "false") == "true")
    {
        if (trained.Model is not ITrainingInteractions training) throw new InvalidOperationException($"{modelPath} keeps no training interactions.");
        seenOf = users.Select(u => training.UserItems.RowIndices(u).ToArray()).ToArray();
    }
    modelVersion = trained.Manifest.ModelVersion;
    described = $"item vectors of {modelPath} ({trained.Manifest.ModelVersion}), queries: {queries:N0} {(opts.ContainsKey("users") ? $"users' vectors from {opts["users"]}" : "random users' vectors")}";
}
else
{
    float Gaussian() => (float)(Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble()));
    var centres = new float[Math.Max(1, clusters) * dim];
    for (int i = 0; i < centres.Length; i++) centres[i] = Gaussian();
    float[] Make(int count)
    {
        var v = new float[count * dim];
        for (int i = 0; i < count; i++)
        {
            int c = random.Next(Math.Max(1, clusters));
            for (int d = 0; d < dim; d++) v[i * dim + d] = clusters > 0 ? centres[c * dim + d] + 0.5f * Gaussian() : Gaussian();
        }
        return v;
    }
    data = Make(n);
    query = Make(queries);
    described = $"{(clusters > 0 ? $"clustered ({clusters} gaussian clusters, sd 0.5 around N(0,1) centres)" : "uniform gaussian")}, {queries:N0} queries";
}
Console.WriteLine($"# {n:N0} x {dim} {described}, metric {metricName}, k={k}, M={parameters.M}, efConstruction={parameters.EfConstruction}, threads={parameters.Threads}");
Console.WriteLine($"# machine: {Environment.ProcessorCount} cores, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}, .NET {Environment.Version}");

bool bursts = Get("bursts", "false") == "true";
if (bursts && (modelPath is null || efs.Length != 1)) throw new InvalidOperationException("--bursts needs --model and one --ef.");
var exact = new ExactIndex(data, dim, metric);
var truth = new int[queries][];
var clock = Stopwatch.StartNew();
for (int q = 0; q < (bursts ? 0 : queries); q++) // bursts time the search only: no recall, no exact pass
{
    var seen = seenOf?[q].ToHashSet();
    truth[q] = exact.Search(query.AsSpan(q * dim, dim), k, seen is null ? null : i => !seen.Contains(i)).Select(m => m.Index).ToArray();
}
double exactMs = clock.Elapsed.TotalMilliseconds / queries;

clock.Restart();
Func<ReadOnlySpan<float>, int, int, Func<int, bool>?, VectorMatch[]> search;
if (metricName == "mips")
{
    float radius = 0;
    for (int i = 0; i < n; i++) radius = Math.Max(radius, System.Numerics.Tensors.TensorPrimitives.Norm(data.AsSpan(i * dim, dim)));
    var augmented = new float[n * (dim + 1)];
    for (int i = 0; i < n; i++)
    {
        var row = data.AsSpan(i * dim, dim);
        row.CopyTo(augmented.AsSpan(i * (dim + 1)));
        float norm = System.Numerics.Tensors.TensorPrimitives.Norm(row);
        augmented[i * (dim + 1) + dim] = MathF.Sqrt(Math.Max(0, radius * radius - norm * norm));
    }
    var reduced = HnswIndex.Build(augmented, dim + 1, VectorMetric.Cosine, parameters);
    search = (q, kk, ef, filter) =>
    {
        var extended = new float[dim + 1];
        q.CopyTo(extended);
        return reduced.Search(extended, kk, filter, ef);
    };
}
else
{
    HnswIndex hnsw;
    if (Get("graph-file", "false") == "true")
    {
        if (modelPath is null || metric != VectorMetric.InnerProduct) throw new InvalidOperationException("--graph-file needs --model and --metric ip.");
        var file = Trove.Models.Retrieval.ItemIndexFile.PathFor(Path.GetFullPath(modelPath));
        var graphs = Trove.Models.Retrieval.ItemIndexFile.TryRead(file, Trove.Models.Retrieval.ItemIndexFile.Fingerprint(modelVersion!, data, dim), out var problem);
        hnsw = graphs?.Recommend ?? throw new InvalidOperationException($"{file}: {problem ?? "no such file"} (start `trove serve --retrieval hnsw` once to build it).");
        Console.WriteLine($"# graph loaded from {file} (the one the server searches)");
        if (Get("compare-built", "false") == "true")
        {
            var built = HnswIndex.Build(data, dim, metric, parameters);
            using var a = new MemoryStream(); using var b = new MemoryStream();
            hnsw.Save(a); built.Save(b);
            var x = a.ToArray(); var y = b.ToArray();
            int diff = Enumerable.Range(0, Math.Min(x.Length, y.Length)).FirstOrDefault(i => x[i] != y[i], -1);
            Console.WriteLine($"# file graph {x.Length} bytes, built here {y.Length} bytes, first difference at byte {diff}; file parameters {hnsw.Parameters}");
        }
    }
    else hnsw = HnswIndex.Build(data, dim, metric, parameters);
    if (Get("reload", "false") == "true")
    {
        // Round trip through the file format, as a server that loads MODEL.index searches it.
        using var buffer = new MemoryStream();
        hnsw.Save(buffer);
        buffer.Position = 0;
        hnsw = HnswIndex.Load(buffer);
        Console.WriteLine("# graph saved and loaded again before searching");
    }
    search = (q, kk, ef, filter) => hnsw.Search(q, kk, filter, ef);
}
double buildSeconds = clock.Elapsed.TotalSeconds;
// One query as the server runs it: with --exclude-seen the user's items leave the walk through the server's filter.
VectorMatch[] SearchAsServed(int q, int ef)
{
    if (seenOf is null) return search(query.AsSpan(q * dim, dim), k, ef, null);
    using var seen = ExcludedRows.Rent(n, seenOf[q]);
    return search(query.AsSpan(q * dim, dim), k, ef, seen.Passes);
}
if (seenOf is not null) Console.WriteLine($"# each query's training items are excluded during the search (mean {seenOf.Average(s => s.Length):F1} per user), as served");
if (bursts)
{
    // Timed by the caller (process CPU from /proc between bursts); the search is the same call as below.
    // --search-threads N: N threads search at once (each through the queries from its own starting point), as a
    // server's requests do on all cores; they then share the caches and the memory bus.
    int ef = efs[0], searchThreads = int.Parse(Get("search-threads", "1"));
    var next = new int[searchThreads];
    for (int t = 0; t < searchThreads; t++) next[t] = t * queries / searchThreads;
    for (int q = 0; q < queries; q++) SearchAsServed(q, ef);
    Console.WriteLine("ready");
    while (Console.ReadLine() is { } line)
    {
        var length = TimeSpan.FromSeconds(double.Parse(line, CultureInfo.InvariantCulture));
        var done = new int[searchThreads];
        clock.Restart();
        Parallel.For(0, searchThreads, new ParallelOptions { MaxDegreeOfParallelism = searchThreads }, t =>
        {
            while (clock.Elapsed < length)
                for (int j = 0; j < 16; j++, done[t]++) { SearchAsServed(next[t], ef); next[t] = (next[t] + 1) % queries; }
        });
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"burst {done.Sum()} {clock.Elapsed.TotalMilliseconds:F1}"));
    }
    return;
}
Console.WriteLine($"# HNSW build: {buildSeconds:F1} s; exact search: {exactMs:F3} ms/query ({1000 / exactMs:F0} queries/s, one thread)");
Console.WriteLine();
Console.WriteLine("| search | ef | recall@10 | ms/query | queries/s (one thread) | speed-up vs exact |");
Console.WriteLine("|---|---:|---:|---:|---:|---:|");
Console.WriteLine($"| exact (TensorPrimitives) | - | 1.0000 | {exactMs:F3} | {1000 / exactMs:F0} | 1.0x |");
foreach (int ef in efs)
{
    double hits = 0;
    // Warm-up: every query once, so the timed pass runs fully optimised code. A graph loaded from a file has not been
    // searched by a build first, and 50 queries left the JIT's tiering inside the timed pass (2x slower per query).
    for (int q = 0; q < queries; q++) SearchAsServed(q, ef);
    clock.Restart();
    var found = new VectorMatch[queries][];
    for (int q = 0; q < queries; q++) found[q] = SearchAsServed(q, ef);
    double ms = clock.Elapsed.TotalMilliseconds / queries;
    for (int q = 0; q < queries; q++) hits += found[q].Count(m => truth[q].Contains(m.Index));
    double recall = hits / (queries * (double)k);
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| HNSW | {ef} | {recall:F4} | {ms:F3} | {1000 / ms:F0} | {exactMs / ms:F1}x |"));
}

// The same vectors and queries through USearch (native HNSW, C++ with SIMD kernels), a peer implementation at
// the same M and efConstruction: one index per ef, because the C# binding fixes expansion_search at creation.
if (Get("usearch", "false") == "true")
{
    if (metricName == "mips") throw new InvalidOperationException("--usearch compares the ip, cosine and euclidean graphs only.");
    if (seenOf is not null) throw new InvalidOperationException("--usearch runs without --exclude-seen (the C# binding has no filtered search).");
    var kind = metric switch
    {
        VectorMetric.InnerProduct => Cloud.Unum.USearch.MetricKind.Ip,
        VectorMetric.Euclidean => Cloud.Unum.USearch.MetricKind.L2sq,
        _ => Cloud.Unum.USearch.MetricKind.Cos,
    };
    var keys = Enumerable.Range(0, n).Select(i => (ulong)i).ToArray();
    var rows = Enumerable.Range(0, n).Select(i => data.AsSpan(i * dim, dim).ToArray()).ToArray();
    var queryRows = Enumerable.Range(0, queries).Select(q => query.AsSpan(q * dim, dim).ToArray()).ToArray();
    Console.WriteLine($"# USearch {Cloud.Unum.USearch.USearchCapabilities.Version()}, SIMD available: {Cloud.Unum.USearch.USearchCapabilities.HardwareAccelerationAvailable()}");
    foreach (int ef in efs)
    {
        clock.Restart();
        using var peer = new Cloud.Unum.USearch.USearchIndex(kind, Cloud.Unum.USearch.ScalarKind.Float32, (ulong)dim,
            (ulong)parameters.M, (ulong)parameters.EfConstruction, (ulong)ef);
        peer.Add(keys, rows);
        double peerBuild = clock.Elapsed.TotalSeconds;
        ulong[] foundKeys = new ulong[k];
        float[] distances = new float[k];
        for (int q = 0; q < Math.Min(queries, 50); q++) peer.Search(queryRows[q], k, out foundKeys, out distances); // warm-up
        var found = new ulong[queries][];
        clock.Restart();
        for (int q = 0; q < queries; q++)
        {
            int count = peer.Search(queryRows[q], k, out foundKeys, out distances);
            found[q] = foundKeys.AsSpan(0, count).ToArray();
        }
        double ms = clock.Elapsed.TotalMilliseconds / queries;
        double hits = 0;
        for (int q = 0; q < queries; q++) hits += found[q].Count(key => truth[q].Contains((int)key));
        double recall = hits / (queries * (double)k);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"| USearch {peer.HardwareAcceleration()} (build {peerBuild:F1} s) | {ef} | {recall:F4} | {ms:F3} | {1000 / ms:F0} | {exactMs / ms:F1}x |"));
    }
}
