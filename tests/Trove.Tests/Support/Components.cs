using System.Runtime.CompilerServices;

namespace Trove.Tests.Support;

/// <summary>
/// The tests see Trove as the trove command composes it: the "onnx" encoder (Trove.Onnx) and the
/// training-curves drawer (Trove.Reports) are registered before any test runs, also for tests that
/// call the models directly.
/// </summary>
internal static class Components
{
    [ModuleInitializer]
    internal static void Register() => Trove.Cli.Program.RegisterComponents();
}
