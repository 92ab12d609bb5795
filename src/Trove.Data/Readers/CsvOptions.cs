using System.Text;
using Trove.Core.Data;
using Trove.Core.Errors;

namespace Trove.Data.Readers;

/// <summary>
/// Which header names hold which field of an interactions CSV. Only user and item are required;
/// score, timestamp and event are used when the header has them. Names match case-insensitively; a column
/// left at its default name also accepts a common alternative (user_id/userId, item_id/itemId, rating,
/// time/ts, event_type) when the default is absent.
/// </summary>
public sealed record CsvColumns
{
    public string User { get; init; } = "user";
    public string Item { get; init; } = "item";
    public string Score { get; init; } = "score";
    public string Timestamp { get; init; } = "timestamp";
    public string Event { get; init; } = "event";

    public static CsvColumns Default { get; } = new();

    /// <summary>Parses "user=customer_id,item=sku,score=qty" (fields not named keep their defaults).</summary>
    public static CsvColumns Parse(string? spec)
    {
        var columns = new CsvColumns();
        if (string.IsNullOrWhiteSpace(spec)) return columns;
        foreach (var part in spec.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var kv = part.Split('=', 2, StringSplitOptions.TrimEntries);
            if (kv.Length != 2 || kv[1].Length == 0)
                throw new TroveException($"Bad column mapping '{part}': expected field=header, e.g. user=customer_id.");
            columns = kv[0].ToLowerInvariant() switch
            {
                "user" => columns with { User = kv[1] },
                "item" => columns with { Item = kv[1] },
                "score" or "rating" => columns with { Score = kv[1] },
                "timestamp" or "time" => columns with { Timestamp = kv[1] },
                "event" => columns with { Event = kv[1] },
                _ => throw new TroveException($"Bad column mapping '{part}': unknown field '{kv[0]}' (known: user, item, score, timestamp, event)."),
            };
        }
        return columns;
    }
}

/// <summary>How to read interaction and feature CSV files.</summary>
public sealed record CsvOptions
{
    public CsvColumns Columns { get; init; } = CsvColumns.Default;
    /// <summary>Field delimiter; null detects it from the header among , tab ; |.</summary>
    public char? Delimiter { get; init; }
    public EventWeights EventWeights { get; init; } = EventWeights.Default;
    /// <summary>Text encoding when the file has no byte-order mark (UTF-8 by default).</summary>
    public Encoding? Encoding { get; init; }

    public static CsvOptions Default { get; } = new();

    /// <summary>Parses a --delimiter value: one character, or a name (comma, tab, semicolon, pipe, \t).</summary>
    public static char? ParseDelimiter(string? value) => value is { Length: 1 } ? value[0] : value?.Trim().ToLowerInvariant() switch
    {
        null or "" or "auto" => null,
        "," or "comma" => ',',
        "\\t" or "tab" or "\t" or "tsv" => '\t',
        ";" or "semicolon" => ';',
        "|" or "pipe" => '|',
        { Length: 1 } v => v[0],
        _ => throw new TroveException($"Bad delimiter '{value}': give one character or comma, tab, semicolon, pipe."),
    };
}
