using System.Globalization;
using System.Reflection;
using Trove.Core.Errors;
using Trove.Core.Persistence;

namespace Trove.Core.Algorithms;

/// <summary>
/// The values a numeric parameter may take: [<paramref name="min"/>, <paramref name="max"/>] (either end open with
/// <see cref="MinExclusive"/> / <see cref="MaxExclusive"/>). Checked when a model is created (<see cref="ParameterRules"/>),
/// so a bad value fails at once with the parameter's name, not halfway through training.
/// </summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class ValidRangeAttribute(double min, double max = double.PositiveInfinity) : Attribute
{
    /// <summary>Smallest value allowed.</summary>
    public double Min { get; } = min;
    /// <summary>Largest value allowed.</summary>
    public double Max { get; } = max;
    /// <summary>The minimum itself is not allowed.</summary>
    public bool MinExclusive { get; init; }
    /// <summary>The maximum itself is not allowed.</summary>
    public bool MaxExclusive { get; init; }

    /// <summary>True when <paramref name="value"/> lies in the range.</summary>
    public bool Contains(double value) =>
        (MinExclusive ? value > Min : value >= Min) && (MaxExclusive ? value < Max : value <= Max);

    /// <summary>The range in words, e.g. "at least 1" or "in [0, 1)".</summary>
    public string Describe()
    {
        static string N(double x) => x.ToString("G", CultureInfo.InvariantCulture);
        if (double.IsPositiveInfinity(Max))
            return (Min, MinExclusive) switch { (0, true) => "a positive number", (0, false) => "0 or more", (_, true) => $"greater than {N(Min)}", _ => $"at least {N(Min)}" };
        return $"in {(MinExclusive ? "(" : "[")}{N(Min)}, {N(Max)}{(MaxExclusive ? ")" : "]")}";
    }
}

/// <summary>Checks a parameters record: every <see cref="ValidRangeAttribute"/> holds and no floating-point parameter is NaN or infinite.</summary>
public static class ParameterRules
{
    /// <exception cref="TroveException">The first parameter out of its range, named as in --param and model files.</exception>
    public static void Validate(object parameters, string algorithm)
    {
        foreach (var property in parameters.GetType().GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            if (!property.CanRead || property.GetIndexParameters().Length > 0) continue;
            double? value = property.GetValue(parameters) switch
            {
                int i => i, long l => l, float f => f, double d => d,
                _ => null,
            };
            if (value is not { } x) continue;
            string name = ModelJson.Options.PropertyNamingPolicy?.ConvertName(property.Name) ?? property.Name;
            if (!double.IsFinite(x)) throw new TroveException($"{algorithm}: {name} must be a finite number, got {x.ToString(CultureInfo.InvariantCulture)}.");
            if (property.GetCustomAttribute<ValidRangeAttribute>() is { } range && !range.Contains(x))
                throw new TroveException($"{algorithm}: {name} must be {range.Describe()}, got {x.ToString(CultureInfo.InvariantCulture)}.");
        }
    }
}
