using System.Globalization;
using Trove.Core.Errors;

namespace Trove.Core.Data;

/// <summary>
/// Weight of each event type. An interaction's weight is the event weight times its score
/// (score 1 when absent), and repeated (user, item) events add up in the user-item matrix.
/// </summary>
public sealed class EventWeights
{
    public static IReadOnlyDictionary<string, float> Defaults { get; } = new Dictionary<string, float>(StringComparer.OrdinalIgnoreCase)
    {
        ["view"] = 0.1f, ["add_to_cart"] = 0.3f, ["purchase"] = 0.6f, ["rating"] = 0.2f,
    };

    private readonly Dictionary<string, float> _weights;

    /// <summary>Weight for event types not listed; null makes an unknown event an error.</summary>
    public float? UnknownEventWeight { get; }

    public EventWeights(IReadOnlyDictionary<string, float>? weights = null, float? unknownEventWeight = 1f)
    {
        _weights = new Dictionary<string, float>(weights ?? Defaults, StringComparer.OrdinalIgnoreCase);
        UnknownEventWeight = unknownEventWeight;
    }

    public static EventWeights Default { get; } = new();

    public IReadOnlyDictionary<string, float> Weights => _weights;

    public bool TryGetWeight(string eventType, out float weight)
    {
        if (_weights.TryGetValue(eventType, out weight)) return true;
        if (UnknownEventWeight is float w) { weight = w; return true; }
        return false;
    }

    /// <summary>Parses "view=0.1,purchase=0.6" (overrides on top of the defaults).</summary>
    public static EventWeights Parse(string spec)
    {
        var map = new Dictionary<string, float>(Defaults, StringComparer.OrdinalIgnoreCase);
        foreach (var part in spec.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var kv = part.Split('=', 2, StringSplitOptions.TrimEntries);
            if (kv.Length != 2 || !float.TryParse(kv[1], NumberStyles.Float, CultureInfo.InvariantCulture, out var w) || !float.IsFinite(w) || w < 0)
                throw new TroveException($"Bad event weight '{part}': expected name=non-negative number, e.g. view=0.1.");
            map[kv[0]] = w;
        }
        return new EventWeights(map);
    }
}
