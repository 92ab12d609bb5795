using System.IO.Compression;
using System.Text;
using System.Text.Json.Nodes;
using Trove.Core.Errors;
using Trove.Core.Persistence;
using Trove.Models;
using Trove.Tests.Fuzz;
using Trove.Tests.Support;

namespace Trove.Tests.Core;

/// <summary>Model files carry SHA-256 checksums (manifest + whole-file seal); any damage is refused as "corrupted".</summary>
public class ModelIntegrityTests
{
    private static readonly byte[] Saved = FuzzTargets.SavedModel();

    private static string Write(byte[] bytes)
    {
        var path = Path.Combine(TestPaths.NewTempDirectory(), "model.trove");
        File.WriteAllBytes(path, bytes);
        return path;
    }

    private static string Refused(byte[] bytes)
    {
        var path = Write(bytes);
        var e = Assert.ThrowsAny<TroveException>(() => ModelFile.Load(path, BuiltInAlgorithms.Registry));
        Assert.StartsWith($"model file {path} is corrupted: ", e.Message);
        Assert.DoesNotContain('\n', e.Message);
        return e.Message;
    }

    /// <summary>The entries of the saved model, re-packed into a new zip after <paramref name="change"/> (null drops an entry).</summary>
    private static byte[] Repack(Func<string, byte[], byte[]?> change, params (string Name, byte[] Bytes)[] extra)
    {
        var output = new MemoryStream();
        using (var source = new ZipArchive(new MemoryStream(Saved), ZipArchiveMode.Read))
        using (var target = new ZipArchive(output, ZipArchiveMode.Create, leaveOpen: true))
        {
            foreach (var entry in source.Entries)
            {
                using var s = entry.Open();
                var content = new MemoryStream();
                s.CopyTo(content);
                if (change(entry.FullName, content.ToArray()) is not { } bytes) continue;
                using var w = target.CreateEntry(entry.FullName).Open();
                w.Write(bytes);
            }
            foreach (var (name, bytes) in extra)
            {
                using var w = target.CreateEntry(name).Open();
                w.Write(bytes);
            }
        }
        return output.ToArray();
    }

    private static byte[] EditManifest(byte[] manifest, Action<JsonObject> edit)
    {
        var json = JsonNode.Parse(manifest)!.AsObject();
        edit(json);
        return Encoding.UTF8.GetBytes(json.ToJsonString());
    }

    [Fact]
    public void Saving_records_a_checksum_per_entry_and_for_the_manifest_and_Describe_reports_it()
    {
        var path = Write(Saved);
        var manifest = ModelFile.Describe(path);
        Assert.Matches("^sha256:[0-9a-f]{64}$", manifest.Checksum);
        Assert.Equal(ModelManifest.CurrentFormatVersion, manifest.FormatVersion);
        using var zip = ZipFile.OpenRead(path);
        Assert.Equal(zip.Entries.Select(e => e.FullName).Where(n => n != "manifest.json").Order(StringComparer.Ordinal), manifest.Entries!.Keys);
        Assert.All(manifest.Entries.Values, d => Assert.Matches("^sha256:[0-9a-f]{64}$", d));
        Assert.Matches("sha256:[0-9a-f]{64}$", Encoding.ASCII.GetString(Saved[^71..])); // the whole-file seal
        Assert.Equal(manifest.Checksum, ModelFile.Load(path, BuiltInAlgorithms.Registry).Manifest.Checksum);
    }

    [Fact]
    public void A_bit_flip_anywhere_is_refused()
    {
        // Every byte of the file: entry data, zip headers and directory, manifest, seal.
        for (int at = 0; at < Saved.Length; at++)
        {
            var bytes = Saved.ToArray();
            bytes[at] ^= (byte)(1 << (at % 8));
            Refused(bytes);
        }
    }

    [Fact]
    public void Every_truncation_is_refused()
    {
        for (int length = 0; length < Saved.Length; length += 1 + length / 64) Refused(Saved[..length]);
        Refused(Saved[..^1]);
        Refused([.. Saved, 0]); // and an appended byte
    }

    [Fact]
    public void A_missing_entry_is_named()
    {
        Assert.Contains("entry items.json is missing", Refused(Repack((name, bytes) => name == "items.json" ? null : bytes)));
    }

    [Fact]
    public void An_extra_entry_is_named()
    {
        Assert.Contains("entry extra.npy is not listed in manifest.json", Refused(Repack((_, bytes) => bytes, ("extra.npy", [1, 2, 3]))));
    }

    [Fact]
    public void A_changed_entry_is_named()
    {
        var message = Refused(Repack((name, bytes) => name == "users.json" ? Encoding.UTF8.GetBytes("[\"mallory\", \"bob\", \"carol\"]") : bytes));
        Assert.Contains("entry users.json does not match its checksum", message);
    }

    [Fact]
    public void An_edited_manifest_is_refused()
    {
        var message = Refused(Repack((name, bytes) => name == "manifest.json" ? EditManifest(bytes, m => m["algorithm"] = "popularity") : bytes));
        Assert.Contains("manifest.json does not match its checksum", message);
    }

    [Fact]
    public void The_manifest_of_another_model_is_refused()
    {
        byte[] other;
        using (var zip = new ZipArchive(new MemoryStream(FuzzTargets.SavedModel("popularity")), ZipArchiveMode.Read))
        using (var s = zip.GetEntry("manifest.json")!.Open())
        {
            var m = new MemoryStream(); s.CopyTo(m); other = m.ToArray();
        }
        Refused(Repack((name, bytes) => name == "manifest.json" ? other : bytes));
    }

    [Fact]
    public void A_manifest_without_its_checksum_is_refused_and_the_same_content_repacked_without_the_seal_too()
    {
        Assert.Contains("has no checksum", Refused(Repack((name, bytes) => name == "manifest.json" ? EditManifest(bytes, m => m.Remove("checksum")) : bytes)));
        Assert.Contains("seal at its end is missing", Refused(Repack((_, bytes) => bytes)));
    }

    [Fact]
    public void A_file_written_before_checksums_still_loads()
    {
        var legacy = Repack((name, bytes) => name == "manifest.json" ? EditManifest(bytes, m => { m.Remove("checksum"); m.Remove("entries"); m["format_version"] = 1; }) : bytes);
        var path = Write(legacy);
        var loaded = ModelFile.Load(path, BuiltInAlgorithms.Registry);
        Assert.Null(loaded.Manifest.Checksum);
        Assert.Equal("itemknn", loaded.Manifest.Algorithm);

        // Without checksums, damage is caught where an entry is read.
        var damaged = Repack((name, bytes) => name == "manifest.json" ? EditManifest(bytes, m => { m.Remove("checksum"); m.Remove("entries"); m["format_version"] = 1; })
            : name == "users.json" ? "[\"alice\", "u8.ToArray() : bytes);
        Assert.Contains("entry users.json is not valid JSON", Refused(damaged));
    }
}
