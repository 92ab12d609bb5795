using System.Globalization;
using Trove.Core.Data;
using Trove.Core.Errors;
using Trove.Core.Training;
using Trove.Data.Readers;

namespace Trove.Data.Stores;

/// <summary>
/// The interaction loops every store's import session shares: walking a dataset's log or a stream of
/// records, validating each weight, and reporting progress. Each store supplies only how one row is written.
/// </summary>
internal static class ImportRows
{
    /// <summary>Writes one interaction; user and item are the store's row ids.</summary>
    public delegate void WriteRow(long user, long item, float weight, float? score, long timestamp, string? eventName);

    /// <summary>Writes a dataset's interactions, mapping dense indices through the stores' row ids.</summary>
    public static void FromLog(InteractionLog log, long[] userRows, long[] itemRows, IProgressReporter? progress, WriteRow write)
    {
        using var task = progress.StartRows("import interactions", log.Count);
        for (int k = 0; k < log.Count; k++)
        {
            float? score = log.Scores is { } s && !float.IsNaN(s[k]) ? s[k] : null;
            string? ev = log.Events[k] >= 0 ? log.EventNames[log.Events[k]] : null;
            CheckWeight(k + 1, log.Weights[k]);
            write(userRows[log.Users[k]], itemRows[log.Items[k]], log.Weights[k], score, log.Timestamps[k], ev);
            if (((k + 1) & 0xFFFF) == 0) task?.Advance(0x10000);
        }
        task?.Advance(log.Count & 0xFFFF);
    }

    /// <summary>
    /// Writes streamed records (ids new to the store get rows through the lookups). The total is unknown
    /// here: a streaming source reports its own progress (e.g. bytes of the file read). Returns the rows written.
    /// </summary>
    /// <param name="resolve">Called with each block of up to <see cref="Block"/> records before they are written, so the
    /// store can look up their ids in one go.</param>
    public static long FromRecords(IEnumerable<InteractionRecord> rows, Action<IReadOnlyList<InteractionRecord>> resolve,
        Func<string, long> userRow, Func<string, long> itemRow, WriteRow write)
    {
        long n = 0;
        foreach (var block in rows.Chunk(Block))
        {
            resolve(block);
            foreach (var r in block)
            {
                n++;
                CheckWeight(n, r.Weight);
                write(userRow(r.User), itemRow(r.Item), r.Weight, r.Score, r.Timestamp, r.Event);
            }
        }
        return n;
    }

    /// <summary>Records resolved at a time by <see cref="FromRecords"/>.</summary>
    public const int Block = 256;

    private static void CheckWeight(long row, float weight)
    {
        if (!float.IsFinite(weight) || weight < 0)
            throw new TroveException($"Interaction {row}: weight {weight.ToString(CultureInfo.InvariantCulture)} is not a finite non-negative number; nothing was imported.");
    }
}
