using System.Globalization;
using System.IO.Compression;
using System.Text.Json;
using Trove.Core.Data;
using Trove.Core.Errors;
using Trove.Core.Persistence;
using Trove.Core.Recommending;

namespace Trove.Core.Training;

/// <summary>What `trove train --checkpoint-dir DIR [--checkpoint-every N] [--resume]` asks for.</summary>
public sealed record CheckpointOptions(string Directory, int Every = 1, bool Resume = false);

/// <summary>Which run a checkpoint belongs to: resuming from another algorithm, parameters, seed or data is refused.</summary>
public sealed record CheckpointIdentity(string Algorithm, string Parameters, int Seed, string Data);

/// <summary>The header of a checkpoint file (entry <c>checkpoint.json</c>).</summary>
public sealed record CheckpointHeader
{
    public const string FormatName = "trove-checkpoint";
    public string Format { get; init; } = FormatName;
    public required CheckpointIdentity Identity { get; init; }
    /// <summary>The training loop that wrote it (e.g. "als", "ncf-neumf refit"): one model's Fit may run several.</summary>
    public required string Phase { get; init; }
    /// <summary>Epochs (iterations) completed.</summary>
    public int Epoch { get; init; }
    /// <summary>The loop had ended (last epoch or early stop): resuming skips it and keeps its result.</summary>
    public bool Complete { get; init; }
}

/// <summary>
/// Resumable training state of iterative models (<see cref="FitContext.Checkpoints"/>). A training
/// loop saves after every <see cref="Every"/>-th epoch (and its last) one file
/// <c>PHASE.EPOCH.ckpt</c>: a zip with <c>checkpoint.json</c> and the loop's arrays (model and
/// optimizer state, best-so-far, history). Files are written through <see cref="AtomicFile"/>, so a
/// crash leaves the previous checkpoint intact; the two newest per phase are kept. Random numbers are
/// drawn from generators seeded by (seed, epoch), so the seed and epoch in a checkpoint are the RNG state.
/// </summary>
public sealed class TrainingCheckpoints
{
    public const string Extension = ".ckpt";
    private const int Keep = 2;

    public TrainingCheckpoints(CheckpointOptions options, CheckpointIdentity identity, IProgressReporter? progress = null)
    {
        if (options.Every < 1) throw new TroveException($"--checkpoint-every must be at least 1, got {options.Every}.");
        if (string.IsNullOrWhiteSpace(options.Directory)) throw new TroveException("--checkpoint-dir needs a directory.");
        Directory = Path.GetFullPath(options.Directory);
        Every = options.Every;
        Resume = options.Resume;
        Identity = identity;
        _progress = progress ?? NullProgress.Instance;
        System.IO.Directory.CreateDirectory(Directory);
        AtomicFile.RemoveStaleTemporaries(Directory);
        if (!Resume)
            foreach (var old in System.IO.Directory.EnumerateFiles(Directory, "*" + Extension)) File.Delete(old); // a fresh run never resumes an older one
    }

    /// <summary>The checkpoints of training <paramref name="model"/> (with its parameters) on <paramref name="data"/> with <paramref name="seed"/>.</summary>
    public static TrainingCheckpoints For(CheckpointOptions options, IRecommender model, Dataset data, int seed, IProgressReporter? progress = null) =>
        new(options, new CheckpointIdentity(model.Algorithm,
            ModelFile.Describe(model, data, 0, seed).Parameters.GetRawText().ReplaceLineEndings(" "), seed, data.Fingerprint()), progress);

    private readonly IProgressReporter _progress;
    public string Directory { get; }
    public int Every { get; }
    public bool Resume { get; }
    public CheckpointIdentity Identity { get; }
    /// <summary>Checkpoints written and restored so far (0 and 0 after training a model that has no epochs).</summary>
    public int Written { get; private set; }
    public int Restored { get; private set; }

    /// <summary>Whether a loop of <paramref name="total"/> epochs saves after epoch <paramref name="epoch"/> (1-based).</summary>
    public bool IsDue(int epoch, int total, bool stopping) => stopping || epoch >= total || epoch % Every == 0;

