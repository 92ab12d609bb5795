using System.Net;
using System.Text.Json;

namespace Trove.Tests.Server;

/// <summary>A model file damaged on disk (a flipped byte, a truncation) is refused on reload and the old model keeps serving.</summary>
public class CorruptedModelReloadTests
{
    private static async Task<JsonElement> Body(HttpResponseMessage response, HttpStatusCode expected)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(expected == response.StatusCode, $"expected {(int)expected}, got {(int)response.StatusCode}: {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    [Theory]
    [InlineData("flip")]
    [InlineData("truncate")]
    public async Task Reload_refuses_a_corrupted_model_file_and_keeps_the_old_model(string damage)
    {
        var path = ServerHost.TrainModel("itemknn");
        await using var host = await ServerHost.StartAsync(path);
        var before = await Body(await host.Client.GetAsync("/users/alice/recommendations"), HttpStatusCode.OK);

        var bytes = File.ReadAllBytes(ServerHost.TrainModel("popularity")); // a newer model, damaged on its way
        if (damage == "flip") bytes[bytes.Length / 3] ^= 0x01;
        else bytes = bytes[..(bytes.Length * 2 / 3)];
        File.WriteAllBytes(path, bytes);

        var failed = await Body(await host.Client.SendAsync(host.Post("/admin/reload", "")), HttpStatusCode.UnprocessableEntity);
        Assert.Contains($"model file {path} is corrupted: ", failed.GetProperty("detail").GetString());
        var after = await Body(await host.Client.GetAsync("/users/alice/recommendations"), HttpStatusCode.OK);
        Assert.Equal("itemknn", after.GetProperty("algorithm").GetString());
        Assert.Equal(before.GetProperty("modelVersion").GetString(), after.GetProperty("modelVersion").GetString());
        var ready = await Body(await host.Client.GetAsync("/ready"), HttpStatusCode.OK);
        Assert.Contains("is corrupted", ready.GetProperty("lastReloadError").GetString());
    }
}
