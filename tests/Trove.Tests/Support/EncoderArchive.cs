using Trove.Core.Persistence;
using Trove.Models.Features;

namespace Trove.Tests.Support;

/// <summary>Encoders saved into an in-memory model archive and loaded back, as a model file carries them.</summary>
public static class EncoderArchive
{
    /// <summary>Saves <paramref name="encoder"/> and loads it into <paramref name="fresh"/>'s new instance.</summary>
    public static T RoundTrip<T>(T encoder, Func<T> fresh) where T : IFeatureEncoder
    {
        using var ms = new MemoryStream();
        using (var w = new ModelArchiveWriter(ms)) encoder.Save(w.Scoped("e"));
        ms.Position = 0;
        using var r = new ModelArchiveReader(ms, "mem");
        var loaded = fresh();
        loaded.Load(r.Scoped("e"));
        return loaded;
    }
}
