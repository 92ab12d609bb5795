using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Trove.Core.Errors;
using Trove.Core.Persistence;

namespace Trove.Core.Algorithms;

/// <summary>
/// Turns "key=value" strings (from --param) into a parameter record: keys match property names
/// ignoring case, '_' and '-'; values are parsed as the property's type (numbers, booleans,
/// enums by name, lists as comma-separated values). Unknown keys and bad values are clear errors.
/// </summary>
public static class ParameterBinder
{
    public static object Bind(Type parametersType, IReadOnlyDictionary<string, string> settings, string algorithm)
    {
        var defaults = JsonSerializer.SerializeToNode(Activator.CreateInstance(parametersType)!, parametersType, ModelJson.Options)!.AsObject();
        var byNormalised = defaults.ToDictionary(kv => Normalise(kv.Key), kv => kv.Key);
        foreach (var (key, raw) in settings)
        {
            if (!byNormalised.TryGetValue(Normalise(key), out var jsonName))
                throw new TroveException($"Unknown parameter '{key}' for {algorithm}. Valid: {string.Join(", ", defaults.Select(kv => kv.Key))}.");
            defaults[jsonName] = Parse(defaults[jsonName], raw, key, algorithm);
        }
        try
        {
            return defaults.Deserialize(parametersType, ModelJson.Options)!;
        }
        catch (JsonException e)
        {
            throw new TroveException($"Bad parameters for {algorithm}: {e.Message}");
        }
    }

    public static Dictionary<string, string> ParseSettings(IEnumerable<string> pairs)
    {
        var result = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var p in pairs)
        {
            int eq = p.IndexOf('=');
            if (eq <= 0) throw new TroveException($"Bad --param '{p}': expected key=value, e.g. neighbours=50.");
            result[p[..eq].Trim()] = p[(eq + 1)..].Trim();
        }
        return result;
    }

    private static JsonNode? Parse(JsonNode? current, string raw, string key, string algorithm)
    {
        TroveException Bad(string expected) => new($"Bad value '{raw}' for {algorithm} parameter '{key}': expected {expected}.");
        switch (current?.GetValueKind())
        {
            case JsonValueKind.Number:
                if (!double.TryParse(raw, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) || !double.IsFinite(d)) throw Bad("a finite number");
                return JsonValue.Create(d);
            case JsonValueKind.True or JsonValueKind.False:
                if (!bool.TryParse(raw, out var b)) throw Bad("true or false");
                return JsonValue.Create(b);
            case JsonValueKind.Array when raw.StartsWith('['):
                // A list of objects (e.g. content's item_features=[{"group": "text", "encoder": "minilm"}]) is JSON.
                try { return JsonNode.Parse(raw); }
                catch (JsonException e) { throw Bad($"a JSON array such as [{{\"group\": \"text\", \"encoder\": \"minilm\"}}] ({e.Message.Split(" LineNumber:")[0].TrimEnd('.')})"); }
            case JsonValueKind.Array:
                var arr = new JsonArray();
                foreach (var part in raw.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
                    arr.Add(double.TryParse(part, NumberStyles.Float, CultureInfo.InvariantCulture, out var x) ? JsonValue.Create(x) : JsonValue.Create(part));
                return arr;
            case JsonValueKind.Object or JsonValueKind.Null or null when raw.StartsWith('{'):
                // A nested parameter object (e.g. hybrid's collaborative_parameters={"neighbours": 50}) is JSON.
                try { return JsonNode.Parse(raw); }
                catch (JsonException e) { throw Bad($"a JSON object such as {{\"neighbours\": 50}} ({e.Message.Split(" LineNumber:")[0].TrimEnd('.')})"); }
            case JsonValueKind.Object:
                throw Bad("a JSON object such as {\"neighbours\": 50}");
            default:
                return JsonValue.Create(raw);
        }
    }

    internal static string Normalise(string key) => key.Replace("_", "").Replace("-", "").ToLowerInvariant();
}
