using System.Collections.Concurrent;
using System.Diagnostics;

namespace Trove.Tests.Crash;

/// <summary>
/// The real `trove` command as a child process: the trove.dll built beside the test assembly (the
/// test project references Trove.Cli, so its dll, deps and runtimeconfig are copied there), run by
/// the same dotnet host. <see cref="Kill"/> is Process.Kill, a SIGKILL on Linux: no finally blocks,
/// no flushing, like a power cut for the process (the OS page cache survives).
/// </summary>
internal sealed class ChildCli : IDisposable
{
    public static string Dll => Path.Combine(AppContext.BaseDirectory, "trove.dll");

    private static string Host =>
        Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host : "dotnet";

    private readonly Process _process;
    private readonly ConcurrentQueue<string> _lines = new();
    private readonly string _command;

    private ChildCli(string workDir, string[] args, IReadOnlyDictionary<string, string>? environment = null)
    {
        if (!File.Exists(Dll)) throw new InvalidOperationException($"{Dll} is missing: build the test project (it references Trove.Cli).");
        var psi = new ProcessStartInfo(Host)
        {
            WorkingDirectory = workDir,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add(Dll);
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        foreach (var (name, value) in environment ?? new Dictionary<string, string>()) psi.Environment[name] = value;
        _command = "trove " + string.Join(' ', args);
        _process = new Process { StartInfo = psi };
        _process.OutputDataReceived += (_, e) => { if (e.Data is not null) _lines.Enqueue(e.Data); };
        _process.ErrorDataReceived += (_, e) => { if (e.Data is not null) _lines.Enqueue(e.Data); };
        _process.Start();
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public static ChildCli Start(string workDir, params string[] args) => new(workDir, args);

    /// <summary>Like <see cref="Start"/> with extra environment variables for the child.</summary>
    public static ChildCli StartWith(IReadOnlyDictionary<string, string> environment, string workDir, params string[] args) => new(workDir, args, environment);

    /// <summary>Like <see cref="Run(string, string[])"/> with extra environment variables for the child.</summary>
    public static (int Code, string Output) RunWith(IReadOnlyDictionary<string, string> environment, string workDir, params string[] args)
    {
        using var child = new ChildCli(workDir, args, environment);
        return (child.WaitForExit(TimeSpan.FromMinutes(3)), child.Output);
    }

    /// <summary>Runs to completion and returns the exit code and the output (stdout and stderr interleaved).</summary>
    public static (int Code, string Output) Run(string workDir, params string[] args)
    {
        using var child = Start(workDir, args);
        return (child.WaitForExit(TimeSpan.FromMinutes(3)), child.Output);
    }

    /// <summary>
    /// Starts the command, waits until <paramref name="ready"/> holds (when given), sleeps
    /// <paramref name="delayMs"/> and kills it. Returns true when it was still running at the kill.
    /// </summary>
    public static bool RunAndKill(string workDir, int delayMs, string[] args, Func<bool>? ready = null)
    {
        using var child = Start(workDir, args);
        if (ready is not null)
        {
            var clock = Stopwatch.StartNew();
            while (!ready() && !child.HasExited)
            {
                if (clock.Elapsed > TimeSpan.FromMinutes(2)) throw new TimeoutException($"{child._command}: not ready after 2 minutes:\n{child.Output}");
                Thread.Sleep(5);
            }
        }
        if (delayMs > 0) child._process.WaitForExit(delayMs);
        return child.Kill();
    }

    public bool HasExited => _process.HasExited;
    public string Output => string.Join('\n', _lines);
    public IEnumerable<string> Lines => _lines;

    /// <summary>SIGKILL; true when the process was still running.</summary>
    public bool Kill()
    {
        bool running = !_process.HasExited;
        if (running)
        {
            try { _process.Kill(); } catch (InvalidOperationException) { running = false; } // exited in between
        }
        _process.WaitForExit();
        return running;
    }

    public int WaitForExit(TimeSpan timeout)
    {
        if (!_process.WaitForExit(timeout))
        {
            Kill();
            throw new TimeoutException($"{_command} did not finish in {timeout}:\n{Output}");
        }
        _process.WaitForExit(); // drains the output
        return _process.ExitCode;
    }

    public void Dispose()
    {
        if (!_process.HasExited) Kill();
        _process.Dispose();
    }
}
