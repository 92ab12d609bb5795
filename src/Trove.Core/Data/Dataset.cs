using System.Security.Cryptography;
using Trove.Numerics.Sparse;

namespace Trove.Core.Data;

/// <summary>
/// Everything a model trains on: id maps, the interaction log, user and item features, and the
/// user-item matrix built from the log (duplicate pairs summed). Splits create new datasets that
/// share the id maps and features, so indices mean the same thing in train and test.
/// </summary>
public sealed class Dataset
{
    private CsrMatrix? _userItems;
    private CsrMatrix? _itemUsers;

    public IdMap Users { get; }
    public IdMap Items { get; }
    public InteractionLog Interactions { get; }
    public FeatureTable UserFeatures { get; }
    public FeatureTable ItemFeatures { get; }
    /// <summary>Where the data came from, for reports (a file path, a database, "simulated").</summary>
    public string Source { get; }

    public Dataset(IdMap users, IdMap items, InteractionLog interactions, FeatureTable? userFeatures = null, FeatureTable? itemFeatures = null, string source = "")
    {
        Users = users; Items = items; Interactions = interactions;
        UserFeatures = userFeatures ?? new FeatureTable();
        ItemFeatures = itemFeatures ?? new FeatureTable();
        Source = source;
        UserFeatures.Resize(users.Count);
        ItemFeatures.Resize(items.Count);
    }

    public int UserCount => Users.Count;
    public int ItemCount => Items.Count;

    /// <summary>Users x items, weights of repeated pairs summed; rows sorted by item index.</summary>
    public CsrMatrix UserItems => _userItems ??= CsrMatrix.FromCoordinates(UserCount, ItemCount, Interactions.Users, Interactions.Items, Interactions.Weights);

    /// <summary>Items x users (the transpose of <see cref="UserItems"/>).</summary>
    public CsrMatrix ItemUsers => _itemUsers ??= UserItems.Transpose();

    /// <summary>A dataset with the same ids and features but other interactions (a split's train or test part).</summary>
    public Dataset WithInteractions(InteractionLog interactions, string? source = null) =>
        new(Users, Items, interactions, UserFeatures, ItemFeatures, source ?? Source);

    /// <summary>
    /// A short hash of the interactions (ids, weights, timestamps) so a model file can tell which data it was trained on.
    /// </summary>
    public string Fingerprint()
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var m = UserItems;
        Span<byte> buf = stackalloc byte[12];
        for (int u = 0; u < m.Rows; u++)
        {
            var uid = System.Text.Encoding.UTF8.GetBytes(Users[u]);
            hash.AppendData(uid);
            var idx = m.RowIndices(u); var val = m.RowValues(u);
            for (int k = 0; k < idx.Length; k++)
            {
                hash.AppendData(System.Text.Encoding.UTF8.GetBytes(Items[idx[k]]));
                BitConverter.TryWriteBytes(buf, val[k]);
                hash.AppendData(buf[..4]);
            }
        }
        return "sha256:" + Convert.ToHexString(hash.GetHashAndReset())[..16].ToLowerInvariant();
    }
}
