using System.CommandLine;
using System.Globalization;
using Trove.Cli.Infrastructure;
using Trove.Core.Algorithms;
using Trove.Core.Data;
using Trove.Core.Errors;
using Trove.Core.Training;
using Trove.Data.Readers;
using Trove.Evaluation;
using Trove.Evaluation.Metrics;
using Trove.Evaluation.Protocols;
using Trove.Evaluation.Reports;
using Trove.Models;

namespace Trove.Cli.Commands;

/// <summary>
/// `trove evaluate`: trains one or more models on the same split and prints a side-by-side table.
/// <code>
/// trove evaluate --protocol ncf --train F --test F --negatives F --model popularity --model itemknn [--param itemknn.neighbours=50]
/// trove evaluate --data u.data --model popularity [--test-fraction 0.2] [--validation-fraction 0.1] [--seed 42]   (holdout, the default with --data)
/// trove evaluate --protocol temporal --data u.data --model popularity [--global] [--cut 2020-01-01]
/// trove evaluate --protocol fixed --train train.txt --test test.txt --model popularity   (LightGCN adjacency-list files)
/// trove evaluate --protocol coldstart --data ml-100k --model twotower --model content [--test-fraction 0.2]   (withheld items)
/// </code>
/// </summary>
public static class EvaluateCommand
{
    /// <summary>Everything the command needs, parsed from the command line (also usable from code).</summary>
    public sealed record Settings
    {
        /// <summary>ncf, holdout, temporal, fixed or coldstart; null: ncf with the NCF files (--train/--test/--negatives), else full-ranking holdout.</summary>
        public string? Protocol { get; init; }
        public string? Train { get; init; }
        public string? Test { get; init; }
        public string? Negatives { get; init; }
        /// <summary>Interactions to split: any path DatasetLoader reads (CSV, folder, MovieLens, Last.fm, .db).</summary>
        public string? Data { get; init; }
        public LoadOptions LoadOptions { get; init; } = new();
        public IReadOnlyList<string> Models { get; init; } = [];
        public IReadOnlyList<string> Params { get; init; } = [];
        /// <summary>JSON files written by `trove tune --out`: each adds its algorithm (unless already a --model) with its parameters, under --param.</summary>
        public IReadOnlyList<string> ParamsFiles { get; init; } = [];
        public IReadOnlyList<int> Ks { get; init; } = MetricNames.DefaultKs;
        public int Seed { get; init; } = 42;
        public double TestFraction { get; init; } = HoldoutProtocol.DefaultTestFraction;
        public double ValidationFraction { get; init; }
        /// <summary>holdout/temporal with a validation part: fit the models on train + validation, then score the test part.</summary>
        public bool FitWithValidation { get; init; }
        public bool Global { get; init; }
        public string? Cut { get; init; }
        public int SampledNegatives { get; init; } = NcfProtocol.DefaultNegatives;
        public int Threads { get; init; } = Environment.ProcessorCount;
        public string? Json { get; init; }
        public string? Markdown { get; init; }
        /// <summary>Folder for the HTML/markdown/JSON report with bar charts and the light/medium/heavy user breakdown.</summary>
        public string? Report { get; init; }
    }

