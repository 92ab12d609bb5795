using System.Text;
using Microsoft.ML.Tokenizers;
using Trove.Core.Errors;
using Trove.Core.Persistence;

namespace Trove.Models.Features;

/// <summary>
/// Splits text into tokens. "builtin": lower-cased runs of letters and digits. "wordpiece" or
/// "bert": Microsoft.ML.Tokenizers with a WordPiece vocabulary file (option "vocab": one token per
/// line, as shipped with BERT-style models); the vocabulary is kept in the model file.
/// Token ids: the vocabulary's ids for wordpiece/bert; for builtin, 1 + hash % (vocab_size - 1).
/// </summary>
public sealed class TextTokenizer
{
    public string Kind { get; }
    public string[] VocabularyLines { get; }
    private readonly Tokenizer? _tokenizer;
    private readonly int _hashVocabulary;

    public TextTokenizer(string kind, string[]? vocabularyLines = null, int hashVocabulary = 30000)
    {
        Kind = kind.ToLowerInvariant();
        VocabularyLines = vocabularyLines ?? [];
        _hashVocabulary = Math.Max(2, hashVocabulary);
        if (Kind == "builtin") return;
        if (Kind is not ("wordpiece" or "bert")) throw new TroveException($"Unknown tokenizer '{kind}'. Known: builtin, wordpiece, bert.");
        if (VocabularyLines.Length == 0) throw new TroveException($"The {kind} tokenizer needs a vocabulary file (option \"vocab\": \"vocab.txt\").");
        using var stream = new MemoryStream(Encoding.UTF8.GetBytes(string.Join("\n", VocabularyLines) + "\n"));
        _tokenizer = Kind == "bert"
            ? BertTokenizer.Create(stream, new BertOptions { LowerCaseBeforeTokenization = true })
            : WordPieceTokenizer.Create(stream, new WordPieceOptions());
    }

    /// <summary>From encoder options: tokenizer ("builtin"), vocab (path), vocab_size (hash buckets for builtin ids).</summary>
    public static TextTokenizer FromOptions(EncoderOptions options)
    {
        var kind = options.String("tokenizer", "builtin")!;
        var vocab = options.String("vocab");
        string[]? lines = null;
        if (vocab is not null)
        {
            if (!File.Exists(vocab)) throw new TroveException($"Tokenizer vocabulary '{vocab}' does not exist.");
            lines = File.ReadAllLines(vocab).Where(l => l.Length > 0).ToArray();
        }
        return new TextTokenizer(kind, lines, options.Int("vocab_size", 30000, 2));
    }

    public int VocabularySize => _tokenizer is null ? _hashVocabulary : VocabularyLines.Length;

    public List<string> Tokens(string text)
    {
        if (_tokenizer is not null)
            return _tokenizer.EncodeToTokens(text, out _).Select(t => t.Value).ToList();
        var tokens = new List<string>();
        var sb = new StringBuilder();
        foreach (var ch in text)
        {
            if (char.IsLetterOrDigit(ch)) sb.Append(char.ToLowerInvariant(ch));
            else if (sb.Length > 0) { tokens.Add(sb.ToString()); sb.Clear(); }
        }
        if (sb.Length > 0) tokens.Add(sb.ToString());
        return tokens;
    }

    public IReadOnlyList<int> Ids(string text)
    {
        if (_tokenizer is not null) return _tokenizer.EncodeToIds(text);
        return Tokens(text).Select(t => 1 + (int)(Hashing.Fnv1a(t) % (uint)(_hashVocabulary - 1))).ToList();
    }
}

public static class Hashing
{
    /// <summary>32-bit FNV-1a of the UTF-8 bytes (stable across runs and platforms).</summary>
    public static uint Fnv1a(string s)
    {
        uint h = 2166136261;
        Span<byte> buf = s.Length <= 256 ? stackalloc byte[Encoding.UTF8.GetMaxByteCount(s.Length)] : new byte[Encoding.UTF8.GetMaxByteCount(s.Length)];
        int n = Encoding.UTF8.GetBytes(s, buf);
        foreach (var b in buf[..n]) { h ^= b; h *= 16777619; }
        return h;
    }
}

