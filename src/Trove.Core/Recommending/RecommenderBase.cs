using System.Numerics.Tensors;
using Trove.Core.Data;
using Trove.Core.Errors;
using Trove.Core.Persistence;
using Trove.Core.Training;
using Trove.Numerics.Selection;
using Trove.Numerics.Sparse;

namespace Trove.Core.Recommending;

/// <summary>
/// Shared machinery for every algorithm: keeps the training user-item matrix (for excluding seen
/// items and for history-based scoring), applies filters, selects top-K and saves the matrix with
/// the model. An algorithm supplies <see cref="FitCore"/>, <see cref="ScoreAllItems"/> and its state.
/// </summary>
public abstract class RecommenderBase<TParameters> : IRecommender, ITrainingInteractions where TParameters : class, new()
{
    /// <exception cref="TroveException">A parameter outside its declared range (<see cref="Algorithms.ValidRangeAttribute"/>), named in the message.</exception>
    protected RecommenderBase(TParameters? parameters)
    {
        Params = parameters ?? new TParameters();
        // At creation, not at Fit: a bad value fails at once with its name. Algorithm is a constant name in every implementation.
        Algorithms.ParameterRules.Validate(Params, Algorithm);
    }

    public abstract string Algorithm { get; }
    public TParameters Params { get; }
    object IRecommender.Parameters => Params;

    /// <summary>The training interactions (users x items).</summary>
    public CsrMatrix UserItems { get; private set; } = new(0, 0, [0], [], []);
    public int UserCount => UserItems.Rows;
    public int ItemCount => UserItems.Columns;

    public void Fit(Dataset data, FitContext context)
    {
        if (data.Interactions.Count == 0 && !(context.CatalogueOnly && CanFitWithoutInteractions)) throw new TroveException($"Cannot train {Algorithm}: the data set has no interactions.");
        // Checked before and after the algorithm's own loops (which check between steps): a cancelled fit always ends
        // in OperationCanceledException, never in a model that looks trained but stopped half-way.
        context.Cancellation.ThrowIfCancellationRequested();
        UserItems = data.UserItems;
        FitCore(data, context);
        context.Cancellation.ThrowIfCancellationRequested();
    }

    protected abstract void FitCore(Dataset data, FitContext context);

    /// <summary>
    /// True for a model that means something over a bare catalogue (popularity: every item equal), so `trove index`
    /// can make a search-only model from items alone (with <see cref="FitContext.CatalogueOnly"/>); the learned models
    /// keep refusing empty data.
    /// </summary>
    protected virtual bool CanFitWithoutInteractions => false;

    public abstract void ScoreAllItems(int user, Span<float> scores);

    public virtual void Score(int user, ReadOnlySpan<int> items, Span<float> scores)
    {
        CheckUser(user);
        var all = new float[ItemCount];
        ScoreAllItems(user, all);
        for (int k = 0; k < items.Length; k++) scores[k] = all[CheckItem(items[k])];
    }

    public virtual IReadOnlyList<Scored> Recommend(int user, int k, ItemFilter? filter = null)
    {
        CheckUser(user);
        var scores = new float[ItemCount];
        ScoreAllItems(user, scores);
        ApplyFilter(user, scores, filter ?? ItemFilter.Default);
        return SelectTop(scores, k);
    }

    public virtual IReadOnlyList<Scored> SimilarItems(int item, int k)
    {
        CheckItem(item);
        if (this is not IEmbeddingModel e)
            throw new TroveException($"The {Algorithm} model does not compute item similarities.");
        return CosineNeighbours(item, ItemCount, e.ItemVector, k);
    }

    public virtual IReadOnlyList<Scored> SimilarUsers(int user, int k)
    {
        CheckUser(user);
        if (this is not IEmbeddingModel e)
            throw new TroveException($"The {Algorithm} model does not compute user similarities.");
        return CosineNeighbours(user, UserCount, e.UserVector, k);
    }

    public void SaveState(ModelArchiveWriter writer)
    {
        writer.WriteCsr("train", UserItems);
        SaveModelState(writer);
    }

    public void LoadState(ModelArchiveReader reader)
    {
        UserItems = reader.ReadCsr("train");
        LoadModelState(reader);
    }

    protected abstract void SaveModelState(ModelArchiveWriter writer);
    protected abstract void LoadModelState(ModelArchiveReader reader);

    /// <summary>Sets the scores of filtered-out items to -infinity (top-K never selects them); seen = the user's training items.</summary>
    protected void ApplyFilter(int user, Span<float> scores, ItemFilter filter) =>
        filter.Apply(scores, user >= 0 && user < UserItems.Rows ? UserItems.RowIndices(user) : default);

    protected static IReadOnlyList<Scored> SelectTop(ReadOnlySpan<float> scores, int k)
    {
        var (idx, sc) = TopK.Select(scores, k);
        var result = new Scored[idx.Length];
        for (int j = 0; j < idx.Length; j++) result[j] = new Scored(idx[j], sc[j]);
        return result;
    }

    /// <summary>
    /// The k largest entries of a sparse row whose columns are sorted, as (column, value), best first; ties go to the lower
    /// column (TopK over the row's values, whose positions follow the columns) and NaN or -inf entries are never chosen.
    /// </summary>
    protected static IReadOnlyList<Scored> TopOfRow(CsrMatrix matrix, int row, int k)
    {
        var columns = matrix.RowIndices(row);
        var (positions, values) = TopK.Select(matrix.RowValues(row), k);
        var result = new Scored[positions.Length];
        for (int t = 0; t < positions.Length; t++) result[t] = new Scored(columns[positions[t]], values[t]);
        return result;
    }

    /// <summary>
    /// Scores of every item for a history, for models whose scores are sum_k w_k W[i_k, :] over an items x items sparse
    /// matrix W (rp3beta, sparse-ease): each history item is checked, its weight taken as 1 when <paramref name="unitWeights"/>.
    /// </summary>
    protected void SumItemRows(CsrMatrix itemRows, bool unitWeights, ReadOnlySpan<int> items, ReadOnlySpan<float> weights, Span<float> scores)
    {
        scores = scores[..ItemCount];
        scores.Clear();
        for (int k = 0; k < items.Length; k++)
            itemRows.AddScaledRow(CheckItem(items[k]), unitWeights ? 1f : weights[k], scores);
    }

    /// <summary>Top-k rows by cosine similarity of their vectors to row <paramref name="of"/>, excluding itself.</summary>
    protected static IReadOnlyList<Scored> CosineNeighbours(int of, int count, VectorOf vectorOf, int k)
    {
        var target = vectorOf(of);
        float targetNorm = TensorPrimitives.Norm(target);
        var scores = new float[count];
        for (int j = 0; j < count; j++)
        {
            var v = vectorOf(j);
            float norm = TensorPrimitives.Norm(v) * targetNorm;
            scores[j] = norm > 0 ? TensorPrimitives.Dot(target, v) / norm : 0f;
        }
        scores[of] = float.NegativeInfinity;
        return SelectTop(scores, k);
    }

    protected delegate ReadOnlySpan<float> VectorOf(int index);

    protected int CheckUser(int user) =>
        (uint)user < (uint)UserCount ? user : throw new TroveException($"User index {user} is outside the model's {UserCount} users.");

    protected int CheckItem(int item) =>
        (uint)item < (uint)ItemCount ? item : throw new TroveException($"Item index {item} is outside the model's {ItemCount} items.");
}
