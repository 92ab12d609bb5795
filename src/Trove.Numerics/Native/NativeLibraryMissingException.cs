namespace Trove.Numerics.Native;

/// <summary>
/// A native math library (OpenBLAS or LAPACKE) could not be loaded although it was required (TROVE_BLAS=native,
/// or a caller that asked for it by name). Trove.Numerics cannot reference Trove.Core, so this is its own
/// exception type; callers rethrow it as a TroveException with the same message, which the CLI prints on one line.
/// </summary>
public sealed class NativeLibraryMissingException : Exception
{
    /// <summary>The logical or file name of the library.</summary>
    public string Library { get; }

    /// <summary>The Debian packages that provide it.</summary>
    public string DebianPackages { get; }

    /// <summary>Creates the exception with the standard message (library name, candidates tried, how to install).</summary>
    public NativeLibraryMissingException(string library, string debianPackages, Exception? inner = null)
        : this(library, debianPackages, Format(library), inner) { }

    /// <summary>Creates the exception with a message of the caller's.</summary>
    public NativeLibraryMissingException(string library, string debianPackages, string message, Exception? inner = null)
        : base(message, inner)
    {
        Library = library;
        DebianPackages = debianPackages;
    }

    internal static string Format(string library) =>
        $"The native math library '{library}' could not be loaded (tried {string.Join(", ", NativeLibraries.Candidates(library))}). " +
        $"Install it ({NativeLibraries.InstallHint}), or set {Dense.MathBackend.EnvironmentVariable}=managed to use Trove's managed kernels.";
}

/// <summary>A LAPACK routine reported failure (for example a matrix that is not positive definite).</summary>
public sealed class LinearAlgebraException(string message) : Exception(message);
