using System.Runtime.InteropServices;

namespace Trove.Numerics.Native;

internal static unsafe partial class OpenBlasImports
{
    internal const int RowMajor = 101, NoTrans = 111, Trans = 112, Upper = 121, Lower = 122;

    [LibraryImport(NativeLibraries.OpenBlas, EntryPoint = "cblas_sgemm")]
    internal static partial void Sgemm(int order, int transA, int transB, int m, int n, int k, float alpha,
        float* a, int lda, float* b, int ldb, float beta, float* c, int ldc);

    [LibraryImport(NativeLibraries.OpenBlas, EntryPoint = "cblas_sgemv")]
    internal static partial void Sgemv(int order, int trans, int m, int n, float alpha, float* a, int lda,
        float* x, int incx, float beta, float* y, int incy);

    [LibraryImport(NativeLibraries.OpenBlas, EntryPoint = "cblas_ssyrk")]
    internal static partial void Ssyrk(int order, int uplo, int trans, int n, int k, float alpha,
        float* a, int lda, float beta, float* c, int ldc);

    [LibraryImport(NativeLibraries.OpenBlas, EntryPoint = "openblas_set_num_threads")]
    internal static partial void SetNumThreads(int threads);

    [LibraryImport(NativeLibraries.OpenBlas, EntryPoint = "openblas_get_num_threads")]
    internal static partial int GetNumThreads();

    [LibraryImport(NativeLibraries.OpenBlas, EntryPoint = "openblas_get_config")]
    private static partial nint GetConfig();

    /// <summary>OpenBLAS's build description ("OpenBLAS 0.3.21 DYNAMIC_ARCH ... Zen MAX_THREADS=64").</summary>
    internal static string? Configuration() => System.Runtime.InteropServices.Marshal.PtrToStringUTF8(GetConfig())?.Trim();
}

internal static unsafe partial class LapackeImports
{
    internal const int RowMajor = 101;

    [LibraryImport(NativeLibraries.Lapacke, EntryPoint = "LAPACKE_spotrf")]
    internal static partial int Spotrf(int layout, byte uplo, int n, float* a, int lda);

    [LibraryImport(NativeLibraries.Lapacke, EntryPoint = "LAPACKE_spotrs")]
    internal static partial int Spotrs(int layout, byte uplo, int n, int nrhs, float* a, int lda, float* b, int ldb);

    [LibraryImport(NativeLibraries.Lapacke, EntryPoint = "LAPACKE_spotri")]
    internal static partial int Spotri(int layout, byte uplo, int n, float* a, int lda);

    [LibraryImport(NativeLibraries.Lapacke, EntryPoint = "LAPACKE_dsyevd")]
    internal static partial int Dsyevd(int layout, byte jobz, byte uplo, int n, double* a, int lda, double* w);
}
