using System.Globalization;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.DependencyInjection;

namespace Trove.Server.Http;

/// <summary>
/// What every request passes before an endpoint: security headers on every response, CORS only for the
/// origins given with --cors-origin, per-client-IP rate limits (reads and writes counted apart), and
/// checks of the ids in the path and of the model name. Each refusal is RFC 7807 problem details.
/// </summary>
public static class Hardening
{
    /// <summary>The API returns data, never pages: nothing may load, frame or submit from its responses.</summary>
    public const string ApiPolicy = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

    /// <summary>The dashboard loads its own script, style sheet and figures only: no inline script or style, no other origin.</summary>
    public const string DashboardPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    /// <summary>Figure pages written by `trove eda` carry their style inline; they run no script.</summary>
    public const string FiguresPolicy = "default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    public static void AddServices(IServiceCollection services, ServerOptions options)
    {
        if (options.CorsOrigins.Count > 0)
            services.AddCors(cors => cors.AddDefaultPolicy(policy => policy.WithOrigins([.. options.CorsOrigins])
                .WithMethods(HttpMethods.Get, HttpMethods.Post, HttpMethods.Put).WithHeaders("Content-Type", Endpoints.ApiKeyHeader).WithExposedHeaders("Retry-After")));
        if (options.RateLimit is not null || options.WriteRateLimit is not null)
        {
            // One limiter instance, also registered as a service, so a handler can charge expensive requests more than one permit.
            var limiter = PartitionedRateLimiter.Create<HttpContext, (string Bucket, string Client)>(context => Partition(context, options));
            services.AddSingleton(new RequestCost(limiter));
            services.AddRateLimiter(limits =>
            {
                limits.GlobalLimiter = limiter;
                limits.OnRejected = TooManyRequests;
            });
        }
    }

    /// <summary>
    /// Charges a request extra permits from its client's read bucket (the middleware took one): a request that does the
    /// work of many (POST /scores for many users) counts as many. Absent when no rate limit is configured.
    /// </summary>
    public sealed class RequestCost(PartitionedRateLimiter<HttpContext> limiter)
    {
        /// <summary>True when the client's bucket had <paramref name="permits"/> more tokens; sets Retry-After otherwise.</summary>
        public bool TryCharge(HttpContext context, int permits)
        {
            if (permits <= 0) return true;
            using var lease = limiter.AttemptAcquire(context, permits);
            if (lease.IsAcquired) return true;
            context.Response.Headers.RetryAfter = RetryAfterSeconds(lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? wait : TimeSpan.FromSeconds(1));
            return false;
        }
    }

    /// <summary>Adds the middleware, outermost first; call before the endpoints are mapped.</summary>
    public static void Use(WebApplication app, ServerOptions options)
    {
        app.Use(SecurityHeaders);
        app.Use(LimitRequestSize);
        if (options.CorsOrigins.Count > 0) app.UseCors();
        if (options.RateLimit is not null || options.WriteRateLimit is not null) app.UseRateLimiter();
        app.Use(DecodeIds);
        app.Use(CheckIds);
    }

    /// <summary>
    /// Ids in paths are percent-encoded path segments (encode them with <c>Uri.EscapeDataString</c>): user <c>a/b</c>
    /// is <c>/users/a%2Fb/...</c> and user <c>a%2Fb</c> is <c>/users/a%252Fb/...</c>. Kestrel decodes every escape in the
    /// path except <c>%2F</c>, which makes those two users indistinguishable there, so the {user} and {item} values are
    /// taken from the raw request target and decoded once, here.
    /// </summary>
    private static Task DecodeIds(HttpContext context, RequestDelegate next)
    {
        var ids = RawIds(context);
        // Unchanged values come back as the routed string itself: most requests set nothing here.
        if (ids.User is { } user && !ReferenceEquals(user, context.Request.RouteValues["user"])) context.Request.RouteValues["user"] = user;
        if (ids.Item is { } item && !ReferenceEquals(item, context.Request.RouteValues["item"])) context.Request.RouteValues["item"] = item;
        return next(context);
    }

    /// <summary>The {user} and {item} values of a request decoded from its raw target, each null when the route has none.</summary>
    internal readonly record struct RawIdValues(string? User, string? Item)
    {
        /// <summary>The value of route parameter <paramref name="name"/> ("user" or "item"), when the request has one.</summary>
        public bool TryGetValue(string name, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out string? value)
        {
            value = name switch { "user" => User, "item" => Item, _ => null };
            return value is not null;
        }
    }

