using System.Globalization;

namespace Trove.Tests.Support;

/// <summary>Reads samples out of the Prometheus text format without depending on label order or extra labels (such as otel_scope_name).</summary>
public static class PrometheusText
{
    /// <summary>The value of the first sample of <paramref name="metric"/> carrying all <paramref name="labels"/>; null when there is none.</summary>
    public static double? Value(string text, string metric, params (string Name, string Value)[] labels)
    {
        foreach (var line in text.Split('\n'))
        {
            if (!line.StartsWith(metric, StringComparison.Ordinal) || line.Length == metric.Length || line[metric.Length] is not ('{' or ' ')) continue;
            int close = line.LastIndexOf('}');
            string labelText = line[metric.Length] == '{' ? line[(metric.Length + 1)..close] : "";
            if (labels.All(l => labelText.Contains($"{l.Name}=\"{l.Value}\"", StringComparison.Ordinal)))
                return double.Parse(line[((close >= 0 ? close : metric.Length) + 1)..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
        }
        return null;
    }

    /// <summary>The label values of <paramref name="label"/> over every sample of <paramref name="metric"/>.</summary>
    public static HashSet<string> LabelValues(string text, string metric, string label) =>
        text.Split('\n').Where(l => l.StartsWith(metric + "{", StringComparison.Ordinal) && l.Contains(label + "=\"", StringComparison.Ordinal))
            .Select(l => l[(l.IndexOf(label + "=\"", StringComparison.Ordinal) + label.Length + 2)..].Split('"')[0]).ToHashSet();
}
