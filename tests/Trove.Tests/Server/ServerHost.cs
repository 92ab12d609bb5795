using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.TestHost;
using Trove.Core.Data;
using Trove.Core.Training;
using Trove.Models;
using Trove.Server;
using Trove.Tests.Support;

namespace Trove.Tests.Server;

/// <summary>A Trove server over a model file, in process (TestServer) or on a real loopback port (for the browser).</summary>
public sealed class ServerHost : IAsyncDisposable
{
    public const string Key = "test-key";

    private ServerHost(WebApplication app, HttpClient client, string modelPath, string directory)
    {
        App = app; Client = client; ModelPath = modelPath; Directory = directory;
    }

    public WebApplication App { get; }
    public HttpClient Client { get; }
    public string ModelPath { get; }
    public string Directory { get; }

    /// <summary>Six users, eight items in three categories, with titles and brands.</summary>
    public static Dataset Toy()
    {
        var users = new IdMap(["alice", "bob", "carol", "dave", "erin", "frank"]);
        var items = new IdMap(["a", "b", "c", "d", "e", "f", "g", "h"]);
        (int U, int I)[] pairs =
        [
            (0, 0), (0, 1),
            (1, 0), (1, 1), (1, 2),
            (2, 0), (2, 2), (2, 3),
            (3, 3), (3, 4), (3, 5),
            (4, 4), (4, 5), (4, 6),
            (5, 1), (5, 2), (5, 7),
        ];
        var log = new InteractionLog(pairs.Select(p => p.U).ToArray(), pairs.Select(p => p.I).ToArray(),
            Enumerable.Repeat(1f, pairs.Length).ToArray(), new long[pairs.Length], new short[pairs.Length], ["view"]);
        var features = new FeatureTable();
        features.Categorical["title"] = ["Atlas", "Birds", "Cosmos", "Dune Songs", "Echoes", "Folk Tales", "Game Night", "Hoops"];
        features.Categorical["category"] = ["books", "books", "books", "music", "music", "music", "toys", "toys"];
        features.Categorical["brand"] = ["acme", "zenith", "acme", "acme", "zenith", "acme", "zenith", "acme"];
        return new Dataset(users, items, log, itemFeatures: features, source: "toy");
    }

    /// <summary>Trains <paramref name="algorithm"/> on <paramref name="data"/> (the toy set by default) into a new model file.</summary>
    public static string TrainModel(string algorithm = "itemknn", Dataset? data = null, string? path = null, IDictionary<string, string>? parameters = null)
    {
        path ??= Path.Combine(TestPaths.NewTempDirectory(), algorithm + ".trove");
        ModelTrainer.Train(data ?? Toy(), algorithm, parameters is null ? null : new Dictionary<string, string>(parameters), FitContext.Default, path);
        return path;
    }

    public static async Task<ServerHost> StartAsync(string? modelPath = null, Func<ServerOptions, ServerOptions>? configure = null, bool realPort = false,
        Action<WebApplicationBuilder>? builder = null)
    {
        modelPath ??= TrainModel();
        var options = new ServerOptions { Models = [new ModelSource(Path.GetFileNameWithoutExtension(modelPath), modelPath)], ApiKey = Key, Port = 0 };
        options = configure?.Invoke(options) ?? options;
        var app = TroveServer.Build(options, b => { if (!realPort) b.WebHost.UseTestServer(); builder?.Invoke(b); });
        await app.StartAsync();
        var client = realPort ? new HttpClient { BaseAddress = new Uri(TroveServer.Address(app)) } : app.GetTestClient();
        return new ServerHost(app, client, modelPath, Path.GetDirectoryName(modelPath)!);
    }

    public HttpRequestMessage Post(string url, string json, string? key = Key)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        if (key is not null) request.Headers.Add("X-Api-Key", key);
        return request;
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await App.StopAsync();
        await App.DisposeAsync();
    }
}
