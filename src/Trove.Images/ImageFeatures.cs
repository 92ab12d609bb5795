using System.Collections.Concurrent;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Advanced;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;
using Trove.Core.Errors;

namespace Trove.Images;

/// <summary>
/// Turning an image into what ResNet-18 expects. The ONNX model ML.NET ships was converted from CNTK and trained
/// on ImageNet the Caffe way: 224 x 224 pixels, colour planes in B, G, R order, values 0..255 minus the ImageNet
/// mean image (a mean per pixel and channel, about 104, 117 and 123 on average), no division by a standard
/// deviation. ML.NET applies that with a second model, ResNetPreprocess.onnx (R, G, B planes in; B, G, R planes minus
/// the mean out); the mean image is read from it once (f(x) = swap(x) - mean, so f(0) = -mean) and applied here, so
/// the normalisation is plain code a test can check against a scalar reference and against that model.
/// </summary>
public static class ResNetImage
{
    /// <summary>Width and height of the network's input.</summary>
    public const int Size = 224;
    /// <summary>Values in one input tensor (3 x 224 x 224).</summary>
    public const int TensorLength = 3 * Size * Size;

    private static readonly Lazy<float[]> Mean = new(ReadMeanImage);

    /// <summary>The ImageNet mean image, [3, 224, 224] in B, G, R plane order, on the 0..255 scale.</summary>
    public static ReadOnlySpan<float> MeanImage => Mean.Value;

    /// <summary>Decodes an image file (JPEG, PNG, WebP, BMP, GIF, TGA...) into 8-bit RGB pixels.</summary>
    public static Image<Rgb24> Decode(string path) => Image.Load<Rgb24>(path);

    /// <summary>Scales the image so its shorter side is 224 (bicubic), then keeps the centred 224 x 224 square.</summary>
    public static void Fit(Image<Rgb24> image) =>
        image.Mutate(x => x.Resize(new ResizeOptions
        {
            Size = new SixLabors.ImageSharp.Size(Size, Size),
            Mode = ResizeMode.Crop,
            Position = AnchorPositionMode.Center,
            Sampler = KnownResamplers.Bicubic,
        }));

    /// <summary>
    /// Writes a 224 x 224 image as the network's input, planes B, G, R: tensor[c, y, x] = pixel(x, y).channel(c) - mean[c, y, x].
    /// </summary>
    public static void Normalise(Image<Rgb24> image, ReadOnlySpan<float> mean, Span<float> tensor)
    {
        if (image.Width != Size || image.Height != Size) throw new ArgumentException($"The image is {image.Width} x {image.Height}; Fit it to {Size} x {Size} first.", nameof(image));
        if (mean.Length != TensorLength || tensor.Length != TensorLength) throw new ArgumentException($"The mean and the tensor hold {TensorLength} values.");
        const int plane = Size * Size;
        for (int y = 0; y < Size; y++)
        {
            var row = image.DangerousGetPixelRowMemory(y).Span;
            for (int x = 0; x < Size; x++)
            {
                int at = y * Size + x;
                var p = row[x];
                tensor[at] = p.B - mean[at];
                tensor[plane + at] = p.G - mean[plane + at];
                tensor[2 * plane + at] = p.R - mean[2 * plane + at];
            }
        }
    }

    /// <summary>Decode, fit and normalise in one step.</summary>
    public static float[] Tensor(string path)
    {
        using var image = Decode(path);
        Fit(image);
        var tensor = new float[TensorLength];
        Normalise(image, MeanImage, tensor);
        return tensor;
    }

    /// <summary>ML.NET's preprocessing model (the mean subtraction), for reading the mean and for tests.</summary>
    internal static byte[] PreprocessModel() => ImageFeatures.Resource("Trove.Images.ResNetPreprocess.onnx");

    private static float[] ReadMeanImage()
    {
        using var session = new InferenceSession(PreprocessModel());
        var input = session.InputMetadata.Keys.Single();
        using var result = session.Run([NamedOnnxValue.CreateFromTensor(input, new DenseTensor<float>(new float[TensorLength], [1, 3, Size, Size]))]);
        var minusMean = result.First().AsTensor<float>().ToArray();
        if (minusMean.Length != TensorLength) throw new TroveException($"Encoder 'resnet18': the preprocessing model returned {minusMean.Length} values, expected {TensorLength}.");
        for (int i = 0; i < minusMean.Length; i++) minusMean[i] = -minusMean[i];
        return minusMean;
    }
}

/// <summary>
/// ResNet-18 features of image files, shared by every <see cref="ResNet18Encoder"/> of the process: a cache keyed by
/// the file (full path, size and modification time, so an edited image is encoded again) and a pool of ONNX sessions,
/// one per worker thread (the model takes one image per run).
/// </summary>
public static class ImageFeatures
{
    /// <summary>Length of the pooled feature vector.</summary>
    public const int Dimensions = 512;
    /// <summary>Images kept in the cache at most (2 KB each: 100k images are about 200 MB); beyond it features are computed but not kept.</summary>
    public const int MaxCachedImages = 100_000;

