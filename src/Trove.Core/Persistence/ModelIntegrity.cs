using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Trove.Core.Errors;

namespace Trove.Core.Persistence;

/// <summary>
/// Integrity of a model file. While a model is written, every entry's uncompressed bytes are hashed
/// (SHA-256); <c>manifest.json</c> is written last and lists each entry with its digest, plus
/// <c>checksum</c>: the SHA-256 of manifest.json itself with that value blanked. One checksum thus
/// covers every manifest field and, through the list, every byte of every entry; a missing, extra or
/// altered entry is named. On top, <see cref="SealingStream"/> seals the whole file (zip headers and
/// directory included). Loading verifies all of it before the model reads any array, so corrupted
/// input never reaches the deserialisers. (Zip's own CRC32 per entry catches random damage inside an
/// entry but not a missing entry, an entry or manifest taken from another file, or a truncation that
/// leaves a readable prefix.) This guards against damage, not tampering: there is no key.
/// </summary>
public static class ModelIntegrity
{
    public const string ManifestEntry = "manifest.json";
    private const string Prefix = "sha256:";
    private static readonly string Blank = Prefix + new string('0', 64);

    /// <summary>"sha256:" + lowercase hex.</summary>
    public static string Digest(ReadOnlySpan<byte> hash) => Prefix + Convert.ToHexStringLower(hash);

    public static TroveException Corrupted(string path, string problem, Exception? inner = null)
    {
        var message = $"model file {path} is corrupted: {problem.ReplaceLineEndings(" ")}";
        return inner is null ? new TroveException(message) : new TroveException(message, inner);
    }

    /// <summary>The bytes of manifest.json for <paramref name="manifest"/> with <paramref name="entries"/> and its checksum filled in.</summary>
    public static byte[] Seal(ModelManifest manifest, IReadOnlyDictionary<string, string> entries, out ModelManifest sealedManifest)
    {
        var draft = manifest with { Entries = new SortedDictionary<string, string>(entries.ToDictionary(), StringComparer.Ordinal), Checksum = Blank };
        var bytes = JsonSerializer.SerializeToUtf8Bytes(draft, ModelJson.Options);
        var checksum = Digest(SHA256.HashData(bytes));
        var at = bytes.AsSpan().IndexOf(Encoding.ASCII.GetBytes(Blank));
        Encoding.ASCII.GetBytes(checksum).CopyTo(bytes.AsSpan(at));
        sealedManifest = draft with { Checksum = checksum };
        return bytes;
    }

