using System.Data.Common;
using System.Globalization;
using Trove.Data.Readers;

namespace Trove.Data.Stores;

/// <summary>
/// The two queries behind <see cref="IInteractionStore.LastInteractionId"/> and <see cref="IInteractionStore.InteractionsAfter"/>,
/// written once in SQL that SQLite and PostgreSQL both accept (named parameters, a quoted "timestamp" column).
/// </summary>
internal static class LiveInteractionQueries
{
    public const string LastId = "SELECT coalesce(max(id), 0) FROM interactions";

    private const string After = """
        SELECT i.external_id, x.weight, x.score, x."timestamp", x.event
        FROM interactions x JOIN users u ON u.id = x.user_id JOIN items i ON i.id = x.item_id
        WHERE u.external_id = @user AND x.id > @after ORDER BY x.id
        """;

    public static long ReadLastId(DbCommand command)
    {
        command.CommandText = LastId;
        return command.ExecuteScalar() is { } v and not DBNull ? Convert.ToInt64(v, CultureInfo.InvariantCulture) : 0;
    }

    public static IReadOnlyList<InteractionRecord> ReadAfter(DbCommand command, string user, long afterId)
    {
        command.CommandText = After;
        Add(command, "user", user);
        Add(command, "after", afterId);
        using var r = command.ExecuteReader();
        var rows = new List<InteractionRecord>();
        while (r.Read())
            rows.Add(new InteractionRecord(user, r.GetString(0), r.GetFloat(1), r.IsDBNull(2) ? null : r.GetFloat(2),
                r.IsDBNull(3) ? 0 : r.GetInt64(3), r.IsDBNull(4) ? null : r.GetString(4)));
        return rows;
    }

    public static async Task<long> ReadLastIdAsync(DbCommand command, CancellationToken cancel)
    {
        command.CommandText = LastId;
        return await command.ExecuteScalarAsync(cancel) is { } v and not DBNull ? Convert.ToInt64(v, CultureInfo.InvariantCulture) : 0;
    }

    public static async Task<IReadOnlyList<InteractionRecord>> ReadAfterAsync(DbCommand command, string user, long afterId, CancellationToken cancel)
    {
        command.CommandText = After;
        Add(command, "user", user);
        Add(command, "after", afterId);
        await using var r = await command.ExecuteReaderAsync(cancel);
        var rows = new List<InteractionRecord>();
        while (await r.ReadAsync(cancel))
            rows.Add(new InteractionRecord(user, r.GetString(0), r.GetFloat(1), r.IsDBNull(2) ? null : r.GetFloat(2),
                r.IsDBNull(3) ? 0 : r.GetInt64(3), r.IsDBNull(4) ? null : r.GetString(4)));
        return rows;
    }

    private static void Add(DbCommand command, string name, object value)
    {
        var p = command.CreateParameter();
        p.ParameterName = name;
        p.Value = value;
        command.Parameters.Add(p);
    }
}
