using System.Runtime.InteropServices;

namespace Trove.Numerics.Native;

/// <summary>
/// Checks, once, that the native libraries load, so a missing package becomes a clear message
/// (<see cref="NativeLibraryMissingException"/>) instead of a DllNotFoundException deep in a model.
/// </summary>
public static class NativeLibraries
{
    public const string OpenBlas = "libopenblas.so.0";
    public const string Lapacke = "liblapacke.so.3";
    public const string DebianPackages = "libopenblas0-pthread liblapacke";

    private static readonly Lazy<bool> BlasLoads = new(() => CanLoad(OpenBlas));
    private static readonly Lazy<bool> LapackeLoads = new(() => CanLoad(Lapacke));

    public static bool BlasAvailable => BlasLoads.Value;
    public static bool LapackAvailable => LapackeLoads.Value;

    public static void EnsureBlas()
    {
        if (!BlasLoads.Value) throw new NativeLibraryMissingException(OpenBlas, DebianPackages);
    }

    public static void EnsureLapack()
    {
        EnsureBlas();
        if (!LapackeLoads.Value) throw new NativeLibraryMissingException(Lapacke, DebianPackages);
    }

    /// <summary>Throws the user-facing exception when <paramref name="library"/> cannot be loaded (testable with any name).</summary>
    public static void Ensure(string library, string debianPackages = DebianPackages)
    {
        if (!CanLoad(library)) throw new NativeLibraryMissingException(library, debianPackages);
    }

    private static bool CanLoad(string library)
    {
        if (!NativeLibrary.TryLoad(library, typeof(NativeLibraries).Assembly, null, out var handle)) return false;
        return handle != IntPtr.Zero;
    }
}
