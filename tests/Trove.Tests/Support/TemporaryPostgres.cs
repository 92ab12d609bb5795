using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Trove.Tests.Support;

/// <summary>
/// A PostgreSQL 15 server of a test's own (initdb in a temp folder, a free port), which the test may stop and
/// start: never the shared instance on 5433. initdb and pg_ctl run as the postgres user through `su` (as root,
/// as CI runs) or directly (as any other user). Absent binaries: <see cref="Unavailable"/> says why.
/// </summary>
public sealed class TemporaryPostgres : IDisposable
{
    public const string Bin = "/usr/lib/postgresql/15/bin";
    private readonly string _dir;

    public int Port { get; }
    public string ConnectionString => $"Host=127.0.0.1;Port={Port};Username=postgres;Database=postgres;Timeout=3;Command Timeout=10";

    /// <summary>Why no temporary server can run here (null when it can).</summary>
    public static string? Unavailable =>
        !File.Exists(Path.Combine(Bin, "initdb")) ? $"{Bin}/initdb is absent (apt-get install postgresql)"
        : Environment.UserName == "root" && !File.Exists("/bin/su") ? "running as root without su" : null;

    public TemporaryPostgres()
    {
        _dir = Path.Combine(Path.GetTempPath(), "trove-pg-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(_dir);
        Port = FreePort();
        if (Environment.UserName == "root") Run("/bin/chown", "postgres:postgres", _dir);
        AsPostgres($"{Bin}/initdb -D {_dir}/data -A trust -U postgres -E UTF8 --no-sync");
        Start();
    }

    public void Start() =>
        AsPostgres($"{Bin}/pg_ctl -D {_dir}/data -l {_dir}/server.log -w -t 20 -o '-c listen_addresses=127.0.0.1 -p {Port} -k {_dir} -c fsync=off' start");

    /// <summary>Stops the server at once (fast shutdown: open connections are cut).</summary>
    public void Stop() => AsPostgres($"{Bin}/pg_ctl -D {_dir}/data -m fast -w -t 20 stop");

    private void AsPostgres(string command)
    {
        if (Environment.UserName == "root") Run("/bin/su", "postgres", "-c", command);
        else Run("/bin/sh", "-c", command);
    }

    private void Run(string file, params string[] args)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) start.ArgumentList.Add(a);
        using var p = Process.Start(start)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0)
            throw new InvalidOperationException($"{file} {string.Join(' ', args)} exited {p.ExitCode}: {stderr}{stdout.Result}" +
                                                (File.Exists(Path.Combine(_dir, "server.log")) ? "\n" + File.ReadAllText(Path.Combine(_dir, "server.log")) : ""));
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public void Dispose()
    {
        try { Stop(); } catch (InvalidOperationException) { } // already stopped
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}

/// <summary>A fact needing <see cref="TemporaryPostgres"/>: skipped when the binaries are absent, except under CI=true where it must run.</summary>
public sealed class TemporaryPostgresFactAttribute : FactAttribute
{
    public TemporaryPostgresFactAttribute()
    {
        bool ci = string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);
        if (!ci && TemporaryPostgres.Unavailable is { } why) Skip = $"No temporary PostgreSQL: {why}.";
    }
}
