using System.Buffers;
using System.Collections.Concurrent;
using System.Runtime.ExceptionServices;
using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace Trove.Data.Stores;

/// <summary>
/// Appends interactions inside an open transaction through SQLite's own statement API: one prepared
/// <c>INSERT ... VALUES (...), (...), ...</c> of <see cref="Batch"/> rows, bound by position. Microsoft.Data.Sqlite
/// binds every parameter by name on every execution and boxes every value; for the millions of rows of an import
/// that bookkeeping, not SQLite, was the cost (about 160k rows/s against over 500k here).
/// <para>
/// Rows are collected in blocks of <see cref="BlockRows"/>. A full block is written by a writer thread while the caller
/// resolves the ids of the next one: binding and stepping is about 60% of a bulk import's row phase and id resolution
/// (and the caller's parsing) the rest, so on two cores the two halves overlap (bench/RESULTS.md, "SQLite rows on a
/// writer thread"). With each block goes whatever <c>pendingWrites</c> returns then (the users and items new in that
/// block), run on the writer thread before the block's rows.
/// </para>
/// <para>
/// Only one thread uses the connection at a time: while blocks are in flight the caller must not touch it.
/// <see cref="Flush"/> waits for the writer, rethrows its error if any, and writes the rest on the calling thread;
/// the session calls it before every other statement. Small writes (a POST of a few events) never start the thread.
/// </para>
/// </summary>
internal sealed partial class InteractionWriter : IDisposable
{
    /// <summary>Rows per statement (6 parameters each, far below SQLite's limit of 32,766).</summary>
    public const int Batch = 64;

    /// <summary>Rows handed to the writer thread at a time (64 statements; about 200 KB of rows).</summary>
    public const int BlockRows = 64 * Batch;

    /// <summary>Blocks that may wait for the writer thread: the caller runs at most this far ahead.</summary>
    private const int Queued = 2;

    private const int Columns = 6;
    private const string Insert = "INSERT INTO interactions(user_id, item_id, weight, score, timestamp, event) VALUES ";

    private readonly sqlite3 _db;
    private readonly sqlite3_stmt _many, _one;
    private readonly Func<Action?> _pendingWrites;

    /// <summary>Whether SQLitePCLRaw runs the e_sqlite3 library that <see cref="Native"/> calls (Microsoft.Data.Sqlite's
    /// bundle); with any other provider (e.g. a system SQLite or SQLCipher) every bind goes through SQLitePCLRaw.</summary>
    private readonly bool _direct = DirectBindsWork.Value;

    /// <summary>Whether rows are bound through e_sqlite3 directly (see <see cref="DirectBindsWork"/>).</summary>
    internal static bool BindsDirectly => DirectBindsWork.Value;

