using System.Diagnostics;
using Trove.Core.Training;

namespace Trove.Cli.Infrastructure;

/// <summary>
/// Progress on the console: a redrawn bar on a terminal, and plain periodic lines (at most one
/// every few seconds, plus the final one) when output is redirected to a file or a pipe.
/// Progress goes to stderr so stdout stays clean for results.
/// </summary>
public sealed class ConsoleProgress : IProgressReporter
{
    private readonly TextWriter _out;
    private readonly bool _interactive;
    private readonly TimeSpan _lineInterval;

    public ConsoleProgress(TextWriter? output = null, bool? interactive = null, TimeSpan? lineInterval = null)
    {
        _out = output ?? Console.Error;
        _interactive = interactive ?? !Console.IsErrorRedirected;
        _lineInterval = lineInterval ?? TimeSpan.FromSeconds(5);
    }

    public IProgressTask Start(string description, long total) => new Task(this, description, total);
    public void Info(string message)
    {
        _out.WriteLine(message);
        _lastInfo = message;
    }

    // The last line logged: a status that repeats it (a neural epoch's line is both) is not printed again on a plain line.
    private volatile string? _lastInfo;

    private sealed class Task(ConsoleProgress owner, string description, long total) : IProgressTask
    {
        private readonly Stopwatch _clock = Stopwatch.StartNew();
        private long _done;
        private string _status = "";
        private TimeSpan _lastDraw = TimeSpan.FromDays(-1); // MinValue overflowed in "now - _lastDraw"
        private readonly object _lock = new();
        private bool _disposed;

        public void Advance(long amount = 1)
        {
            Interlocked.Add(ref _done, amount);
            MaybeDraw(false);
        }

        public void Status(string status) { _status = status; MaybeDraw(false); }

        private void MaybeDraw(bool final)
        {
            var now = _clock.Elapsed;
            var interval = owner._interactive ? TimeSpan.FromMilliseconds(100) : owner._lineInterval;
            if (!final && now - _lastDraw < interval) return;
            lock (_lock)
            {
                if (!final && now - _lastDraw < interval) return;
                _lastDraw = now;
                long done = Math.Min(Interlocked.Read(ref _done), total > 0 ? total : long.MaxValue);
                double fraction = total > 0 ? (double)done / total : 0;
                string counts = total > 0 ? $"{done:N0}/{total:N0}" : $"{done:N0}";
                string status = _status.Length > 0 && (owner._interactive || owner._lastInfo?.EndsWith(_status, StringComparison.Ordinal) != true) ? "  " + _status : "";
                if (owner._interactive)
                {
                    const int width = 30;
                    int filled = (int)Math.Round(fraction * width);
                    var bar = new string('#', filled) + new string('-', width - filled);
                    owner._out.Write($"\r{description} [{bar}] {fraction,4:P0} {counts} {now.TotalSeconds:F1}s{status}\u001b[K");
                    if (final) owner._out.WriteLine();
                }
                else
                {
                    owner._out.WriteLine($"{description}: {(total > 0 ? $"{fraction:P0} " : "")}{counts} in {now.TotalSeconds:F1}s{status}");
                }
            }
        }

        public void Dispose()
        {
            if (_disposed) return;
            _disposed = true;
            MaybeDraw(true);
        }
    }
}
