using Trove.Core.Recommending;
using Trove.Models.Features;

namespace Trove.Models.Search;

/// <summary>
/// Sparse keyword retrieval: Okapi BM25 over one text document per item, with an inverted index (term -> the
/// documents holding it and how often). For a query q and a document d of length |d| (tokens):
/// <code>
/// score(q, d) = sum over distinct terms t of q:  idf(t) * tf(t,d) * (k1 + 1) / (tf(t,d) + k1 * (1 - b + b * |d| / avgdl))
/// idf(t)      = ln(1 + (N - df(t) + 0.5) / (df(t) + 0.5))     (Lucene's form: never negative, so a very common term still helps a little)
/// </code>
/// N documents, df(t) documents containing t, avgdl the mean document length. Tokens are lower-cased runs of letters
/// and digits (the tfidf encoder's built-in tokenizer), so "Toy Story (1995)" gives toy, story, 1995; Lucene's English
/// stop words (the, of, a...) are left out of documents and queries.
/// </summary>
public sealed class Bm25Index
{
    private readonly Dictionary<string, int> _terms = new(StringComparer.Ordinal);
    private readonly int[] _postingStart;
    private readonly int[] _postingDocs;
    private readonly float[] _postingTf;
    private readonly float[] _lengthNorm;
    private static readonly TextTokenizer Tokenizer = new("builtin");

    /// <summary>
    /// Lucene's English stop set. Their idf is low but not zero, so without this a query such as "the man from the
    /// past" lists every title with "the" or "from": harmless to BM25's own order, but in reciprocal-rank fusion
    /// each such list position is a vote, and those votes push the embedding's good candidates down.
    /// </summary>
    public static readonly IReadOnlySet<string> StopWords = new HashSet<string>(StringComparer.Ordinal)
    {
        "a", "an", "and", "are", "as", "at", "be", "but", "by", "for", "if", "in", "into", "is", "it", "no", "not", "of",
        "on", "or", "such", "that", "the", "their", "then", "there", "these", "they", "this", "to", "was", "will", "with",
    };

    private static List<string> Tokenize(string text) => Tokenizer.Tokens(text).Where(t => !StopWords.Contains(t)).ToList();

    /// <summary>Term-frequency saturation (1.2, as in Lucene and Elasticsearch).</summary>
    public float K1 { get; }
    /// <summary>Length normalisation: 0 ignores document length, 1 divides by it fully (0.75).</summary>
    public float B { get; }
    /// <summary>Documents indexed (the items).</summary>
    public int Count { get; }
    /// <summary>Mean document length in tokens.</summary>
    public float AverageLength { get; }
    /// <summary>Distinct terms indexed.</summary>
    public int Terms => _terms.Count;

    /// <summary>Indexes one document per item (null or empty: the item matches no query).</summary>
    public Bm25Index(IReadOnlyList<string?> documents, float k1 = 1.2f, float b = 0.75f)
    {
        if (!(k1 >= 0) || !(b is >= 0 and <= 1)) throw new ArgumentOutOfRangeException(nameof(k1), "BM25 needs k1 >= 0 and 0 <= b <= 1.");
        K1 = k1; B = b; Count = documents.Count;
        var lengths = new int[Count];
        var postings = new List<List<(int Doc, int Tf)>>();
        for (int d = 0; d < Count; d++)
        {
            if (string.IsNullOrWhiteSpace(documents[d])) continue;
            var tokens = Tokenize(documents[d]!);
            lengths[d] = tokens.Count;
            foreach (var group in tokens.GroupBy(t => t, StringComparer.Ordinal))
            {
                if (!_terms.TryGetValue(group.Key, out int term)) { _terms[group.Key] = term = postings.Count; postings.Add([]); }
                postings[term].Add((d, group.Count())); // documents in increasing order: Coverage binary-searches them
            }
        }
        AverageLength = Count == 0 ? 0 : (float)lengths.Average();
        _postingStart = new int[postings.Count + 1];
        for (int t = 0; t < postings.Count; t++) _postingStart[t + 1] = _postingStart[t] + postings[t].Count;
        _postingDocs = new int[_postingStart[^1]];
        _postingTf = new float[_postingStart[^1]];
        for (int t = 0; t < postings.Count; t++)
            for (int p = 0; p < postings[t].Count; p++) (_postingDocs[_postingStart[t] + p], _postingTf[_postingStart[t] + p]) = postings[t][p];
        // k1 * (1 - b + b * |d| / avgdl) per document, computed once.
        _lengthNorm = new float[Count];
        for (int d = 0; d < Count; d++) _lengthNorm[d] = K1 * (1 - B + B * (AverageLength > 0 ? lengths[d] / AverageLength : 0));
    }

    /// <summary>The query's distinct tokens, as the index splits text.</summary>
    public static IReadOnlyList<string> QueryTerms(string query) => Tokenize(query).Distinct(StringComparer.Ordinal).ToList();

    /// <summary>How many documents hold <paramref name="term"/> (already lower-cased).</summary>
    public int DocumentFrequency(string term) => _terms.TryGetValue(term, out int t) ? _postingStart[t + 1] - _postingStart[t] : 0;

    /// <summary>idf(t) = ln(1 + (N - df + 0.5) / (df + 0.5)).</summary>
    public float Idf(string term)
    {
        int df = DocumentFrequency(term);
        return (float)Math.Log(1 + (Count - df + 0.5) / (df + 0.5));
    }

    /// <summary>
    /// Share of the query's idf mass that one document holds: sum of idf(t) over the query's distinct terms t found
    /// in the document / sum of idf(t) over all of them (a term no document holds counts with the largest idf,
    /// df = 0). 1 when the document has every query word, near 0 when it shares only common words; 0 for a query
    /// without terms. <see cref="ItemSearch"/> uses it on the best BM25 hit as the keyword list's confidence.
    /// </summary>
    public float Coverage(string query, int document)
    {
        double total = 0, found = 0;
        foreach (var term in QueryTerms(query))
        {
            double idf = Idf(term);
            total += idf;
            if (_terms.TryGetValue(term, out int t) && Array.BinarySearch(_postingDocs, _postingStart[t], _postingStart[t + 1] - _postingStart[t], document) >= 0)
                found += idf;
        }
        return total > 0 ? (float)(found / total) : 0f;
    }

    /// <summary>
    /// The k best-scoring documents that pass <paramref name="filter"/>, best first (ties: lower index first).
    /// Documents sharing no term with the query are never returned, so fewer than k may come back.
    /// </summary>
    public IReadOnlyList<Scored> Search(string query, int k, Func<int, bool>? filter = null)
    {
        if (k <= 0 || Count == 0) return [];
        // Accumulate over the postings of the query's terms only: a query touches a few thousand documents, not all.
        var scores = new Dictionary<int, float>();
        foreach (var term in QueryTerms(query))
        {
            if (!_terms.TryGetValue(term, out int t)) continue;
            float idf = Idf(term);
            for (int p = _postingStart[t]; p < _postingStart[t + 1]; p++)
            {
                int d = _postingDocs[p];
                float tf = _postingTf[p];
                scores[d] = scores.GetValueOrDefault(d) + idf * tf * (K1 + 1) / (tf + _lengthNorm[d]);
            }
        }
        return scores.Where(x => filter is null || filter(x.Key))
            .OrderByDescending(x => x.Value).ThenBy(x => x.Key).Take(k)
            .Select(x => new Scored(x.Key, x.Value)).ToList();
    }
}
