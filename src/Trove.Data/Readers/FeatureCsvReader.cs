using System.Text;
using Trove.Core.Errors;

namespace Trove.Data.Readers;

/// <summary>
/// Reads a feature CSV (<c>items.csv</c> with an <c>item</c> column, <c>users.csv</c> with <c>user</c>):
/// every other column becomes a feature. A column is numeric when every non-empty value parses as a
/// number, text when it is named title, name or description or every value is a JSON array or object (e.g. a
/// product's SKUs), and categorical otherwise (several labels may be joined with '|'). Ids not seen before get new indices (cold-start items and users).
/// </summary>
public static class FeatureCsvReader
{
    public static readonly string[] TextColumns = ["title", "name", "description"];

    /// <summary>Reads <paramref name="path"/> into <paramref name="features"/>, adding ids to <paramref name="ids"/>. Returns rows read.</summary>
    public static int ReadInto(string path, string idColumn, IdMapBuilder ids, FeatureTableBuilder features, CsvOptions? options = null)
    {
        options ??= CsvOptions.Default;
        if (!File.Exists(path)) throw new TroveException($"File '{path}' does not exist.");
        using var reader = DelimitedReader.Open(path, ',', true, options.Encoding ?? Encoding.UTF8);
        var delimiter = options.Delimiter ?? reader.DetectDelimiter();
        if (delimiter is not null) reader.Delimiter = delimiter.Value; // else one column: ids only
        if (!reader.Read()) throw new DataFormatException(path, 1, null, $"the file is empty (expected a header line with a '{idColumn}' column).");
        var header = reader.GetStrings().Select(h => h.Trim()).ToArray();
        var twice = header.Where(h => h.Length > 0).GroupBy(h => h, StringComparer.OrdinalIgnoreCase).FirstOrDefault(g => g.Count() > 1);
        if (twice is not null) throw new DataFormatException(path, 1, twice.Key, "the header names this column twice.");
        int idAt = Array.FindIndex(header, h => string.Equals(h, idColumn, StringComparison.OrdinalIgnoreCase));
        if (idAt < 0)
            throw new DataFormatException(path, 1, idColumn, $"missing required column '{idColumn}' (header has: {string.Join(", ", header)}).");

        var rows = new List<(int Index, long Line, string?[] Values)>();
        while (reader.Read())
        {
            if (reader.FieldCount == 1 && reader[0].Trim().IsEmpty) continue;
            if (reader.FieldCount <= idAt) throw new DataFormatException(path, reader.LineNumber, idColumn, $"too few fields: expected {header.Length}, found {reader.FieldCount}.");
            var id = reader[idAt].Trim();
            if (id.IsEmpty) throw new DataFormatException(path, reader.LineNumber, idColumn, $"empty {idColumn} id.");
            var values = new string?[header.Length];
            for (int c = 0; c < header.Length && c < reader.FieldCount; c++)
            {
                if (c == idAt) continue;
                var v = reader[c].Trim();
                values[c] = v.IsEmpty ? null : new string(v);
            }
            rows.Add((ids.GetOrAdd(id), reader.LineNumber, values));
        }

        for (int c = 0; c < header.Length; c++)
        {
            if (c == idAt || header[c].Length == 0) continue;
            var name = header[c];
            bool numeric = rows.Any(r => r.Values[c] is not null) && rows.All(r => r.Values[c] is null || ValueParsers.TryParseFloat(r.Values[c], out var f) && float.IsFinite(f));
            // A JSON value is one structured value, not a label: categorical would make every distinct value a label.
            bool json = !numeric && rows.Any(r => r.Values[c] is not null) && rows.All(r => r.Values[c] is null || r.Values[c]![0] is '[' or '{');
            var kind = TextColumns.Contains(name, StringComparer.OrdinalIgnoreCase) || json ? FeatureKind.Text : numeric ? FeatureKind.Numeric : FeatureKind.Categorical;
            features.AddColumn(name, kind);
            foreach (var (index, _, values) in rows)
            {
                if (values[c] is not { } v) continue;
                if (kind == FeatureKind.Numeric) { ValueParsers.TryParseFloat(v, out var f); features.Set(name, index, f); }
                else features.Set(name, index, v);
            }
        }
        return rows.Count;
    }
}
