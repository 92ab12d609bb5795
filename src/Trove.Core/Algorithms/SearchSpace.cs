using System.Globalization;
using System.Reflection;
using System.Text.Json;
using Trove.Core.Persistence;

namespace Trove.Core.Algorithms;

/// <summary>
/// Declares that a parameter may be tuned over [<paramref name="min"/>, <paramref name="max"/>]. Integer
/// properties draw integers. With <see cref="Log"/> the draw is uniform in log space (learning rates,
/// regularisation, ranks spanning decades).
/// </summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class TuneRangeAttribute(double min, double max) : Attribute
{
    public double Min { get; } = min;
    public double Max { get; } = max;
    /// <summary>Log-uniform instead of uniform.</summary>
    public bool Log { get; init; }
}

/// <summary>Declares that a parameter may be tuned over a list of values (strings for enums, numbers, booleans).</summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class TuneChoiceAttribute(params object[] values) : Attribute
{
    public IReadOnlyList<object> Values { get; } = values;
}

/// <summary>One tunable parameter: its JSON name and how to draw a value from a unit number u in [0, 1).</summary>
public sealed record SearchDimension(string Name, string Kind, double Min, double Max, IReadOnlyList<object>? Choices, bool Integer)
{
    /// <summary>The value at quantile <paramref name="u"/> of the range (uniform, log-uniform or a choice index).</summary>
    public object Draw(double u)
    {
        u = Math.Clamp(u, 0, 1 - 1e-12);
        if (Choices is { } c) return c[(int)(u * c.Count)];
        double x = Kind == "log-uniform" ? Math.Exp(Math.Log(Min) + u * (Math.Log(Max) - Math.Log(Min))) : Min + u * (Max - Min);
        if (Integer) return (long)Math.Clamp(Math.Round(x), Math.Ceiling(Min), Math.Floor(Max));
        return Math.Round(x, 6, MidpointRounding.AwayFromZero) is var r && r != 0 ? r : x;
    }

    public override string ToString() => Choices is { } c
        ? $"{Name}: choice {{{string.Join(", ", c.Select(v => Convert.ToString(v, CultureInfo.InvariantCulture)))}}}"
        : $"{Name}: {Kind} {(Integer ? "integer " : "")}[{Min.ToString(CultureInfo.InvariantCulture)}, {Max.ToString(CultureInfo.InvariantCulture)}]";
}

/// <summary>The tunable parameters a parameters record declares with <see cref="TuneRangeAttribute"/> and <see cref="TuneChoiceAttribute"/>.</summary>
public static class SearchSpace
{
    public static IReadOnlyList<SearchDimension> Of(Type parametersType)
    {
        var result = new List<SearchDimension>();
        foreach (var p in parametersType.GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            string name = ModelJson.Options.PropertyNamingPolicy?.ConvertName(p.Name) ?? p.Name;
            var t = Nullable.GetUnderlyingType(p.PropertyType) ?? p.PropertyType;
            if (p.GetCustomAttribute<TuneRangeAttribute>() is { } r)
            {
                if (!(r.Min <= r.Max) || r.Log && r.Min <= 0)
                    throw new InvalidOperationException($"{parametersType.Name}.{p.Name}: bad tuning range [{r.Min}, {r.Max}].");
                bool integer = t == typeof(int) || t == typeof(long);
                result.Add(new SearchDimension(name, r.Log ? "log-uniform" : "uniform", r.Min, r.Max, null, integer));
            }
            else if (p.GetCustomAttribute<TuneChoiceAttribute>() is { } c)
            {
                if (c.Values.Count == 0) throw new InvalidOperationException($"{parametersType.Name}.{p.Name}: empty tuning choice.");
                result.Add(new SearchDimension(name, "choice", 0, c.Values.Count - 1, c.Values, false));
            }
        }
        return result;
    }

    /// <summary>The parameters record with the given values (JSON names) over its defaults.</summary>
    public static object With(Type parametersType, IReadOnlyDictionary<string, object> values)
    {
        var node = JsonSerializer.SerializeToNode(Activator.CreateInstance(parametersType)!, parametersType, ModelJson.Options)!.AsObject();
        foreach (var (k, v) in values) node[k] = JsonSerializer.SerializeToNode(v, v.GetType(), ModelJson.Options);
        return node.Deserialize(parametersType, ModelJson.Options)!;
    }
}
