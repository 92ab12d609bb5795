using Trove.Numerics.Native;

namespace Trove.Numerics.Dense;

/// <summary>Where <see cref="Blas"/> and <see cref="Lapack"/> do their arithmetic.</summary>
public enum DenseBackend
{
    /// <summary>Trove's own SIMD kernels: always available, on every OS and CPU.</summary>
    Managed,

    /// <summary>OpenBLAS (and LAPACKE for the Cholesky routines), when the libraries can be loaded.</summary>
    OpenBlas,
}

/// <summary>
/// Chooses the dense backend once per process: the environment variable <c>TROVE_BLAS</c> is
/// <c>auto</c> (default: OpenBLAS when it loads, else managed), <c>managed</c> or <c>native</c>
/// (OpenBLAS or a one-line error). The two backends agree to float tolerance, so the choice changes speed,
/// never results beyond rounding. <see cref="Use"/> overrides the choice for the current async flow.
/// </summary>
public static class MathBackend
{
    /// <summary>The environment variable that forces a backend.</summary>
    public const string EnvironmentVariable = "TROVE_BLAS";

    private static readonly Lazy<DenseBackend> ProcessDefault = new(Choose);
    private static readonly AsyncLocal<DenseBackend?> Override = new();

    /// <summary>
    /// The backend used by the current call. Throws <see cref="NativeLibraryMissingException"/> when
    /// TROVE_BLAS=native and OpenBLAS cannot be loaded, and <see cref="ArgumentException"/> for an unknown value.
    /// </summary>
    public static DenseBackend Current => Override.Value ?? ProcessDefault.Value;

    /// <summary>True when the current backend is OpenBLAS (for callers that pick between a BLAS call and a hand-written kernel).</summary>
    public static bool IsNative => Current == DenseBackend.OpenBlas;

    /// <summary>
    /// Runs the current async flow (and the tasks it starts) on <paramref name="backend"/> until the result is
    /// disposed: for tests that compare backends, and hosts that pin one. OpenBLAS must be loadable.
    /// </summary>
    public static IDisposable Use(DenseBackend backend)
    {
        if (backend == DenseBackend.OpenBlas) NativeLibraries.EnsureBlas();
        var previous = Override.Value;
        Override.Value = backend;
        return new Restore(previous);
    }

    /// <summary>Validates TROVE_BLAS and returns the backend, for a CLI that wants the error before any work starts.</summary>
    public static DenseBackend Validate() => Current;

    /// <summary>One line for <c>trove --version</c>: the backend in use, with the library or the SIMD width and threads.</summary>
    public static string Describe()
    {
        if (Current == DenseBackend.OpenBlas)
        {
            string lapack = NativeLibraries.LapackAvailable ? NativeLibraries.LapackLocation ?? "LAPACKE" : "managed Cholesky (no LAPACKE)";
            return $"OpenBLAS ({NativeLibraries.BlasConfiguration ?? NativeLibraries.BlasLocation}; {Blas.Threads} threads), LAPACK: {lapack}";
        }
        string why = Environment.GetEnvironmentVariable(EnvironmentVariable) is { Length: > 0 } forced && !forced.Equals("auto", StringComparison.OrdinalIgnoreCase)
            ? $"{EnvironmentVariable}={forced}" : "OpenBLAS not found";
        return $"managed ({ManagedGemm.KernelName}, {ManagedBlas.Threads} threads; {why})";
    }

    private static DenseBackend Choose()
    {
        string value = (Environment.GetEnvironmentVariable(EnvironmentVariable) ?? "").Trim();
        switch (value.ToLowerInvariant())
        {
            case "" or "auto": return NativeLibraries.BlasAvailable ? DenseBackend.OpenBlas : DenseBackend.Managed;
            case "managed": return DenseBackend.Managed;
            case "native" or "openblas":
                if (!NativeLibraries.BlasAvailable)
                    throw new NativeLibraryMissingException(NativeLibraries.OpenBlas, NativeLibraries.DebianPackages,
                        $"{EnvironmentVariable}=native, but OpenBLAS could not be loaded (tried {string.Join(", ", NativeLibraries.Candidates(NativeLibraries.OpenBlas))}). " +
                        $"Install it ({NativeLibraries.InstallHint}) or set {EnvironmentVariable}=auto.");
                return DenseBackend.OpenBlas;
            default:
                throw new ArgumentException($"{EnvironmentVariable} must be auto, managed or native, not '{value}'.");
        }
    }

    private sealed class Restore(DenseBackend? previous) : IDisposable
    {
        public void Dispose() => Override.Value = previous;
    }
}
