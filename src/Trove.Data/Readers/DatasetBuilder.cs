using Trove.Core.Data;

namespace Trove.Data.Readers;

/// <summary>
/// Collects ids, interactions and features from one or more readers (interactions first, so ids
/// follow the interactions' first-seen order; ids that appear only in feature files come after).
/// </summary>
public sealed class DatasetBuilder
{
    public IdMapBuilder Users { get; } = new();
    public IdMapBuilder Items { get; } = new();
    public InteractionLogBuilder Interactions { get; } = new();
    public FeatureTableBuilder UserFeatures { get; } = new();
    public FeatureTableBuilder ItemFeatures { get; } = new();

    public Dataset Build(string source)
    {
        var users = Users.Build();
        var items = Items.Build();
        return new Dataset(users, items, Interactions.Build(), UserFeatures.Build(users.Count), ItemFeatures.Build(items.Count), source);
    }
}
