using Npgsql;
using Trove.Data.Stores;

namespace Trove.Tests.Postgres;

/// <summary>
/// The PostgreSQL server the tests use: env TROVE_TEST_POSTGRES (default Host=127.0.0.1;Port=5433;Username=postgres;Database=postgres;
/// start one with .ci/start-postgres.sh). Each test class gets a fresh database (dropped at the end), each store a fresh schema in it.
/// When the server is unreachable, tests FAIL with a clear message when env CI=true; otherwise
/// <see cref="PostgresDataAttribute"/> / <see cref="PostgresFactAttribute"/> mark them skipped with the reason.
/// </summary>
public sealed class PostgresTestServer : IDisposable
{
    public const string DefaultConnectionString = "Host=127.0.0.1;Port=5433;Username=postgres;Database=postgres";
    private static readonly Lazy<string?> Unreachable = new(Probe);

    /// <summary>Why the server cannot be used (null when it can), probed once per test run.</summary>
    public static string? UnreachableReason => Unreachable.Value;

    public static string SkipMessage => $"PostgreSQL is not reachable at '{PostgresStore.Describe(AdminConnectionString)}' ({Unreachable.Value}). " +
                                        "Start it with .ci/start-postgres.sh or set TROVE_TEST_POSTGRES.";
    private readonly string? _database;

    public static string AdminConnectionString =>
        Environment.GetEnvironmentVariable("TROVE_TEST_POSTGRES") is { Length: > 0 } s ? s : DefaultConnectionString;

    public static bool InCi => string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);

    /// <summary>The class's own database as an Npgsql connection string (null when the server is unreachable).</summary>
    public string? ConnectionString { get; }

    public PostgresTestServer()
    {
        if (Unreachable.Value is not null) return;
        _database = "trove_test_" + Guid.NewGuid().ToString("N")[..16];
        using (var c = new NpgsqlConnection(Admin(pooling: false)))
        {
            c.Open();
            using var cmd = new NpgsqlCommand($"CREATE DATABASE {_database}", c);
            cmd.ExecuteNonQuery();
        }
        ConnectionString = new NpgsqlConnectionStringBuilder(AdminConnectionString) { Database = _database, Pooling = false }.ConnectionString;
    }

    private static string Admin(bool pooling) => new NpgsqlConnectionStringBuilder(AdminConnectionString) { Pooling = pooling, Timeout = 5 }.ConnectionString;

    private static string? Probe()
    {
        try
        {
            using var c = new NpgsqlConnection(Admin(pooling: false));
            c.Open();
            return null;
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException or InvalidOperationException)
        {
            return e.InnerException?.Message ?? e.Message;
        }
    }

    /// <summary>
    /// True when PostgreSQL is available. Otherwise throws when CI=true, else writes a skip message and returns false.
    /// </summary>
    public bool Require(Xunit.Abstractions.ITestOutputHelper? output = null)
    {
        if (Unreachable.Value is null) return true;
        var message = SkipMessage;
        if (InCi) throw new InvalidOperationException("CI=true and " + message);
        output?.WriteLine("SKIPPED: " + message);
        Console.Error.WriteLine("SKIPPED (no PostgreSQL): " + message);
        return false;
    }

    /// <summary>A connection string for a fresh, empty schema of this class's database.</summary>
    public string NewSchema() =>
        new NpgsqlConnectionStringBuilder(ConnectionString!) { SearchPath = "s_" + Guid.NewGuid().ToString("N")[..12] }.ConnectionString;

    public void Dispose()
    {
        if (_database is null) return;
        try
        {
            NpgsqlConnection.ClearAllPools();
            using var c = new NpgsqlConnection(Admin(pooling: false));
            c.Open();
            using var cmd = new NpgsqlCommand($"DROP DATABASE IF EXISTS {_database} WITH (FORCE)", c);
            cmd.ExecuteNonQuery();
        }
        catch (NpgsqlException) { }
    }
}

/// <summary>
/// Test data rows of a store-parameterised theory: "sqlite", then "postgres" — the PostgreSQL row is SKIPPED (with the
/// reason) when no server is reachable and CI is not "true"; under CI=true it runs and fails with a clear message.
/// </summary>
public sealed class StoresAttribute : Xunit.Sdk.DataAttribute
{
    public const string Sqlite = "sqlite", Postgres = "postgres";
    public override IEnumerable<object[]> GetData(System.Reflection.MethodInfo testMethod) => [[Sqlite]];
}

/// <summary>The "postgres" row of a store theory (see <see cref="StoresAttribute"/>).</summary>
public sealed class PostgresDataAttribute : Xunit.Sdk.DataAttribute
{
    public PostgresDataAttribute()
    {
        if (!PostgresTestServer.InCi && PostgresTestServer.UnreachableReason is not null) Skip = PostgresTestServer.SkipMessage;
    }

    public override IEnumerable<object[]> GetData(System.Reflection.MethodInfo testMethod) => [[StoresAttribute.Postgres]];
}

/// <summary>A PostgreSQL-only fact: skipped with the reason when no server is reachable and CI is not "true".</summary>
public sealed class PostgresFactAttribute : FactAttribute
{
    public PostgresFactAttribute()
    {
        if (!PostgresTestServer.InCi && PostgresTestServer.UnreachableReason is not null) Skip = PostgresTestServer.SkipMessage;
    }
}
