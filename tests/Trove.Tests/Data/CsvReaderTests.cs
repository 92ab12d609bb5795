using Trove.Core.Data;
using Trove.Core.Errors;
using Trove.Data.Readers;

namespace Trove.Tests.Data;

public class CsvReaderTests
{
    [Fact]
    public void Weights_are_event_weight_times_score_with_defaults_for_missing_parts()
    {
        var path = CsvTestFiles.Write(
            "user,item,score,timestamp,event\n" +
            "u1,i1,2,100,purchase\n" +   // 0.6 x 2
            "u1,i2,,200,view\n" +        // 0.1 x 1 (empty score)
            "u2,i1,3,,\n" +              // 1 x 3 (no event)
            "u2,i3,1.5,300,mystery\n");  // unknown event: weight 1 x 1.5
        var data = InteractionCsvReader.Read(path);
        var log = data.Interactions;
        Assert.Equal(4, log.Count);
        Assert.Equal([1.2f, 0.1f, 3f, 1.5f], log.Weights.Select(w => MathF.Round(w, 5)).ToArray());
        Assert.Equal([100L, 200, 0, 300], log.Timestamps);
        Assert.Equal("purchase", log.EventNames[log.Events[0]]);
        Assert.Equal("view", log.EventNames[log.Events[1]]);
        Assert.Equal(-1, log.Events[2]);
        Assert.NotNull(log.Scores);
        Assert.Equal(2f, log.Scores![0]);
        Assert.True(float.IsNaN(log.Scores[1]));
    }

    [Fact]
    public void Without_score_or_event_columns_every_weight_is_one()
    {
        var data = InteractionCsvReader.Read(CsvTestFiles.Write("user,item\na,x\nb,y\n"));
        Assert.All(data.Interactions.Weights, w => Assert.Equal(1f, w));
        Assert.Null(data.Interactions.Scores);
        Assert.False(data.Interactions.HasTimestamps);
    }

    [Fact]
    public void Configured_event_weights_override_the_defaults()
    {
        var path = CsvTestFiles.Write("user,item,event\na,x,view\na,y,purchase\n");
        var data = InteractionCsvReader.Read(path, new CsvOptions { EventWeights = EventWeights.Parse("view=0.5,purchase=2") });
        Assert.Equal([0.5f, 2f], data.Interactions.Weights);
    }

    [Fact]
    public void Timestamps_may_be_unix_seconds_or_iso_8601_and_are_stored_as_unix_seconds_utc()
    {
        var path = CsvTestFiles.Write(
            "user,item,timestamp\n" +
            "a,x,1700000000\n" +
            "a,y,2023-11-14T22:13:20Z\n" +
            "a,z,2023-11-15T00:13:20+02:00\n" +
            "b,x,2023-11-14 22:13:20\n" +
            "b,y,2024-03-01\n" +
            "b,z,1700000000.75\n");
        var t = InteractionCsvReader.Read(path).Interactions.Timestamps;
        Assert.Equal(1700000000L, t[0]);
        Assert.Equal(1700000000L, t[1]);
        Assert.Equal(1700000000L, t[2]);
        Assert.Equal(1700000000L, t[3]);
        Assert.Equal(new DateTimeOffset(2024, 3, 1, 0, 0, 0, TimeSpan.Zero).ToUnixTimeSeconds(), t[4]);
        Assert.Equal(1700000000L, t[5]);
    }

    [Fact]
    public void Column_names_are_configurable_and_matched_case_insensitively()
    {
        var path = CsvTestFiles.Write("Customer_ID;SKU;Qty;When\nc1;s1;3;1000\nc2;s1;1;2000\n");
        var columns = CsvColumns.Parse("user=customer_id,item=sku,score=qty,timestamp=when");
        var data = InteractionCsvReader.Read(path, new CsvOptions { Columns = columns });
        Assert.Equal(["c1", "c2"], data.Users.Ids);
        Assert.Equal([3f, 1f], data.Interactions.Weights);
        Assert.Equal([1000L, 2000], data.Interactions.Timestamps);
    }

