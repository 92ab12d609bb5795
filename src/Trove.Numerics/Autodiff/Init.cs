namespace Trove.Numerics.Autodiff;

/// <summary>Seeded weight initialisation.</summary>
public static class Init
{
    /// <summary>Normal(0, std) values (Box-Muller).</summary>
    public static void Normal(Span<float> w, float std, Random rng)
    {
        for (int i = 0; i < w.Length; i++) w[i] = std * Gaussian(rng);
    }

    public static void Uniform(Span<float> w, float limit, Random rng)
    {
        for (int i = 0; i < w.Length; i++) w[i] = (2 * rng.NextSingle() - 1) * limit;
    }

    /// <summary>Glorot/Xavier uniform for a fanIn x fanOut weight: U(-a, a), a = sqrt(6 / (fanIn + fanOut)).</summary>
    public static void XavierUniform(Parameter p, Random rng) => Uniform(p.Value, MathF.Sqrt(6f / (p.Rows + p.Cols)), rng);

    /// <summary>He/Kaiming normal for ReLU layers: N(0, 2 / fanIn), fanIn = rows of the (in x out) weight.</summary>
    public static void HeNormal(Parameter p, Random rng) => Normal(p.Value, MathF.Sqrt(2f / p.Rows), rng);

    public static void Constant(Parameter p, float value) => Array.Fill(p.Value, value);

    public static float Gaussian(Random rng)
    {
        double u1 = 1.0 - rng.NextDouble(), u2 = rng.NextDouble();
        return (float)(Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2));
    }
}

/// <summary>
/// Deterministic seed derivation (SplitMix64 steps). Unlike <see cref="HashCode.Combine{T1,T2}"/>,
/// whose output changes from process to process, the same inputs always give the same seed.
/// </summary>
public static class SeedMix
{
    public static int Of(params ReadOnlySpan<int> parts)
    {
        ulong h = 0x9E3779B97F4A7C15UL;
        foreach (int p in parts)
        {
            h ^= (uint)p;
            h += 0x9E3779B97F4A7C15UL;
            h = (h ^ (h >> 30)) * 0xBF58476D1CE4E5B9UL;
            h = (h ^ (h >> 27)) * 0x94D049BB133111EBUL;
            h ^= h >> 31;
        }
        return (int)(h & 0x7FFFFFFF);
    }
}
