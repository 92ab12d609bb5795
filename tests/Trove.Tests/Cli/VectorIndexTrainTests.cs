using Trove.Models.Retrieval;
using Microsoft.Extensions.DependencyInjection;
using Trove.Server.Models;
using Trove.Tests.Server;
using Trove.Tests.Support;

namespace Trove.Tests.Cli;

[Collection(ConsoleCollection.Name)]
public class VectorIndexTrainTests
{
    [Fact]
    public async Task Train_with_vector_index_writes_the_graphs_that_serve_then_loads()
    {
        var dir = TestPaths.NewTempDirectory();
        var data = Path.Combine(dir, "sim");
        var model = Path.Combine(dir, "als.trove");
        Assert.Equal(0, Trove.Cli.Program.Main(["simulate", "--users", "200", "--items", "150", "--seed", "3", "--out", data, "--no-diagnostics"]));
        Assert.Equal(0, Trove.Cli.Program.Main(["train", "--data", data, "--model", "als", "--out", model, "--param", "factors=8", "--param", "iterations=4", "--vector-index"]));
        Assert.True(File.Exists(ItemIndexFile.PathFor(model)));

        await using var host = await ServerHost.StartAsync(model, o => o with { Retrieval = RetrievalMode.Hnsw, HnswMinItems = 1 });
        var loaded = host.App.Services.GetRequiredService<ModelCatalog>().Current.Default!;
        await loaded.IndexReady;
        Assert.Equal("loaded", loaded.IndexSource);
        Assert.NotNull(loaded.RecommendationIndex);
    }

    [Fact]
    public void Vector_index_for_a_model_without_vectors_is_a_user_error_before_training()
    {
        var previous = Console.Error;
        var error = new StringWriter();
        Console.SetError(error);
        try
        {
            Assert.Equal(2, Trove.Cli.Program.Main(["train", "--data", "nowhere.csv", "--model", "itemknn", "--out", "x.trove", "--vector-index"]));
        }
        finally { Console.SetError(previous); }
        Assert.Contains("--vector-index", error.ToString());
    }
}
