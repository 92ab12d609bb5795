using Trove.Core.Errors;
using Trove.Data.Formats;
using Trove.Data.Readers;
using Trove.Workflows;
using Trove.Tests.Support;

namespace Trove.Tests.Fuzz;

/// <summary>One regression test per bug the fuzzer found (docs/RELIABILITY.md lists them): each is now a DataFormatException naming the file.</summary>
public class FuzzFindingsTests
{
    private static DataFormatException Fails(string name, byte[] content, Action<string> read)
    {
        var path = Path.Combine(TestPaths.NewTempDirectory(), name);
        File.WriteAllBytes(path, content);
        var e = Assert.Throws<DataFormatException>(() => read(path));
        Assert.Equal(path, e.File);
        Assert.DoesNotContain('\n', e.Message);
        return e;
    }

    private static byte[] Utf8(string s) => System.Text.Encoding.UTF8.GetBytes(s);

    [Theory]
    [InlineData("{\"model\": \"hybrid\", \"model\": \"als\"}", null)]
    [InlineData("{\"features\": {\"item\": [{\"group\": 7}]}}", "features.item[0].group")]
    [InlineData("{\"samples\": {\"positive_types\": [\"view\", 3]}}", "samples.positive_types")]
    [InlineData("{\"event_weights\": {\"view\": 1e309}}", "event_weights.view")]
    [InlineData("{\"training\": {\"threads\": 1e999}}", "training.threads")]
    [InlineData("{\"inference\": {\"top_k\": \"ten\"}}", "inference.top_k")]
    public void Training_config_values_of_the_wrong_kind(string json, string? field)
    {
        var e = Fails("config.json", Utf8(json), path => TrainingConfig.Load(path));
        Assert.Equal(field, e.Field);
    }

    [Fact]
    public void Universal_json_with_invalid_utf8_or_a_lone_surrogate_in_a_string()
    {
        Fails("data.json", [.. "{\"interactions\": [{\"user_id\": \"a"u8, 0xC0, 0x80, .. "\", \"item_id\": 1}]}"u8], path => UniversalJsonReader.Read(path));
        Fails("data.json", Utf8("{\"interactions\": [{\"user_id\": \"\\uD800\", \"item_id\": 1}]}"), path => UniversalJsonReader.Read(path));
    }

    [Fact]
    public void Timestamps_beyond_the_year_9999()
    {
        var e = Fails("data.json", Utf8("{\"interactions\": [{\"user_id\": 1, \"item_id\": 1, \"timestamp\": -792392730382845969}]}"), path => UniversalJsonReader.ReadWithSchema(path));
        Assert.Equal("interactions[0].timestamp", e.Field);
        Assert.Equal("timestamp", Fails("i.csv", Utf8("user,item,timestamp\na,b,99999999999999999\n"), path => InteractionCsvReader.Read(path)).Field);
        Assert.Equal("timestamp", Fails("ml.train.rating", Utf8("1\t2\t5\t99999999999999999\n"), path => NcfSplitReader.ReadInteractions(path)).Field);
    }

    [Fact]
    public void A_feature_column_named_twice()
    {
        var e = Fails("items.csv", Utf8("item,price,Price\nx,1,2\n"), path => FeatureCsvReader.ReadInto(path, "item", new IdMapBuilder(), new FeatureTableBuilder()));
        Assert.Equal("Price", e.Field, ignoreCase: true);
    }

    [Fact]
    public void A_multi_line_problem_is_escaped_and_a_long_one_cut()
    {
        var e = new DataFormatException("f.csv", 3, "user", "bad value 'a\nb\tc\0'" + new string('x', 1000));
        Assert.StartsWith("f.csv:3: field 'user': bad value 'a\\nb\\tc\\u0000'", e.Message);
        Assert.EndsWith(" [...]", e.Message);
        Assert.True(e.Message.Length < DataFormatException.MaxProblemChars + 100);
    }

    [Fact]
    public void An_interactions_csv_with_only_a_header_is_named()
    {
        var dir = TestPaths.NewTempDirectory();
        var file = Path.Combine(dir, "interactions.csv");
        File.WriteAllText(file, "user,item\n");
        var e = Assert.Throws<DataFormatException>(() => DatasetLoader.Load(dir));
        Assert.Equal(file, e.File);
    }
}
