using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Trove.Numerics.Dense;
using Trove.Numerics.Vectors;
using Trove.Server.Models;

namespace Trove.Tests.Server;

/// <summary>Batched exact scoring (--exact-batching): the batch kernel, the scorer's queue, cancellation and failures, and the served answers against unbatched scoring.</summary>
public class ExactBatchingTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60); // a hang fails the test instead of stalling the run

    private static float[] RandomMatrix(int rows, int d, int seed)
    {
        var random = new Random(seed);
        var m = new float[rows * d];
        for (int i = 0; i < m.Length; i++) m[i] = (float)(random.NextDouble() * 2 - 1);
        return m;
    }

    /// <summary>Scalar reference: the dot product of <paramref name="query"/> with each row, in double.</summary>
    private static float[] Reference(float[] items, int count, int d, ReadOnlySpan<float> query)
    {
        var scores = new float[count];
        for (int i = 0; i < count; i++) scores[i] = ScalarKernels.Dot(items.AsSpan(i * d, d), query);
        return scores;
    }

    private static void AssertScores(float[] expected, float[] actual)
    {
        Assert.True(actual.Length >= expected.Length);
        for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i], actual[i], 1e-4f);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(7)]
    [InlineData(32)]
    public void Sgemm_mat_vec_and_panel_kernels_equal_scalar_dot_products(int batch)
    {
        // 2,500 rows: two whole sgemm blocks and a tail; 20 dimensions: not a multiple of the SIMD width.
        int count = 2_500, d = 20;
        var items = RandomMatrix(count, d, 1);
        var queries = RandomMatrix(batch, d, 2);
        foreach (var kernel in new Action<float[][]>[]
                 {
                     o => BatchScoring.ScoreGemm(items, count, d, queries, batch, o),
                     o => BatchScoring.ScoreMatVec(items, count, d, queries, batch, o),
                     o => BatchScoring.Score(items, count, d, queries, batch, o),
                     o => BatchScoring.Score(items, count, d, queries, batch, o, new ItemPanels(items, count, d)),
                     o => new ItemPanels(items, count, d).Score(queries, batch, o),
                 })
        {
            var outputs = Enumerable.Range(0, batch).Select(_ => new float[count]).ToArray();
            kernel(outputs);
            for (int j = 0; j < batch; j++) AssertScores(Reference(items, count, d, queries.AsSpan(j * d, d)), outputs[j]);
        }
        // 2,485 items: 311 panels (an odd number, the last one partial), outputs exactly as long as the catalogue.
        int odd = 2_485;
        var exact = Enumerable.Range(0, batch).Select(_ => new float[odd]).ToArray();
        new ItemPanels(items, odd, d).Score(queries, batch, exact);
        for (int j = 0; j < batch; j++) AssertScores(Reference(items, odd, d, queries.AsSpan(j * d, d)), exact[j]);
        Assert.Throws<ArgumentException>(() => BatchScoring.ScoreGemm(items, count, d, queries, batch, new float[batch][].Select(_ => new float[count - 1]).ToArray()));
    }

    /// <summary>A scorer whose first pass blocks until released, so the test decides which requests queue behind it.</summary>
    private sealed class GatedScorer
    {
        public readonly ManualResetEventSlim Entered = new(), Release = new();
        public readonly ConcurrentQueue<int> BatchSizes = new();
        public readonly int Count, D;
        public readonly float[] Items;
        public readonly ItemPanels Panels;
        public readonly ExactBatchScorer Scorer;
        private int _calls;

        public GatedScorer(int count, int d, Func<int, Exception?>? failOnCall = null)
        {
            Count = count; D = d; Items = RandomMatrix(count, d, 3); Panels = new ItemPanels(Items, count, d);
            Scorer = new ExactBatchScorer(Items, count, d, maxBatch: 32, pass: (queries, batch, outputs) =>
            {
                BatchSizes.Enqueue(batch);
                int call = Interlocked.Increment(ref _calls);
                if (call == 1) { Entered.Set(); Release.Wait(Patience); }
                if (failOnCall?.Invoke(call) is { } failure) throw failure;
                BatchScoring.Score(Items, count, d, queries, batch, outputs, Panels);
            });
        }

        /// <summary>Starts a first request on another thread and returns once its pass is running (and blocked).</summary>
        public Task<float[]> Occupy(float[] query)
        {
            var first = Task.Run(() => Scorer.ScoreAsync(query));
            Assert.True(Entered.Wait(Patience));
            return first;
        }

        public async Task<float[]> Expect(Task<float[]> pending, float[] query)
        {
            var scores = await pending.WaitAsync(Patience);
            AssertScores(Reference(Items, Count, D, query), scores);
            Scorer.Return(scores);
            return scores;
        }
    }

    [Fact]
    public async Task Requests_queued_behind_a_pass_are_scored_together_in_batches_of_at_most_max_batch()
    {
        var gated = new GatedScorer(count: 1_500, d: 24);
        var queries = Enumerable.Range(0, 41).Select(j => RandomMatrix(1, 24, 100 + j)).ToArray();
        var first = gated.Occupy(queries[0]);
        var queued = queries.Skip(1).Select(q => gated.Scorer.ScoreAsync(q)).ToArray();
        Assert.All(queued, t => Assert.False(t.IsCompleted));
        gated.Release.Set();

        await gated.Expect(first, queries[0]);
        for (int j = 0; j < queued.Length; j++) await gated.Expect(queued[j], queries[j + 1]);
        Assert.Equal([1, 32, 8], gated.BatchSizes.ToArray());
        Assert.Equal(3, gated.Scorer.Passes);
        Assert.Equal(41, gated.Scorer.Queries);

        // Idle again: the next request runs its own pass at once, on the caller's thread.
        var alone = gated.Scorer.ScoreAsync(queries[5]);
        Assert.True(alone.IsCompleted);
        await gated.Expect(alone, queries[5]);
        Assert.Equal([1, 32, 8, 1], gated.BatchSizes.ToArray());
    }

    [Fact]
    public async Task Cancelled_requests_leave_their_batch_without_holding_up_the_others()
    {
        var gated = new GatedScorer(count: 700, d: 16);
        var q = Enumerable.Range(0, 6).Select(j => RandomMatrix(1, 16, 200 + j)).ToArray();
        using var duringPass = new CancellationTokenSource();
        using var whileQueued = new CancellationTokenSource();
        var running = Task.Run(() => gated.Scorer.ScoreAsync(q[0], duringPass.Token));
        Assert.True(gated.Entered.Wait(Patience));
        var cancelledInQueue = gated.Scorer.ScoreAsync(q[1], whileQueued.Token);
        var second = gated.Scorer.ScoreAsync(q[2]);
        var third = gated.Scorer.ScoreAsync(q[3]);
        whileQueued.Cancel();
        duringPass.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelledInQueue.WaitAsync(Patience));
        gated.Release.Set(); // the pass of the request cancelled during it ends (on that request's thread) and discards its scores
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => running.WaitAsync(Patience));

        await gated.Expect(second, q[2]);
        await gated.Expect(third, q[3]);
        Assert.Equal([1, 2], gated.BatchSizes.ToArray()); // the request cancelled while queued was never scored
        await gated.Expect(gated.Scorer.ScoreAsync(q[4]), q[4]);
        using var already = new CancellationTokenSource();
        already.Cancel();
        Assert.True(gated.Scorer.ScoreAsync(q[5], already.Token).IsCanceled);
    }

    [Fact]
    public async Task A_pass_that_throws_fails_its_own_batch_only()
    {
        var gated = new GatedScorer(count: 500, d: 8, failOnCall: call => call == 2 ? new InvalidOperationException("pass 2 failed") : null);
        var q = Enumerable.Range(0, 4).Select(j => RandomMatrix(1, 8, 300 + j)).ToArray();
        var first = gated.Occupy(q[0]);
        var failing = new[] { gated.Scorer.ScoreAsync(q[1]), gated.Scorer.ScoreAsync(q[2]) };
        gated.Release.Set();

        await gated.Expect(first, q[0]);
        foreach (var t in failing)
            Assert.Equal("pass 2 failed", (await Assert.ThrowsAsync<InvalidOperationException>(() => t.WaitAsync(Patience))).Message);
        await gated.Expect(gated.Scorer.ScoreAsync(q[3]), q[3]);
        Assert.Throws<ArgumentException>(() => { var ignored = gated.Scorer.ScoreAsync(new float[7]); });
    }

    private static async Task<JsonElement> Get(ServerHost host, string url)
    {
        var response = await host.Client.GetAsync(url);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{url}: {(int)response.StatusCode} {body}");
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    private static LoadedModel Model(ServerHost host) => host.App.Services.GetRequiredService<ModelCatalog>().Current.Default!;

    [Fact]
    public async Task Batched_answers_equal_unbatched_ones_for_64_concurrent_requests_with_different_users_and_filters()
    {
        var path = ServerHost.TrainModel("als", RetrievalTests.Shop(), null, new Dictionary<string, string> { ["factors"] = "16", ["iterations"] = "8", ["regularization"] = "1" });
        await using var batched = await ServerHost.StartAsync(path, o => o with { Retrieval = RetrievalMode.Exact, ExactBatching = true });
        await using var single = await ServerHost.StartAsync(path, o => o with { Retrieval = RetrievalMode.Exact, ExactBatching = false });
        Assert.NotNull(Model(batched).ExactScorer);
        Assert.Null(Model(single).ExactScorer);

        // New events fold into the query vector (a known user and a user the model never saw).
        foreach (var host in new[] { batched, single })
        {
            var posted = await host.Client.SendAsync(host.Post("/events", """[{"user":"u007","item":"i100","event":"purchase"},{"user":"newcomer","item":"i004","event":"view"},{"user":"newcomer","item":"i010","event":"view"}]"""));
            Assert.Equal(HttpStatusCode.OK, posted.StatusCode);
        }
        string[] filters = ["", "&category=books", "&brand=zenith&offset=5", "&exclude=i000,i003,i006,i009", "&excludeSeen=false", "&allow=" + string.Join(',', Enumerable.Range(0, 60).Select(i => $"i{3 * i + 1:D3}")), "&filter=category:music", "&offset=12"];
        var urls = Enumerable.Range(0, 64).Select(r =>
        {
            string user = r switch { 7 => "u007", 13 => "newcomer", _ => $"u{(r * 37) % 300:D3}" };
            return $"/users/{user}/recommendations?k={4 + r % 23}{filters[r % filters.Length]}";
        }).ToArray();

        long before = Model(batched).ExactScorer!.Queries;
        var answers = await Task.WhenAll(urls.Select(url => Task.Run(() => Get(batched, url))));
        Assert.Equal(before + urls.Length, Model(batched).ExactScorer!.Queries);
        for (int r = 0; r < urls.Length; r++)
        {
            var expected = await Get(single, urls[r]);
            var got = answers[r].GetProperty("items").EnumerateArray().ToArray();
            var want = expected.GetProperty("items").EnumerateArray().ToArray();
            Assert.True(want.Length > 0, urls[r]);
            Assert.Equal(want.Select(i => i.GetProperty("item").GetString()), got.Select(i => i.GetProperty("item").GetString()));
            Assert.Equal(want.Select(i => i.GetProperty("rank").GetInt32()), got.Select(i => i.GetProperty("rank").GetInt32()));
            for (int p = 0; p < want.Length; p++)
                Assert.Equal(want[p].GetProperty("score").GetSingle(), got[p].GetProperty("score").GetSingle(), 1e-4f);
            Assert.Equal("exact", answers[r].GetProperty("retrieval").GetString());
            Assert.Equal(expected.GetProperty("newEvents").GetInt32(), answers[r].GetProperty("newEvents").GetInt32());
        }
    }
}
