using System.Data.Common;
using System.Globalization;

namespace Trove.Data.Stores;

/// <summary>
/// What differs between SQLite and PostgreSQL in the SQL that <see cref="SqlStoreQueries"/> shares: how a time is
/// stored (ISO-8601 text against timestamptz), how a column sorts byte-wise, and how a JSON column reads as text.
/// Everything else (named <c>@parameters</c>, quoted identifiers, <c>ON CONFLICT</c>, <c>RETURNING</c>) both accept.
/// </summary>
internal interface ISqlDialect
{
    /// <summary>The value to bind for a UTC time.</summary>
    object Time(DateTime utc);

    /// <summary>A stored time as UTC, or null for SQL NULL.</summary>
    DateTime? ReadTime(DbDataReader reader, int column);

    /// <summary>An ORDER BY term that compares <paramref name="column"/> byte by byte, whatever the database's collation.</summary>
    string Bytewise(string column);

    /// <summary>A JSON column as text in a SELECT list.</summary>
    string JsonText(string column);
}

/// <summary>SQLite: times as ISO-8601 text ("O"), binary collation by default, JSON stored as text.</summary>
internal sealed class SqliteDialect : ISqlDialect
{
    public static readonly SqliteDialect Instance = new();

    public object Time(DateTime utc) => DateTime.SpecifyKind(utc, DateTimeKind.Utc).ToString("O", CultureInfo.InvariantCulture);

    public DateTime? ReadTime(DbDataReader reader, int column) => reader.IsDBNull(column) ? null
        : DateTime.Parse(reader.GetString(column), CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal);

    public string Bytewise(string column) => column;

    public string JsonText(string column) => column;
}

/// <summary>PostgreSQL: timestamptz (Npgsql wants DateTime of kind Utc), COLLATE "C" for byte order, jsonb cast to text.</summary>
internal sealed class PostgresDialect : ISqlDialect
{
    public static readonly PostgresDialect Instance = new();

    public object Time(DateTime utc) => DateTime.SpecifyKind(utc, DateTimeKind.Utc);

    public DateTime? ReadTime(DbDataReader reader, int column) => reader.IsDBNull(column) ? null : DateTime.SpecifyKind(reader.GetDateTime(column), DateTimeKind.Utc);

    public string Bytewise(string column) => column + " COLLATE \"C\"";

    public string JsonText(string column) => column + "::text";
}
