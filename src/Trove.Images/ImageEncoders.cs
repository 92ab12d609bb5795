using Trove.Models.Features;

namespace Trove.Images;

/// <summary>
/// Adds the pretrained image encoder of this package ("resnet18") to a <see cref="FeatureEncoderRegistry"/> and makes
/// it the default for the "image" feature group. Call once at startup, before training or loading a model that uses
/// it; the <c>trove</c> command does. Without it, configs and model files that name "resnet18" are refused with a
/// message that points here.
/// </summary>
public static class ImageEncoders
{
    /// <summary>Registers the encoder in <paramref name="registry"/> (default: <see cref="FeatureEncoderRegistry.Default"/>). Calling it again is harmless.</summary>
    public static FeatureEncoderRegistry Register(FeatureEncoderRegistry? registry = null) =>
        (registry ?? FeatureEncoderRegistry.Default)
            .Register(ResNet18Encoder.Name, "images (JPEG/PNG/WebP/BMP files) as ImageNet ResNet-18 pooled features (pretrained, 512-d, offline)", s => new ResNet18Encoder(s), "image");
}