    /// <summary>
    /// Reads and checks manifest.json and every entry of <paramref name="zip"/>; returns the manifest.
    /// Throws "model file X is corrupted: ..." for anything that does not match. Files written before
    /// checksums (format version 1) have none; only the zip's CRC32 checks them.
    /// </summary>
    public static ModelManifest Verify(ZipArchive zip, Stream file, string path)
    {
        try
        {
            var manifestEntry = zip.GetEntry(ManifestEntry) ?? throw Corrupted(path, $"it has no {ManifestEntry}.");
            var bytes = ReadManifest(manifestEntry, path);
            ModelManifest manifest;
            try { manifest = JsonSerializer.Deserialize<ModelManifest>(bytes, ModelJson.Options) ?? throw Corrupted(path, $"{ManifestEntry} is empty."); }
            catch (JsonException e) { throw Corrupted(path, $"{ManifestEntry} is not valid JSON ({e.Message.Split(" Path:")[0]})", e); }
            if (manifest.Format != ModelManifest.FormatName) throw Corrupted(path, $"{ManifestEntry} does not describe a Trove model (format '{manifest.Format}').");
            if (manifest.Checksum is null)
            {
                if (manifest.FormatVersion <= 1) { ReadEveryEntry(zip, path); return manifest; }
                throw Corrupted(path, $"{ManifestEntry} has no checksum (format version {manifest.FormatVersion} always has one).");
            }
            if (manifest.Entries is null) throw Corrupted(path, $"{ManifestEntry} has a checksum but no list of entries.");
            var text = bytes.AsSpan();
            var expected = Encoding.ASCII.GetBytes(manifest.Checksum);
            int at = text.IndexOf(expected);
            if (at < 0 || manifest.Checksum.Length != Blank.Length) throw Corrupted(path, $"{ManifestEntry} has a malformed checksum '{manifest.Checksum}'.");
            var blanked = bytes.ToArray();
            Encoding.ASCII.GetBytes(Blank).CopyTo(blanked.AsSpan(at));
            var actual = Digest(SHA256.HashData(blanked));
            if (actual != manifest.Checksum) throw Corrupted(path, $"{ManifestEntry} does not match its checksum (recorded {manifest.Checksum}, actual {actual}).");

            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var entry in zip.Entries)
            {
                if (entry.FullName == ManifestEntry) continue;
                if (!seen.Add(entry.FullName)) throw Corrupted(path, $"entry {entry.FullName} appears twice.");
                if (!manifest.Entries.TryGetValue(entry.FullName, out var recorded)) throw Corrupted(path, $"entry {entry.FullName} is not listed in {ManifestEntry}.");
                var digest = HashEntry(entry, path);
                if (digest != recorded) throw Corrupted(path, $"entry {entry.FullName} does not match its checksum (recorded {recorded}, actual {digest}).");
            }
            foreach (var name in manifest.Entries.Keys)
                if (!seen.Contains(name)) throw Corrupted(path, $"entry {name} is missing.");
            if (!SealingStream.Verify(file, path)) throw Corrupted(path, "the SHA-256 seal at its end is missing (was the archive re-packed or truncated?).");
            return manifest;
        }
        catch (InvalidDataException e) { throw Corrupted(path, e.Message, e); }
    }

    /// <summary>Longest manifest.json accepted (it holds parameters and one digest per entry, a few KB).</summary>
    public const int MaxManifestBytes = 1 << 24;

    private static void ReadEveryEntry(ZipArchive zip, string path)
    {
        foreach (var entry in zip.Entries) HashEntry(entry, path);
    }

    private static byte[] ReadManifest(ZipArchiveEntry entry, string path)
    {
        if (entry.Length > MaxManifestBytes) throw Corrupted(path, $"{ManifestEntry} claims {entry.Length:N0} bytes.");
        var bytes = new byte[entry.Length];
        using var s = entry.Open();
        try { s.ReadExactly(bytes); }
        catch (EndOfStreamException) { throw Corrupted(path, $"entry {entry.FullName} is shorter than the {entry.Length:N0} bytes the zip directory records."); }
        if (s.ReadByte() >= 0) throw Corrupted(path, $"entry {entry.FullName} is longer than the {entry.Length:N0} bytes the zip directory records.");
        return bytes;
    }

    /// <summary>An entry's digest, streamed (nothing held in memory), refusing a size that disagrees with the zip directory.</summary>
    private static string HashEntry(ZipArchiveEntry entry, string path)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[1 << 16];
        long total = 0;
        using var s = entry.Open();
        int n;
        while ((n = s.Read(buffer)) > 0)
        {
            total += n;
            if (total > entry.Length) throw Corrupted(path, $"entry {entry.FullName} is longer than the {entry.Length:N0} bytes the zip directory records.");
            hash.AppendData(buffer.AsSpan(0, n));
        }
        if (total != entry.Length) throw Corrupted(path, $"entry {entry.FullName} is shorter than the {entry.Length:N0} bytes the zip directory records.");
        return Digest(hash.GetHashAndReset());
    }
}

