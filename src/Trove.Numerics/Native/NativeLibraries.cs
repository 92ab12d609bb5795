using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Trove.Numerics.Native;

/// <summary>
/// Finds OpenBLAS and LAPACKE on any OS. The imports name the libraries by the logical names
/// <see cref="OpenBlas"/> and <see cref="Lapacke"/>; a DllImport resolver maps them to the file names
/// each OS uses (Debian's versioned <c>libopenblas.so.0</c>, Homebrew's <c>libopenblas.dylib</c>,
/// <c>libopenblas.dll</c> on Windows), or to the path in <c>TROVE_OPENBLAS</c> / <c>TROVE_LAPACKE</c>.
/// Neither library is required: without them <see cref="Dense.MathBackend"/> picks the managed kernels.
/// </summary>
public static class NativeLibraries
{
    /// <summary>Logical name of the BLAS library in the imports.</summary>
    public const string OpenBlas = "openblas";

    /// <summary>Logical name of the LAPACKE library in the imports.</summary>
    public const string Lapacke = "lapacke";

    /// <summary>The Debian/Ubuntu packages that provide both libraries.</summary>
    public const string DebianPackages = "libopenblas0-pthread liblapacke";

    private static readonly Lazy<(nint Handle, string? Location)> Blas = new(() => Load(OpenBlas));
    private static readonly Lazy<(nint Handle, string? Location)> Lapack = new(() =>
    {
        var own = Load(Lapacke);
        if (own.Handle != 0) return own;
        // OpenBLAS builds for macOS (Homebrew) and Windows carry LAPACKE inside libopenblas itself.
        var blas = Blas.Value;
        return blas.Handle != 0 && NativeLibrary.TryGetExport(blas.Handle, "LAPACKE_spotrf", out _) ? blas : (0, null);
    });

    /// <summary>True when OpenBLAS loads.</summary>
    public static bool BlasAvailable => Blas.Value.Handle != 0;

    /// <summary>True when OpenBLAS and LAPACKE (its own library or inside OpenBLAS) load.</summary>
    public static bool LapackAvailable => BlasAvailable && Lapack.Value.Handle != 0;

    /// <summary>The file OpenBLAS was loaded from, or null.</summary>
    public static string? BlasLocation => Blas.Value.Location;

    /// <summary>The file LAPACKE was loaded from, or null.</summary>
    public static string? LapackLocation => Lapack.Value.Location;

    /// <summary>OpenBLAS's own description of its build (version, CPU target), or null.</summary>
    public static string? BlasConfiguration => BlasAvailable ? OpenBlasImports.Configuration() : null;

    /// <summary>How to install the libraries on this OS, for error messages.</summary>
    public static string InstallHint =>
        OperatingSystem.IsMacOS() ? "brew install openblas"
        : OperatingSystem.IsWindows() ? "put libopenblas.dll (from the OpenBLAS releases) on PATH"
        : $"apt-get install {DebianPackages} on Debian/Ubuntu";

    /// <summary>Throws the user-facing exception when OpenBLAS cannot be loaded.</summary>
    public static void EnsureBlas()
    {
        if (!BlasAvailable) throw new NativeLibraryMissingException(OpenBlas, DebianPackages);
    }

    /// <summary>Throws the user-facing exception when LAPACKE cannot be loaded.</summary>
    public static void EnsureLapack()
    {
        EnsureBlas();
        if (!LapackAvailable) throw new NativeLibraryMissingException(Lapacke, DebianPackages);
    }

    /// <summary>Throws the user-facing exception when <paramref name="library"/> cannot be loaded (testable with any name).</summary>
    public static void Ensure(string library, string debianPackages = DebianPackages)
    {
        if (Load(library).Handle == 0) throw new NativeLibraryMissingException(library, debianPackages);
    }

    /// <summary>The file names (or paths) tried for a logical library name on this OS, in order.</summary>
    public static IReadOnlyList<string> Candidates(string library)
    {
        var names = new List<string>();
        string? overridePath = Environment.GetEnvironmentVariable(library switch
        {
            OpenBlas => "TROVE_OPENBLAS",
            Lapacke => "TROVE_LAPACKE",
            _ => "TROVE_UNUSED_LIBRARY_PATH",
        });
        if (!string.IsNullOrWhiteSpace(overridePath)) names.Add(overridePath);
        if (library == OpenBlas)
        {
            if (OperatingSystem.IsWindows()) names.AddRange(["libopenblas.dll", "openblas.dll"]);
            else if (OperatingSystem.IsMacOS())
                names.AddRange(["libopenblas.dylib", "/opt/homebrew/opt/openblas/lib/libopenblas.dylib", "/usr/local/opt/openblas/lib/libopenblas.dylib"]);
            else names.AddRange(["libopenblas.so.0", "libopenblas.so"]);
        }
        else if (library == Lapacke)
        {
            if (OperatingSystem.IsWindows()) names.AddRange(["liblapacke.dll", "lapacke.dll"]);
            else if (OperatingSystem.IsMacOS())
                names.AddRange(["liblapacke.dylib", "/opt/homebrew/opt/lapack/lib/liblapacke.dylib", "/usr/local/opt/lapack/lib/liblapacke.dylib"]);
            else names.AddRange(["liblapacke.so.3", "liblapacke.so"]);
        }
        else names.Add(library);
        return names;
    }

    private static (nint Handle, string? Location) Load(string library)
    {
        foreach (var name in Candidates(library))
            if (NativeLibrary.TryLoad(name, typeof(NativeLibraries).Assembly, DllImportSearchPath.SafeDirectories | DllImportSearchPath.AssemblyDirectory, out var handle) && handle != 0)
                return (handle, name);
        return (0, null);
    }

    /// <summary>Routes the imports' logical names through <see cref="Load"/> before the runtime's own probing.</summary>
    [ModuleInitializer]
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Usage", "CA2255", Justification = "The resolver must be in place before any import of this assembly runs.")]
    internal static void InstallResolver() =>
        NativeLibrary.SetDllImportResolver(typeof(NativeLibraries).Assembly, static (name, _, _) => name switch
        {
            OpenBlas => Blas.Value.Handle,
            Lapacke => Lapack.Value.Handle,
            _ => 0,
        });
}
