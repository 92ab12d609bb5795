using System.Text;

namespace Trove.Data.Formats;

/// <summary>One feature found in user_data or item_data.</summary>
/// <param name="Type">"path" (image), "string" (text), "label" or "labels" (categorical, several when any value had '|' or a list), "number" (continuous), "sequence" (temporal).</param>
/// <param name="Distinct">Distinct labels of a categorical feature: each label of a "labels" value counts once (counted up to 100,000).</param>
/// <param name="Combinations">Distinct whole values of a "labels" feature (label combinations such as "Action|Comedy"); equals <paramref name="Distinct"/> for "label".</param>
public sealed record FeatureSchema(FeatureGroup Group, string Name, string Type, long Present, long Missing, long Distinct, double Min, double Max, int MaxLength, long Combinations = 0);

/// <summary>What a universal JSON file holds: feature names per group and their types, counts, event types.</summary>
public sealed record UniversalSchema
{
    public long UserRecords { get; init; }
    public long ItemRecords { get; init; }
    public long Interactions { get; init; }
    public IReadOnlyList<FeatureSchema> UserFeatures { get; init; } = [];
    public IReadOnlyList<FeatureSchema> ItemFeatures { get; init; } = [];
    public IReadOnlyDictionary<string, long> InteractionTypes { get; init; } = new Dictionary<string, long>();
    public long InteractionsWithTimestamp { get; init; }
    public DateTimeOffset? FirstTimestamp { get; init; }
    public DateTimeOffset? LastTimestamp { get; init; }
    /// <summary>Keys that were ignored (e.g. an unknown group name in a record).</summary>
    public IReadOnlyList<string> IgnoredKeys { get; init; } = [];

    /// <summary>Feature names of one entity ("user" or "item") in one group.</summary>
    public IEnumerable<string> Names(string entity, FeatureGroup group) =>
        (entity.StartsWith("user", StringComparison.OrdinalIgnoreCase) ? UserFeatures : ItemFeatures).Where(f => f.Group == group).Select(f => f.Name);

    public override string ToString()
    {
        var sb = new StringBuilder();
        sb.AppendLine($"users: {UserRecords:N0} records, items: {ItemRecords:N0} records, interactions: {Interactions:N0}");
        void Features(string title, IReadOnlyList<FeatureSchema> list)
        {
            foreach (var g in list.GroupBy(f => f.Group))
                sb.AppendLine($"  {title}.{FeatureGroups.Key(g.Key)}: " + string.Join(", ", g.Select(f => f.Type == "number"
                    ? $"{f.Name} ({f.Type}, {f.Min:G4}..{f.Max:G4})"
                    : f.Group == FeatureGroup.Categorical
                        ? f.Type == "labels" ? $"{f.Name} ({f.Type}, {f.Distinct} labels in {f.Combinations} combinations)" : $"{f.Name} ({f.Type}, {f.Distinct} values)"
                        : $"{f.Name} ({f.Type})")));
        }
        Features("user", UserFeatures);
        Features("item", ItemFeatures);
        if (InteractionTypes.Count > 0) sb.AppendLine("  interaction types: " + string.Join(", ", InteractionTypes.Select(kv => $"{kv.Key} {kv.Value:N0}")));
        if (FirstTimestamp is { } a && LastTimestamp is { } b) sb.AppendLine($"  time span: {a:yyyy-MM-dd} .. {b:yyyy-MM-dd}");
        return sb.ToString().TrimEnd();
    }
}

/// <summary>Collects a <see cref="UniversalSchema"/> from records as they stream by.</summary>
public sealed class UniversalSchemaBuilder
{
    private const int DistinctCap = 100_000;

    private sealed class Stats(FeatureGroup group, string name)
    {
        public FeatureGroup Group = group; public string Name = name;
        public long Present, Missing; public bool Multi;
        public double Min = double.PositiveInfinity, Max = double.NegativeInfinity; public int MaxLength;
        public HashSet<string>? Distinct, Combinations;
    }

