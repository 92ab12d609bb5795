using System.Globalization;
using System.Text;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Trove.Core.Data;
using Trove.Core.Errors;
using Trove.Data.Formats;
using Trove.Data.Readers;
using Trove.Tests.Support;

namespace Trove.Tests.Fuzz;

/// <summary>
/// Property-based tests (FsCheck, fixed replay seeds): for any input the parsers either succeed with sane
/// values or throw a TroveException that names the file/spec, and valid input round-trips exactly.
/// </summary>
[Trait("Category", "Fuzz")]
public class ParserPropertyTests
{
    private const string Seed = "(20261123,1123)";

    private static T? Outcome<T>(Func<T> parse, out TroveException? error) where T : class
    {
        error = null;
        try { return parse(); }
        catch (TroveException e) { error = e; return null; }
    }

    [Property(MaxTest = 500, Replay = Seed)]
    public void Event_weight_specs_parse_to_finite_non_negative_weights_or_name_the_bad_part(string? spec)
    {
        var weights = Outcome(() => EventWeights.Parse(spec ?? ""), out var error);
        if (weights is not null) Assert.All(weights.Weights.Values, w => Assert.True(float.IsFinite(w) && w >= 0));
        else Assert.StartsWith("Bad event weight '", error!.Message);
    }

    [Property(MaxTest = 500, Replay = Seed)]
    public void Event_weight_specs_round_trip(NonEmptyArray<PositiveInt> values)
    {
        var names = values.Get.Select((v, k) => $"event{k}").ToArray();
        var spec = string.Join(",", values.Get.Select((v, k) => $"{names[k]}={(v.Get / 1000.0).ToString(CultureInfo.InvariantCulture)}"));
        var weights = EventWeights.Parse(spec);
        for (int k = 0; k < names.Length; k++) Assert.Equal((float)(values.Get[k].Get / 1000.0), weights.Weights[names[k]]);
    }

    [Property(MaxTest = 500, Replay = Seed)]
    public void Column_specs_and_delimiters_parse_or_fail_with_a_trove_error(string? spec)
    {
        try { CsvColumns.Parse(spec); } catch (TroveException e) { Assert.StartsWith("Bad column mapping", e.Message); }
        try { CsvOptions.ParseDelimiter(spec); } catch (TroveException e) { Assert.StartsWith("Bad delimiter", e.Message); }
    }

    [Property(MaxTest = 1000, Replay = Seed)]
    public void Timestamp_parsing_never_throws(string? text)
    {
        if (ValueParsers.TryParseTimestamp((text ?? "").AsSpan(), out long seconds))
            Assert.InRange(seconds, DateTimeOffset.MinValue.ToUnixTimeSeconds(), (long)1e15);
    }

    /// <summary>Any cell content in any column: the reader accepts the file with finite non-negative weights or names file, line and field.</summary>
    [Property(MaxTest = 300, Replay = Seed)]
    public void Interaction_csv_with_arbitrary_cells_reads_or_fails_naming_file_line_and_field(string[] cells)
    {
        var path = Path.Combine(TestPaths.NewTempDirectory(), "interactions.csv");
        var rows = cells.Where(c => c is not null).Chunk(5).Select(r => string.Join(",", r.Select(Quote)));
        File.WriteAllText(path, "user,item,score,timestamp,event\n" + string.Join("\n", rows) + "\n");
        try
        {
            var data = InteractionCsvReader.Read(path);
            for (int k = 0; k < data.Interactions.Count; k++) Assert.True(float.IsFinite(data.Interactions.Weights[k]) && data.Interactions.Weights[k] >= 0);
        }
        catch (DataFormatException e)
        {
            Assert.Equal(path, e.File);
            Assert.InRange(e.Line, 1, 2 + cells.Length);
            Assert.DoesNotContain('\n', e.Message);
        }
    }

    /// <summary>Valid rows with awkward ids (delimiters, quotes, line breaks, non-ASCII) come back exactly.</summary>
    [Property(MaxTest = 200, Replay = Seed)]
    public void Interaction_csv_round_trips_quoted_ids_scores_and_timestamps(NonEmptyArray<(NonEmptyString User, NonEmptyString Item, NonNegativeInt Score, PositiveInt Time)> rows)
    {
        var valid = rows.Get.Where(r => Id(r.User.Get) is not null && Id(r.Item.Get) is not null).ToArray();
        if (valid.Length == 0) return;
        var path = Path.Combine(TestPaths.NewTempDirectory(), "interactions.csv");
        var text = new StringBuilder("user,item,score,timestamp\r\n");
        foreach (var r in valid) text.Append($"{Quote(Id(r.User.Get)!)},{Quote(Id(r.Item.Get)!)},{r.Score.Get / 4.0},{r.Time.Get}\r\n");
        File.WriteAllText(path, text.ToString(), new UTF8Encoding(true));
        var records = InteractionCsvReader.ReadRecords(path).ToArray();
        Assert.Equal(valid.Length, records.Length);
        for (int k = 0; k < valid.Length; k++)
        {
            Assert.Equal(Id(valid[k].User.Get), records[k].User);
            Assert.Equal(Id(valid[k].Item.Get), records[k].Item);
            Assert.Equal((float)(valid[k].Score.Get / 4.0), records[k].Weight);
            Assert.Equal(valid[k].Time.Get, records[k].Timestamp);
        }
    }