    [Fact]
    public void Quoted_ids_with_delimiters_and_quotes_are_read_whole()
    {
        var path = CsvTestFiles.Write("user,item,score\n\"Smith, J.\",\"The \"\"Best\"\" Book\",2\r\n\" u2 \",plain,1\r\n");
        var data = InteractionCsvReader.Read(path);
        Assert.Equal(["Smith, J.", " u2 "], data.Users.Ids); // quoted: exact content, spaces included
        Assert.Equal("The \"Best\" Book", data.Items[0]);
    }

    [Fact]
    public void Ids_are_indexed_in_first_seen_order()
    {
        var path = CsvTestFiles.Write("user,item\nz,i3\na,i1\nz,i2\nm,i3\na,i9\n");
        var data = InteractionCsvReader.Read(path);
        Assert.Equal(["z", "a", "m"], data.Users.Ids);
        Assert.Equal(["i3", "i1", "i2", "i9"], data.Items.Ids);
        Assert.Equal([0, 1, 0, 2, 1], data.Interactions.Users);
        Assert.Equal([0, 1, 2, 0, 3], data.Interactions.Items);
    }

    [Theory]
    [InlineData('\t')]
    [InlineData('|')]
    [InlineData(';')]
    public void Explicit_delimiters_are_used(char delimiter)
    {
        var d = delimiter.ToString();
        var path = CsvTestFiles.Write($"user{d}item{d}score\na{d}x{d}2\n");
        var data = InteractionCsvReader.Read(path, new CsvOptions { Delimiter = delimiter });
        Assert.Equal(2f, data.Interactions.Weights[0]);
    }

    [Fact]
    public void A_utf8_bom_and_blank_lines_are_ignored()
    {
        var path = CsvTestFiles.Write("user,item\n\na,x\n\n\nb,y\n", encoding: new System.Text.UTF8Encoding(true));
        var data = InteractionCsvReader.Read(path);
        Assert.Equal(["a", "b"], data.Users.Ids);
    }

    [Fact]
    public void Streamed_records_match_the_dataset()
    {
        var path = CsvTestFiles.Write("user,item,score,timestamp,event\na,x,2,5,view\nb,y,,6,\n");
        var records = InteractionCsvReader.ReadRecords(path).ToList();
        Assert.Equal(2, records.Count);
        Assert.Equal(new InteractionRecord("a", "x", 0.2f, 2f, 5, "view"), records[0] with { Weight = MathF.Round(records[0].Weight, 5) });
        Assert.Equal(new InteractionRecord("b", "y", 1f, null, 6, null), records[1]);
    }

    // ------------------------------------------------------------ malformed input

    private static DataFormatException Fails(string content, CsvOptions? options = null)
    {
        var path = CsvTestFiles.Write(content);
        var e = Assert.Throws<DataFormatException>(() => InteractionCsvReader.Read(path, options));
        Assert.Equal(path, e.File);
        Assert.StartsWith(path + ":", e.Message);
        return e;
    }

    [Fact]
    public void A_missing_required_column_is_reported_on_line_1()
    {
        var e = Fails("user,product,score\na,x,1\n");
        Assert.Equal(1, e.Line);
        Assert.Equal("item", e.Field);
        Assert.Contains("missing required column 'item'", e.Message);
        Assert.Contains("product", e.Message); // lists what the header has
    }

    [Fact]
    public void An_empty_file_is_reported()
    {
        var e = Fails("");
        Assert.Equal(1, e.Line);
        Assert.Contains("empty", e.Message);
    }

    [Fact]
    public void A_header_without_a_delimiter_is_reported()
    {
        var e = Fails("useritem\nax\n");
        Assert.Equal(1, e.Line);
        Assert.Contains("delimiter", e.Message);
    }

    [Theory]
    [InlineData("abc", "not a number")]
    [InlineData("NaN", "finite")]
    [InlineData("Infinity", "finite")]
    [InlineData("-2", "negative weight")]
    public void A_bad_score_names_line_and_field(string score, string problem)
    {
        var e = Fails($"user,item,score\na,x,1\nb,y,1\nc,z,{score}\n");
        Assert.Equal(4, e.Line);
        Assert.Equal("score", e.Field);
        Assert.Contains(problem, e.Message);
        Assert.Contains($":4: field 'score'", e.Message);
    }

