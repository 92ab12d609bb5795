using System.CommandLine;
using System.Diagnostics;
using Trove.Cli.Infrastructure;
using Trove.Core.Recommending;
using Trove.Core.Training;
using Trove.Data.Exports;
using Trove.Data.Readers;
using Trove.Data.Simulation;
using Trove.Data.Stores;
using Trove.Evaluation;
using Trove.Evaluation.Protocols;
using Trove.Evaluation.Reports;
using Trove.Models;

namespace Trove.Cli.Commands;

/// <summary>
/// `trove demo`: the whole product in one run on the embedded default:
/// simulate -> import into SQLite -> train every algorithm -> evaluate side by side ->
/// keep the best model -> recommendations.json (and the same recommendations in the database).
/// </summary>
public static class DemoCommand
{
    public sealed record Settings
    {
        public string Output { get; init; } = "trove-demo";
        public int Users { get; init; } = 3000;
        public int Items { get; init; } = 1500;
        public int Seed { get; init; } = 42;
        public int K { get; init; } = 10;
        /// <summary>Algorithms to compare; empty means every registered one.</summary>
        public IReadOnlyList<string> Models { get; init; } = [];
    }

    public static Command Create()
    {
        var output = new Option<string>("--out", "-o") { Description = "Folder for every output.", DefaultValueFactory = _ => "trove-demo" };
        var users = new Option<int>("--users") { Description = "Simulated users.", DefaultValueFactory = _ => 3000 };
        var items = new Option<int>("--items") { Description = "Simulated items.", DefaultValueFactory = _ => 1500 };
        var seed = new Option<int>("--seed") { Description = "Seed of the simulation, split and training.", DefaultValueFactory = _ => 42 };
        var models = new Option<string[]>("--model", "-m") { Description = "Algorithms to compare (repeatable; default: all)." };
        var command = new Command("demo", "Simulate a shop, import it, train every model, evaluate them side by side and write recommendations.json.")
        {
            output, users, items, seed, models,
        };
        command.SetAction(r => CommandRunner.Run(() => Run(new Settings
        {
            Output = r.GetValue(output)!, Users = r.GetValue(users), Items = r.GetValue(items), Seed = r.GetValue(seed),
            Models = r.GetValue(models) ?? [],
        }, Console.Out, new ConsoleProgress())));
        return command;
    }

    public static int Run(Settings s, TextWriter stdout, IProgressReporter progress)
    {
        var clock = Stopwatch.StartNew();
        var root = Path.GetFullPath(s.Output);
        var dataDir = Path.Combine(root, "data");
        var modelsDir = Path.Combine(root, "models");
        var dbPath = Path.Combine(root, "trove.db");
        Directory.CreateDirectory(modelsDir);
        void Step(string text) => stdout.WriteLine($"\n== {text}  [{clock.Elapsed.TotalSeconds:F1}s]");

        Step($"1/6 simulate {s.Users:N0} users x {s.Items:N0} items");
        SimulateCommand.Run(new SimulationOptions { Users = s.Users, Items = s.Items, Seed = s.Seed, MaxInteractions = 150 }, dataDir, diagnostics: true, stdout);

        Step($"2/6 import into {dbPath}");
        if (File.Exists(dbPath)) File.Delete(dbPath); // a demo run starts from a fresh database
        var imported = DatasetLoader.Load(dataDir, new LoadOptions(), progress);
        using var store = SqliteStore.Open(dbPath);
        var result = store.Import(imported, progress);
        stdout.WriteLine($"imported {result.Interactions:N0} interactions, {result.NewUsers:N0} users, {result.NewItems:N0} items in {result.Seconds:F1}s");
        var data = store.LoadDataset(progress);
        var eda = Trove.Reports.Eda.EdaReport.Write(data, Path.Combine(root, "eda"));
        stdout.WriteLine($"data analysis: {eda.Figures.Count} figures, {eda.HtmlPath}");

        Step("3/6 split: random 20% of each user's interactions held out, full ranking over unseen items");
        var split = HoldoutProtocol.Split(data, testFraction: 0.2, seed: s.Seed);
        stdout.WriteLine(split.Description);

        var algorithms = s.Models.Count > 0 ? s.Models.ToList() : BuiltInAlgorithms.Registry.Algorithms.Select(a => a.Name).ToList();
        Step($"4/6 train and evaluate {string.Join(", ", algorithms)}");
        var fit = new FitContext { Seed = s.Seed, Progress = progress };
        var comparison = Evaluator.Compare(split, algorithms.Select(a => new ModelSpec(a)), BuiltInAlgorithms.Registry,
            new EvaluationOptions { Progress = progress }, fit);
        stdout.Write(ComparisonReport.ToText(comparison));
        var reportJson = Path.Combine(root, "evaluation.json");
        var reportMarkdown = Path.Combine(root, "evaluation.md");
        Core.Persistence.AtomicFile.WriteAllText(reportJson, ComparisonReport.ToJson(comparison));
        Core.Persistence.AtomicFile.WriteAllText(reportMarkdown, ComparisonReport.ToMarkdown(comparison));
        var byActivity = Trove.Reports.EvaluationReports.UserActivity.Evaluate(comparison, split, new EvaluationOptions());
        var report = Trove.Reports.EvaluationReports.EvaluationReportWriter.Write(comparison, Path.Combine(root, "report"), byActivity);

        var best = comparison.Models.OrderByDescending(m => m.Test.Metrics.GetValueOrDefault("ndcg@10")).First();
        Step($"5/6 retrain every model on all data; best on NDCG@10: {best.Label}");
        string bestPath = "";
        Core.Persistence.TrainedModel? bestModel = null;
        foreach (var m in comparison.Models)
        {
            var path = Path.Combine(modelsDir, $"{m.Label}.trove");
            var trained = ModelTrainer.Train(data, m.Algorithm, m.Overrides, fit, path);
            store.RegisterModel(ModelRecord.FromManifest(trained.Manifest, path, System.Text.Json.JsonSerializer.Serialize(m.Test.Metrics)));
            stdout.WriteLine($"{m.Label,-12} -> {path}");
            if (m == best) (bestPath, bestModel) = (path, trained);
        }

        Step($"6/6 top-{s.K} recommendations for every user with {best.Label} (seen items excluded)");
        var model = bestModel!;
        var recommendations = BatchRecommendations.ForAllUsers(model.Model, model.Users.Count, s.K, ItemFilter.Default, Environment.ProcessorCount).ToList();
        var recsPath = Path.Combine(root, "recommendations.json");
        RecommendationsJson.Write(recsPath, model, recommendations, s.K);
        int rows = store.SaveRecommendations(model.Manifest.ModelVersion,
            RecommendationRow.From(model, recommendations));

        stdout.WriteLine($"""

            done in {clock.Elapsed.TotalSeconds:F1}s. Outputs:
              data set          {dataDir}/ (interactions.csv, items.csv, users.csv)
              database          {dbPath} (users, items, interactions, models, {rows:N0} recommendation rows)
              models            {modelsDir}/
              evaluation        {reportJson}, {reportMarkdown}
              report pages      {eda.HtmlPath} (data analysis), {report.Html} (charts, light/medium/heavy users)
              recommendations   {recsPath}
            try: trove recommend --model {bestPath} --user {model.Users[0]}
            """);
        return 0;
    }
}
