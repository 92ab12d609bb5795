using Trove.Core.Recommending;
using Trove.Core.Algorithms;
using Trove.Core.Data;
using Trove.Core.Errors;
using Trove.Core.Persistence;
using Trove.Core.Training;
using Trove.Numerics.Autodiff;
using Trove.Numerics.Sparse;

namespace Trove.Models.Neural;

public enum NcfVariant { Gmf, Mlp, Neumf }

public sealed record NcfParameters : NeuralParameters
{
    /// <summary>Defaults tuned on ncf-ml-100k (factors 64, dropout 0.1, weight decay 1e-5: HR@10 0.60 / 0.59 on two seeds).</summary>
    public NcfParameters() { WeightDecay = 1e-5f; }

    /// <summary>gmf (generalised matrix factorisation), mlp, or neumf (both, fused; He et al. 2017).</summary>
    public NcfVariant Variant { get; init; } = NcfVariant.Neumf;
    /// <summary>GMF embedding size (predictive factors of the GMF part).</summary>
    [ValidRange(0)]
    public int Factors { get; init; } = 64;
    /// <summary>MLP tower: layers[0] is the concatenated user+item embedding size, then the hidden layer sizes.</summary>
    public int[] Layers { get; init; } = [64, 32, 16, 8];
    /// <summary>Sampled negatives per positive, redrawn every epoch, never an item the user interacted with.</summary>
    [ValidRange(1)]
    public int Negatives { get; init; } = 4;
    /// <summary>NeuMF only: first train GMF and MLP with the same settings and initialise NeuMF from them.</summary>
    public bool Pretrain { get; init; } = false;
    /// <summary>Pre-training: weight of the GMF output layer (1 - alpha for the MLP's).</summary>
    public float Alpha { get; init; } = 0.5f;
    /// <summary>Dropout after each MLP hidden layer.</summary>
    [ValidRange(0, 1, MaxExclusive = true)]
    public float Dropout { get; init; } = 0.1f;
    /// <summary>Standard deviation of the normal initialisation of the embeddings.</summary>
    public float InitStd { get; init; } = 0.01f;
}

/// <summary>
/// Neural collaborative filtering (He et al. 2017): GMF (element-wise product of user and item
/// embeddings, weighted), MLP (concatenated embeddings through ReLU layers) or NeuMF (both, their last
/// layers concatenated), trained on implicit feedback with sampled negatives, BCE loss and Adam.
/// </summary>
public sealed class Ncf(NcfParameters? parameters = null) : NeuralRecommender<NcfParameters>(parameters), ITrainable, IEmbeddingModel
{
    public const string Name = "ncf";
    private int _users, _items;
    private Parameter? _gmfUser, _gmfItem, _mlpUser, _mlpItem;
    private readonly List<(Parameter W, Parameter B)> _layers = [];
    private Parameter _outW = null!, _outB = null!;
    // GMF's and MLP's embeddings side by side, one row per user/item; built on first use after Fit or load.
    private float[]? _userVectors, _itemVectors;

    // epoch samples
    private CsrMatrix _train = new(0, 0, [0], [], []);
    private int[] _sampleUsers = [], _sampleItems = [];
    private float[] _labels = [];

    public override string Algorithm => Name;
    private bool HasGmf => Params.Variant != NcfVariant.Mlp;
    private bool HasMlp => Params.Variant != NcfVariant.Gmf;

    IReadOnlyList<Parameter> ITrainable.Parameters => Weights;

    private void Build(int users, int items)
    {
        if (HasMlp && (Params.Layers.Length < 1 || Params.Layers[0] % 2 != 0 || Params.Layers.Any(l => l <= 0)))
            throw new TroveException("ncf: layers must be positive and layers[0] (the concatenated embedding size) even, e.g. 64,32,16,8.");
        if (HasGmf && Params.Factors <= 0) throw new TroveException("ncf: factors must be positive.");
        _users = users; _items = items;
        _userVectors = _itemVectors = null;
        ClearParameters(); _layers.Clear();
        _gmfUser = _gmfItem = _mlpUser = _mlpItem = null;
        int outIn = 0;
        if (HasGmf)
        {
            _gmfUser = AddParameter("gmf_user", users, Params.Factors, sparse: true);
            _gmfItem = AddParameter("gmf_item", items, Params.Factors, sparse: true);
            outIn += Params.Factors;
        }
        if (HasMlp)
        {
            int half = Params.Layers[0] / 2;
            _mlpUser = AddParameter("mlp_user", users, half, sparse: true);
            _mlpItem = AddParameter("mlp_item", items, half, sparse: true);
            for (int l = 1; l < Params.Layers.Length; l++)
                _layers.Add((AddParameter($"mlp_w{l}", Params.Layers[l - 1], Params.Layers[l]), AddParameter($"mlp_b{l}", 1, Params.Layers[l])));
            outIn += Params.Layers[^1];
        }
        _outW = AddParameter("out_w", outIn, 1);
        _outB = AddParameter("out_b", 1, 1);
    }

