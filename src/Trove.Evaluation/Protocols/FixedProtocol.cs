using Trove.Data.Readers;

namespace Trove.Evaluation.Protocols;

/// <summary>
/// A fixed, published train/test split read from two files in the LightGCN / NGCF adjacency-list
/// layout (<c>user item item ...</c> per line), e.g. the Gowalla split of the LightGCN paper.
/// Full ranking: each test user's held-out items are ranked against every item of the catalogue
/// except the user's training items. Test users without training rows are skipped and counted in
/// the description. Deterministic (no seed involved in the split).
/// </summary>
public static class FixedProtocol
{
    public const string Name = "fixed";

    public static EvaluationSplit FromFiles(string trainPath, string testPath)
    {
        var split = LightGcnReader.ReadSplit(trainPath, testPath);
        var test = TestSet.FullRanking("test", split.Train, split.Test);
        var skipped = split.SkippedTestUsers > 0
            ? $"; {split.SkippedTestUsers} test users ({split.SkippedTestInteractions} interactions) without training rows skipped"
            : "; no test user skipped";
        return new EvaluationSplit
        {
            Protocol = Name,
            Description = $"fixed split from files ({Path.GetFileName(trainPath)} / {Path.GetFileName(testPath)}, lightgcn format): "
                          + $"{test.Count} test users, {test.RelevantCount} test interactions; full ranking over all items not in the user's train set{skipped}",
            DatasetName = split.Train.Source,
            Train = split.Train,
            Test = test,
            TestInteractions = split.Test,
        };
    }
}
