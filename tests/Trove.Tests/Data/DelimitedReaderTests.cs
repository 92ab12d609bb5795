using System.Text;
using Trove.Data.Readers;

namespace Trove.Tests.Data;

public class DelimitedReaderTests
{
    private static List<string[]> ReadAll(string text, char delimiter = ',', int bufferSize = 1 << 16, bool quoting = true)
    {
        using var r = new DelimitedReader(new StringReader(text), delimiter, quoting, bufferSize);
        var rows = new List<string[]>();
        while (r.Read()) rows.Add(r.GetStrings());
        return rows;
    }

    [Fact]
    public void Quoted_fields_may_hold_delimiters_quotes_and_line_breaks()
    {
        var rows = ReadAll("a,b,c\n\"x,1\",\"say \"\"hi\"\"\",\"two\nlines\"\r\nplain,,last\n");
        Assert.Equal(3, rows.Count);
        Assert.Equal(["x,1", "say \"hi\"", "two\nlines"], rows[1]);
        Assert.Equal(["plain", "", "last"], rows[2]);
    }

    [Fact]
    public void Line_numbers_count_physical_lines_including_blank_ones_and_quoted_breaks()
    {
        using var r = new DelimitedReader(new StringReader("h1,h2\n\n\"a\nb\",1\nc,2"), ',', true, 16);
        var lines = new List<long>();
        while (r.Read()) lines.Add(r.LineNumber);
        Assert.Equal([1L, 3, 5], lines);
    }

    [Fact]
    public void A_trailing_delimiter_gives_an_empty_last_field_and_a_missing_final_newline_is_fine()
    {
        var rows = ReadAll("a,b,\nc,d");
        Assert.Equal(["a", "b", ""], rows[0]);
        Assert.Equal(["c", "d"], rows[1]);
    }

    [Fact]
    public void Small_buffers_give_the_same_records_as_large_ones_on_random_input()
    {
        var rng = new Random(7);
        var alphabet = new[] { "a", "b", "1", ",", "\"", "\n", "\r\n", " ", "é", ";" };
        for (int trial = 0; trial < 200; trial++)
        {
            // Build a random but valid CSV from random fields (quoted when needed), then compare parses.
            var expected = new List<string[]>();
            var sb = new StringBuilder();
            int records = rng.Next(1, 8);
            for (int r = 0; r < records; r++)
            {
                int fields = rng.Next(1, 5);
                var row = new string[fields];
                for (int f = 0; f < fields; f++)
                {
                    var v = new StringBuilder();
                    int len = rng.Next(0, 6);
                    for (int k = 0; k < len; k++) v.Append(alphabet[rng.Next(alphabet.Length)]);
                    row[f] = v.ToString();
                    // A record that is one empty field would be a blank line (which readers skip), so quote it.
                    bool quote = row[f].IndexOfAny([',', '"', '\n', '\r']) >= 0 || rng.Next(4) == 0 || (fields == 1 && row[f].Length == 0);
                    if (f > 0) sb.Append(',');
                    sb.Append(quote ? "\"" + row[f].Replace("\"", "\"\"") + "\"" : row[f]);
                }
                expected.Add(row);
                sb.Append(rng.Next(2) == 0 ? "\n" : "\r\n");
            }
            var text = sb.ToString();
            foreach (var size in new[] { 16, 17, 23, 64, 1 << 16 })
            {
                var rows = ReadAll(text, bufferSize: size);
                Assert.Equal(expected.Count, rows.Count);
                for (int r = 0; r < rows.Count; r++) Assert.Equal(expected[r], rows[r]);
            }
        }
    }

    [Theory]
    [InlineData("user,item,score\n", ',')]
    [InlineData("user;item;score\n", ';')]
    [InlineData("user\titem\tscore\n", '\t')]
    [InlineData("user|item|score\n", '|')]
    [InlineData("\"a,b\";item;x\n", ';')]
    public void The_delimiter_is_detected_from_the_header(string header, char expected)
    {
        using var r = new DelimitedReader(new StringReader(header + "1,2,3"), ',');
        Assert.Equal(expected, r.DetectDelimiter());
        r.Delimiter = expected;
        Assert.True(r.Read());
        Assert.Equal(3, r.FieldCount);
    }

    [Fact]
    public void Without_quoting_quotes_are_plain_characters()
    {
        var rows = ReadAll("1|\"Quoted\" title|x\n", '|', quoting: false);
        Assert.Equal(["1", "\"Quoted\" title", "x"], rows[0]);
    }
}
