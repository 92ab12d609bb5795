using Trove.Core.Errors;
using Trove.Core.Recommending;
using Trove.Core.Training;
using Trove.Models;
using Trove.Models.Factorization;
using Trove.Models.Neural;
using Trove.Tests.Models;
using Trove.Tests.Support;

namespace Trove.Tests.Crash;

/// <summary>
/// Training interrupted after k epochs and resumed from its checkpoint ends with exactly the
/// parameters of an uninterrupted run with the same seed. Deterministic settings: ALS (any threads),
/// BPR with one thread (Hogwild with more threads is not reproducible), NCF and two-tower (any threads:
/// their shards are summed in a fixed order).
/// </summary>
public class CheckpointResumeTests
{
    private static readonly Dictionary<string, (string Algorithm, Dictionary<string, string> Settings, int Threads)> Cases = new()
    {
        ["als"] = ("als", new() { ["factors"] = "8", ["iterations"] = "6", ["early_stopping_patience"] = "0" }, 2),
        ["bpr"] = ("bpr", new() { ["factors"] = "8", ["epochs"] = "6" }, 1),
        // validation on: a hold-out phase, then a refit phase on all data (two checkpointed loops).
        ["ncf"] = ("ncf", new() { ["factors"] = "8", ["layers"] = "16,8", ["epochs"] = "4", ["batch_size"] = "64", ["learning_rate"] = "0.01", ["init_std"] = "0.1", ["validation_negatives"] = "20", ["patience"] = "0" }, 2),
        // early stopping on a validation hook: the best factors so far and the patience counter are restored too.
        ["als-early"] = ("als", new() { ["factors"] = "8", ["iterations"] = "12", ["early_stopping_patience"] = "3" }, 2),
        ["bpr-early"] = ("bpr", new() { ["factors"] = "8", ["epochs"] = "12", ["validate_every"] = "1", ["early_stopping_patience"] = "5" }, 1),
        ["twotower"] = ("twotower", new() { ["dimensions"] = "8", ["embedding_dim"] = "8", ["hidden"] = "16", ["epochs"] = "4", ["batch_size"] = "64", ["validation"] = "false", ["optimizer"] = "adagrad" }, 2),
    };

    [Theory]
    [InlineData("als", 3)]
    [InlineData("bpr", 2)]
    [InlineData("ncf", 2)]   // in the hold-out phase
    [InlineData("ncf", 5)]   // in the refit phase (4 hold-out epochs, then a refit of at least 2)
    [InlineData("twotower", 1)]
    [InlineData("als-early", 3)]
    [InlineData("bpr-early", 4)]
    public void Resumed_training_ends_with_the_parameters_of_uninterrupted_training(string name, int interruptAfter)
    {
        var (algorithm, settings, threads) = Cases[name];
        var data = ToyData.Random(60, 40, 8, seed: 5);
        var context = new FitContext { Seed = 11, Threads = threads, Validate = name switch
        {
            "als-early" => FirstScore,
            "bpr-early" => m => -FirstScore(m), // BPR raises this score every epoch: best at epoch 1, early stop at 6
            _ => null,
        } };
        var full = new EpochCounter();
        var uninterrupted = ModelTrainer.Train(data, algorithm, settings, context with { Progress = full }).Model;

        var dir = TestPaths.NewTempDirectory();
        using (var cancel = new CancellationTokenSource())
        {
            var interrupted = context with { Cancellation = cancel.Token, Progress = new CancelAfterEpochs(interruptAfter, cancel) };
            Assert.ThrowsAny<OperationCanceledException>(() => ModelTrainer.Train(data, algorithm, settings, interrupted, null, new CheckpointOptions(dir)));
        }
        Assert.NotEmpty(Directory.GetFiles(dir, "*.ckpt"));
        var rest = new EpochCounter();
        var resumed = ModelTrainer.Train(data, algorithm, settings, context with { Progress = rest }, null, new CheckpointOptions(dir, Resume: true)).Model;

        // It continued (only the remaining epochs ran) rather than starting again...
        Assert.Contains(rest.Messages, m => m.Contains("resuming after epoch"));
        Assert.Equal(full.Epochs - interruptAfter, rest.Epochs);
        // ...and ended where the uninterrupted run did.
        if (name.EndsWith("-early")) // the case is only worth its name when early stopping ends training after the interruption
            Assert.InRange(full.Epochs, interruptAfter + 1, 11);
        var expected = Parameters(uninterrupted);
        var actual = Parameters(resumed);
        Assert.Equal(expected.Count, actual.Count);
        for (int i = 0; i < expected.Count; i++) Assert.Equal(expected[i], actual[i]);
    }

