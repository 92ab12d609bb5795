using System.Buffers;
using System.Text.Json;
using Microsoft.AspNetCore.Http.Json;
using Trove.Server.Http;

namespace Trove.Tests.Server;

/// <summary>The recommendations answer is written without the serializer; clients must see the serializer's bytes.</summary>
public class RecommendationsResultTests
{
    private static JsonSerializerOptions WebOptions()
    {
        // As `trove serve` configures them (TroveServer.AddServices): web defaults, strict numbers, enums as strings.
        var options = new JsonOptions().SerializerOptions;
        options.Converters.Add(new System.Text.Json.Serialization.JsonStringEnumConverter());
        options.NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.Strict;
        return options;
    }

    [Fact]
    public void The_direct_writer_is_used_with_the_servers_options_and_not_with_options_that_change_the_output()
    {
        Assert.True(RecommendationsResult.WritesLikeSerializer(WebOptions()));
        // A host application's own settings change the bytes: those answers go through the serializer.
        var indented = WebOptions(); indented.WriteIndented = true;
        var pascal = WebOptions(); pascal.PropertyNamingPolicy = null;
        var noNulls = WebOptions(); noNulls.DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull;
        var relaxed = WebOptions(); relaxed.Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping;
        Assert.False(RecommendationsResult.WritesLikeSerializer(indented));
        Assert.False(RecommendationsResult.WritesLikeSerializer(pascal));
        Assert.False(RecommendationsResult.WritesLikeSerializer(noNulls));
        // Another encoder is one the writer takes over: the parts are encoded with it.
        Assert.True(RecommendationsResult.WritesLikeSerializer(relaxed));
    }

    [Fact]
    public void Scores_are_written_as_the_json_writer_writes_them()
    {
        var random = new Random(11);
        var buffer = new ArrayBufferWriter<byte>();
        Span<byte> formatted = stackalloc byte[32];
        for (int i = 0; i < 20000; i++)
        {
            float score = i switch
            {
                0 => 0f, 1 => -0f, 2 => float.Epsilon, 3 => float.MaxValue, 4 => float.MinValue, 5 => 1e-45f, 6 => 123456789f,
                _ => BitConverter.Int32BitsToSingle(random.Next()) * (random.Next(2) == 0 ? 1 : -1),
            };
            if (!float.IsFinite(score)) continue;
            buffer.ResetWrittenCount();
            using (var json = new Utf8JsonWriter(buffer)) json.WriteNumberValue(score);
            int written = RecommendationsResult.Format(score, formatted);
            Assert.Equal(System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan), System.Text.Encoding.UTF8.GetString(formatted[..written]));
        }
    }
}