/// <summary>
/// "tfidf" (text): hashed n-gram TF-IDF. Tokens of every column (and word n-grams up to
/// ngram_max, joined with a space) are hashed (FNV-1a) into `dimensions` buckets; the bucket's
/// term count is multiplied by the smoothed IDF learned on the training rows,
/// idf = ln((1 + N) / (1 + df)) + 1, and each row is L2-normalised.
/// Options: dimensions (512), ngram_max (1), sublinear_tf (false: tf = 1 + ln(count) when true),
/// tokenizer ("builtin", "wordpiece", "bert" with "vocab"), columns come from the spec.
/// </summary>
public sealed class TfidfEncoder(EncoderSpec spec) : IFeatureEncoder
{
    public const string Name = "tfidf";
    // Group: null in files written before categorical columns could be read as words (= text).
    private sealed record State(string[] Columns, int Dimensions, int NgramMax, bool Sublinear, string Tokenizer, string[] Vocabulary, float[] Idf, string? Group = null);

    private string[] _columns = [];
    private string _group = "text";
    private int _ngramMax = 1;
    private bool _sublinear;
    private TextTokenizer _tokenizer = new("builtin");
    private float[] _idf = [];

    public int Dimensions { get; private set; }
    public IReadOnlyList<float> Idf => _idf;

    /// <summary>The bucket a token (or "w1 w2" n-gram) hashes to.</summary>
    public static int Bucket(string token, int dimensions) => (int)(Hashing.Fnv1a(token) % (uint)dimensions);

    private Dictionary<int, float> Counts(EncoderInput input, int row)
    {
        var counts = new Dictionary<int, float>();
        foreach (var column in _columns)
        {
            if (FeatureColumns.TextOf(input.Table, _group, column, row) is not { } text) continue;
            var tokens = _tokenizer.Tokens(text);
            for (int i = 0; i < tokens.Count; i++)
            {
                var gram = tokens[i];
                for (int n = 1; n <= _ngramMax && i + n <= tokens.Count; n++)
                {
                    if (n > 1) gram += " " + tokens[i + n - 1];
                    int b = Bucket(gram, Dimensions);
                    counts[b] = counts.GetValueOrDefault(b) + 1;
                }
            }
        }
        return counts;
    }

    public void Fit(EncoderInput input)
    {
        var options = new EncoderOptions(spec.Options, Name);
        Dimensions = options.Int("dimensions", 512, 1);
        _ngramMax = options.Int("ngram_max", 1, 1);
        _sublinear = options.Bool("sublinear_tf", false);
        _tokenizer = TextTokenizer.FromOptions(options);
        _group = FeatureColumns.TextGroup(spec, Name);
        _columns = FeatureColumns.Resolve(spec with { Group = _group }, input.Table, input.Entity, Name);
        var df = new int[Dimensions];
        int n = 0;
        for (int row = 0; row < input.Rows; row++)
        {
            var counts = Counts(input, row);
            n++;
            foreach (var b in counts.Keys) df[b]++;
        }
        _idf = new float[Dimensions];
        for (int b = 0; b < Dimensions; b++) _idf[b] = (float)(Math.Log((1.0 + n) / (1.0 + df[b])) + 1.0);
    }

    public void Encode(EncoderInput input, ReadOnlySpan<int> rows, Span<float> output)
    {
        int d = Dimensions;
        output[..(rows.Length * d)].Clear();
        for (int r = 0; r < rows.Length; r++)
        {
            var o = output.Slice(r * d, d);
            double norm = 0;
            foreach (var (b, count) in Counts(input, rows[r]))
            {
                float tf = _sublinear ? 1f + MathF.Log(count) : count;
                o[b] = tf * _idf[b];
                norm += (double)o[b] * o[b];
            }
            if (norm > 0) { float inv = (float)(1 / Math.Sqrt(norm)); for (int j = 0; j < d; j++) o[j] *= inv; }
        }
    }

    public void Save(ModelArchiveWriter writer) =>
        writer.WriteJson("tfidf", new State(_columns, Dimensions, _ngramMax, _sublinear, _tokenizer.Kind, _tokenizer.VocabularyLines, _idf, _group));

    public void Load(ModelArchiveReader reader)
    {
        var s = reader.ReadJson<State>("tfidf");
        (_columns, Dimensions, _ngramMax, _sublinear, _idf, _group) = (s.Columns, s.Dimensions, s.NgramMax, s.Sublinear, s.Idf, s.Group ?? "text");
        _tokenizer = new TextTokenizer(s.Tokenizer, s.Vocabulary);
    }
}
