using Trove.Core.Algorithms;
using Trove.Core.Data;
using Trove.Core.Errors;
using Trove.Core.Persistence;
using Trove.Core.Recommending;
using Trove.Core.Training;

namespace Trove.Models.Baselines;

/// <summary>Parameters of <see cref="TimePopularity"/>.</summary>
public sealed record TimePopularityParameters
{
    /// <summary>
    /// Kernel bandwidth h in days: another user's event at time t counts exp(-|t - s| / h) towards a user's event at time s.
    /// Small values (hours) match rating sessions, large values (weeks) what was popular in that period.
    /// </summary>
    [TuneRange(0.01, 100, Log = true)]
    [ValidRange(0, MinExclusive = true)]
    public float BandwidthDays { get; init; } = 1f;
    /// <summary>
    /// Exponent gamma of the activity normalisation: each of the user's events is weighted a(s)^-gamma, a(s) the kernel
    /// mass of all events around s. 1 makes every user event count the same in total (the popularity conditional on the
    /// time), 0 lets busy periods dominate.
    /// </summary>
    [TuneRange(0, 1)]
    [ValidRange(0)]
    public float ActivityExponent { get; init; } = 1f;
    /// <summary>
    /// Exponent beta of a global popularity penalty: scores are divided by popularity^beta (as in RP3beta), so 1 ranks by how
    /// much more an item was rated around the user's times than overall, 0 by the time-local count alone.
    /// </summary>
    [TuneRange(0, 1)]
    [ValidRange(0)]
    public float PopularityExponent { get; init; } = 0f;
    /// <summary>
    /// Score by log(score + floor), floor = 1e-6 x the user's largest score, instead of the score itself: in a blend the
    /// time-local popularity then acts as a multiplicative prior (an item nobody rated near the user's times is pushed down
    /// by orders of magnitude, not by a bounded amount).
    /// </summary>
    [TuneChoice(false, true)]
    public bool Logarithm { get; init; } = false;
}

/// <summary>
/// Time-local popularity: what everyone else was rating around the times this user was rating. With the user's training
/// event times s_1..s_m and every training event e = (item i_e, time t_e),
/// <code>
///   score_u(i) = pop(i)^-beta  sum_{e: i_e = i}  sum_k  w(s_k) exp(-|t_e - s_k| / h),     w(s) = a(s)^-gamma,
///   a(s) = sum_e exp(-|t_e - s| / h)     (the activity around s)
/// </code>
/// With gamma = 1 each user event contributes the distribution of items rated around its time (popularity conditional on
/// the time, Parzen-estimated), so a user who rated in a burst gets the items of that burst: new releases, and the items
/// everyone was rating then. On data split at random per user (a held-out rating was made in the same sessions as the
/// user's training ratings) this signal is one the item-item and factor models do not see; blend it with them.
/// <para>
/// Scoring is exact and linear in the number of events: with the events sorted by time and d_k = exp(-(t_k - t_(k-1))/h),
/// the kernel sum q(t_k) = sum_s w(s) exp(-|t_k - s|/h) is F_k + B_k - m_k, where m_k is the user's weight on event k,
/// F_k = F_(k-1) d_k + m_k (the user's events at or before t_k) and B_k = B_(k+1) d_(k+1) + m_k (at or after). The user's
/// own events are events of the log, so a(s) comes from the same two sweeps over all events (m = 1 each), once at fit.
/// </para>
/// Without timestamps every event has time 0 and the model is global popularity (every kernel weight is 1).
/// </summary>
public sealed class TimePopularity(TimePopularityParameters? parameters = null) : RecommenderBase<TimePopularityParameters>(parameters)
{
    /// <summary>The registered algorithm name.</summary>
    public const string Name = "time-popularity";
    private const double SecondsPerDay = 86_400;

    /// <summary>Item of each training event, events in time order.</summary>
    private int[] _eventItems = [];
    /// <summary>d_k = exp(-(t_k - t_(k-1)) / h) for events in time order (d_0 = 0).</summary>
    private float[] _decay = [];
    /// <summary>Per user, the positions of the user's events in time order: CSR pointers and positions.</summary>
    private int[] _userStarts = [0];
    private int[] _userEvents = [];
    /// <summary>w(s) = a(s)^-gamma for each position in <see cref="_userEvents"/>.</summary>
    private float[] _userWeights = [];
    /// <summary>pop(i)^-beta (0 for an item without events).</summary>
    private float[] _penalty = [];

    /// <inheritdoc/>
    public override string Algorithm => Name;

