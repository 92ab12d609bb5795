using System.Text.Json;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using Trove.Tests.Support;

namespace Trove.Tests.Architecture;

/// <summary>
/// Reads the project files (and the sources' <c>using</c>s) and fails when a dependency arrow points the
/// wrong way (docs: ARCHITECTURE.md), or when a heavy optional asset leaks into the core packages.
/// </summary>
public class DependencyTests
{
    /// <summary>What each project under src/ may reference (directly or through a <c>using</c>). A new project must be placed here.</summary>
    private static readonly Dictionary<string, string[]> Allowed = new()
    {
        ["Trove.Numerics"] = [],
        ["Trove.Core"] = ["Trove.Numerics"],
        ["Trove.Data"] = ["Trove.Numerics", "Trove.Core"],
        ["Trove.Models"] = ["Trove.Numerics", "Trove.Core"],
        ["Trove.Workflows"] = ["Trove.Numerics", "Trove.Core", "Trove.Data", "Trove.Models"],
        ["Trove.Onnx"] = ["Trove.Numerics", "Trove.Core", "Trove.Data", "Trove.Models"],
        ["Trove.Semantic"] = ["Trove.Numerics", "Trove.Core", "Trove.Data", "Trove.Models"],
        ["Trove.Images"] = ["Trove.Numerics", "Trove.Core", "Trove.Data", "Trove.Models"],
        ["Trove.Evaluation"] = ["Trove.Numerics", "Trove.Core", "Trove.Data", "Trove.Models"],
        ["Trove.Library"] = ["Trove.Numerics", "Trove.Core", "Trove.Data", "Trove.Models", "Trove.Evaluation"],
        ["Trove.Reports"] = ["Trove.Numerics", "Trove.Core", "Trove.Data", "Trove.Models", "Trove.Evaluation"],
        ["Trove.Server"] = ["Trove.Numerics", "Trove.Core", "Trove.Data", "Trove.Models"],
        ["Trove.Cluster"] = ["Trove.Numerics", "Trove.Core", "Trove.Data", "Trove.Models", "Trove.Server"],
        ["Trove.Cli"] = ["Trove.Numerics", "Trove.Core", "Trove.Data", "Trove.Models", "Trove.Onnx", "Trove.Semantic", "Trove.Images", "Trove.Evaluation", "Trove.Reports", "Trove.Server", "Trove.Cluster", "Trove.Workflows"],
    };

    /// <summary>The packages a console app gets when it trains and recommends: they must stay small.</summary>
    public static readonly TheoryData<string> CorePackages = new() { "Trove.Numerics", "Trove.Core", "Trove.Data", "Trove.Models" };

    /// <summary>Heavy packages (large native libraries or models) and the projects allowed to reference each directly.</summary>
    private static readonly (string Prefix, string Owner)[] Heavy =
    [
        ("ScottPlot", "Trove.Reports"),
        ("SkiaSharp", "Trove.Reports"),
        ("HarfBuzzSharp", "Trove.Reports"),
        ("Microsoft.ML.OnnxRuntime", "Trove.Onnx"),
        ("Microsoft.ML.OnnxRuntime", "Trove.Images"),
        ("SentenceTransformers", "Trove.Semantic"),
        ("Microsoft.ML.DnnImageFeaturizer", "Trove.Images"),
        ("SixLabors.ImageSharp", "Trove.Images"),
    ];

    private static string Src => Path.Combine(TestPaths.RepositoryRoot, "src");

    private static IEnumerable<string> Projects() =>
        Directory.GetDirectories(Src).Select(Path.GetFileName).Where(n => File.Exists(Path.Combine(Src, n!, n + ".csproj")))!;

    private static XDocument ProjectFile(string project) => XDocument.Load(Path.Combine(Src, project, project + ".csproj"));

    private static IEnumerable<string> Items(string project, string kind) =>
        ProjectFile(project).Descendants(kind).Select(e => (string?)e.Attribute("Include")).OfType<string>();

    private static IEnumerable<string> ProjectReferences(string project) =>
        Items(project, "ProjectReference").Select(p => Path.GetFileNameWithoutExtension(p.Replace('\\', '/')));

