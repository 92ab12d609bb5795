using Trove.Numerics.Native;

namespace Trove.Numerics.Dense;

/// <summary>
/// Cholesky factor, solve and inverse of symmetric positive-definite matrices, row-major: LAPACKE (backed by
/// OpenBLAS's LAPACK) on the native backend when it loads, else <see cref="ManagedLapack"/>.
/// </summary>
public static unsafe class Lapack
{
    /// <summary>
    /// Cholesky factorisation in place (spotrf). With <paramref name="upper"/> the upper triangle holds
    /// U with A = U^T U; otherwise the lower triangle holds L with A = L L^T. The other triangle is untouched.
    /// </summary>
    public static void CholeskyFactor(Span<float> a, int n, bool upper = true)
    {
        Blas.CheckMatrix(nameof(a), a.Length, n, n, n);
        if (n == 0) return;
        int info;
        if (UseNative) fixed (float* pa = a) info = LapackeImports.Spotrf(LapackeImports.RowMajor, Uplo(upper), n, pa, n);
        else info = OnUpperTriangle(a, n, upper, static (p, n) => ManagedLapack.FactorUpper(p, n, n));
        Check(info, "spotrf", n);
    }

    /// <summary>Solves A X = B given the Cholesky factor of A (spotrs); B is n x nrhs row-major, overwritten by X.</summary>
    public static void CholeskySolve(ReadOnlySpan<float> factor, int n, Span<float> b, int nrhs = 1, bool upper = true)
    {
        Blas.CheckMatrix(nameof(factor), factor.Length, n, n, n);
        Blas.CheckMatrix(nameof(b), b.Length, n, nrhs, nrhs);
        if (n == 0 || nrhs == 0) return;
        if (!UseNative)
        {
            // The factor is only read: a lower factor L is used as the upper factor L^T of a copy.
            var u = upper ? factor : TransposedLower(factor, n);
            fixed (float* pu = u) fixed (float* pb = b) ManagedLapack.SolveUpper(pu, n, n, pb, nrhs, nrhs);
            return;
        }
        int info;
        fixed (float* pa = factor) fixed (float* pb = b)
            info = LapackeImports.Spotrs(LapackeImports.RowMajor, Uplo(upper), n, nrhs, pa, n, pb, nrhs);
        Check(info, "spotrs", n);
    }

    /// <summary>Solves A X = B for symmetric positive-definite A (destroyed: holds the factor afterwards).</summary>
    public static void SolvePositiveDefinite(Span<float> a, int n, Span<float> b, int nrhs = 1)
    {
        CholeskyFactor(a, n, upper: true);
        CholeskySolve(a, n, b, nrhs, upper: true);
    }

    /// <summary>Inverse from a Cholesky factor (spotri), written into the same triangle only.</summary>
    public static void InverseFromFactor(Span<float> factor, int n, bool upper = true)
    {
        Blas.CheckMatrix(nameof(factor), factor.Length, n, n, n);
        if (n == 0) return;
        for (int i = 0; i < n; i++)
            if (factor[i * n + i] == 0f) throw new LinearAlgebraException($"spotri: the {n} x {n} factor is singular (diagonal entry {i + 1} is zero).");
        int info = 0;
        if (UseNative) fixed (float* pa = factor) info = LapackeImports.Spotri(LapackeImports.RowMajor, Uplo(upper), n, pa, n);
        else OnUpperTriangle(factor, n, upper, static (p, n) => { ManagedLapack.InverseFromUpper(p, n, n); return 0; });
        Check(info, "spotri", n);
    }

    /// <summary>
    /// In-place inverse of a symmetric positive-definite matrix (only its upper triangle is read):
    /// spotrf + spotri, then the result is mirrored so the whole matrix holds A^-1.
    /// </summary>
    public static void CholeskyInverse(Span<float> a, int n)
    {
        CholeskyFactor(a, n, upper: true);
        InverseFromFactor(a, n, upper: true);
        Symmetric.CopyUpperToLower(a, n);
    }

    /// <summary>
    /// Eigenvalues (ascending, into <paramref name="w"/>) and eigenvectors (columns of <paramref name="a"/>, row-major,
    /// overwritten) of a symmetric matrix by LAPACK's divide and conquer (dsyevd) on the native backend; false
    /// when LAPACKE is not in use (then <see cref="SymmetricEigen"/> runs its managed Jacobi).
    /// </summary>
    public static bool TrySymmetricEigen(Span<double> a, int n, Span<double> w)
    {
        if (!UseNative || n == 0) return false;
        if (a.Length < (long)n * n || w.Length < n) throw new ArgumentException($"dsyevd: needs {(long)n * n} + {n} doubles.");
        int info;
        fixed (double* pa = a) fixed (double* pw = w) info = LapackeImports.Dsyevd(LapackeImports.RowMajor, (byte)'V', (byte)'U', n, pa, n, pw);
        if (info > 0) throw new LinearAlgebraException($"dsyevd: the eigenvalues of the {n} x {n} matrix did not converge ({info} off-diagonal elements left).");
        if (info < 0) throw new LinearAlgebraException($"dsyevd: argument {-info} had an illegal value.");
        return true;
    }

    /// <summary>LAPACKE when the backend is native and it loads; OpenBLAS without LAPACKE still gets the managed Cholesky.</summary>
    private static bool UseNative => MathBackend.IsNative && NativeLibraries.LapackAvailable;

    private unsafe delegate int UpperRoutine(float* a, int n);

    /// <summary>
    /// Runs a managed routine written for the upper triangle. Row-major lower L (A = L L^T) is the upper factor
    /// U = L^T, so a lower triangle is transposed into a scratch copy, processed, and transposed back; the other
    /// triangle of <paramref name="a"/> is never touched, as in LAPACK.
    /// </summary>
    private static int OnUpperTriangle(Span<float> a, int n, bool upper, UpperRoutine routine)
    {
        if (upper) { fixed (float* p = a) return routine(p, n); }
        var u = TransposedLower(a, n);
        int info;
        fixed (float* p = u) info = routine(p, n);
        for (int i = 0; i < n; i++)
            for (int j = 0; j <= i; j++) a[i * n + j] = u[j * n + i];
        return info;
    }

    /// <summary>A copy whose upper triangle is the transpose of the lower triangle of <paramref name="a"/>.</summary>
    private static float[] TransposedLower(ReadOnlySpan<float> a, int n)
    {
        var u = new float[n * n];
        for (int i = 0; i < n; i++)
            for (int j = 0; j <= i; j++) u[j * n + i] = a[i * n + j];
        return u;
    }

    private static byte Uplo(bool upper) => upper ? (byte)'U' : (byte)'L';

    private static void Check(int info, string routine, int n)
    {
        if (info == 0) return;
        if (info > 0)
            throw new LinearAlgebraException($"{routine}: the {n} x {n} matrix is not positive definite (leading minor {info} is not positive); increase the regularisation.");
        throw new LinearAlgebraException($"{routine}: argument {-info} had an illegal value.");
    }
}