    /// <inheritdoc/>
    protected override void FitCore(Dataset data, FitContext context)
    {
        var log = data.Interactions;
        int events = log.Count, users = data.UserCount, items = data.ItemCount;
        using var task = context.Progress.Start(Name, 3);
        var order = new int[events];
        for (int r = 0; r < events; r++) order[r] = r;
        var times = (long[])log.Timestamps.Clone();
        Array.Sort(times, order); // stable enough: ties keep no meaning, every tie has kernel weight 1
        double h = Params.BandwidthDays * SecondsPerDay;
        _eventItems = new int[events];
        _decay = new float[events];
        for (int k = 0; k < events; k++)
        {
            _eventItems[k] = log.Items[order[k]];
            _decay[k] = k == 0 ? 0f : (float)Math.Exp(-(times[k] - times[k - 1]) / h);
        }
        task.Advance();
        context.Cancellation.ThrowIfCancellationRequested();

        // The activity a(t_k) around every event (unit mass on each), for the users' weights.
        var unit = new double[events];
        Array.Fill(unit, 1.0);
        var activity = KernelSums(_decay, unit);
        _userStarts = new int[users + 1];
        foreach (int u in log.Users) _userStarts[u + 1]++;
        for (int u = 0; u < users; u++) _userStarts[u + 1] += _userStarts[u];
        _userEvents = new int[events];
        _userWeights = new float[events];
        var fill = _userStarts[..users];
        for (int k = 0; k < events; k++)
        {
            int slot = fill[log.Users[order[k]]]++;
            _userEvents[slot] = k; // ascending in k, so each user's positions are in time order
            _userWeights[slot] = (float)Math.Pow(activity[k], -Params.ActivityExponent);
        }
        task.Advance();

        _penalty = new float[items];
        var popularity = new int[items];
        foreach (int i in log.Items) popularity[i]++;
        for (int i = 0; i < items; i++) _penalty[i] = popularity[i] > 0 ? MathF.Pow(popularity[i], -Params.PopularityExponent) : 0f;
        task.Advance();
    }

    /// <summary>
    /// q_k = sum_j m_j prod_(l between j and k) d_l = sum_j m_j exp(-|t_k - t_j| / h) for every k, by one forward and one
    /// backward sweep (F_k = F_(k-1) d_k + m_k, B_k = B_(k+1) d_(k+1) + m_k, q_k = F_k + B_k - m_k).
    /// </summary>
    internal static double[] KernelSums(ReadOnlySpan<float> decay, ReadOnlySpan<double> mass)
    {
        int n = mass.Length;
        var q = new double[n];
        double carry = 0;
        for (int k = 0; k < n; k++) { carry = carry * decay[k] + mass[k]; q[k] = carry; }
        carry = 0;
        for (int k = n - 1; k >= 0; k--)
        {
            q[k] += carry * (k + 1 < n ? decay[k + 1] : 0f); // the backward part strictly after k
            carry = (k + 1 < n ? carry * decay[k + 1] : 0) + mass[k];
        }
        return q;
    }

    /// <inheritdoc/>
    public override void ScoreAllItems(int user, Span<float> scores)
    {
        CheckUser(user);
        scores = scores[..ItemCount];
        scores.Clear();
        int start = _userStarts[user], end = _userStarts[user + 1];
        if (start == end) return;
        int n = _eventItems.Length;
        // The user's mass is zero outside its own events: sweep forward from its first event and backward from its last,
        // adding each sweep's carry to the scores as it goes (q_k = F_k + B_k - m_k, written as F_k + B_(k+1) d_(k+1)).
        int next = start;
        double carry = 0;
        for (int k = _userEvents[start]; k < n; k++)
        {
            carry *= _decay[k];
            while (next < end && _userEvents[next] == k) carry += _userWeights[next++];
            if (carry < 1e-30) { if (next == end) break; continue; }
            scores[_eventItems[k]] += (float)carry;
        }
        int previous = end - 1;
        carry = 0;
        for (int k = _userEvents[end - 1]; k >= 0; k--)
        {
            if (k + 1 < n) carry *= _decay[k + 1];
            if (carry >= 1e-30) scores[_eventItems[k]] += (float)carry;
            else if (previous < start) break;
            while (previous >= start && _userEvents[previous] == k) carry += _userWeights[previous--];
        }
        for (int i = 0; i < scores.Length; i++) scores[i] *= _penalty[i];
        if (Params.Logarithm)
        {
            float floor = 1e-6f * System.Numerics.Tensors.TensorPrimitives.Max(scores);
            if (!(floor > 0)) { scores.Clear(); return; } // no kernel mass anywhere: no information, all equal
            for (int i = 0; i < scores.Length; i++) scores[i] = MathF.Log(scores[i] + floor);
        }
    }

    /// <inheritdoc/>
    protected override void SaveModelState(ModelArchiveWriter writer)
    {
        writer.WriteArray("event_items", _eventItems);
        writer.WriteArray("decay", _decay);
        writer.WriteArray("user_starts", _userStarts);
        writer.WriteArray("user_events", _userEvents);
        writer.WriteArray("user_weights", _userWeights);
        writer.WriteArray("penalty", _penalty);
    }

    /// <inheritdoc/>
    protected override void LoadModelState(ModelArchiveReader reader)
    {
        _eventItems = reader.ReadInts("event_items");
        _decay = reader.ReadFloats("decay");
        _userStarts = reader.ReadInts("user_starts");
        _userEvents = reader.ReadInts("user_events");
        _userWeights = reader.ReadFloats("user_weights");
        _penalty = reader.ReadFloats("penalty");
        if (_decay.Length != _eventItems.Length || _userEvents.Length != _eventItems.Length || _userWeights.Length != _eventItems.Length
            || _userStarts.Length != UserCount + 1 || _penalty.Length != ItemCount)
            throw new TroveException($"{Name}: the model file's event arrays do not match its {UserCount} users and {ItemCount} items.");
    }
}
