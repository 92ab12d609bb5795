using System.Buffers;
using System.IO.Pipelines;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Trove.Server.Http;

/// <summary>
/// Gives Kestrel's own refusals a problem-details body. Kestrel answers a request it cannot parse (a malformed request
/// line or header, a request line or header block over its limits, a header timeout) before any middleware runs, with a
/// bare <c>400</c>/<c>414</c>/<c>431</c>/... and <c>Content-Length: 0</c>, and then closes the connection. A connection
/// middleware sees the bytes Kestrel writes: the first bytes after each flush are held back (not advanced) until they are
/// recognisably not such an answer (one look at the status line, then everything passes straight through), and an answer of exactly
/// that form (a rejection status, <c>Content-Length: 0</c>, <c>Connection: close</c>, headers only) is sent with an
/// <c>application/problem+json</c> body and the API's security headers instead.
/// </summary>
/// <remarks>
/// `trove serve` adds it to every endpoint. A host that maps Trove with <c>MapTrove</c> owns its server: add
/// <c>builder.WebHost.ConfigureKestrel(k =&gt; k.UseProblemDetailsForRejectedRequests())</c>, or call
/// <see cref="UseProblemDetailsForRejectedRequests(ListenOptions)"/> on chosen endpoints.
/// </remarks>
public static class KestrelProblemDetails
{
    /// <summary>Adds the rewriting to every endpoint of the server (those from URLs and configuration too).</summary>
    public static KestrelServerOptions UseProblemDetailsForRejectedRequests(this KestrelServerOptions kestrel)
    {
        kestrel.ConfigureEndpointDefaults(listen => listen.UseProblemDetailsForRejectedRequests());
        return kestrel;
    }

    /// <summary>Adds the rewriting to one endpoint; place it after <c>UseHttps</c>, so it sees the plain HTTP bytes.</summary>
    public static ListenOptions UseProblemDetailsForRejectedRequests(this ListenOptions listen)
    {
        listen.Use(next => async connection =>
        {
            var transport = connection.Transport;
            connection.Transport = new Duplex(transport.Input, new RejectionRewriter(transport.Output));
            try { await next(connection); }
            finally { connection.Transport = transport; }
        });
        return listen;
    }

    private sealed record Duplex(PipeReader Input, PipeWriter Output) : IDuplexPipe;

    /// <summary>The statuses Kestrel answers a refused request with (RequestRejectionReason), and what each means to a client.</summary>
    private static readonly Dictionary<int, (string Type, string Title, string Detail)> Rejections = new()
    {
        [400] = ("https://tools.ietf.org/html/rfc9110#section-15.5.1", "Bad Request", "The server could not read the request: its request line or headers are malformed."),
        [405] = ("https://tools.ietf.org/html/rfc9110#section-15.5.6", "Method Not Allowed", "The server does not accept this method here."),
        [408] = ("https://tools.ietf.org/html/rfc9110#section-15.5.9", "Request Timeout", "The request headers did not arrive in time."),
        [411] = ("https://tools.ietf.org/html/rfc9110#section-15.5.12", "Length Required", "The request needs a Content-Length or chunked transfer encoding."),
        [413] = ("https://tools.ietf.org/html/rfc9110#section-15.5.14", "Content Too Large", "The request body is larger than the server accepts."),
        [414] = ("https://tools.ietf.org/html/rfc9110#section-15.5.15", "URI Too Long", "The request line is longer than the server accepts; send long lists in a POST body."),
        [431] = ("https://tools.ietf.org/html/rfc6585#section-5", "Request Header Fields Too Large", "The request headers are larger, or more, than the server accepts."),
        [505] = ("https://tools.ietf.org/html/rfc9110#section-15.6.6", "HTTP Version Not Supported", "The server speaks HTTP/1.1 (and HTTP/2); this request's version is not supported."),
    };

    /// <summary>Headers only, and small: Kestrel's refusal is ~100 bytes; anything longer is not one.</summary>
    private const int MaxHeld = 2048;

    /// <summary>
    /// A pass-through <see cref="PipeWriter"/> that hands out the transport's own memory and, for the first bytes written
    /// after each flush (at most <see cref="MaxHeld"/>), holds back only the <see cref="PipeWriter.Advance"/> until those
    /// bytes show whether they are Kestrel's bodiless refusal: normal answers are neither copied nor delayed.
    /// </summary>
    private sealed class RejectionRewriter(PipeWriter inner) : PipeWriter
    {
        /// <summary>The transport's memory handed out since the last flush; its first <see cref="_held"/> bytes are written but not yet advanced.</summary>
        private Memory<byte> _window;
        private bool _haveWindow;
        private int _held;
        private bool _passing;