    /// <summary>
    /// The {user} and {item} route values of the request, each decoded once from the raw request target (none when the
    /// server keeps no raw target). A value equal to the routed one is that same string, so nothing is allocated for it.
    /// </summary>
    internal static RawIdValues RawIds(HttpContext context)
    {
        if (context.GetEndpoint() is not Microsoft.AspNetCore.Routing.RouteEndpoint endpoint
            || context.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpRequestFeature>()?.RawTarget is not { Length: > 0 } raw)
            return default;
        var pattern = endpoint.RoutePattern.PathSegments;
        bool hasIds = false;
        for (int i = 0; i < pattern.Count && !hasIds; i++) hasIds = IdName(pattern[i]) is not null;
        if (!hasIds) return default;

        int query = raw.IndexOf('?');
        var path = query >= 0 ? raw.AsSpan(0, query) : raw.AsSpan();
        int most = path.Count('/') + 1;
        Span<Range> segments = most <= 32 ? stackalloc Range[32] : new Range[most];
        int count = path.Split(segments, '/', StringSplitOptions.RemoveEmptyEntries);
        // A path base (the host's) comes before the pattern's segments: align on the end.
        int offset = count - pattern.Count;
        if (offset < 0) return default;
        string? user = null, item = null;
        for (int i = 0; i < pattern.Count; i++)
        {
            if (IdName(pattern[i]) is not { } name) continue;
            var segment = path[segments[offset + i]];
            string decoded;
            if (segment.IndexOf('%') < 0 && context.Request.RouteValues[name] is string routed && segment.SequenceEqual(routed)) decoded = routed;
            else
            {
                try { decoded = Uri.UnescapeDataString(segment); }
                catch (UriFormatException) { continue; } // left as routed; the id check judges it
            }
            if (name == "user") user = decoded; else item = decoded;
        }
        return new RawIdValues(user, item);
    }

    /// <summary>"user" or "item" when the segment is exactly that route parameter, else null.</summary>
    private static string? IdName(Microsoft.AspNetCore.Routing.Patterns.RoutePatternPathSegment segment) =>
        segment.Parts is [Microsoft.AspNetCore.Routing.Patterns.RoutePatternParameterPart { Name: "user" or "item" } part] ? part.Name : null;

    /// <summary>Longest request target (path and query) answered; longer ones get 414 problem details.</summary>
    public const int MaxRequestTarget = 8 * 1024;

    /// <summary>Largest total size of the request headers answered; larger ones get 431 problem details.</summary>
    public const int MaxRequestHeaders = 32 * 1024;

    /// <summary>
    /// Kestrel is given twice these limits (see <see cref="TroveServer"/>), so that a target or header block between the
    /// two is refused here, as RFC 7807 problem details like every other refusal, instead of by Kestrel's bare 414/431.
    /// </summary>
    private static Task LimitRequestSize(HttpContext context, RequestDelegate next)
    {
        var target = context.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpRequestFeature>()?.RawTarget ?? context.Request.Path + context.Request.QueryString;
        if (target.Length > MaxRequestTarget)
            return Results.Problem($"The request target is {target.Length} characters; at most {MaxRequestTarget} are answered. Send long lists in a POST body.",
                statusCode: StatusCodes.Status414RequestUriTooLong, title: "Request target too long").ExecuteAsync(context);
        long headers = 0;
        foreach (var (name, values) in context.Request.Headers) headers += name.Length + values.ToString().Length + 4;
        if (headers > MaxRequestHeaders)
            return Results.Problem($"The request headers take {headers} bytes; at most {MaxRequestHeaders} are answered.",
                statusCode: StatusCodes.Status431RequestHeaderFieldsTooLarge, title: "Request headers too large").ExecuteAsync(context);
        return next(context);
    }

