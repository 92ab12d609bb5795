using System.Net;
using System.Text.Json;
using Microsoft.Extensions.Configuration;
using Trove.Core.Errors;
using Trove.Data.Stores;
using Trove.Server;
using Trove.Server.Hosting;
using Trove.Server.Retraining;
using Trove.Tests.Support;

namespace Trove.Tests.Server;

/// <summary>Scheduled retraining (--retrain): trains from the database in the background, hot-swaps the model, reports its last run in /ready.</summary>
public class RetrainingTests
{
    /// <summary>A database holding the toy data, and a model trained on it.</summary>
    private static (string Db, string Model) Setup(string algorithm = "itemknn")
    {
        var dir = TestPaths.NewTempDirectory();
        var db = Path.Combine(dir, "trove.db");
        using (var store = InteractionStores.Open(db)) store.Import(ServerHost.Toy());
        return (db, ServerHost.TrainModel(algorithm, path: Path.Combine(dir, algorithm + ".trove")));
    }

    private static async Task<JsonElement> Ready(ServerHost host) => JsonDocument.Parse(await host.Client.GetStringAsync("/ready")).RootElement.Clone();

    /// <summary>Polls /ready until <paramref name="done"/> holds (the schedule fires every second).</summary>
    private static async Task<JsonElement> WaitFor(ServerHost host, Func<JsonElement, bool> done)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            var ready = await Ready(host);
            if (done(ready)) return ready;
            if (DateTime.UtcNow > deadline) throw new TimeoutException("retraining did not get there in 60 s: " + ready.GetProperty("retraining"));
            await Task.Delay(200);
        }
    }

    [Fact]
    public async Task A_schedule_that_fires_every_second_retrains_from_the_database_and_swaps_the_model()
    {
        var (db, model) = Setup();
        await using var host = await ServerHost.StartAsync(model, o => o with { DatabasePath = db, RetrainSchedule = "* * * * * *", RetrainModel = "itemknn" });
        var before = await Ready(host);
        var retraining = before.GetProperty("retraining");
        Assert.Equal(("* * * * * *", "itemknn"), (retraining.GetProperty("schedule").GetString(), retraining.GetProperty("model").GetString()));
        string firstVersion = before.GetProperty("models")[0].GetProperty("version").GetString()!;

        // A new user's event goes to the database; the next run trains on it, so the model then knows the user.
        var posted = await host.Client.SendAsync(host.Post("/events", """{"user": "zed", "item": "h", "event": "purchase"}"""));
        Assert.Equal(HttpStatusCode.OK, posted.StatusCode);
        var after = await WaitFor(host, r => r.GetProperty("models")[0].GetProperty("users").GetInt32() == 7
                                             && r.GetProperty("retraining").GetProperty("lastRun").GetProperty("outcome").GetString() == "succeeded");
        var run = after.GetProperty("retraining").GetProperty("lastRun");
        Assert.Equal(JsonValueKind.Null, run.GetProperty("error").ValueKind);
        Assert.True(run.GetProperty("durationSeconds").GetDouble() >= 0);
        Assert.True(run.GetProperty("finishedUtc").GetDateTime() >= run.GetProperty("startedUtc").GetDateTime());
        Assert.True(after.GetProperty("retraining").GetProperty("runs").GetInt64() >= 1);
        Assert.NotEqual(firstVersion, after.GetProperty("models")[0].GetProperty("version").GetString());
        // The file on disk is the new model (written atomically over the served one).
        Assert.Contains("zed", Trove.Core.Persistence.ModelFile.Load(model, Trove.Models.BuiltInAlgorithms.Registry).Users.Ids);
        Assert.Equal(HttpStatusCode.OK, (await host.Client.GetAsync("/users/zed/recommendations?k=2")).StatusCode);
    }

    [Fact]
    public async Task A_failed_run_keeps_the_served_model_and_reports_the_error()
    {
        var (_, model) = Setup();
        var empty = Path.Combine(TestPaths.NewTempDirectory(), "empty.db");
        await using var host = await ServerHost.StartAsync(model, o => o with { DatabasePath = empty, RetrainSchedule = "* * * * * *" });
        string version = (await Ready(host)).GetProperty("models")[0].GetProperty("version").GetString()!;
        var ready = await WaitFor(host, r => r.GetProperty("retraining").GetProperty("lastRun") is { ValueKind: JsonValueKind.Object } run
                                             && run.GetProperty("outcome").GetString() == "failed");
        Assert.Contains("no interactions", ready.GetProperty("retraining").GetProperty("lastRun").GetProperty("error").GetString());
        Assert.Equal(version, ready.GetProperty("models")[0].GetProperty("version").GetString());
        Assert.Equal("ready", ready.GetProperty("status").GetString());
    }

    [Fact]
    public void Bad_schedules_and_missing_settings_are_one_line_errors_at_start()
    {
        var model = new ModelSource("als", "als.trove");
        var ok = new ServerOptions { Models = [model], DatabasePath = "trove.db" };
        Assert.Equal("als", ScheduledRetraining.Check(ok with { RetrainSchedule = "0 3 * * *" }).Model.Name);
        Assert.Equal("als", ScheduledRetraining.Check(ok with { RetrainSchedule = "*/5 * * * * *", RetrainModel = "ALS" }).Model.Name);
        Assert.Contains("not a cron schedule", Assert.Throws<TroveException>(() => ScheduledRetraining.Check(ok with { RetrainSchedule = "every night" })).Message);
        Assert.Contains("--db", Assert.Throws<TroveException>(() => ScheduledRetraining.Check(ok with { RetrainSchedule = "0 3 * * *", DatabasePath = null })).Message);
        Assert.Contains("not a served model", Assert.Throws<TroveException>(() => ScheduledRetraining.Check(ok with { RetrainSchedule = "0 3 * * *", RetrainModel = "bpr" })).Message);
        Assert.Throws<TroveException>(() => TroveServer.Build(ok with { RetrainSchedule = "61 * * * *" }));
    }

    [Fact]
    public void The_configuration_section_sets_the_schedule_and_the_model()
    {
        var section = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Trove:Models:als"] = "als.trove", ["Trove:Database"] = "trove.db", ["Trove:Retrain"] = "0 3 * * *", ["Trove:RetrainModel"] = "als",
        }).Build().GetSection("Trove");
        var options = ServerConfiguration.Read(section);
        Assert.Equal(("0 3 * * *", "als"), (options.RetrainSchedule, options.RetrainModel));
        Assert.Equal("als", ScheduledRetraining.Check(options).Model.Name);
    }
}