    public static Command Create()
    {
        var protocol = new Option<string?>("--protocol") { Description = "Default: holdout (full ranking) with --data/--db, ncf with --train/--test/--negatives. ncf (leave-one-out vs sampled negatives), holdout (random per-user), temporal (latest per user, or a global time cut), fixed (given --train/--test files in the LightGCN 'user item item ...' format, full ranking) or coldstart (--test-fraction of the items withheld from training; their users rank them among the withheld items)." };
        protocol.AcceptOnlyFromAmong(NcfProtocol.Name, HoldoutProtocol.Name, TemporalProtocol.Name, FixedProtocol.Name, ColdStartProtocol.Name);
        var train = new Option<string?>("--train") { Description = "NCF training file (*.train.rating), or with --protocol fixed the LightGCN training file (user item item ...)." };
        var test = new Option<string?>("--test") { Description = "NCF test file (*.test.rating), or with --protocol fixed the LightGCN test file (user item item ...)." };
        var negatives = new Option<string?>("--negatives") { Description = "NCF negatives file (*.test.negative)." };
        var dataOptions = new DataOptions();
        var model = new Option<string[]>("--model", "-m") { Description = "Algorithm to evaluate (repeat for a side-by-side comparison).", AllowMultipleArgumentsPerToken = false };
        var paramsFiles = new Option<string[]>("--params") { Description = "Tuned parameters from `trove tune --out` (repeatable, one file per algorithm); adds the algorithm when it is not a --model; --param overrides single values." };
        var param = new Option<string[]>("--param", "-p") { Description = "Parameter override: model.key=value (or key=value with one model), e.g. itemknn.neighbours=50." };
        var k = new Option<string>("--k") { Description = "Cut-offs, comma-separated.", DefaultValueFactory = _ => "5,10,20" };
        var seed = new Option<int>("--seed") { Description = "Seed of the split and of model training.", DefaultValueFactory = _ => 42 };
        var testFraction = new Option<double>("--test-fraction") { Description = "holdout/temporal: share of each user's items held out for test; coldstart: share of the items withheld from training.", DefaultValueFactory = _ => HoldoutProtocol.DefaultTestFraction };
        var validationFraction = new Option<double>("--validation-fraction") { Description = "holdout/temporal: share held out for validation (0.1 with --test-fraction 0.1 gives 80/10/10).", DefaultValueFactory = _ => 0 };
        var fitWithValidation = new Option<bool>("--fit-with-validation") { Description = "holdout/temporal with --validation-fraction: fit the models on train + validation (after tuning on validation with `trove tune --test-fraction`), then score the unchanged test part." };
        var global = new Option<bool>("--global") { Description = "temporal: one global time cut (latest --test-fraction of all interactions) instead of per user." };
        var cut = new Option<string?>("--cut") { Description = "temporal: global cut time, Unix seconds or a date (2020-01-01); pairs first seen at or after it are test." };
        var sampled = new Option<int>("--num-negatives") { Description = "ncf with --data: sampled negatives per user.", DefaultValueFactory = _ => NcfProtocol.DefaultNegatives };
        var threads = new Option<int>("--threads") { Description = "Worker threads.", DefaultValueFactory = _ => Environment.ProcessorCount };
        var json = new Option<string?>("--json") { Description = "Also write the results as JSON to this file." };
        var markdown = new Option<string?>("--markdown") { Description = "Also write the results as a markdown table to this file." };
        var report = new Option<string?>("--report") { Description = "Also write a report folder: index.html with bar charts per metric and K, metrics of light/medium/heavy users, report.md and report.json." };

        var command = new Command("evaluate", "Train models on a split and compare HR, NDCG, recall, precision, MAP, MRR, AUC and coverage side by side.");
        foreach (var o in new Option[] { protocol, train, test, negatives, model, param, paramsFiles, k, seed, testFraction, validationFraction, fitWithValidation, global, cut, sampled, threads, json, markdown, report })
            command.Options.Add(o);
        dataOptions.AddTo(command);
        command.SetAction(r => CommandRunner.Run(() =>
        {
            var progress = new ConsoleProgress();
            return Run(new Settings
            {
                Protocol = r.GetValue(protocol),
                Train = r.GetValue(train), Test = r.GetValue(test), Negatives = r.GetValue(negatives), Data = r.GetValue(dataOptions.Data) ?? r.GetValue(dataOptions.Db),
                LoadOptions = dataOptions.LoadOptions(r),
                Models = r.GetValue(model) ?? [], Params = r.GetValue(param) ?? [], ParamsFiles = r.GetValue(paramsFiles) ?? [],
                Ks = MetricNames.ParseKs(r.GetValue(k) ?? "5,10,20"),
                Seed = r.GetValue(seed), TestFraction = r.GetValue(testFraction), ValidationFraction = r.GetValue(validationFraction),
                FitWithValidation = r.GetValue(fitWithValidation),
                Global = r.GetValue(global), Cut = r.GetValue(cut), SampledNegatives = r.GetValue(sampled), Threads = r.GetValue(threads),
                Json = r.GetValue(json), Markdown = r.GetValue(markdown), Report = r.GetValue(report),
            }, Console.Out, progress, () => dataOptions.Load(r, progress)); // --db may be SQLite or PostgreSQL
        }));
        return command;
    }

