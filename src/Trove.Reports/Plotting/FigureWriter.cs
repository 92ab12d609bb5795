using ScottPlot;
using Trove.Core.Persistence;

namespace Trove.Reports.Plotting;

/// <summary>A figure written to disk: its base name (no extension), the PNG and SVG paths, and what it shows.</summary>
public sealed record FigureFile(string Name, string Title, string Caption, string PngPath, string SvgPath, int Width, int Height, int SeriesCount);

/// <summary>
/// Shared look of every Trove figure (fonts, sizes, colours) and atomic PNG + SVG output.
/// ScottPlot draws text through SkiaSharp and fontconfig: without a system font (Debian
/// fonts-dejavu-core) the text silently vanishes, so the font is resolved once and checked.
/// </summary>
public static class FigureWriter
{
    public const int DefaultWidth = 900;
    public const int DefaultHeight = 560;

    /// <summary>A colour-blind-safe palette (Okabe-Ito), in series order.</summary>
    public static IReadOnlyList<Color> Palette { get; } =
    [
        Color.FromHex("#0072B2"), Color.FromHex("#E69F00"), Color.FromHex("#009E73"), Color.FromHex("#CC79A7"),
        Color.FromHex("#56B4E9"), Color.FromHex("#D55E00"), Color.FromHex("#F0E442"), Color.FromHex("#000000"),
    ];

    public static Color SeriesColor(int index) => Palette[index % Palette.Count];

    private static readonly Lazy<string> FontName = new(ResolveFont);

    /// <summary>The font family used for all text ("DejaVu Sans" on Debian).</summary>
    public static string Font => FontName.Value;

    private static string ResolveFont()
    {
        foreach (var name in new[] { "DejaVu Sans", "Liberation Sans", "Noto Sans", "Arial", "Helvetica" })
        {
            using var typeface = SkiaSharp.SKTypeface.FromFamilyName(name);
            if (typeface is not null && string.Equals(typeface.FamilyName, name, StringComparison.OrdinalIgnoreCase)) return name;
        }
        return Fonts.Default;
    }

    /// <summary>A new plot with Trove's style: title, axis labels, readable font sizes, light grid.</summary>
    public static Plot NewPlot(string title, string xLabel, string yLabel)
    {
        var plot = new Plot();
        plot.Font.Set(Font);
        plot.Title(title, size: 18);
        plot.XLabel(xLabel, size: 14);
        plot.YLabel(yLabel, size: 14);
        plot.Axes.Bottom.TickLabelStyle.FontSize = 12;
        plot.Axes.Left.TickLabelStyle.FontSize = 12;
        plot.Grid.MajorLineColor = Colors.Black.WithAlpha(0.10);
        plot.FigureBackground.Color = Colors.White;
        plot.DataBackground.Color = Colors.White;
        return plot;
    }

    /// <summary>Writes NAME.png and NAME.svg into <paramref name="directory"/>, each atomically.</summary>
    public static FigureFile Save(Plot plot, string directory, string name, string title, string caption,
        int width = DefaultWidth, int height = DefaultHeight)
    {
        Directory.CreateDirectory(directory);
        var png = Path.Combine(directory, name + ".png");
        var svg = Path.Combine(directory, name + ".svg");
        byte[] pngBytes = plot.GetImageBytes(width, height, ImageFormat.Png);
        AtomicFile.Write(png, s => s.Write(pngBytes));
        string svgXml = plot.GetSvgXml(width, height);
        AtomicFile.WriteAllText(svg, svgXml);
        int series = plot.GetPlottables().Count(p => p.IsVisible);
        return new FigureFile(name, title, caption, png, svg, width, height, series);
    }
}
