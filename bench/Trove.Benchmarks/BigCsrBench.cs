using System.Diagnostics;
using System.Globalization;
using Trove.Numerics.Sparse;

namespace Trove.Benchmarks;

/// <summary>
/// A CsrMatrix whose entries pass 2^31 (default 2,200 rows x 1,000,000 entries = 2.2e9; 17.6 GB of storage in two
/// chunks). The storage is allocated uninitialised and only the rows checked here are written, so the process touches
/// a few MB of it: filling all of it would take 17.6 GB of RAM on a machine five people share. What it shows is that
/// rows past entry 2^31 are addressed, read, scattered and located correctly over real chunked storage.
/// </summary>
internal static class BigCsrBench
{
    public static void Run(string[] args)
    {
        int rows = int.Parse(Harness.Option(args, "--rows", "2200"), CultureInfo.InvariantCulture);
        int rowLength = int.Parse(Harness.Option(args, "--row-length", "1000000"), CultureInfo.InvariantCulture);
        int columns = rowLength;
        var sw = Stopwatch.StartNew();
        var pointers = CsrChunkLayout.RowPointersFromLengths(Enumerable.Repeat(rowLength, rows).ToArray());
        var builder = new CsrMatrixBuilder(rows, columns, pointers);
        var layout = builder.Layout;
        Console.WriteLine($"{rows:N0} rows x {rowLength:N0} entries = {pointers[rows]:N0} entries (2^31 = {1L << 31:N0}); {layout.ChunkCount} chunks, chunk 1 starts at row {(layout.ChunkCount > 1 ? layout.FirstRow(1) : -1)}, entry {(layout.ChunkCount > 1 ? layout.ChunkStart(1) : -1):N0}; allocated in {sw.Elapsed.TotalSeconds:F2}s");

        // The rows on both sides of the chunk boundary, the first row whose entries start past 2^31, and the last row.
        int firstPast = pointers[rows] > 1L << 31 ? CsrChunkLayout.RowOfEntry(pointers, 1L << 31) + 1 : rows - 1;
        var check = new SortedSet<int> { 0, layout.ChunkCount > 1 ? layout.FirstRow(1) - 1 : 0, layout.ChunkCount > 1 ? layout.FirstRow(1) : 0, Math.Min(firstPast, rows - 1), rows - 1 };
        foreach (int r in check)
        {
            var idx = builder.RowIndices(r); var val = builder.RowValues(r);
            // Row r holds every column (row length = columns), with value row + column / 1e6.
            for (int t = 0; t < idx.Length; t++) { idx[t] = t; val[t] = r + t / 1e6f; }
        }
        var m = builder.Build();
        int failures = 0;
        foreach (int r in check)
        {
            long start = m.RowPointers[r];
            var idx = m.RowIndices(r); var val = m.RowValues(r);
            bool ok = idx.Length == rowLength;
            for (int t = 1; t < idx.Length && ok; t++) ok = idx[t] > idx[t - 1];
            int probe = idx[idx.Length / 2];
            ok &= m[r, probe] == r + probe / 1e6f;
            var target = new float[columns];
            m.AddScaledRow(r, 2f, target);
            ok &= target[probe] == 2f * (r + probe / 1e6f);
            ok &= CsrChunkLayout.RowOfEntry(m.RowPointers, start + rowLength / 2) == r;
            var (chunk, inChunk) = m.Layout.Locate(start);
            ok &= chunk == m.Layout.ChunkOfRow(r) && m.Layout.ChunkStart(chunk) + inChunk == start;
            Console.WriteLine($"  row {r,5}: entries [{start:N0}, {start + rowLength:N0}) chunk {chunk} at {inChunk:N0}: {(ok ? "ok" : "WRONG")}");
            if (!ok) failures++;
        }
        sw.Restart();
        long sum = 0;
        for (int rep = 0; rep < 100; rep++) foreach (int r in check) sum += m.RowIndices(r).Length;
        Console.WriteLine($"row spans: {sum:N0} entries reached through {100 * check.Count} RowIndices calls in {sw.Elapsed.TotalMilliseconds:F2} ms");
        Console.WriteLine(failures == 0 ? "big-csr: every checked row past 2^31 reads back correctly" : $"big-csr: {failures} rows WRONG");
        GC.KeepAlive(m);
        if (failures > 0) Environment.ExitCode = 1;
    }
}
