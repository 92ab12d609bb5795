// A shop with its own pages that mounts Trove's recommendation API under /recs.
//   dotnet run --project samples/Shop -- --model MODEL.trove [--api-key KEY] --urls http://127.0.0.1:5080
// or from appsettings.json: "Trove": { "Models": { "default": "MODEL.trove" }, "ApiKey": "..." }.
using Trove.Server;
using Trove.Server.Hosting;

var builder = WebApplication.CreateBuilder(args);
if (builder.Configuration["model"] is { Length: > 0 } model)
    builder.Services.AddTrove(new ServerOptions { Models = [new ModelSource("default", model)], ApiKey = builder.Configuration["api-key"] });
else
    builder.Services.AddTrove(builder.Configuration.GetSection("Trove"));

var app = builder.Build();
app.MapGet("/", () => Results.Content("<!doctype html><title>Shop</title><h1>Welcome to the shop</h1><p>Recommendations: <a href=\"/recs/dashboard/\">/recs</a></p>", "text/html"));
app.MapGet("/health", () => Results.Text("shop: healthy"));
app.MapTrove("/recs");
app.Run();
