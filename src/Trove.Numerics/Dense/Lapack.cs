using Trove.Numerics.Native;

namespace Trove.Numerics.Dense;

/// <summary>
/// Thin binding to LAPACKE (<c>liblapacke.so.3</c>, backed by OpenBLAS's LAPACK): Cholesky factor,
/// solve and inverse of symmetric positive-definite matrices, row-major.
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
        NativeLibraries.EnsureLapack();
        int info;
        fixed (float* pa = a) info = LapackeImports.Spotrf(LapackeImports.RowMajor, Uplo(upper), n, pa, n);
        Check(info, "spotrf", n);
    }

    /// <summary>Solves A X = B given the Cholesky factor of A (spotrs); B is n x nrhs row-major, overwritten by X.</summary>
    public static void CholeskySolve(ReadOnlySpan<float> factor, int n, Span<float> b, int nrhs = 1, bool upper = true)
    {
        Blas.CheckMatrix(nameof(factor), factor.Length, n, n, n);
        Blas.CheckMatrix(nameof(b), b.Length, n, nrhs, nrhs);
        if (n == 0 || nrhs == 0) return;
        NativeLibraries.EnsureLapack();
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
        NativeLibraries.EnsureLapack();
        int info;
        fixed (float* pa = factor) info = LapackeImports.Spotri(LapackeImports.RowMajor, Uplo(upper), n, pa, n);
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

    private static byte Uplo(bool upper) => upper ? (byte)'U' : (byte)'L';

    private static void Check(int info, string routine, int n)
    {
        if (info == 0) return;
        if (info > 0)
            throw new LinearAlgebraException($"{routine}: the {n} x {n} matrix is not positive definite (leading minor {info} is not positive); increase the regularisation.");
        throw new LinearAlgebraException($"{routine}: argument {-info} had an illegal value.");
    }
}