    /// <summary>Writes the state after <paramref name="epoch"/> epochs of <paramref name="phase"/> atomically, then drops older files of that phase.</summary>
    public void Save(string phase, int epoch, bool complete, Action<ModelArchiveWriter> state)
    {
        var header = new CheckpointHeader { Identity = Identity, Phase = phase, Epoch = epoch, Complete = complete };
        var path = Path.Combine(Directory, $"{FileStem(phase)}.{epoch.ToString("D6", CultureInfo.InvariantCulture)}{Extension}");
        AtomicFile.Write(path, stream =>
        {
            using var w = new ModelArchiveWriter(stream);
            w.WriteJson("checkpoint", header);
            state(w);
        });
        Written++;
        foreach (var (old, _) in Files(phase).Skip(Keep)) File.Delete(old);
    }

    /// <summary>
    /// When resuming: hands the newest readable checkpoint of <paramref name="phase"/> to
    /// <paramref name="restore"/> and returns its header; null when there is none (train from the start).
    /// Unreadable files are skipped with a warning; a checkpoint of another run is refused.
    /// </summary>
    public CheckpointHeader? TryRestore(string phase, Action<ModelArchiveReader, CheckpointHeader> restore)
    {
        if (!Resume) return null;
        foreach (var (path, _) in Files(phase))
        {
            CheckpointHeader header;
            try
            {
                using var stream = File.OpenRead(path);
                Verify(stream, path);
                stream.Position = 0;
                using var reader = new ModelArchiveReader(stream, path);
                header = reader.ReadJson<CheckpointHeader>("checkpoint");
                if (header.Format != CheckpointHeader.FormatName || header.Phase != phase) throw new TroveException($"{path}: not a checkpoint of {phase}.");
                Refuse(header.Identity, path);
                restore(reader, header);
            }
            catch (Exception e) when (e is InvalidDataException or EndOfStreamException or JsonException or IOException or (TroveException and not CheckpointMismatchException))
            {
                _progress.Info($"warning: skipping unreadable checkpoint {Path.GetFileName(path)}: {e.Message}");
                continue;
            }
            Restored++;
            _progress.Info($"{phase}: resuming after epoch {header.Epoch} from {Path.GetFileName(path)}" + (header.Complete ? " (this stage had finished)" : ""));
            return header;
        }
        return null;
    }

    /// <summary>Decompresses every entry to its end, so a damaged file is refused before any state is restored.</summary>
    private static void Verify(Stream stream, string path)
    {
        using var zip = new ZipArchive(stream, ZipArchiveMode.Read, leaveOpen: true);
        if (zip.GetEntry("checkpoint.json") is null) throw new TroveException($"{path}: no checkpoint.json entry.");
        foreach (var entry in zip.Entries)
        {
            using var s = entry.Open();
            s.CopyTo(Stream.Null);
        }
    }

    private void Refuse(CheckpointIdentity found, string path)
    {
        var differences = new List<string>();
        if (found.Algorithm != Identity.Algorithm) differences.Add($"algorithm {found.Algorithm}, not {Identity.Algorithm}");
        if (found.Data != Identity.Data) differences.Add($"data {found.Data}, not {Identity.Data}");
        if (found.Parameters != Identity.Parameters) differences.Add($"parameters {found.Parameters}, not {Identity.Parameters}");
        if (found.Seed != Identity.Seed) differences.Add($"seed {found.Seed}, not {Identity.Seed}");
        if (differences.Count > 0)
            throw new CheckpointMismatchException($"cannot resume from {path}: it was written for other training ({string.Join("; ", differences)}). Train without --resume or use another --checkpoint-dir.");
    }

    /// <summary>Checkpoint files of a phase, newest (highest epoch) first; temporary files never match.</summary>
    private IEnumerable<(string Path, int Epoch)> Files(string phase)
    {
        var stem = FileStem(phase) + ".";
        return System.IO.Directory.EnumerateFiles(Directory, stem + "*" + Extension)
            .Select(p => (Path: p, Middle: Path.GetFileName(p)[stem.Length..^Extension.Length]))
            .Where(f => f.Middle.Length == 6 && f.Middle.All(char.IsAsciiDigit))
            .Select(f => (f.Path, Epoch: int.Parse(f.Middle, CultureInfo.InvariantCulture)))
            .OrderByDescending(f => f.Epoch)
            .ToList();
    }

    private static string FileStem(string phase) =>
        new(phase.Select(c => char.IsAsciiLetterOrDigit(c) || c == '-' ? c : '_').ToArray());
}

/// <summary>A checkpoint that belongs to other training (algorithm, parameters, seed or data).</summary>
public sealed class CheckpointMismatchException(string message) : TroveException(message);
