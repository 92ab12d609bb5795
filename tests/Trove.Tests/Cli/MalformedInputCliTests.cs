using System.Diagnostics;
using Trove.Tests.Fuzz;
using Trove.Tests.Support;

namespace Trove.Tests.Cli;

/// <summary>
/// The command line on malformed files: exit code 2 and exactly one line on stderr ("error: ...") naming the
/// file, never a stack trace, for CSV, universal JSON, training configs, NCF files, event-weight specs and models.
/// </summary>
[Collection(ConsoleCollection.Name)]
public class MalformedInputCliTests
{
    private static readonly string Dir = TestPaths.NewTempDirectory();

    private static string File(string name, string text)
    {
        var path = Path.Combine(Dir, name);
        System.IO.File.WriteAllText(path, text);
        return path;
    }

    private static string File(string name, byte[] bytes)
    {
        var path = Path.Combine(Dir, name);
        System.IO.File.WriteAllBytes(path, bytes);
        return path;
    }

    private static void AssertOneLineError((int Code, string Out, string Err) result, string mentions)
    {
        Assert.Equal(2, result.Code);
        // Progress lines may precede it on stderr; the error itself is one line, the last.
        var lines = result.Err.TrimEnd().Split('\n');
        var errors = lines.Where(l => l.StartsWith("error: ")).ToArray();
        Assert.True(errors.Length == 1 && errors[0] == lines[^1], "expected one error line, last on stderr:\n" + result.Err);
        Assert.Contains(mentions, errors[0]);
        Assert.DoesNotContain("   at ", result.Err);
        Assert.DoesNotContain("Exception", result.Err);
    }

    public static TheoryData<string, string[], string> Cases()
    {
        var csv = File("bad.csv", "user,item,score\na,x,1\nb,y,NaN\n");
        var huge = File("huge.csv", [.. "user,item\n"u8, .. Enumerable.Repeat((byte)'x', 10 << 20)]);
        var json = File("bad.json", [.. """{"interactions": [{"user_id": 1, "item_id": """u8, 0xC0, 0x80, .. "\"}]}"u8]);
        var deep = File("deep.json", "{\"interactions\": " + new string('[', 100_000));
        var config = File("config.json", "{\"model\": \"itemknn\", \"model\": \"als\"}");
        var good = File("good.json", """{"interactions": [{"user_id": 1, "item_id": 2}, {"user_id": 2, "item_id": 2}]}""");
        var train = File("ml.train.rating", "0\t1\t5\t100\n");
        var test = File("ml.test.rating", "0\t2\t5\t99999999999999\n");
        var negatives = File("ml.test.negative", "(0,2\t3\t4\n");
        var playlists = File("bad-playlists.json", "[{\"id\": \"p1\", \"song_ids\": [\"s1\", 2.5]}]");
        var model = FuzzTargets.SavedModel();
        model[model.Length / 2] ^= 0x10;
        var corrupted = File("corrupted.trove", model);
        return new()
        {
            { "CSV: NaN score", ["stats", "--data", csv], "bad.csv:3: field 'score'" },
            { "CSV: a 10 MB line", ["stats", "--data", huge], "huge.csv:2" },
            { "CSV: bad event weights", ["stats", "--data", csv, "--event-weights", "view=-1"], "Bad event weight 'view=-1'" },
            { "universal JSON: invalid UTF-8 (train)", ["train", "--config", File("ok-config.json", "{\"model\": \"popularity\"}"), "--data", json, "--out", Path.Combine(Dir, "m.trove")], "bad.json:1" },
            { "universal JSON: invalid UTF-8 (default config)", ["schema", "--data", json], "bad.json:1" },
            { "universal JSON: 100k nesting", ["schema", "--data", deep], "deep.json:1" },
            { "config: duplicate key", ["train", "--config", config, "--data", good, "--out", Path.Combine(Dir, "m.trove")], "config.json" },
            { "NCF: malformed negatives", ["evaluate", "--protocol", "ncf", "--train", train, "--test", File("ok.test.rating", "0\t2\t5\t100\n"), "--negatives", negatives, "--model", "popularity"], "ml.test.negative:1: field 'pair'" },
            { "playlists: a fractional song id (import)", ["import", "--format", "playlists", "--data", playlists, "--db", Path.Combine(Dir, "p.db")], "bad-playlists.json:1: field 'playlists[0].song_ids[1]': expected a string or integer id" },
            { "playlists: detected by stats", ["stats", "--data", playlists], "bad-playlists.json:1: field 'playlists[0].song_ids[1]'" },
            { "model: corrupted", ["recommend", "--model", corrupted, "--user", "alice"], $"model file {corrupted} is corrupted: " },
            { "model: corrupted (trove models)", ["models", corrupted], $"model file {corrupted} is corrupted: " },
        };
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Malformed_input_exits_2_with_one_line(string what, string[] args, string mentions)
    {
        Assert.NotEmpty(what);
        AssertOneLineError(CliRunner.Run(args), mentions);
    }

    [Fact]
    public void Trove_models_verifies_a_model_file_and_prints_its_checksum()
    {
        var path = File("good.trove", FuzzTargets.SavedModel());
        var (code, output, _) = CliRunner.Run("models", path);
        Assert.Equal(0, code);
        Assert.Matches(@"checksum      sha256:[0-9a-f]{64} \(verified: manifest, \d+ entries, whole file\)", output);
        Assert.Contains(Trove.Core.Persistence.ModelFile.Describe(path).Checksum!, output);
    }

    /// <summary>The built program as its own process: nothing but the one line reaches stderr (no unhandled-exception dump).</summary>
    [Fact]
    public async Task The_built_program_prints_one_line_and_exits_2()
    {
        var csv = File("bad-process.csv", "user,item,timestamp\na,x,1e300\n");
        var start = new ProcessStartInfo("dotnet", [Path.Combine(AppContext.BaseDirectory, "trove.dll"), "stats", "--data", csv])
        { RedirectStandardError = true, RedirectStandardOutput = true };
        using var process = Process.Start(start)!;
        var err = process.StandardError.ReadToEndAsync();
        var output = process.StandardOutput.ReadToEndAsync();
        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(limit.Token);
        AssertOneLineError((process.ExitCode, await output, await err), "bad-process.csv:2: field 'timestamp'");
    }
}
