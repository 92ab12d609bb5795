using Trove.Core.Data;
using Trove.Core.Errors;
using Trove.Evaluation;

namespace Trove.Reports.EvaluationReports;

/// <summary>A band of users by training activity: [MinActivity, MaxActivity] training interactions.</summary>
public sealed record ActivityGroup(string Name, long MinActivity, long MaxActivity, int Users);

/// <summary>Users split by training activity; <see cref="GroupOfUser"/> is -1 for users not split (not evaluated).</summary>
public sealed class ActivitySplit
{
    public required int[] GroupOfUser { get; init; }
    public required IReadOnlyList<ActivityGroup> Groups { get; init; }
    /// <summary>Training interactions of each user (log rows, repeats counted).</summary>
    public required long[] Activity { get; init; }
    /// <summary>Light users have at most this many training interactions.</summary>
    public double LightMax { get; init; }
    /// <summary>Medium users have at most this many (and more than <see cref="LightMax"/>); heavy users more.</summary>
    public double MediumMax { get; init; }
}

/// <summary>Metrics of each model for each activity group (a group without users has a null result).</summary>
public sealed class ActivityBreakdown
{
    public required IReadOnlyList<ActivityGroup> Groups { get; init; }
    /// <summary>Model label to one result per group (same order as <see cref="Groups"/>).</summary>
    public required IReadOnlyDictionary<string, IReadOnlyList<EvaluationResult?>> ByModel { get; init; }
    public double LightMax { get; init; }
    public double MediumMax { get; init; }
}

/// <summary>
/// Light / medium / heavy users by training activity (terciles), so a report can show whether a
/// model helps the users with little history as well as the heavy ones.
/// </summary>
public static class UserActivity
{
    public static IReadOnlyList<string> GroupNames { get; } = ["light", "medium", "heavy"];

    /// <summary>
    /// Splits users into terciles of training activity (interactions in <paramref name="train"/>).
    /// The cut points are the 1/3 and 2/3 quantiles of the activity of <paramref name="users"/>
    /// (default: every user with training interactions); light users have at most the first,
    /// medium at most the second, heavy more. Users with the same activity always share a group,
    /// so with many ties the groups are not exactly equal in size.
    /// </summary>
    public static ActivitySplit Terciles(Dataset train, IEnumerable<int>? users = null)
    {
        var activity = new long[train.UserCount];
        foreach (var u in train.Interactions.Users) activity[u]++;
        var members = (users ?? Enumerable.Range(0, train.UserCount).Where(u => activity[u] > 0)).Distinct().ToArray();
        var sorted = members.Select(u => (double)activity[u]).Order().ToArray();
        double q1 = Quantile(sorted, 1 / 3.0), q2 = Quantile(sorted, 2 / 3.0);
        var group = new int[train.UserCount];
        Array.Fill(group, -1);
        foreach (var u in members) group[u] = activity[u] <= q1 ? 0 : activity[u] <= q2 ? 1 : 2;
        var groups = new List<ActivityGroup>();
        for (int g = 0; g < 3; g++)
        {
            var inGroup = members.Where(u => group[u] == g).Select(u => activity[u]).ToArray();
            groups.Add(new ActivityGroup(GroupNames[g], inGroup.Length > 0 ? inGroup.Min() : 0, inGroup.Length > 0 ? inGroup.Max() : 0, inGroup.Length));
        }
        return new ActivitySplit { GroupOfUser = group, Groups = groups, Activity = activity, LightMax = q1, MediumMax = q2 };
    }

    /// <summary>The test cases of each group (a group may have none).</summary>
    public static IReadOnlyList<TestSet?> SplitTestSet(TestSet test, ActivitySplit split)
    {
        var result = new TestSet?[split.Groups.Count];
        for (int g = 0; g < split.Groups.Count; g++)
        {
            var cases = Enumerable.Range(0, test.Count).Where(c => test.Users[c] < split.GroupOfUser.Length && split.GroupOfUser[test.Users[c]] == g).ToArray();
            if (cases.Length == 0) continue;
            result[g] = new TestSet(test.Name, test.ItemCount,
                cases.Select(c => test.Users[c]).ToArray(),
                cases.Select(c => test.Relevant[c]).ToArray(),
                test.Negatives is { } n ? cases.Select(c => n[c]).ToArray() : null,
                test.Excluded is { } e ? cases.Select(c => e[c]).ToArray() : null,
                test.Candidates);
        }
        return result;
    }

    /// <summary>
    /// Evaluates every fitted model of <paramref name="result"/> (from <see cref="Evaluator.Compare(EvaluationSplit, IEnumerable{ModelSpec}, Core.Algorithms.ModelRegistry, EvaluationOptions?, Core.Training.FitContext?)"/>)
    /// on the light, medium and heavy users of the split's test set (terciles over the test users' training activity).
    /// </summary>
    public static ActivityBreakdown Evaluate(ComparisonResult result, EvaluationSplit split, EvaluationOptions? options = null)
    {
        options ??= EvaluationOptions.Default;
        options = options with { Ks = result.Ks };
        var terciles = Terciles(split.Train, split.Test.Users);
        var tests = SplitTestSet(split.Test, terciles);
        var byModel = new Dictionary<string, IReadOnlyList<EvaluationResult?>>();
        foreach (var m in result.Models)
        {
            if (m.NotApplicable is not null) { byModel[m.Label] = tests.Select(_ => (EvaluationResult?)null).ToArray(); continue; }
            if (m.Model is null) throw new TroveException($"Model '{m.Label}' of the comparison is not kept in memory: the activity breakdown needs the fitted models.");
            byModel[m.Label] = tests.Select(t => t is null ? null : Evaluator.Evaluate(m.Model, t, options)).ToArray();
        }
        return new ActivityBreakdown { Groups = terciles.Groups, ByModel = byModel, LightMax = terciles.LightMax, MediumMax = terciles.MediumMax };
    }

    private static double Quantile(double[] sorted, double q)
    {
        if (sorted.Length == 0) return 0;
        double pos = q * (sorted.Length - 1);
        int lo = (int)Math.Floor(pos), hi = Math.Min(lo + 1, sorted.Length - 1);
        return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
    }
}
