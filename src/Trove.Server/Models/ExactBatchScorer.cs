using Trove.Numerics.Dense;

namespace Trove.Server.Models;

/// <summary>One scoring pass: outputs[j][i] = items[i] · queries[j] for every item i and each of the batch's queries j.</summary>
public delegate void BatchPass(ReadOnlySpan<float> queries, int batch, ReadOnlySpan<float[]> outputs);

/// <summary>
/// Opportunistic batching of exact scoring for a dot-product model: concurrent requests enqueue their query
/// vectors and one pass scores them all, reading the item matrix once per batch instead of once per request.
/// Nothing waits on purpose: a request that finds the scorer idle runs a pass at once on its own thread
/// (a batch of one); requests arriving while a pass runs queue up and form the next batch (at most
/// <see cref="MaxBatch"/>), run on the thread pool as soon as the pass ends. At most one pass runs at a time.
/// </summary>
public sealed class ExactBatchScorer
{
    public const int DefaultMaxBatch = 32;

    private readonly float[] _items;
    private readonly ItemPanels? _panels;
    private readonly BatchPass _pass;
    private readonly object _gate = new();
    private readonly Queue<Pending> _queue = new();
    private readonly System.Collections.Concurrent.ConcurrentStack<float[]> _free = new();
    private bool _running;
    private long _passes, _queries;

    /// <param name="items">Item vectors, <paramref name="count"/> x <paramref name="dimensions"/> row-major (kept, not copied).</param>
    /// <param name="pass">The scoring pass; default <see cref="BatchScoring.Score"/> over <paramref name="items"/> and their <see cref="ItemPanels"/> (a second copy, built here).</param>
    public ExactBatchScorer(float[] items, int count, int dimensions, int maxBatch = DefaultMaxBatch, BatchPass? pass = null)
    {
        if (dimensions < 1 || count < 0 || items.Length < (long)count * dimensions) throw new ArgumentException($"items must hold {count} x {dimensions} floats.");
        if (maxBatch < 1) throw new ArgumentException($"maxBatch must be positive, got {maxBatch}.");
        _items = items; Count = count; Dimensions = dimensions; MaxBatch = maxBatch;
        if (pass is null)
        {
            _panels = new ItemPanels(items, count, dimensions);
            _pass = (queries, batch, outputs) => BatchScoring.Score(_items, Count, Dimensions, queries, batch, outputs, _panels);
        }
        else _pass = pass;
    }

    /// <summary>Items scored (the length of each result that matters).</summary>
    public int Count { get; }
    public int Dimensions { get; }
    /// <summary>Most queries per pass.</summary>
    public int MaxBatch { get; }
    /// <summary>Passes run so far (each scored one batch).</summary>
    public long Passes => Interlocked.Read(ref _passes);
    /// <summary>Queries scored so far (over all passes).</summary>
    public long Queries => Interlocked.Read(ref _queries);

    /// <summary>
    /// The scores of every item for <paramref name="query"/>, in an array of at least <see cref="Count"/> floats that
    /// the caller hands back with <see cref="Return"/> when done. Cancelling stops the wait (the task is
    /// cancelled, its pass skips or discards the query); a pass that throws fails the requests of its batch only.
    /// </summary>
    public Task<float[]> ScoreAsync(ReadOnlySpan<float> query, CancellationToken cancel = default)
    {
        if (query.Length != Dimensions) throw new ArgumentException($"The query has {query.Length} dimensions; the items have {Dimensions}.");
        if (cancel.IsCancellationRequested) return Task.FromCanceled<float[]>(cancel);
        var pending = new Pending(query.ToArray(), cancel);
        bool lead;
        lock (_gate)
        {
            _queue.Enqueue(pending);
            lead = !_running;
            _running = true;
        }
        if (lead) RunPass();
        return pending.Task;
    }

    /// <summary>
    /// Takes back a score array from <see cref="ScoreAsync"/> for later passes. The scorer keeps its own arrays rather
    /// than <see cref="System.Buffers.ArrayPool{T}.Shared"/>'s: they are taken on the pass's thread and given back on the requests'
    /// threads, a pattern that empties the shared pool's per-thread caches and would allocate 400 KB arrays anew.
    /// </summary>
    public void Return(float[] scores)
    {
        if (scores.Length >= Count && _free.Count < 2 * MaxBatch) _free.Push(scores);
    }

    private float[] Rent() => _free.TryPop(out var scores) ? scores : new float[Math.Max(1, Count)];

    /// <summary>Scores the next batch, then hands the scorer on: to the thread pool when more requests queued meanwhile, else idle.</summary>
    private void RunPass()
    {
        Pending[] batch;
        lock (_gate)
        {
            batch = new Pending[Math.Min(MaxBatch, _queue.Count)];
            for (int j = 0; j < batch.Length; j++) batch[j] = _queue.Dequeue();
        }
        try
        {
            Score(batch);
        }
        finally
        {
            bool more;
            lock (_gate)
            {
                more = _queue.Count > 0;
                _running = more;
            }
            if (more) ThreadPool.UnsafeQueueUserWorkItem(static scorer => scorer.RunPass(), this, preferLocal: false);
        }
    }

    private void Score(Pending[] batch)
    {
        // Requests cancelled while queued are left out.
        var live = batch.Where(p => !p.Task.IsCompleted).ToArray();
        if (live.Length == 0) return;
        int d = Dimensions;
        var queries = new float[live.Length * d];
        var outputs = new float[live.Length][];
        try
        {
            for (int j = 0; j < live.Length; j++)
            {
                live[j].Query.CopyTo(queries, j * d);
                outputs[j] = Rent();
            }
            _pass(queries, live.Length, outputs);
            Interlocked.Increment(ref _passes);
            Interlocked.Add(ref _queries, live.Length);
        }
        catch (Exception e)
        {
            foreach (var output in outputs) if (output is not null) Return(output);
            foreach (var p in live) p.Fail(e);
            return;
        }
        for (int j = 0; j < live.Length; j++)
            if (!live[j].Complete(outputs[j])) Return(outputs[j]); // cancelled during the pass
    }

    /// <summary>A queued query and the request waiting for its scores.</summary>
    private sealed class Pending
    {
        private readonly TaskCompletionSource<float[]> _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly CancellationTokenRegistration _registration;

        public Pending(float[] query, CancellationToken cancel)
        {
            Query = query;
            if (cancel.CanBeCanceled) _registration = cancel.Register(static (state, token) => ((Pending)state!)._done.TrySetCanceled(token), this);
        }

        public float[] Query { get; }
        public Task<float[]> Task => _done.Task;

        /// <summary>Hands the scores over; false when the request was cancelled first (the caller keeps the array).</summary>
        public bool Complete(float[] scores)
        {
            _registration.Dispose();
            return _done.TrySetResult(scores);
        }

        public void Fail(Exception e)
        {
            _registration.Dispose();
            _done.TrySetException(e);
        }
    }
}
