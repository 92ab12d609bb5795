namespace Trove.Numerics.Native;

/// <summary>
/// A native math library (OpenBLAS or LAPACKE) could not be loaded. Trove.Numerics cannot reference
/// Trove.Core, so this is its own exception type; the models rethrow it as a TroveException with the
/// same message, which the CLI prints on one line.
/// </summary>
public sealed class NativeLibraryMissingException : Exception
{
    public string Library { get; }
    public string DebianPackages { get; }

    public NativeLibraryMissingException(string library, string debianPackages, Exception? inner = null)
        : base(Format(library, debianPackages), inner)
    {
        Library = library;
        DebianPackages = debianPackages;
    }

    internal static string Format(string library, string packages) =>
        $"The native math library '{library}' could not be loaded; Trove needs it for dense linear algebra. " +
        $"Install it with: apt-get install {packages} (Debian/Ubuntu).";
}

/// <summary>A LAPACK routine reported failure (for example a matrix that is not positive definite).</summary>
public sealed class LinearAlgebraException(string message) : Exception(message);
