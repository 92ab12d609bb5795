using Trove.Models.Features;

namespace Trove.Onnx;

/// <summary>
/// Adds the "onnx" encoder to a <see cref="FeatureEncoderRegistry"/> (and makes it the default for the
/// "image" feature group). Call once at startup, before training or loading a model that uses it; the
/// <c>trove</c> command does. Without it, configs and model files that name "onnx" are refused with a
/// message that points here.
/// </summary>
public static class OnnxEncoders
{
    /// <summary>Registers the encoder in <paramref name="registry"/> (default: <see cref="FeatureEncoderRegistry.Default"/>). Calling it again is harmless.</summary>
    public static FeatureEncoderRegistry Register(FeatureEncoderRegistry? registry = null) =>
        (registry ?? FeatureEncoderRegistry.Default)
            .Register(OnnxEncoder.Name, "bring-your-own ONNX model for text, images or numeric vectors", s => new OnnxEncoder(s), "image");
}