    [Fact]
    public void A_checkpoint_of_other_parameters_or_data_is_refused_with_a_clear_message()
    {
        var data = ToyData.Random(40, 30, 6, seed: 1);
        var dir = TestPaths.NewTempDirectory();
        var settings = new Dictionary<string, string> { ["factors"] = "4", ["iterations"] = "2" };
        ModelTrainer.Train(data, "als", settings, new FitContext { Seed = 1 }, null, new CheckpointOptions(dir));

        var other = new Dictionary<string, string>(settings) { ["factors"] = "5" };
        var e = Assert.Throws<CheckpointMismatchException>(() => ModelTrainer.Train(data, "als", other, new FitContext { Seed = 1 }, null, new CheckpointOptions(dir, Resume: true)));
        Assert.Contains("parameters", e.Message);
        Assert.DoesNotContain('\n', e.Message);

        var otherData = ToyData.Random(40, 30, 6, seed: 2);
        e = Assert.Throws<CheckpointMismatchException>(() => ModelTrainer.Train(otherData, "als", settings, new FitContext { Seed = 1 }, null, new CheckpointOptions(dir, Resume: true)));
        Assert.Contains("data sha256:", e.Message);
    }

    [Fact]
    public void A_damaged_newest_checkpoint_is_skipped_for_the_previous_one()
    {
        var data = ToyData.Random(50, 30, 6, seed: 3);
        var settings = new Dictionary<string, string> { ["factors"] = "6", ["iterations"] = "5" };
        var context = new FitContext { Seed = 4 };
        var expected = (Als)ModelTrainer.Train(data, "als", settings, context).Model;
        var dir = TestPaths.NewTempDirectory();
        using (var cancel = new CancellationTokenSource())
            Assert.ThrowsAny<OperationCanceledException>(() => ModelTrainer.Train(data, "als", settings,
                context with { Cancellation = cancel.Token, Progress = new CancelAfterEpochs(3, cancel) }, null, new CheckpointOptions(dir)));
        var files = Directory.GetFiles(dir, "*.ckpt").Order().ToArray();
        Assert.Equal(["als.000002.ckpt", "als.000003.ckpt"], files.Select(Path.GetFileName));
        var bytes = File.ReadAllBytes(files[1]);
        File.WriteAllBytes(files[1], bytes[..(bytes.Length / 2)]); // as if a non-atomic writer had died halfway

        var resumed = (Als)ModelTrainer.Train(data, "als", settings, context, null, new CheckpointOptions(dir, Resume: true)).Model;
        Assert.Equal(expected.UserFactors.ToArray(), resumed.UserFactors.ToArray());
        Assert.Equal(expected.ItemFactors.ToArray(), resumed.ItemFactors.ToArray());
    }

    /// <summary>A deterministic validation score: user 0's score of item 0.</summary>
    private static double FirstScore(IRecommender model)
    {
        var score = new float[1];
        model.Score(0, [0], score);
        return score[0];
    }

    private static List<float[]> Parameters(IRecommender model) => model switch
    {
        Als als => [als.UserFactors.ToArray(), als.ItemFactors.ToArray()],
        Bpr bpr => [Enumerable.Range(0, bpr.UserCount).SelectMany(u => bpr.UserVector(u).ToArray()).ToArray(),
                    Enumerable.Range(0, bpr.ItemCount).SelectMany(i => bpr.ItemVector(i).ToArray()).ToArray()],
        Ncf ncf => ncf.Weights.Select(p => p.Value).ToList(),
        TwoTower tt => tt.Weights.Select(p => p.Value).ToList(),
        _ => throw new ArgumentException(model.Algorithm),
    };

    /// <summary>Counts trained epochs (each reports one status line) and keeps the info messages.</summary>
    private sealed class EpochCounter : IProgressReporter, IProgressTask
    {
        public int Epochs { get; private set; }
        public List<string> Messages { get; } = [];
        public IProgressTask Start(string description, long total) => this;
        public void Info(string message) => Messages.Add(message);
        public void Advance(long amount = 1) { }
        public void Status(string status) => Epochs++;
        public void Dispose() { }
    }

    /// <summary>Cancels training once this many epochs (over all its loops) have finished; the checkpoint of the last one is written first.</summary>
    private sealed class CancelAfterEpochs(int epochs, CancellationTokenSource cancel) : IProgressReporter, IProgressTask
    {
        private long _done;
        public IProgressTask Start(string description, long total) => this;
        public void Info(string message) { }
        public void Advance(long amount = 1) { if (amount > 0 && (_done += amount) >= epochs) cancel.Cancel(); }
        public void Status(string status) { }
        public void Dispose() { }
    }
}