    private readonly Dictionary<(FeatureGroup, string), Stats> _users = [], _items = [];
    private readonly Dictionary<string, long> _types = new(StringComparer.OrdinalIgnoreCase);
    private readonly HashSet<string> _ignored = [];
    private long _userRecords, _itemRecords, _interactions, _withTime;
    private long _minTime = long.MaxValue, _maxTime = long.MinValue;

    public void Add(UniversalRecord record)
    {
        if (record is UniversalInteractionRecord i)
        {
            _interactions++;
            var type = i.InteractionType ?? "(none)";
            _types[type] = _types.GetValueOrDefault(type) + 1;
            if (i.Timestamp is long t) { _withTime++; _minTime = Math.Min(_minTime, t); _maxTime = Math.Max(_maxTime, t); }
            return;
        }
        var e = (UniversalEntityRecord)record;
        var stats = e.Section == UniversalRecordParser.Users ? _users : _items;
        if (e.Section == UniversalRecordParser.Users) _userRecords++; else _itemRecords++;
        if (e.UnknownKeys is { } unknown) foreach (var k in unknown) _ignored.Add($"{e.Section}.{k}");
        foreach (var f in e.Features)
        {
            if (!stats.TryGetValue((f.Group, f.Name), out var s)) stats[(f.Group, f.Name)] = s = new Stats(f.Group, f.Name);
            if (f.IsMissing) { s.Missing++; continue; }
            s.Present++;
            switch (f.Group)
            {
                case FeatureGroup.Continuous: s.Min = Math.Min(s.Min, f.Number); s.Max = Math.Max(s.Max, f.Number); break;
                case FeatureGroup.Temporal: s.MaxLength = Math.Max(s.MaxLength, f.Sequence!.Length); break;
                case FeatureGroup.Categorical:
                    s.Distinct ??= new HashSet<string>(StringComparer.Ordinal);
                    s.Combinations ??= new HashSet<string>(StringComparer.Ordinal);
                    if (s.Combinations.Count < DistinctCap) s.Combinations.Add(f.Text!);
                    if (f.Text!.Contains('|'))
                    {
                        // "Action|Comedy" is two labels: count labels, not the combinations they come in.
                        s.Multi = true;
                        foreach (var label in f.Text.Split('|', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
                            if (s.Distinct.Count < DistinctCap) s.Distinct.Add(label);
                    }
                    else if (s.Distinct.Count < DistinctCap) s.Distinct.Add(f.Text);
                    break;
                default: s.MaxLength = Math.Max(s.MaxLength, f.Text!.Length); break;
            }
        }
    }

    private static List<FeatureSchema> Finish(Dictionary<(FeatureGroup, string), Stats> stats) =>
        stats.Values.OrderBy(s => s.Group).ThenBy(s => s.Name, StringComparer.Ordinal).Select(s => new FeatureSchema(
            s.Group, s.Name,
            s.Group switch
            {
                FeatureGroup.Image => "path",
                FeatureGroup.Text => "string",
                FeatureGroup.Categorical => s.Multi ? "labels" : "label",
                FeatureGroup.Continuous => "number",
                _ => "sequence",
            },
            s.Present, s.Missing, s.Distinct?.Count ?? 0,
            s.Present > 0 && s.Group == FeatureGroup.Continuous ? s.Min : 0,
            s.Present > 0 && s.Group == FeatureGroup.Continuous ? s.Max : 0,
            s.MaxLength, s.Combinations?.Count ?? 0)).ToList();

    public UniversalSchema Build() => new()
    {
        UserRecords = _userRecords,
        ItemRecords = _itemRecords,
        Interactions = _interactions,
        UserFeatures = Finish(_users),
        ItemFeatures = Finish(_items),
        InteractionTypes = new Dictionary<string, long>(_types),
        InteractionsWithTimestamp = _withTime,
        FirstTimestamp = _withTime > 0 ? DateTimeOffset.FromUnixTimeSeconds(_minTime) : null,
        LastTimestamp = _withTime > 0 ? DateTimeOffset.FromUnixTimeSeconds(_maxTime) : null,
        IgnoredKeys = _ignored.Order().ToList(),
    };
}