    /// <summary>Whole seconds for a Retry-After header (at least 1).</summary>
    public static string RetryAfterSeconds(TimeSpan wait) => Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds)).ToString(CultureInfo.InvariantCulture);

    private static Task SecurityHeaders(HttpContext context, RequestDelegate next)
    {
        // Set when the response starts, so that problem details written by the exception handler (which clears headers) carry them too.
        context.Response.OnStarting(static state =>
        {
            var context = (HttpContext)state;
            var headers = context.Response.Headers;
            var path = context.Request.Path;
            headers.ContentSecurityPolicy = path.StartsWithSegments("/dashboard") ? DashboardPolicy : path.StartsWithSegments("/figures") ? FiguresPolicy : ApiPolicy;
            headers.XContentTypeOptions = "nosniff";
            headers.XFrameOptions = "DENY";
            headers["Referrer-Policy"] = "no-referrer";
            return Task.CompletedTask;
        }, context);
        return next(context);
    }

    // ---- rate limits --------------------------------------------------------------------------

    /// <summary>Health, readiness and metrics requests allowed per second and client when rate limits are on.</summary>
    public const int ProbesPerSecond = 100;

    private static RateLimitPartition<(string, string)> Partition(HttpContext context, ServerOptions options)
    {
        var path = context.Request.Path;
        var client = context.Connection.RemoteIpAddress?.ToString() ?? "unknown";
        // Probes and scrapes have a bucket of their own, so they never compete with a client's reads, and a generous
        // one (ProbesPerSecond), so a flood of them is bounded too.
        if (path.StartsWithSegments("/health") || path.StartsWithSegments("/ready") || path.StartsWithSegments("/metrics"))
            return RateLimitPartition.GetTokenBucketLimiter(("probe", client), _ => Bucket(ProbesPerSecond));
        // Catalogue writes (PUT /items/{id}, PUT /users/{id}) are writes too.
        bool write = HttpMethods.IsPut(context.Request.Method)
            || HttpMethods.IsPost(context.Request.Method) && (path.StartsWithSegments("/events") || path.StartsWithSegments("/admin"));
        double? perSecond = write ? options.WriteRateLimit : options.RateLimit;
        // Partitions are cached by key: unlimited requests need keys of their own, or they would find a client's bucket.
        if (perSecond is not > 0) return RateLimitPartition.GetNoLimiter(("free", ""));
        return RateLimitPartition.GetTokenBucketLimiter((write ? "write" : "read", client), _ => Bucket(perSecond.Value));
    }

    /// <summary>
    /// N per second: a bucket of N tokens refilled every second (bursts up to N). Below one per second: one token
    /// every 1/N seconds. No queue: a request without a token is refused at once.
    /// </summary>
    private static TokenBucketRateLimiterOptions Bucket(double perSecond)
    {
        bool fast = perSecond >= 1;
        int tokens = fast ? (int)Math.Round(perSecond) : 1;
        return new TokenBucketRateLimiterOptions
        {
            TokenLimit = tokens, TokensPerPeriod = tokens, QueueLimit = 0, AutoReplenishment = true,
            ReplenishmentPeriod = fast ? TimeSpan.FromSeconds(1) : TimeSpan.FromSeconds(1 / perSecond),
        };
    }

    private static async ValueTask TooManyRequests(OnRejectedContext rejected, CancellationToken cancel)
    {
        var wait = rejected.Lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter) ? retryAfter : TimeSpan.FromSeconds(1);
        var context = rejected.HttpContext;
        context.Response.Headers.RetryAfter = RetryAfterSeconds(wait);
        await Results.Problem($"Too many requests from this client; retry after {RetryAfterSeconds(wait)} s.",
            statusCode: StatusCodes.Status429TooManyRequests, title: "Too many requests").ExecuteAsync(context);
    }

    // ---- ids ----------------------------------------------------------------------------------

    /// <summary>User and item ids in the path, and the model name, are checked before any endpoint sees them.</summary>
    private static async Task CheckIds(HttpContext context, RequestDelegate next)
    {
        foreach (var (field, value) in (ReadOnlySpan<(string, string?)>)
                 [("user", context.Request.RouteValues["user"] as string), ("item", context.Request.RouteValues["item"] as string)])
        {
            if (value is not null && IdRules.Problem(value, field) is { } message)
            {
                await Endpoints.Invalid(field, message).ExecuteAsync(context);
                return;
            }
        }
        if (context.Request.Query.TryGetValue("model", out var model) && model.Count > 0 && model[0] is { Length: > 0 } name && IdRules.Problem(name, "model") is { } bad)
        {
            await Endpoints.Invalid("model", bad).ExecuteAsync(context);
            return;
        }
        await next(context);
    }
}

/// <summary>What a user, item or model id may be: 1 to <see cref="MaxLength"/> characters, not blank, no control characters.</summary>
public static class IdRules
{
    /// <summary>The same bound as imports (<see cref="Trove.Data.Readers.ValueParsers.MaxIdLength"/>): every stored id can be served.</summary>
    public const int MaxLength = Trove.Data.Readers.ValueParsers.MaxIdLength;

    /// <summary>Why <paramref name="id"/> is not acceptable as a <paramref name="what"/> id, or null when it is.</summary>
    public static string? Problem(string? id, string what) => id is null ? Problem(ReadOnlySpan<char>.Empty, what) : Problem(id.AsSpan(), what);

    /// <summary>The same rule over characters decoded into a buffer (ids read from a request body without a string each).</summary>
    public static string? Problem(ReadOnlySpan<char> id, string what)
    {
        if (id.IsWhiteSpace()) return $"Required: a {what} id of 1 to {MaxLength} characters.";
        if (id.Length > MaxLength) return $"A {what} id has at most {MaxLength} characters; got {id.Length}.";
        foreach (char c in id)
            if (char.IsControl(c)) return $"A {what} id cannot contain control characters (found U+{(int)c:X4}).";
        return null;
    }
}