    /// <summary>Runs an evaluation: builds the split, compares the models, prints the table and writes the reports.</summary>
    /// <param name="loadData">Loads the data set for holdout, temporal and ncf-from-data; defaults to <see cref="LoadData"/> of --data.</param>
    public static int Run(Settings s, TextWriter output, IProgressReporter progress, Func<Dataset>? loadData = null)
    {
        if (s.Threads <= 0) throw new TroveException($"--threads must be positive, got {s.Threads}.");
        var (models, parameters) = WithParamsFiles(s.Models, s.Params, s.ParamsFiles);
        var specs = ModelSpecs(models, parameters, BuiltInAlgorithms.Registry);
        s = s with { Protocol = ResolveProtocol(s) };
        var split = BuildSplit(s, loadData ?? (() => LoadData(RequireData(s), s.LoadOptions, progress)), progress);
        if (s.FitWithValidation) split = split.WithValidationInTrain();
        progress.Info($"{split.Protocol}: {split.Description}");
        output.WriteLine($"protocol: {split.Protocol} ({split.Description})");
        var options = new EvaluationOptions { Ks = s.Ks, Threads = s.Threads, Progress = progress };
        var fit = new FitContext { Seed = s.Seed, Threads = s.Threads, Progress = progress };
        var result = Evaluator.Compare(split, specs, BuiltInAlgorithms.Registry, options, fit);
        output.Write(ComparisonReport.ToText(result));
        if (s.Json is { } jsonPath) { Core.Persistence.AtomicFile.WriteAllText(jsonPath, ComparisonReport.ToJson(result)); progress.Info($"wrote {jsonPath}"); }
        if (s.Markdown is { } mdPath) { Core.Persistence.AtomicFile.WriteAllText(mdPath, ComparisonReport.ToMarkdown(result)); progress.Info($"wrote {mdPath}"); }
        if (s.Report is { } reportDir)
        {
            progress.Info("evaluating light, medium and heavy users separately");
            var breakdown = Trove.Reports.EvaluationReports.UserActivity.Evaluate(result, split, options);
            var files = Trove.Reports.EvaluationReports.EvaluationReportWriter.Write(result, reportDir, breakdown);
            progress.Info($"wrote {files.Figures.Count} charts, {Path.GetFileName(files.Markdown)}, {Path.GetFileName(files.Json)} and {files.Html}");
        }
        return 0;
    }

    /// <summary>The protocol to run: the one given, else ncf when the NCF files are given, else full-ranking holdout.</summary>
    public static string ResolveProtocol(Settings s) =>
        s.Protocol ?? (s.Train is not null || s.Test is not null || s.Negatives is not null ? NcfProtocol.Name : HoldoutProtocol.Name);

    public static EvaluationSplit BuildSplit(Settings s, Func<Dataset> loadData, IProgressReporter progress)
    {
        s = s with { Protocol = ResolveProtocol(s) };
        switch (s.Protocol!.ToLowerInvariant())
        {
            case NcfProtocol.Name:
                if (s.Train is not null || s.Test is not null || s.Negatives is not null)
                {
                    if (s.Data is not null) throw new TroveException("Give either --data or the NCF files (--train, --test, --negatives), not both.");
                    if (s.Train is null || s.Test is null || s.Negatives is null)
                        throw new TroveException($"The ncf protocol needs all three files: missing {string.Join(", ", new[] { ("--train", s.Train), ("--test", s.Test), ("--negatives", s.Negatives) }.Where(x => x.Item2 is null).Select(x => x.Item1))}.");
                    progress.Info($"reading {s.Train}, {s.Test}, {s.Negatives}");
                    return NcfProtocol.FromFiles(s.Train, s.Test, s.Negatives);
                }
                return NcfProtocol.FromDataset(loadData(), s.Seed, s.SampledNegatives);
            case HoldoutProtocol.Name:
                RejectNcfFiles(s);
                return HoldoutProtocol.Split(loadData(), s.TestFraction, s.ValidationFraction, s.Seed);
            case TemporalProtocol.Name:
                RejectNcfFiles(s);
                if ((s.Cut is not null || s.Global) && s.ValidationFraction > 0)
                    throw new TroveException("--validation-fraction works with the per-user temporal split only, not with --global or --cut.");
                var data = loadData();
                if (s.Cut is { } cut) return TemporalProtocol.GlobalCut(data, ParseTime(cut));
                if (s.Global) return TemporalProtocol.GlobalFraction(data, s.TestFraction);
                return TemporalProtocol.PerUser(data, s.TestFraction, s.ValidationFraction);
            case FixedProtocol.Name:
                if (s.Data is not null || s.Negatives is not null)
                    throw new TroveException("The fixed protocol reads --train and --test (LightGCN format, user item item ...); --data and --negatives do not apply.");
                if (s.Train is null || s.Test is null)
                    throw new TroveException($"The fixed protocol needs --train and --test: missing {string.Join(", ", new[] { ("--train", s.Train), ("--test", s.Test) }.Where(x => x.Item2 is null).Select(x => x.Item1))}.");
                progress.Info($"reading {s.Train}, {s.Test}");
                return FixedProtocol.FromFiles(s.Train, s.Test);
            case ColdStartProtocol.Name:
                RejectNcfFiles(s);
                if (s.ValidationFraction > 0) throw new TroveException("--validation-fraction does not apply to the coldstart protocol (neural models validate on their internal hold-out).");
                return ColdStartProtocol.Split(loadData(), s.TestFraction, s.Seed);
            default:
                throw new TroveException($"Unknown protocol '{s.Protocol}'. Available: ncf, holdout, temporal, fixed, coldstart.");
        }
    }