    /// <summary>GMF factors plus MLP embedding width: the length of <see cref="UserVector"/> and <see cref="ItemVector"/>.</summary>
    public int Dimensions => (HasGmf ? Params.Factors : 0) + (HasMlp ? Params.Layers[0] / 2 : 0);

    /// <summary>Scores come out of the MLP tower and the output layer, not a dot product: no inner-product index serves NCF's top-K.</summary>
    public bool ScoresAreDotProducts => false;

    /// <summary>The user's GMF embedding followed by its MLP embedding (what `trove embeddings` exports; similar users compare them by cosine).</summary>
    public ReadOnlySpan<float> UserVector(int user) => Side(ref _userVectors, _gmfUser, _mlpUser, _users).AsSpan(user * Dimensions, Dimensions);

    /// <summary>The item's GMF embedding followed by its MLP embedding.</summary>
    public ReadOnlySpan<float> ItemVector(int item) => Side(ref _itemVectors, _gmfItem, _mlpItem, _items).AsSpan(item * Dimensions, Dimensions);

    private float[] Side(ref float[]? cache, Parameter? gmf, Parameter? mlp, int rows)
    {
        if (cache is { } built) return built;
        int d = Dimensions, g = gmf?.Cols ?? 0;
        var vectors = new float[(long)rows * d];
        for (int r = 0; r < rows; r++)
        {
            if (gmf is not null) gmf.Value.AsSpan(r * g, g).CopyTo(vectors.AsSpan(r * d, g));
            if (mlp is not null) mlp.Value.AsSpan(r * mlp.Cols, mlp.Cols).CopyTo(vectors.AsSpan(r * d + g, mlp.Cols));
        }
        return cache = vectors;
    }

    private void Initialise(int seed)
    {
        var rng = new Random(seed);
        foreach (var emb in new[] { _gmfUser, _gmfItem, _mlpUser, _mlpItem })
            if (emb is not null) Init.Normal(emb.Value, Params.InitStd, rng);
        foreach (var (w, _) in _layers) Init.HeNormal(w, rng);
        Init.XavierUniform(_outW, rng);
    }

    protected override void FitCore(Dataset data, FitContext context)
    {
        var (train, holdout, validate, metric) = PrepareValidation(data, context);
        _train = train;
        Build(data.UserCount, data.ItemCount);
        if (Params.Pretrain && Params.Variant == NcfVariant.Neumf)
        {
            var gmf = new Ncf(Params with { Variant = NcfVariant.Gmf, Pretrain = false, Curves = null });
            var mlp = new Ncf(Params with { Variant = NcfVariant.Mlp, Pretrain = false, Curves = null });
            gmf.UseSplit(train, holdout);
            mlp.UseSplit(train, holdout);
            gmf.Fit(data, context with { Seed = SeedMix.Of(context.Seed, 101) });
            mlp.Fit(data, context with { Seed = SeedMix.Of(context.Seed, 102) });
            CopyFromPretrained(gmf, mlp);
        }
        else Initialise(context.Seed);
        string name = $"ncf-{Params.Variant.ToString().ToLowerInvariant()}";
        Train(this, Params, context, validate, metric, name);
        if (!(Params.Pretrain && Params.Variant == NcfVariant.Neumf))
            RefitOnAllData(holdout, this, context, name, () => { _train = data.UserItems; Initialise(context.Seed); });
        _userVectors = _itemVectors = null; // the embeddings moved while training
    }