    /// <summary>The server serves through the algorithm contract only: no file under src/Trove.Server names a concrete algorithm.</summary>
    [Fact]
    public void The_server_names_no_concrete_algorithm()
    {
        var concrete = new Regex(@"\b(Als|Bpr|Ease|ItemKnn|UserKnn|Rp3Beta|Ncf|TwoTower|ContentBased|Hybrid|Popularity)\b");
        var found = Directory.EnumerateFiles(Path.Combine(Src, "Trove.Server"), "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}"))
            .SelectMany(f => File.ReadLines(f).Select((line, n) => (f, n, line)))
            .Where(x => concrete.IsMatch(x.line))
            .Select(x => $"{Path.GetRelativePath(TestPaths.RepositoryRoot, x.f)}:{x.n + 1}: {x.line.Trim()}")
            .ToList();
        Assert.True(found.Count == 0, "Ask the contract (IHistoryScorer, IEmbeddingModel, ...) instead:\n" + string.Join("\n", found));
    }

    [Fact]
    public void Every_project_has_a_place_in_the_dependency_order()
    {
        var unplaced = Projects().Where(p => !Allowed.ContainsKey(p)).ToList();
        Assert.True(unplaced.Count == 0, $"Place these projects in {nameof(DependencyTests)}.{nameof(Allowed)}: {string.Join(", ", unplaced)}");
        Assert.Contains("Trove.Onnx", Projects());
    }

    [Fact]
    public void Project_references_point_one_way()
    {
        var wrong = Projects().SelectMany(p => ProjectReferences(p).Where(r => !Allowed[p].Contains(r)).Select(r => $"{p} -> {r}")).ToList();
        Assert.True(wrong.Count == 0, "References against the dependency order: " + string.Join("; ", wrong));
    }

    [Fact]
    public void Usings_point_one_way()
    {
        var pattern = new Regex(@"^\s*(?:global\s+)?using\s+(?:static\s+)?(?:\w+\s*=\s*)?(Trove\.\w+)", RegexOptions.Multiline);
        var wrong = new List<string>();
        foreach (var project in Projects())
            foreach (var file in Directory.EnumerateFiles(Path.Combine(Src, project), "*.cs", SearchOption.AllDirectories)
                         .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}") && !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}")))
                foreach (Match m in pattern.Matches(File.ReadAllText(file)))
                {
                    var target = m.Groups[1].Value;
                    if (target != project && !Allowed[project].Contains(target) && Allowed.ContainsKey(target))
                        wrong.Add($"{Path.GetRelativePath(TestPaths.RepositoryRoot, file)}: using {target}");
                }
        Assert.True(wrong.Count == 0, "Usings against the dependency order: " + string.Join("; ", wrong));
    }

    [Fact]
    public void The_onnx_package_sits_on_the_models_and_nothing_below_it_knows_it()
    {
        Assert.Contains("Trove.Models", ProjectReferences("Trove.Onnx"));
        var dependants = Projects().Where(p => ProjectReferences(p).Contains("Trove.Onnx")).ToList();
        Assert.Equal(["Trove.Cli"], dependants);
    }

    /// <summary>The pretrained encoders (a 91 MB model assembly) reach only the tool, never a core package or the server.</summary>
    [Fact]
    public void The_semantic_package_sits_on_the_models_and_nothing_below_it_knows_it()
    {
        Assert.Contains("Trove.Models", ProjectReferences("Trove.Semantic"));
        var dependants = Projects().Where(p => ProjectReferences(p).Contains("Trove.Semantic")).ToList();
        Assert.Equal(["Trove.Cli"], dependants);
    }

    /// <summary>The image encoder (a 64 MB assembly with ResNet-18 inside) reaches only the tool, never a core package or the server.</summary>
    [Fact]
    public void The_image_package_sits_on_the_models_and_nothing_below_it_knows_it()
    {
        Assert.Contains("Trove.Models", ProjectReferences("Trove.Images"));
        var dependants = Projects().Where(p => ProjectReferences(p).Contains("Trove.Images")).ToList();
        Assert.Equal(["Trove.Cli"], dependants);
    }

    [Theory]
    [MemberData(nameof(CorePackages))]
    public void Core_packages_do_not_reference_plotting_or_onnx(string project)
    {
        var packages = Items(project, "PackageReference").ToList();
        var heavy = packages.Where(p => Heavy.Any(h => p.StartsWith(h.Prefix, StringComparison.OrdinalIgnoreCase))).ToList();
        Assert.True(heavy.Count == 0, $"{project} references {string.Join(", ", heavy)}: plotting belongs in Trove.Reports, ONNX Runtime in Trove.Onnx, pretrained encoders in Trove.Semantic and Trove.Images.");

        // Transitively too, when the project has been restored (the test run builds it first).
        var assets = Path.Combine(Src, project, "obj", "project.assets.json");
        if (!File.Exists(assets)) return;
        using var json = JsonDocument.Parse(File.ReadAllText(assets));
        var libraries = json.RootElement.GetProperty("libraries").EnumerateObject().Select(l => l.Name.Split('/')[0]).ToList();
        var pulled = libraries.Where(l => Heavy.Any(h => l.StartsWith(h.Prefix, StringComparison.OrdinalIgnoreCase))).ToList();
        Assert.True(pulled.Count == 0, $"{project} pulls in {string.Join(", ", pulled)} through its dependencies.");
    }

    [Fact]
    public void Heavy_packages_are_referenced_only_by_their_owner()
    {
        var wrong = (from p in Projects()
                     where p != "Trove.Cli" // the tool composes everything
                     from package in Items(p, "PackageReference")
                     from h in Heavy
                     where package.StartsWith(h.Prefix, StringComparison.OrdinalIgnoreCase)
                           && !Heavy.Any(o => o.Owner == p && package.StartsWith(o.Prefix, StringComparison.OrdinalIgnoreCase))
                     select $"{p} -> {package} (belongs in {h.Owner})").Distinct().ToList();
        Assert.True(wrong.Count == 0, string.Join("; ", wrong));
    }

    [Fact]
    public void Every_package_describes_itself()
    {
        // Trove.Numerics is described in Directory.Build.props while its folder is reworked elsewhere.
        var root = File.ReadAllText(Path.Combine(TestPaths.RepositoryRoot, "Directory.Build.props"));
        bool Described(string p) => !string.IsNullOrWhiteSpace(ProjectFile(p).Descendants("Description").FirstOrDefault()?.Value)
                                    || (p == "Trove.Numerics" && root.Contains("'$(MSBuildProjectName)' == 'Trove.Numerics'"));
        var missing = Projects().Where(p => !Described(p) || !File.Exists(Path.Combine(TestPaths.RepositoryRoot, "docs", "packages", p + ".md"))).ToList();
        Assert.True(missing.Count == 0, "Projects without a <Description> or a docs/packages/NAME.md README for their package: " + string.Join(", ", missing));
    }
}