    /// <summary>Loads --data (or --db) with the shared loader: CSV, data folders, MovieLens, Last.fm, SQLite.</summary>
    public static Dataset LoadData(string path, LoadOptions options, IProgressReporter progress)
    {
        progress.Info($"reading {path}");
        return DatasetLoader.Load(path, options, progress);
    }

    /// <summary>Lays --params files under --param: each file's algorithm joins the models, its values become "algorithm.key=value" before the explicit ones.</summary>
    public static (List<string> Models, List<string> Params) WithParamsFiles(IReadOnlyList<string> models, IReadOnlyList<string> parameters, IReadOnlyList<string> files)
    {
        var allModels = models.ToList();
        var allParams = new List<string>();
        foreach (var file in files)
        {
            var (algorithm, settings) = Evaluation.Tuning.TuneResult.ReadParameters(file);
            if (!allModels.Contains(algorithm, StringComparer.OrdinalIgnoreCase)) allModels.Add(algorithm);
            allParams.AddRange(settings.Select(kv => $"{algorithm}.{kv.Key}={kv.Value}"));
        }
        if (files.Count > 0 && allModels.Distinct(StringComparer.OrdinalIgnoreCase).Count() > 1)
        {
            // Unprefixed --param values were meant for the only model; with file models added they need a prefix.
            foreach (var p in parameters)
                if (p.IndexOf('=') is var eq and > 0 && !p[..eq].Contains('.'))
                    throw new TroveException($"--param '{p}' needs a model prefix when several models are evaluated, e.g. {allModels[0]}.{p}.");
        }
        else if (files.Count > 0)
            parameters = parameters.Select(p => p.IndexOf('=') is var eq and > 0 && !p[..eq].Contains('.') ? $"{allModels[0]}.{p}" : p).ToList();
        allParams.AddRange(parameters);
        return (allModels, allParams);
    }

    /// <summary>
    /// Turns --model and --param values into model specs. A parameter is "model.key=value" (applies to
    /// every model of that algorithm) or "key=value" when only one algorithm is evaluated.
    /// </summary>
    public static List<ModelSpec> ModelSpecs(IReadOnlyList<string> models, IReadOnlyList<string> parameters, ModelRegistry registry)
    {
        if (models.Count == 0) throw new TroveException("No model to evaluate: give at least one --model, e.g. --model popularity.");
        foreach (var m in models)
            if (!registry.Contains(m)) throw new TroveException($"Unknown model '{m}'. Available: {string.Join(", ", registry.Algorithms.Select(a => a.Name).Order())}.");
        var algorithms = models.Distinct(StringComparer.OrdinalIgnoreCase).ToList();
        var perAlgorithm = algorithms.ToDictionary(a => a, _ => new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase), StringComparer.OrdinalIgnoreCase);
        foreach (var p in parameters)
        {
            int eq = p.IndexOf('=');
            if (eq <= 0) throw new TroveException($"Bad --param '{p}': expected model.key=value, e.g. itemknn.neighbours=50.");
            string key = p[..eq].Trim(), value = p[(eq + 1)..].Trim();
            int dot = key.IndexOf('.');
            string algorithm;
            if (dot > 0) { algorithm = key[..dot]; key = key[(dot + 1)..]; }
            else if (algorithms.Count == 1) algorithm = algorithms[0];
            else throw new TroveException($"--param '{p}' needs a model prefix when several models are evaluated, e.g. {algorithms[0]}.{key}={value}.");
            if (!perAlgorithm.TryGetValue(algorithm, out var settings))
                throw new TroveException($"--param '{p}' names model '{algorithm}', which is not among the evaluated models ({string.Join(", ", algorithms)}).");
            settings[key] = value;
        }
        return models.Select(m => new ModelSpec(m, perAlgorithm[m])).ToList();
    }

    internal static string RequireData(Settings s) =>
        s.Data ?? throw new TroveException(s.Protocol == NcfProtocol.Name
            ? "The ncf protocol needs --train, --test and --negatives (the NCF files), or --data to build the split from interactions."
            : $"The {s.Protocol} protocol needs --data PATH (an interactions file).");

    private static void RejectNcfFiles(Settings s)
    {
        if (s.Train is not null || s.Test is not null || s.Negatives is not null)
            throw new TroveException($"--train/--test/--negatives are NCF files: use them with --protocol ncf, or give --data for {s.Protocol}.");
    }

    private static long ParseTime(string text)
    {
        if (long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var unix)) return unix;
        if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var when)) return when.ToUnixTimeSeconds();
        throw new TroveException($"Bad --cut '{text}': expected Unix seconds or a date such as 2020-01-01.");
    }
}
