using Trove.Core.Errors;
using Trove.Tests.Support;

namespace Trove.Tests.Fuzz;

/// <summary>
/// A 10 MB line (no line break) in any file of any reader is refused with an error naming the file, and
/// reading it allocates a small multiple of its size: every reader has a record or line limit.
/// </summary>
[Trait("Category", "Fuzz")]
public class LargeInputTests
{
    [Theory]
    [MemberData(nameof(FuzzTargets.Names), MemberType = typeof(FuzzTargets))]
    public void A_10_MB_line_is_refused_without_blowing_up_memory(string name)
    {
        var target = FuzzTargets.Get(name);
        const int size = 10 << 20;
        foreach (var file in target.Seeds.Keys)
        {
            var dir = TestPaths.NewTempDirectory();
            var seed = target.Seeds[file];
            int firstLine = Array.IndexOf(seed, (byte)'\n') + 1;
            foreach (var (other, bytes) in target.Seeds) File.WriteAllBytes(Path.Combine(dir, other), other == file ? [.. seed[..firstLine], .. Enumerable.Repeat((byte)'7', size)] : bytes);
            long before = GC.GetAllocatedBytesForCurrentThread();
            var e = Assert.ThrowsAny<TroveException>(() => target.Read(dir));
            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            Assert.Contains(file, e.Message);
            Assert.True(allocated < 6L * size, $"{name}/{file}: reading a 10 MB line allocated {allocated / (1 << 20)} MB ({e.Message})");
            Directory.Delete(dir, true);
        }
    }
}