    private static readonly ConcurrentDictionary<(string Path, long Length, long Ticks), float[]> Cache = new();
    private static readonly ConcurrentBag<InferenceSession> Sessions = [];
    private static readonly Lazy<byte[]> Model = new(() => Resource("Trove.Images.ResNet18.onnx"));
    private static long _computed;

    /// <summary>Images run through the network since the process started (cache misses): lets tests see the cache work.</summary>
    public static long Computed => Interlocked.Read(ref _computed);

    /// <summary>
    /// The features of each image (null for one that is missing or unreadable when <paramref name="zeroWhenMissing"/>
    /// is set; otherwise such an image is an error naming the file and <c>Record</c>).
    /// </summary>
    public static float[]?[] Compute(IReadOnlyList<(string Path, string Record)> images, bool zeroWhenMissing, int threads = 0, CancellationToken cancellationToken = default)
    {
        var result = new float[]?[images.Count];
        var errors = new string?[images.Count];
        var keys = new (string, long, long)[images.Count];
        var todo = new List<int>();
        var firstOfKey = new Dictionary<(string, long, long), int>();
        for (int i = 0; i < images.Count; i++)
        {
            var file = new FileInfo(images[i].Path);
            if (images[i].Path.Contains("://", StringComparison.Ordinal)) { errors[i] = "is a URL; download the images and give their file paths (this encoder works offline)"; continue; }
            if (!file.Exists) { errors[i] = "does not exist"; continue; }
            keys[i] = (file.FullName, file.Length, file.LastWriteTimeUtc.Ticks);
            if (Cache.TryGetValue(keys[i], out var cached)) result[i] = cached;
            else if (firstOfKey.TryAdd(keys[i], i)) todo.Add(i);
        }
        int workers = Math.Clamp(threads <= 0 ? Environment.ProcessorCount : threads, 1, Math.Max(1, todo.Count));
        Parallel.For(0, todo.Count, new ParallelOptions { MaxDegreeOfParallelism = workers, CancellationToken = cancellationToken }, k =>
        {
            int i = todo[k];
            float[] tensor;
            try { tensor = ResNetImage.Tensor(images[i].Path); }
            catch (Exception e) when (e is ImageFormatException or NotSupportedException or IOException or UnauthorizedAccessException)
            {
                errors[i] = $"cannot be read as an image (JPEG, PNG, WebP, BMP or GIF): {e.Message.Split('\n')[0].Trim()}";
                return;
            }
            result[i] = Run(tensor);
        });
        for (int i = 0; i < images.Count; i++)
        {
            if (errors[i] is null && result[i] is null && firstOfKey.TryGetValue(keys[i], out int first))
                (result[i], errors[i]) = (result[first], errors[first]);   // the same file listed again
            else if (errors[i] is null && firstOfKey.TryGetValue(keys[i], out first) && first == i && Cache.Count < MaxCachedImages)
                Cache.TryAdd(keys[i], result[i]!);
            if (errors[i] is { } problem && !zeroWhenMissing)
                throw new TroveException($"Encoder 'resnet18': {images[i].Record}: the file '{images[i].Path}' {problem}. Fix the path, or set \"on_missing\": \"zero\" on the encoder to encode such images as zeros.");
        }
        Interlocked.Add(ref _computed, todo.Count);
        return result;
    }

    private static float[] Run(float[] tensor)
    {
        var session = Rent();
        try
        {
            var input = session.InputMetadata.Keys.Single();
            using var output = session.Run([NamedOnnxValue.CreateFromTensor(input, new DenseTensor<float>(tensor, [1, 3, ResNetImage.Size, ResNetImage.Size]))]);
            var features = output.First().AsTensor<float>().ToArray();
            if (features.Length != Dimensions) throw new TroveException($"Encoder 'resnet18': the model returned {features.Length} values for an image, expected {Dimensions}.");
            return features;
        }
        catch (OnnxRuntimeException e) { throw new TroveException($"Encoder 'resnet18': running ResNet-18 failed: {e.Message}", e); }
        finally { Sessions.Add(session); }
    }

    private static InferenceSession Rent()
    {
        if (Sessions.TryTake(out var session)) return session;
        // One core per session: images run side by side instead of fighting over intra-op threads.
        return new InferenceSession(Model.Value, new SessionOptions { IntraOpNumThreads = 1, InterOpNumThreads = 1 });
    }

    internal static byte[] Resource(string name)
    {
        using var stream = typeof(ImageFeatures).Assembly.GetManifestResourceStream(name)
            ?? throw new TroveException($"Encoder 'resnet18': the assembly lacks its model '{name}' (a broken build of Trove.Images).");
        var bytes = new byte[stream.Length];
        stream.ReadExactly(bytes);
        return bytes;
    }
}
