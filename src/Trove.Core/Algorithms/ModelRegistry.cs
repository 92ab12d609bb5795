using System.Text.Json;
using Trove.Core.Errors;
using Trove.Core.Persistence;
using Trove.Core.Recommending;

namespace Trove.Core.Algorithms;

/// <summary>
/// Algorithms by name. Each registers its parameter record type and a factory; the CLI, the model
/// loader and configs create models only through here, so adding an algorithm is one registration.
/// </summary>
public sealed class ModelRegistry
{
    private sealed record Entry(string Name, string Description, Type ParametersType, Func<object, IRecommender> Create);
    private readonly Dictionary<string, Entry> _entries = new(StringComparer.OrdinalIgnoreCase);

    public ModelRegistry Register<TParameters>(string name, string description, Func<TParameters, IRecommender> create)
        where TParameters : class, new()
    {
        _entries.Add(name, new Entry(name, description, typeof(TParameters), p => create((TParameters)p)));
        return this;
    }

    public IEnumerable<(string Name, string Description)> Algorithms => _entries.Values.Select(e => (e.Name, e.Description));
    public bool Contains(string name) => _entries.ContainsKey(name);

    /// <summary>A parameters record as JSON, the way model files store it (snake_case names, enums by name).</summary>
    public static JsonElement ParametersJson(object parameters) =>
        JsonSerializer.SerializeToElement(parameters, parameters.GetType(), ModelJson.Options);

    /// <summary>The parameters record type of an algorithm (its defaults and <see cref="SearchSpace"/>).</summary>
    public Type ParametersType(string name) => Get(name).ParametersType;

    /// <summary>A model from a parameters record of the algorithm's own type.</summary>
    public IRecommender Create(string name, object parameters)
    {
        var e = Get(name);
        if (parameters.GetType() != e.ParametersType)
            throw new TroveException($"Parameters of type {parameters.GetType().Name} do not belong to {name} ({e.ParametersType.Name}).");
        return e.Create(parameters);
    }

    /// <summary>Default parameters of an algorithm as JSON (for help output and configs).</summary>
    public JsonElement DefaultParameters(string name)
    {
        var e = Get(name);
        return JsonSerializer.SerializeToElement(Activator.CreateInstance(e.ParametersType)!, e.ParametersType, ModelJson.Options);
    }

    /// <summary>A model with default parameters overridden by "key=value" settings.</summary>
    public IRecommender Create(string name, IReadOnlyDictionary<string, string>? overrides = null)
    {
        var e = Get(name);
        return e.Create(ParameterBinder.Bind(e.ParametersType, overrides ?? new Dictionary<string, string>(), name));
    }

    /// <summary>A model with parameters read from JSON (a model file's manifest or a config).</summary>
    public IRecommender Create(string name, JsonElement parameters)
    {
        var e = Get(name);
        var p = parameters.Deserialize(e.ParametersType, ModelJson.Options) ?? Activator.CreateInstance(e.ParametersType)!;
        return e.Create(p);
    }

    /// <summary>A model from its typed parameters record (e.g. <c>new AlsParameters { Factors = 128 }</c>).</summary>
    public IRecommender Create(object parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        var e = _entries.Values.FirstOrDefault(x => x.ParametersType == parameters.GetType())
            ?? throw new TroveException($"No registered algorithm takes {parameters.GetType().Name}. Available: {string.Join(", ", _entries.Keys.Order())}.");
        return e.Create(parameters);
    }

    /// <summary>
    /// Like <see cref="Create(string, JsonElement)"/> for parameters a user wrote (e.g. hybrid's collaborative_parameters):
    /// an unknown key or a bad value is an error naming it, never silently dropped.
    /// </summary>
    public IRecommender CreateChecked(string name, JsonElement parameters)
    {
        var e = Get(name);
        if (parameters.ValueKind == JsonValueKind.Object)
        {
            var known = JsonSerializer.SerializeToNode(Activator.CreateInstance(e.ParametersType)!, e.ParametersType, ModelJson.Options)!.AsObject().Select(kv => kv.Key).ToList();
            foreach (var p in parameters.EnumerateObject())
                if (!known.Any(k => ParameterBinder.Normalise(k) == ParameterBinder.Normalise(p.Name)))
                    throw new TroveException($"Unknown parameter '{p.Name}' for {name}. Valid: {string.Join(", ", known)}.");
        }
        try { return Create(name, parameters); }
        catch (JsonException ex) { throw new TroveException($"Bad parameters for {name}: {ex.Message.Split(" Path:")[0]}"); }
    }

    private Entry Get(string name) => _entries.TryGetValue(name, out var e) ? e
        : throw new TroveException($"Unknown model '{name}'. Available: {string.Join(", ", _entries.Keys.Order())}.");
}