    /// <summary>
    /// True when SQLitePCLRaw runs e_sqlite3 and this assembly's own import of it resolves (a probe bind on a null
    /// statement, which SQLite answers with SQLITE_MISUSE): a deployment that loads the library from a path the runtime's
    /// probing does not see falls back to SQLitePCLRaw's binds instead of failing the import.
    /// </summary>
    private static readonly Lazy<bool> DirectBindsWork = new(() =>
    {
        if (raw.GetNativeLibraryName() != Native.Library) return false;
        try { return Native.sqlite3_bind_null(0, 1) == raw.SQLITE_MISUSE; }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException or BadImageFormatException) { return false; }
    }, LazyThreadSafetyMode.PublicationOnly); // asked only once a connection is open (SQLitePCLRaw's provider is set then)
    private readonly Dictionary<string, byte[]> _utf8 = new(StringComparer.Ordinal);
    private Row[] _rows = ArrayPool<Row>.Shared.Rent(BlockRows);
    private int _count;

    // The writer thread and its queue exist from the first full block on.
    private BlockingCollection<Work>? _queue;
    private Thread? _thread;
    private int _inFlight;
    private readonly object _gate = new();
    private volatile ExceptionDispatchInfo? _error;

    private readonly record struct Row(long User, long Item, float Weight, float? Score, long Timestamp, string? Event);

    private readonly record struct Work(Action? Before, Row[] Rows, int Count);

    /// <param name="connection">The open connection whose transaction the rows join.</param>
    /// <param name="pendingWrites">Returns the writes that must precede the rows written next (new users and items), or null.</param>
    public InteractionWriter(SqliteConnection connection, Func<Action?> pendingWrites)
    {
        _db = connection.Handle ?? throw new InvalidOperationException("The SQLite connection is not open.");
        _pendingWrites = pendingWrites;
        var values = string.Join(", ", Enumerable.Repeat("(?, ?, ?, ?, ?, ?)", Batch));
        _many = Prepare(Insert + values);
        try { _one = Prepare(Insert + "(?, ?, ?, ?, ?, ?)"); }
        catch { _many.Dispose(); throw; }
    }

    private sqlite3_stmt Prepare(string sql)
    {
        int rc = raw.sqlite3_prepare_v2(_db, sql, out var stmt);
        if (rc != raw.SQLITE_OK) { stmt?.Dispose(); throw Error(rc); }
        return stmt;
    }

    public void Add(long user, long item, float weight, float? score, long timestamp, string? eventName)
    {
        _rows[_count++] = new Row(user, item, weight, score, timestamp, eventName);
        if (_count == BlockRows) Hand();
    }

    /// <summary>Queues the full block for the writer thread and starts a new one.</summary>
    private void Hand()
    {
        _error?.Throw();
        if (_queue is null)
        {
            _queue = new BlockingCollection<Work>(Queued);
            _thread = new Thread(WriteQueued) { IsBackground = true, Name = "Trove SQLite import writer" };
            _thread.Start();
        }
        lock (_gate) _inFlight++;
        _queue.Add(new Work(_pendingWrites(), _rows, _count));
        _rows = ArrayPool<Row>.Shared.Rent(BlockRows);
        _count = 0;
    }

    private void WriteQueued()
    {
        foreach (var work in _queue!.GetConsumingEnumerable())
        {
            try
            {
                // After a failure the rest is only skipped: the import fails as a whole and rolls back.
                if (_error is null)
                {
                    work.Before?.Invoke();
                    Write(work.Rows, work.Count);
                }
            }
            catch (Exception e)
            {
                _error = ExceptionDispatchInfo.Capture(e);
            }
            finally
            {
                ArrayPool<Row>.Shared.Return(work.Rows);
                lock (_gate)
                {
                    _inFlight--;
                    Monitor.PulseAll(_gate);
                }
            }
        }
    }

    /// <summary>
    /// Waits for the writer thread, then writes the pending writes and buffered rows here (call before anything else
    /// reads or changes the database in the transaction, and before commit). Rethrows the writer's failure.
    /// </summary>
    public void Flush()
    {
        Drain();
        _error?.Throw();
        _pendingWrites()?.Invoke();
        Write(_rows, _count);
        _count = 0;
    }

    private void Drain()
    {
        lock (_gate)
            while (_inFlight > 0) Monitor.Wait(_gate);
    }

    private void Write(Row[] rows, int count)
    {
        int k = 0;
        for (; k + Batch <= count; k += Batch)
        {
            for (int j = 0; j < Batch; j++) Bind(_many, j * Columns, rows[k + j]);
            Step(_many);
        }
        for (; k < count; k++)
        {
            Bind(_one, 0, rows[k]);
            Step(_one);
        }
    }

    private void Bind(sqlite3_stmt stmt, int at, in Row row)
    {
        // Parameters are numbered from 1. A NULL score, timestamp 0 and no event are stored as NULL, as before.
        if (!_direct)
        {
            raw.sqlite3_bind_int64(stmt, at + 1, row.User);
            raw.sqlite3_bind_int64(stmt, at + 2, row.Item);
            raw.sqlite3_bind_double(stmt, at + 3, row.Weight);
            if (row.Score is float s) raw.sqlite3_bind_double(stmt, at + 4, s); else raw.sqlite3_bind_null(stmt, at + 4);
            if (row.Timestamp != 0) raw.sqlite3_bind_int64(stmt, at + 5, row.Timestamp); else raw.sqlite3_bind_null(stmt, at + 5);
            if (row.Event is { } ev) raw.sqlite3_bind_text(stmt, at + 6, Utf8(ev)); else raw.sqlite3_bind_null(stmt, at + 6);
            return;
        }
        // The statement's own pointer: SQLitePCLRaw's bind calls add and release a reference to its SafeHandle on every
        // call, about a tenth of the writer thread's time at six binds a row (rows written in 3.7 s instead of 4.4-4.9 s
        // at 5M rows). The handle outlives every use: it is disposed after the writer thread has stopped.
        nint p = stmt.DangerousGetHandle();
        Check(Native.sqlite3_bind_int64(p, at + 1, row.User));
        Check(Native.sqlite3_bind_int64(p, at + 2, row.Item));
        Check(Native.sqlite3_bind_double(p, at + 3, row.Weight));
        Check(row.Score is float score ? Native.sqlite3_bind_double(p, at + 4, score) : Native.sqlite3_bind_null(p, at + 4));
        Check(row.Timestamp != 0 ? Native.sqlite3_bind_int64(p, at + 5, row.Timestamp) : Native.sqlite3_bind_null(p, at + 5));
        if (row.Event is { } e)
        {
            var text = Utf8(e);
            unsafe
            {
                // SQLITE_TRANSIENT: SQLite copies the text before the call returns, so the array need not stay put.
                fixed (byte* t = text) Check(Native.sqlite3_bind_text(p, at + 6, t, text.Length, Transient));
            }
        }
        else Check(Native.sqlite3_bind_null(p, at + 6));
    }

    private void Check(int rc)
    {
        if (rc != raw.SQLITE_OK) throw Error(rc);
    }

    private const nint Transient = -1;

    /// <summary>SQLite's bind functions on raw statement pointers, from the same native library SQLitePCLRaw loads.</summary>
    private static unsafe partial class Native
    {
        public const string Library = "e_sqlite3";
        [LibraryImport(Library)] public static partial int sqlite3_bind_int64(nint stmt, int index, long value);
        [LibraryImport(Library)] public static partial int sqlite3_bind_double(nint stmt, int index, double value);
        [LibraryImport(Library)] public static partial int sqlite3_bind_null(nint stmt, int index);
        [LibraryImport(Library)] public static partial int sqlite3_bind_text(nint stmt, int index, byte* text, int bytes, nint destructor);
    }

    /// <summary>Event names repeat (a handful of kinds): encode each once.</summary>
    private ReadOnlySpan<byte> Utf8(string text)
    {
        if (!_utf8.TryGetValue(text, out var bytes))
        {
            bytes = Encoding.UTF8.GetBytes(text);
            if (_utf8.Count < 4096) _utf8[text] = bytes;
        }
        return bytes;
    }

    private void Step(sqlite3_stmt stmt)
    {
        int rc = raw.sqlite3_step(stmt);
        raw.sqlite3_reset(stmt);
        if (rc != raw.SQLITE_DONE) throw Error(rc);
    }

    private SqliteException Error(int rc) => new($"SQLite Error {rc}: '{raw.sqlite3_errmsg(_db).utf8_to_string()}'.", rc);

    /// <summary>Stops the writer thread (after the block it is writing; queued blocks are dropped, as the rollback that follows discards them).</summary>
    public void Dispose()
    {
        if (_queue is not null)
        {
            _error ??= ExceptionDispatchInfo.Capture(new ObjectDisposedException(nameof(InteractionWriter)));
            _queue.CompleteAdding();
            _thread!.Join();
            _queue.Dispose();
        }
        ArrayPool<Row>.Shared.Return(_rows);
        _many.Dispose();
        _one.Dispose();
    }
}
