using System.CommandLine;
using Trove.Cli.Infrastructure;
using Trove.Core.Algorithms;
using Trove.Core.Errors;
using Trove.Evaluation.Tuning;
using Trove.Models;

namespace Trove.Cli.Commands;

/// <summary>
/// `trove tune`: hyper-parameter search for one algorithm on a validation split carved from the training data
/// (the data given is all training data; no test set is read). Writes the best parameters and every trial's
/// validation score as JSON, which `trove train --params` and `trove evaluate --params` read.
/// <code>
/// trove tune --data train.txt --format lightgcn --model gfcf --trials 27 --time-budget 300 --metric ndcg@20 --out best.json
/// </code>
/// </summary>
public static class TuneCommand
{
    public static Command Create()
    {
        var data = new DataOptions();
        var model = new Option<string>("--model", "-m") { Description = "Algorithm to tune (see `trove models`).", Required = true };
        var output = new Option<string>("--out", "-o") { Description = "JSON file for the best parameters and every trial's validation score.", Required = true };
        var fixedParams = new Option<string[]>("--param", "-p") { Description = "Parameter held fixed (not tuned), key=value; repeatable.", AllowMultipleArgumentsPerToken = true };
        var trials = new Option<int>("--trials") { Description = "Configurations to try: the defaults, then random draws from the algorithm's declared search space.", DefaultValueFactory = _ => 27 };
        var budget = new Option<double>("--time-budget") { Description = "Seconds after which no new trial evaluation starts (0: no limit).", DefaultValueFactory = _ => 0 };
        var metric = new Option<string>("--metric") { Description = "Validation metric to maximise: hr, ndcg, recall, precision or map at a cut-off.", DefaultValueFactory = _ => "ndcg@20" };
        var split = new Option<string>("--validation") { Description = "How validation is carved from the training data: random (per-user random holdout, seeded), temporal (each user's latest items) or ncf (each user's latest item against 99 sampled unseen items, as `evaluate --protocol ncf`; --validation-fraction unused).", DefaultValueFactory = _ => "random" };
        split.AcceptOnlyFromAmong("random", "temporal", "ncf");
        var fraction = new Option<double>("--validation-fraction") { Description = "Share of each user's training items held out for validation.", DefaultValueFactory = _ => 0.2 };
        var testFraction = new Option<double>("--test-fraction") { Description = "Tune for `evaluate --protocol holdout --test-fraction T --validation-fraction V` (same --seed): carve that split, drop its test part unseen, tune on its train part against its validation part (0: validation carved from all the data).", DefaultValueFactory = _ => 0 };
        var eta = new Option<int>("--eta") { Description = "Successive halving: keep the best 1/eta per rung, each rung on eta times more validation users (1: plain random search).", DefaultValueFactory = _ => 3 };
        var minUsers = new Option<int>("--min-users") { Description = "Fewest validation users the first rung scores on.", DefaultValueFactory = _ => 500 };
        var seed = new Option<int>("--seed") { Description = "Seed of the validation split, the draws and training (same seed, same trials).", DefaultValueFactory = _ => 42 };
        var threads = new Option<int>("--threads") { Description = "Worker threads.", DefaultValueFactory = _ => Environment.ProcessorCount };
        var command = new Command("tune", "Search hyper-parameters on a validation split of the training data; write the best as JSON for train/evaluate --params.")
        {
            model, output, fixedParams, trials, budget, metric, split, fraction, testFraction, eta, minUsers, seed, threads,
        };
        data.AddTo(command);
        command.SetAction(r => CommandRunner.Run(() =>
        {
            var progress = new ConsoleProgress();
            var algorithm = r.GetValue(model)!;
            var registry = BuiltInAlgorithms.Registry;
            if (!registry.Contains(algorithm)) throw new TroveException($"Unknown model '{algorithm}'. Available: {string.Join(", ", registry.Algorithms.Select(a => a.Name).Order())}.");
            if (r.GetValue(threads) <= 0) throw new TroveException($"--threads must be positive, got {r.GetValue(threads)}.");
            if (r.GetValue(budget) < 0) throw new TroveException($"--time-budget must be 0 (no limit) or positive, got {r.GetValue(budget)}.");
            double f = r.GetValue(fraction);
            if (!(f > 0 && f < 1)) throw new TroveException($"--validation-fraction must be between 0 and 1, got {f}.");
            double tf = r.GetValue(testFraction);
            if (!(tf >= 0 && tf + f < 1)) throw new TroveException($"--test-fraction must be 0 or more with --test-fraction + --validation-fraction below 1, got {tf} + {f}.");
            var options = new TuneOptions
            {
                Trials = r.GetValue(trials), TimeBudget = r.GetValue(budget) > 0 ? TimeSpan.FromSeconds(r.GetValue(budget)) : null,
                Seed = r.GetValue(seed), Metric = r.GetValue(metric)!, Split = r.GetValue(split)!, ValidationFraction = f, HoldoutTestFraction = tf,
                Eta = r.GetValue(eta), MinUsers = Math.Max(1, r.GetValue(minUsers)), Threads = r.GetValue(threads),
                Fixed = ParameterBinder.ParseSettings(r.GetValue(fixedParams) ?? []),
            };
            registry.Create(algorithm, options.Fixed); // bad --param fails before the data load
            var dataset = data.Load(r, progress);
            var result = Tuner.Run(dataset, algorithm, registry, options, progress.Info);
            var path = r.GetValue(output)!;
            Core.Persistence.AtomicFile.WriteAllText(path, result.ToJson());
            Console.WriteLine($"best {algorithm} {result.Metric} {result.BestScore:F4} (trial {result.BestTrial} of {result.Trials.Count}, validation) in {result.Seconds:F0}s; wrote {Path.GetFullPath(path)}");
            return 0;
        }));
        return command;
    }
}