/// <summary>
/// The whole-file seal: the zip archive comment (the last bytes of the file) is "sha256:" and the hex
/// SHA-256 of every byte before it. The manifest's digests cover the content; the seal also covers the
/// zip's own bookkeeping (headers, dates, directory), so a flip of any byte anywhere is refused.
/// Writing goes through a forward-only stream (the zip then uses data descriptors instead of seeking back)
/// that hashes what passes, holding back the last 22 bytes: the end-of-central-directory record, whose
/// comment length is set before it is hashed and the comment appended.
/// </summary>
internal sealed class SealingStream(Stream inner) : HashingWriteStream(inner)
{
    public const int EndRecordBytes = 22;
    public static readonly int CommentBytes = ModelIntegrity.Digest(new byte[32]).Length;
    private readonly byte[] _tail = new byte[EndRecordBytes];
    private int _tailCount;

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        // Keep the last 22 bytes seen in _tail; everything older is hashed and passed on.
        int total = _tailCount + buffer.Length;
        int release = Math.Max(0, total - EndRecordBytes);
        int fromTail = Math.Min(release, _tailCount);
        if (fromTail > 0)
        {
            Pass(_tail.AsSpan(0, fromTail));
            _tail.AsSpan(fromTail, _tailCount - fromTail).CopyTo(_tail);
            _tailCount -= fromTail;
        }
        int fromBuffer = release - fromTail;
        if (fromBuffer > 0) Pass(buffer[..fromBuffer]);
        buffer[fromBuffer..].CopyTo(_tail.AsSpan(_tailCount));
        _tailCount += buffer.Length - fromBuffer;
    }

    private void Pass(ReadOnlySpan<byte> bytes) { Hash.AppendData(bytes); Inner.Write(bytes); }

    /// <summary>After the zip is closed: sets the comment length in the end record and appends the seal.</summary>
    public void Seal()
    {
        if (_tailCount != EndRecordBytes || BitConverter.ToUInt32(_tail) != 0x06054b50)
            throw new InvalidOperationException("The zip archive did not end with its end-of-central-directory record.");
        BitConverter.TryWriteBytes(_tail.AsSpan(20), (ushort)CommentBytes);
        Hash.AppendData(_tail);
        Inner.Write(_tail);
        Inner.Write(Encoding.ASCII.GetBytes(ModelIntegrity.Digest(Hash.GetHashAndReset())));
    }

    /// <summary>Checks the seal of a model file; false when it has none (written before seals).</summary>
    public static bool Verify(Stream file, string path)
    {
        long length = file.Length;
        if (length < EndRecordBytes + CommentBytes) return false;
        var end = new byte[EndRecordBytes + CommentBytes];
        file.Position = length - end.Length;
        file.ReadExactly(end);
        if (BitConverter.ToUInt32(end) != 0x06054b50 || BitConverter.ToUInt16(end.AsSpan(20)) != CommentBytes) return false;
        var recorded = Encoding.ASCII.GetString(end, EndRecordBytes, CommentBytes);
        file.Position = 0;
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[1 << 16];
        for (long left = length - CommentBytes; left > 0;)
        {
            int n = file.Read(buffer, 0, (int)Math.Min(buffer.Length, left));
            if (n == 0) throw new EndOfStreamException();
            hash.AppendData(buffer.AsSpan(0, n));
            left -= n;
        }
        var actual = ModelIntegrity.Digest(hash.GetHashAndReset());
        if (actual != recorded) throw ModelIntegrity.Corrupted(path, $"its bytes do not match the SHA-256 sealed at its end (recorded {recorded}, actual {actual}).");
        file.Position = 0;
        return true;
    }

}

/// <summary>A write-only, forward-only stream that hashes (SHA-256) what it passes on to <see cref="Inner"/>.</summary>
internal abstract class HashingWriteStream(Stream inner) : Stream
{
    protected Stream Inner { get; } = inner;
    protected IncrementalHash Hash { get; } = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);

    protected override void Dispose(bool disposing)
    {
        if (disposing) Hash.Dispose();
        base.Dispose(disposing);
    }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));
    public override void WriteByte(byte value) => Write([value]);
    public override void Flush() => Inner.Flush();
    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
}

/// <summary>Hashes what is written to a zip entry and records the digest when the entry is closed.</summary>
internal sealed class DigestingStream(Stream inner, string name, IDictionary<string, string> digests) : HashingWriteStream(inner)
{
    public override void Write(ReadOnlySpan<byte> buffer) { Hash.AppendData(buffer); Inner.Write(buffer); }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            digests[name] = ModelIntegrity.Digest(Hash.GetHashAndReset());
            Inner.Dispose();
        }
        base.Dispose(disposing);
    }
}
