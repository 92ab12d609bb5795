using System.Numerics.Tensors;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.PixelFormats;
using Trove.Core.Data;
using Trove.Core.Errors;
using Trove.Core.Persistence;
using Trove.Images;
using Trove.Models.Features;
using Trove.Workflows;

namespace Trove.Tests.Content;

/// <summary>
/// The pretrained "resnet18" image encoder: the normalisation against a scalar reference and against ML.NET's own
/// preprocessing model, the same pixels in two lossless formats give the same vector, missing and unreadable files
/// are errors naming file and record (or zeros when asked), and relative paths follow the data file.
/// </summary>
public sealed class ResNet18EncoderTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("trove-resnet-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>A picture with structure (a disc on a gradient), so the network sees edges, colour and shape.</summary>
    private static Image<Rgb24> Picture(int width, int height, Rgb24 disc, int seed)
    {
        var random = new Random(seed);
        var image = new Image<Rgb24>(width, height);
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
            {
                bool inside = Math.Pow(x - width / 2.0, 2) + Math.Pow(y - height / 2.0, 2) < Math.Pow(Math.Min(width, height) / 3.0, 2);
                image[x, y] = inside ? disc : new Rgb24((byte)(255 * x / width), (byte)(255 * y / height), (byte)random.Next(100, 140));
            }
        return image;
    }

    private string Write(Image<Rgb24> image, string name)
    {
        var path = Path.Combine(_dir, name);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        switch (Path.GetExtension(name))
        {
            case ".png": image.SaveAsPng(path); break;
            case ".bmp": image.SaveAsBmp(path); break;
            case ".webp": image.SaveAsWebp(path, new SixLabors.ImageSharp.Formats.Webp.WebpEncoder { FileFormat = SixLabors.ImageSharp.Formats.Webp.WebpFileFormatType.Lossless }); break;
            default: image.SaveAsJpeg(path, new JpegEncoder { Quality = 95 }); break;
        }
        return path;
    }

    private static EncoderInput Input(params string?[] paths)
    {
        var t = new FeatureTable();
        t.Images["photo"] = paths;
        return new EncoderInput(t, new IdMap(Enumerable.Range(0, paths.Length).Select(i => $"i{i}")), "item");
    }

    private static float Cosine(ReadOnlySpan<float> a, ReadOnlySpan<float> b) => TensorPrimitives.CosineSimilarity(a, b);

    [Fact]
    public void The_normalisation_matches_a_scalar_reference_and_mlnets_preprocessing_model()
    {
        using var image = Picture(ResNetImage.Size, ResNetImage.Size, new Rgb24(200, 30, 60), seed: 1);
        var tensor = new float[ResNetImage.TensorLength];
        ResNetImage.Normalise(image, ResNetImage.MeanImage, tensor);

        // Scalar reference: planes B, G, R, each pixel minus the mean of its channel and position.
        var mean = ResNetImage.MeanImage.ToArray();
        const int plane = ResNetImage.Size * ResNetImage.Size;
        for (int y = 0; y < ResNetImage.Size; y++)
            for (int x = 0; x < ResNetImage.Size; x++)
            {
                var p = image[x, y];
                int at = y * ResNetImage.Size + x;
                Assert.Equal(p.B - mean[at], tensor[at]);
                Assert.Equal(p.G - mean[plane + at], tensor[plane + at]);
                Assert.Equal(p.R - mean[2 * plane + at], tensor[2 * plane + at]);
            }
        // The ImageNet means per channel, B G R (Caffe's 104, 117, 123).
        Assert.InRange(mean.AsSpan(0, plane).ToArray().Average(), 100, 108);
        Assert.InRange(mean.AsSpan(plane, plane).ToArray().Average(), 112, 120);
        Assert.InRange(mean.AsSpan(2 * plane, plane).ToArray().Average(), 119, 127);

        // Independent: ML.NET's ResNetPreprocess.onnx takes R, G, B planes (what ML.NET's ExtractPixels gives), swaps them to
        // B, G, R and subtracts the mean: on the same picture it gives the same tensor.
        var raw = new float[ResNetImage.TensorLength];
        for (int y = 0; y < ResNetImage.Size; y++)
            for (int x = 0; x < ResNetImage.Size; x++)
            {
                var p = image[x, y];
                int at = y * ResNetImage.Size + x;
                (raw[at], raw[plane + at], raw[2 * plane + at]) = (p.R, p.G, p.B);
            }
        using var session = new InferenceSession(ResNetImage.PreprocessModel());
        using var result = session.Run([NamedOnnxValue.CreateFromTensor(session.InputMetadata.Keys.Single(), new DenseTensor<float>(raw, [1, 3, ResNetImage.Size, ResNetImage.Size]))]);
        var expected = result.First().AsTensor<float>().ToArray();
        for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i], tensor[i], 3);
    }

    [Fact]
    public void Resnet18_is_created_by_name_and_the_same_pixels_give_the_same_features_in_any_lossless_format()
    {
        using var red = Picture(320, 240, new Rgb24(220, 20, 30), seed: 2);
        using var blue = Picture(320, 240, new Rgb24(20, 40, 230), seed: 3);
        var png = Write(red, "red.png");
        var bmp = Write(red, "red.bmp");
        var webp = Write(red, "red.webp");
        var jpeg = Write(red, "red.jpg");
        var other = Write(blue, "blue.png");
        var encoder = FeatureEncoderRegistry.Default.Create(new EncoderSpec { Encoder = "resnet18", Group = "image" });
        var input = Input(png, bmp, webp, jpeg, other, null);
        encoder.Fit(input);
        Assert.Equal(512, encoder.Dimensions);
        var v = encoder.EncodeAll(input);
        float[] Row(int r) => v.AsSpan(r * 512, 512).ToArray();

        Assert.All(Row(0), x => Assert.True(float.IsFinite(x) && x >= 0, $"pooled ReLU features are finite and non-negative, got {x}"));
        Assert.True(TensorPrimitives.Norm(Row(0)) > 1, "an image gives a non-trivial vector");
        Assert.Equal(Row(0), Row(1));                      // PNG and BMP: the same pixels, the same vector
        Assert.Equal(Row(0), Row(2));                      // lossless WebP too
        float jpegCosine = Cosine(Row(0), Row(3)), otherCosine = Cosine(Row(0), Row(4));
        Assert.True(jpegCosine > 0.97f, $"JPEG at quality 95 is nearly the same picture (cosine {jpegCosine})");
        Assert.True(jpegCosine > otherCosine + 0.01f, $"the same picture as JPEG ({jpegCosine}) is nearer than a different picture ({otherCosine})");
        Assert.All(Row(5), x => Assert.Equal(0f, x));      // no image value: zeros
    }

    [Fact]
    public void A_missing_or_unreadable_image_is_an_error_naming_the_file_and_the_record_unless_zeros_are_asked_for()
    {
        using var picture = Picture(64, 64, new Rgb24(10, 200, 10), seed: 4);
        var good = Write(picture, "good.png");
        var missing = Path.Combine(_dir, "nowhere.jpg");
        var broken = Path.Combine(_dir, "broken.jpg");
        File.WriteAllText(broken, "this is not a JPEG");
        var input = Input(good, missing, broken);

        var strict = new ResNet18Encoder(new EncoderSpec { Encoder = "resnet18", Group = "image" });
        strict.Fit(input);
        var e = Assert.Throws<TroveException>(() => strict.EncodeAll(input));
        Assert.Contains("item 'i1'", e.Message);
        Assert.Contains(missing, e.Message);
        Assert.Contains("on_missing", e.Message);
        Assert.DoesNotContain('\n', e.Message);
        e = Assert.Throws<TroveException>(() => strict.EncodeAll(Input(good, null, broken)));
        Assert.Contains("item 'i2'", e.Message);
        Assert.Contains(broken, e.Message);
        Assert.Contains("cannot be read as an image", e.Message);

        var lenient = new ResNet18Encoder(new EncoderSpec { Encoder = "resnet18", Group = "image", Options = System.Text.Json.JsonSerializer.SerializeToElement(new { on_missing = "zero" }) });
        lenient.Fit(input);
        var v = lenient.EncodeAll(input);
        Assert.True(TensorPrimitives.Norm(v.AsSpan(0, 512)) > 1);
        Assert.All(v.AsSpan(512, 1024).ToArray(), x => Assert.Equal(0f, x));

        var badOption = new ResNet18Encoder(new EncoderSpec { Encoder = "resnet18", Group = "image", Options = System.Text.Json.JsonSerializer.SerializeToElement(new { on_missing = "skip" }) });
        Assert.Contains("on_missing", Assert.Throws<TroveException>(() => badOption.Fit(input)).Message);
    }

    [Fact]
    public void A_loaded_encoder_gives_the_same_vectors_from_the_cache()
    {
        using var picture = Picture(100, 150, new Rgb24(120, 120, 0), seed: 5);
        var path = Write(picture, $"cached-{Guid.NewGuid():N}.png");
        var encoder = new ResNet18Encoder(new EncoderSpec { Encoder = "resnet18", Group = "image" });
        var input = Input(path, path);
        encoder.Fit(input);
        long before = ImageFeatures.Computed;
        var first = encoder.EncodeAll(input);
        Assert.Equal(first.AsSpan(0, 512).ToArray(), first.AsSpan(512, 512).ToArray());

        var loaded = Support.EncoderArchive.RoundTrip(encoder, () => new ResNet18Encoder(new EncoderSpec()));
        Assert.Equal(first, loaded.EncodeAll(input));
        Assert.True(ImageFeatures.Computed - before >= 1);
    }

    [Fact]
    public void A_config_trains_content_on_images_whose_paths_are_relative_to_the_data_file()
    {
        using (var red = Picture(200, 200, new Rgb24(230, 10, 10), seed: 6)) { Write(red, "data/img/red1.png"); Write(red, "data/img/red2.bmp"); }
        using (var blue = Picture(200, 200, new Rgb24(10, 10, 230), seed: 7)) Write(blue, "data/img/blue.png");
        var data = Path.Combine(_dir, "data", "data.json");
        File.WriteAllText(data, """
            {"item_data": [
               {"item_id": "red1", "image": {"photo": "img/red1.png"}},
               {"item_id": "red2", "image": {"photo": "img/red2.bmp"}},
               {"item_id": "blue", "image": {"photo": "img/blue.png"}}],
             "interactions": [
               {"user_id": "u1", "item_id": "red1", "interaction_type": "purchase"},
               {"user_id": "u2", "item_id": "blue", "interaction_type": "purchase"},
               {"user_id": "u2", "item_id": "red2", "interaction_type": "view"}]}
            """);
        var config = TrainingConfig.Parse("""{"model": "content", "features": {"item": [{"group": "image", "encoder": "resnet18"}]}}""");
        var report = ConfigTraining.Run(config, data, Path.Combine(_dir, "content.trove"));
        var similar = report.Model.Model.SimilarItems(report.Model.Items.IndexOf("red1"), 2);
        Assert.Equal("red2", report.Model.Items[similar[0].Index]);   // the same picture as BMP is the nearest item
        Assert.Equal(1f, similar[0].Score, 3);
    }

    [Fact]
    public void Without_registration_the_error_names_the_package()
    {
        var message = new FeatureEncoderRegistry().UnknownEncoder("resnet18");
        Assert.Contains("Trove.Images", message);
        Assert.Contains("ImageEncoders.Register()", message);
    }
}