    private void CopyFromPretrained(Ncf gmf, Ncf mlp)
    {
        gmf._gmfUser!.Value.CopyTo(_gmfUser!.Value, 0);
        gmf._gmfItem!.Value.CopyTo(_gmfItem!.Value, 0);
        mlp._mlpUser!.Value.CopyTo(_mlpUser!.Value, 0);
        mlp._mlpItem!.Value.CopyTo(_mlpItem!.Value, 0);
        for (int l = 0; l < _layers.Count; l++)
        {
            mlp._layers[l].W.Value.CopyTo(_layers[l].W.Value, 0);
            mlp._layers[l].B.Value.CopyTo(_layers[l].B.Value, 0);
        }
        float a = Params.Alpha;
        for (int k = 0; k < Params.Factors; k++) _outW.Value[k] = a * gmf._outW.Value[k];
        for (int k = 0; k < mlp._outW.Length; k++) _outW.Value[Params.Factors + k] = (1 - a) * mlp._outW.Value[k];
        _outB.Value[0] = a * gmf._outB.Value[0] + (1 - a) * mlp._outB.Value[0];
    }

    int ITrainable.PrepareEpoch(int epoch, Random rng)
    {
        int neg = Math.Max(0, Params.Negatives);
        int n = TrainingLoop.EpochSamples(Algorithm, _train.NonZeros, neg);
        if (_sampleUsers.Length != n) { _sampleUsers = new int[n]; _sampleItems = new int[n]; _labels = new float[n]; }
        int k = 0;
        for (int u = 0; u < _train.Rows; u++)
        {
            var row = _train.RowIndices(u);
            var all = UserItems.RowIndices(u); // every known positive (incl. a validation hold-out) is excluded from negatives
            foreach (int i in row)
            {
                _sampleUsers[k] = u; _sampleItems[k] = i; _labels[k++] = 1f;
                for (int j = 0; j < neg; j++)
                {
                    int item = NegativeSampler.Sample(all, _items, rng);
                    if (item < 0) continue;
                    _sampleUsers[k] = u; _sampleItems[k] = item; _labels[k++] = 0f;
                }
            }
        }
        // shuffle (Fisher-Yates over the three arrays together)
        for (int a = k - 1; a > 0; a--)
        {
            int b = rng.Next(a + 1);
            (_sampleUsers[a], _sampleUsers[b]) = (_sampleUsers[b], _sampleUsers[a]);
            (_sampleItems[a], _sampleItems[b]) = (_sampleItems[b], _sampleItems[a]);
            (_labels[a], _labels[b]) = (_labels[b], _labels[a]);
        }
        return k;
    }

    Tensor ITrainable.Loss(Tape tape, int start, int end)
    {
        var users = _sampleUsers[start..end];
        var items = _sampleItems[start..end];
        return tape.BceWithLogits(Forward(tape, users, items), _labels[start..end]);
    }

    /// <summary>Logits (n x 1) of user-item pairs.</summary>
    internal Tensor Forward(Tape tape, int[] users, int[] items)
    {
        var parts = new List<Tensor>(2);
        if (HasGmf) parts.Add(tape.Mul(tape.Lookup(_gmfUser!, users), tape.Lookup(_gmfItem!, items)));
        if (HasMlp)
        {
            var h = tape.Concat(tape.Lookup(_mlpUser!, users), tape.Lookup(_mlpItem!, items));
            foreach (var (w, b) in _layers)
            {
                h = tape.Relu(tape.Linear(h, w, b));
                h = tape.Dropout(h, Params.Dropout);
            }
            parts.Add(h);
        }
        var x = parts.Count == 1 ? parts[0] : tape.Concat(parts[0], parts[1]);
        return tape.Linear(x, _outW, _outB);
    }

    public override void ScoreAllItems(int user, Span<float> scores)
    {
        CheckUser(user);
        var items = new int[_items];
        for (int i = 0; i < items.Length; i++) items[i] = i;
        ScorePairs(user, items, scores);
    }

    public override void Score(int user, ReadOnlySpan<int> items, Span<float> scores)
    {
        CheckUser(user);
        var list = items.ToArray();
        foreach (int i in list) CheckItem(i);
        ScorePairs(user, list, scores);
    }

    private void ScorePairs(int user, int[] items, Span<float> scores)
    {
        const int block = 4096;
        for (int s = 0; s < items.Length; s += block)
        {
            int e = Math.Min(items.Length, s + block);
            var users = new int[e - s];
            Array.Fill(users, user);
            var logits = Forward(new Tape(training: false), users, items[s..e]);
            logits.Data.CopyTo(scores[s..e]);
        }
    }

    protected override void SaveMetadata(ModelArchiveWriter writer) => writer.WriteJson("nn.shape", new[] { _users, _items });

    protected override void LoadMetadata(ModelArchiveReader reader)
    {
        var shape = reader.ReadJson<int[]>("nn.shape");
        Build(shape[0], shape[1]);
    }
}
