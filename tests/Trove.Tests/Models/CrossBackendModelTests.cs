using Trove.Core.Persistence;
using Trove.Core.Training;
using Trove.Models;
using Trove.Numerics.Dense;
using Trove.Tests.Numerics;
using Trove.Tests.Support;

namespace Trove.Tests.Models;

/// <summary>
/// A model file does not depend on the machine's math library: trained on one dense backend, it loads and
/// recommends the same top-10 on the other (the backends differ only by float rounding).
/// </summary>
public class CrossBackendModelTests
{
    private static readonly Trove.Core.Data.Dataset Data = ToyData.Random(120, 80, 15, seed: 21);

    public static TheoryData<string, string> Models => new()
    {
        { "ease", "" },
        { "als", "iterations=4,factors=16" },
        { "ncf", "epochs=2,factors=8,layers=16;8,validation=false" },
        { "twotower", "epochs=2,dimensions=16,validation=false" },
    };

    [Theory]
    [MemberData(nameof(Models))]
    public void Trained_on_managed_recommends_the_same_top10_on_openblas_and_back(string algorithm, string overrides)
    {
        if (!NativeBlas.Required()) return;
        var parameters = overrides.Split(',', StringSplitOptions.RemoveEmptyEntries)
            .Select(p => p.Split('=')).ToDictionary(p => p[0], p => p[1].Replace(';', ','));
        foreach (var (train, serve) in new[] { (DenseBackend.Managed, DenseBackend.OpenBlas), (DenseBackend.OpenBlas, DenseBackend.Managed) })
        {
            var path = Path.Combine(TestPaths.NewTempDirectory(), algorithm + ".trove");
            List<int[]> expected;
            using (MathBackend.Use(train))
            {
                var model = BuiltInAlgorithms.Registry.Create(algorithm, parameters);
                model.Fit(Data, new FitContext { Seed = 5, Threads = 2 });
                ModelFile.Save(path, model, Data);
                expected = Enumerable.Range(0, 30).Select(u => model.Recommend(u, 10).Select(s => s.Index).ToArray()).ToList();
            }
            using (MathBackend.Use(serve))
            {
                var loaded = ModelFile.Load(path, BuiltInAlgorithms.Registry).Model;
                for (int u = 0; u < 30; u++)
                    Assert.Equal(expected[u], loaded.Recommend(u, 10).Select(s => s.Index).ToArray());
            }
        }
    }
}
