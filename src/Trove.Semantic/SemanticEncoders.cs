using Trove.Models.Features;

namespace Trove.Semantic;

/// <summary>
/// Adds the pretrained encoders of this package ("minilm" for text) to a <see cref="FeatureEncoderRegistry"/>.
/// Call once at startup, before training, loading or searching a model that uses them; the <c>trove</c> command does.
/// Without it, configs and model files that name "minilm" are refused with a message that points here. TF-IDF
/// stays the default text encoder: "minilm" is chosen by name (it is about 100 times slower to encode).
/// </summary>
public static class SemanticEncoders
{
    /// <summary>Registers the encoders in <paramref name="registry"/> (default: <see cref="FeatureEncoderRegistry.Default"/>). Calling it again is harmless.</summary>
    public static FeatureEncoderRegistry Register(FeatureEncoderRegistry? registry = null) =>
        (registry ?? FeatureEncoderRegistry.Default)
            .Register(MiniLmEncoder.Name, "text as all-MiniLM-L6-v2 sentence embeddings (pretrained, 384-d, offline)", s => new MiniLmEncoder(s));
}