    [Fact]
    public void A_negative_event_weight_product_is_rejected_with_the_score_field()
    {
        var e = Fails("user,item,score,event\na,x,-1,view\n");
        Assert.Equal(2, e.Line);
        Assert.Equal("score", e.Field);
    }

    [Fact]
    public void An_unparseable_timestamp_names_line_and_field()
    {
        var e = Fails("user,item,timestamp\na,x,1700000000\nb,y,yesterday\n");
        Assert.Equal(3, e.Line);
        Assert.Equal("timestamp", e.Field);
        Assert.Contains("yesterday", e.Message);
    }

    [Fact]
    public void Too_few_fields_names_the_first_missing_column()
    {
        var e = Fails("user,item,score\na,x,1\nb\n");
        Assert.Equal(3, e.Line);
        Assert.Equal("item", e.Field);
        Assert.Contains("too few fields", e.Message);
    }

    [Fact]
    public void Empty_user_and_item_ids_are_rejected()
    {
        var e = Fails("user,item\na,x\n  ,y\n");
        Assert.Equal((3L, "user"), (e.Line, e.Field));
        e = Fails("user,item\na,x\nb,\"\"\n");
        Assert.Equal((3L, "item"), (e.Line, e.Field));
    }

    [Fact]
    public void Line_numbers_stay_right_after_quoted_line_breaks()
    {
        var e = Fails("user,item,score\n\"multi\nline\",x,1\nb,y,oops\n");
        Assert.Equal(4, e.Line);
    }

    [Fact]
    public void An_unterminated_quote_is_reported_at_the_line_where_the_field_starts()
    {
        var e = Fails("user,item\na,x\n\"b,y\nc,z\n");
        Assert.Equal(3, e.Line);
        Assert.Contains("unterminated", e.Message);
    }

    [Fact]
    public void Unknown_events_are_errors_when_the_weights_say_so()
    {
        var strict = new EventWeights(EventWeights.Defaults, unknownEventWeight: null);
        var e = Fails("user,item,event\na,x,view\nb,y,click\n", new CsvOptions { EventWeights = strict });
        Assert.Equal((3L, "event"), (e.Line, e.Field));
        Assert.Contains("click", e.Message);
    }

    [Fact]
    public void Renamed_columns_are_named_in_errors()
    {
        var e = Fails("uid,iid,stars\na,x,bad\n", new CsvOptions { Columns = CsvColumns.Parse("user=uid,item=iid,score=stars") });
        Assert.Equal("stars", e.Field);
    }
}

public class IdMapBuilderTests
{
    [Fact]
    public void Matches_a_dictionary_on_many_similar_ids_and_keeps_first_seen_order()
    {
        var b = new IdMapBuilder();
        var reference = new Dictionary<string, int>();
        var rng = new Random(3);
        for (int k = 0; k < 50_000; k++)
        {
            var id = "u" + rng.Next(20_000) + (rng.Next(3) == 0 ? "x" : "");
            if (!reference.TryGetValue(id, out int expected)) reference[id] = expected = reference.Count;
            Assert.Equal(expected, b.GetOrAdd(id.AsSpan()));
        }
        Assert.Equal(reference.Count, b.Count);
        var map = b.Build();
        foreach (var (id, index) in reference) Assert.Equal(id, map[index]);
        Assert.True(b.TryGetIndex("u1x", out _) == reference.ContainsKey("u1x"));
        Assert.False(b.TryGetIndex("never", out _));
        Assert.Equal(b.GetOrAdd(""), b.GetOrAdd(string.Empty));
    }
}

public class CsvColumnAliasTests
{
    [Fact]
    public void Common_alternative_headers_are_accepted_for_default_column_names()
    {
        var path = CsvTestFiles.Write("userId,itemId,rating,time\n1,10,4,1000\n");
        var data = InteractionCsvReader.Read(path);
        Assert.Equal("1", data.Users[0]);
        Assert.Equal("10", data.Items[0]);
        Assert.Equal(4f, data.Interactions.Weights[0]);
        Assert.Equal(1000L, data.Interactions.Timestamps[0]);
    }
}