        public override Memory<byte> GetMemory(int sizeHint = 0)
        {
            if (_passing) return inner.GetMemory(sizeHint);
            int need = _held + Math.Max(sizeHint, 1);
            if (need > MaxHeld)
            {
                Release();
                return inner.GetMemory(sizeHint);
            }
            var memory = inner.GetMemory(need);
            // The pipe may start a new segment for a larger request: the held bytes move along.
            if (_held > 0 && !Unsafe.AreSame(ref MemoryMarshal.GetReference(memory.Span), ref MemoryMarshal.GetReference(_window.Span)))
                _window.Span[.._held].CopyTo(memory.Span);
            _window = memory;
            _haveWindow = true;
            return memory[_held..];
        }

        public override Span<byte> GetSpan(int sizeHint = 0) => GetMemory(sizeHint).Span;

        public override void Advance(int bytes)
        {
            // Memory taken before the last flush (Kestrel keeps a chunk's memory across flushes) is the transport's: pass it on.
            if (_passing || !_haveWindow)
            {
                Release();
                inner.Advance(bytes);
                return;
            }
            _held += bytes;
            if (!MayBeRejection(_window.Span[.._held])) Release();
        }

        public override ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default)
        {
            Settle();
            return inner.FlushAsync(cancellationToken);
        }

        public override void CancelPendingFlush() => inner.CancelPendingFlush();

        public override void Complete(Exception? exception = null)
        {
            Settle();
            inner.Complete(exception);
        }

        public override ValueTask CompleteAsync(Exception? exception = null)
        {
            Settle();
            return inner.CompleteAsync(exception);
        }

        public override bool CanGetUnflushedBytes => inner.CanGetUnflushedBytes;

        public override long UnflushedBytes => inner.UnflushedBytes + _held;

        /// <summary>What was held goes out as written; the rest of this flush passes straight through.</summary>
        private void Release()
        {
            if (_held > 0) inner.Advance(_held);
            _held = 0;
            _haveWindow = false;
            _passing = true;
        }

        /// <summary>At a flush the held bytes are complete: replaced when they are a refusal, else advanced. The next write is watched again.</summary>
        private void Settle()
        {
            if (!_passing && _held > 0 && Rewrite(_window.Span[.._held]) is { } problem)
            {
                _held = 0;
                inner.Write(problem); // over the held bytes, which were never advanced
            }
            Release();
            _passing = false;
        }
    }

    private static ReadOnlySpan<byte> Http11 => "HTTP/1.1 "u8;

    /// <summary>Could these first bytes still become a refusal? (The status line of one, as far as it is written.)</summary>
    private static bool MayBeRejection(ReadOnlySpan<byte> start)
    {
        int n = Math.Min(start.Length, Http11.Length);
        if (!start[..n].SequenceEqual(Http11[..n])) return false;
        return start.Length == n || start[n] is (byte)'4' or (byte)'5';
    }

    /// <summary>The same answer with a problem-details body, or null when <paramref name="response"/> is not exactly Kestrel's refusal.</summary>
    internal static byte[]? Rewrite(ReadOnlySpan<byte> response)
    {
        if (!response.EndsWith("\r\n\r\n"u8) || !response.StartsWith(Http11) || response.Length < Http11.Length + 3) return null;
        if (!int.TryParse(response.Slice(Http11.Length, 3), System.Globalization.NumberStyles.None, null, out int status)
            || !Rejections.TryGetValue(status, out var rejection)) return null;
        var text = Encoding.ASCII.GetString(response[..^2]);
        var lines = text.Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        bool emptyBody = false, closes = false;
        var kept = new StringBuilder(lines[0]).Append("\r\n");
        foreach (var line in lines.AsSpan(1))
        {
            int colon = line.IndexOf(':');
            if (colon <= 0) return null;
            var name = line.AsSpan(0, colon);
            var value = line.AsSpan(colon + 1).Trim();
            if (name.Equals("Content-Length", StringComparison.OrdinalIgnoreCase)) { if (!value.SequenceEqual("0")) return null; emptyBody = true; continue; }
            if (name.Equals("Connection", StringComparison.OrdinalIgnoreCase)) closes = value.Equals("close", StringComparison.OrdinalIgnoreCase);
            // A body or a type of its own: an answer from the application, not a refusal.
            if (name.Equals("Content-Type", StringComparison.OrdinalIgnoreCase) || name.Equals("Transfer-Encoding", StringComparison.OrdinalIgnoreCase)) return null;
            kept.Append(line).Append("\r\n");
        }
        if (!emptyBody || !closes) return null;
        var body = JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, object>
        {
            ["type"] = rejection.Type, ["title"] = rejection.Title, ["status"] = status, ["detail"] = rejection.Detail,
        });
        kept.Append("Content-Type: application/problem+json\r\n")
            .Append("Content-Length: ").Append(body.Length).Append("\r\n")
            .Append("Content-Security-Policy: ").Append(Hardening.ApiPolicy).Append("\r\n")
            .Append("X-Content-Type-Options: nosniff\r\n")
            .Append("X-Frame-Options: DENY\r\n")
            .Append("Referrer-Policy: no-referrer\r\n")
            .Append("\r\n");
        return [.. Encoding.ASCII.GetBytes(kept.ToString()), .. body];
    }
}