    /// <summary>Any JSON string or raw token as an interaction field: the streaming reader keeps its promise.</summary>
    [Property(MaxTest = 300, Replay = Seed)]
    public void Universal_json_with_arbitrary_field_values_reads_or_fails_naming_the_file(string? value, bool raw, byte field)
    {
        var keys = new[] { "user_id", "item_id", "interaction_type", "timestamp", "score", "weight" };
        var json = raw ? value ?? "" : System.Text.Json.JsonSerializer.Serialize(value);
        var path = Path.Combine(TestPaths.NewTempDirectory(), "data.json");
        File.WriteAllText(path, $$"""{"interactions": [{"user_id": 1, "item_id": 2}, {"user_id": 3, "item_id": 4, "{{keys[field % keys.Length]}}": {{json}} }]}""");
        try
        {
            var data = UniversalJsonReader.Read(path);
            for (int k = 0; k < data.Interactions.Count; k++) Assert.True(float.IsFinite(data.Interactions.Weights[k]) && data.Interactions.Weights[k] >= 0);
        }
        catch (DataFormatException e)
        {
            Assert.Equal(path, e.File);
            Assert.DoesNotContain('\n', e.Message);
        }
    }

    /// <summary>Ids the CSV reader keeps as they are when quoted: not blank, valid UTF-16 (surrounding spaces included).</summary>
    private static string? Id(string s) =>
        string.IsNullOrWhiteSpace(s) || s.Length > ValueParsers.MaxIdLength || s.Any(char.IsSurrogate) || s.Contains('\0') ? null : s;

    /// <summary>Regressions (issue 14): scores near the float limit, millisecond timestamps and over-long ids get the API's rules.</summary>
    [Fact]
    public void Huge_scores_and_long_ids_are_refused_and_millisecond_timestamps_read_as_in_the_api()
    {
        var dir = TestPaths.NewTempDirectory();
        var huge = Path.Combine(dir, "huge.csv");
        File.WriteAllText(huge, "user,item,score\nu1,i1,3\nu2,i1,3e38\n");
        var e = Assert.Throws<DataFormatException>(() => InteractionCsvReader.Read(huge));
        Assert.Equal((3L, "score"), (e.Line, e.Field));
        Assert.Contains("1e9", e.Message);

        var json = Path.Combine(dir, "huge.json");
        File.WriteAllText(json, """{"interactions": [{"user_id": "u1", "item_id": "i1", "score": 1e37}]}""");
        Assert.Contains("1e9", Assert.Throws<DataFormatException>(() => UniversalJsonReader.Read(json)).Message);

        var longId = Path.Combine(dir, "long.csv");
        File.WriteAllText(longId, $"user,item\n{new string('u', 257)},i1\n");
        Assert.Contains("at most 256 characters", Assert.Throws<DataFormatException>(() => InteractionCsvReader.Read(longId)).Message);

        var millis = Path.Combine(dir, "millis.csv");
        File.WriteAllText(millis, "user,item,score,timestamp\nu1,i1,1,1700000000123\nu1,i2,1,1700000000\n");
        var records = InteractionCsvReader.ReadRecords(millis).ToArray();
        Assert.Equal([1700000000L, 1700000000L], records.Select(r => r.Timestamp).ToArray());
    }

    /// <summary>Regression (issue 14): spaces inside quotes are data, spaces around an unquoted field are layout.</summary>
    [Fact]
    public void Quoted_ids_keep_their_spaces_and_unquoted_ids_are_trimmed()
    {
        var path = Path.Combine(TestPaths.NewTempDirectory(), "interactions.csv");
        File.WriteAllText(path, "user,item\n\" u0 \",i1\nu0,i1\n  u0  , i2 \n");
        var records = InteractionCsvReader.ReadRecords(path).ToArray();
        Assert.Equal([" u0 ", "u0", "u0"], records.Select(r => r.User).ToArray());
        Assert.Equal(["i1", "i1", "i2"], records.Select(r => r.Item).ToArray());
        Assert.Equal(2, InteractionCsvReader.Read(path).UserCount);
    }

    private static string Quote(string s) => "\"" + s.Replace("\"", "\"\"") + "\"";
}
