using Trove.Core.Data;

namespace Trove.Data.Readers;

public enum FeatureKind { Categorical, Numeric, Text }

/// <summary>
/// Collects feature values by row index while ids are still being assigned, and produces a
/// <see cref="FeatureTable"/> once the final row count is known.
/// </summary>
public sealed class FeatureTableBuilder
{
    private readonly Dictionary<string, (FeatureKind Kind, List<string?> Strings, List<float> Numbers)> _columns = new(StringComparer.OrdinalIgnoreCase);
    private readonly List<string> _order = new();

    public bool IsEmpty => _columns.Count == 0;

    public void AddColumn(string name, FeatureKind kind)
    {
        if (_columns.TryGetValue(name, out var existing))
        {
            if (existing.Kind != kind) throw new ArgumentException($"Feature '{name}' already exists as {existing.Kind}.");
            return;
        }
        _columns[name] = (kind, new List<string?>(), new List<float>());
        _order.Add(name);
    }

    public void Set(string column, int row, string? value)
    {
        var c = _columns[column];
        if (c.Kind == FeatureKind.Numeric) throw new ArgumentException($"Feature '{column}' is numeric.");
        while (c.Strings.Count <= row) c.Strings.Add(null);
        c.Strings[row] = value;
    }

    public void Set(string column, int row, float value)
    {
        var c = _columns[column];
        if (c.Kind != FeatureKind.Numeric) throw new ArgumentException($"Feature '{column}' is not numeric.");
        while (c.Numbers.Count <= row) c.Numbers.Add(float.NaN);
        c.Numbers[row] = value;
    }

    public FeatureTable Build(int rows)
    {
        var table = new FeatureTable();
        foreach (var name in _order)
        {
            var (kind, strings, numbers) = _columns[name];
            switch (kind)
            {
                case FeatureKind.Numeric:
                    var n = new float[rows];
                    n.AsSpan().Fill(float.NaN);
                    for (int i = 0; i < Math.Min(rows, numbers.Count); i++) n[i] = numbers[i];
                    table.Numeric[name] = n;
                    break;
                default:
                    var s = new string?[rows];
                    for (int i = 0; i < Math.Min(rows, strings.Count); i++) s[i] = strings[i];
                    (kind == FeatureKind.Text ? table.Text : table.Categorical)[name] = s;
                    break;
            }
        }
        return table;
    }
}
