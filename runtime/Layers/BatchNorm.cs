using System;
using System.Collections.Generic;

namespace Fusion;

/// <summary>
/// BatchNorm state with PyTorch <c>BatchNorm1d/2d</c> semantics: γ (<c>weight</c>) and β (<c>bias</c>) when affine,
/// <c>running_mean</c> (initially 0), <c>running_var</c> (initially 1, stored unbiased) and
/// <c>num_batches_tracked</c> when running statistics are kept.
/// </summary>
public sealed class BatchNorm
{
    /// <summary>Creates the state. Called by generated model code.</summary>
    /// <param name="prefix">The <c>state_dict</c> prefix, e.g. <c>stem.bn</c>.</param>
    /// <param name="features">Channels (2-D) or features (1-D).</param>
    /// <param name="epsilon">ε.</param>
    /// <param name="momentum">PyTorch momentum, or <see langword="null"/> for a cumulative average.</param>
    /// <param name="affine">Whether γ and β exist.</param>
    /// <param name="trackRunningStats">Whether running statistics exist.</param>
    /// <param name="changes">The owning model's edit counter.</param>
    public BatchNorm(string prefix, int features, float epsilon, float? momentum, bool affine, bool trackRunningStats, ChangeCounter changes)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(features);
        if (!(epsilon > 0f))
        {
            throw new ArgumentOutOfRangeException(nameof(epsilon), epsilon, "BatchNorm epsilon must be positive.");
        }

        Features = features;
        Epsilon = epsilon;
        Momentum = momentum;
        if (affine)
        {
            Weight = new Parameter(prefix + ".weight", [features], changes);
            Weight.Fill(1f);
            Bias = new Parameter(prefix + ".bias", [features], changes);
        }

        if (trackRunningStats)
        {
            RunningMean = new Parameter(prefix + ".running_mean", [features], changes);
            RunningVar = new Parameter(prefix + ".running_var", [features], changes);
            RunningVar.Fill(1f);
        }
    }

    /// <summary>Channels or features.</summary>
    public int Features { get; }

    /// <summary>ε added to the variance.</summary>
    public float Epsilon { get; }

    /// <summary>PyTorch momentum; <see langword="null"/> means a cumulative average.</summary>
    public float? Momentum { get; }

    /// <summary>γ, or <see langword="null"/> without affine.</summary>
    public Parameter? Weight { get; }

    /// <summary>β, or <see langword="null"/> without affine.</summary>
    public Parameter? Bias { get; }

    /// <summary>Running mean, or <see langword="null"/> without running statistics.</summary>
    public Parameter? RunningMean { get; }

    /// <summary>Running (unbiased) variance, or <see langword="null"/> without running statistics.</summary>
    public Parameter? RunningVar { get; }

    /// <summary>PyTorch's <c>num_batches_tracked</c>.</summary>
    public long NumBatchesTracked { get; set; }

    /// <summary>Whether γ and β exist.</summary>
    public bool Affine => Weight is not null;

    /// <summary>Whether running statistics exist.</summary>
    public bool TrackRunningStats => RunningMean is not null;

    /// <summary>The float tensors in <c>state_dict</c> order.</summary>
    public IEnumerable<Parameter> Tensors
    {
        get
        {
            if (Weight is not null) { yield return Weight; }
            if (Bias is not null) { yield return Bias; }
            if (RunningMean is not null) { yield return RunningMean; }
            if (RunningVar is not null) { yield return RunningVar; }
        }
    }

    /// <summary>
    /// The eval-mode affine map <c>y = s·x + t</c>: <c>s = γ/√(running_var + ε)</c>, <c>t = β − running_mean·s</c>,
    /// computed in double and rounded once.
    /// </summary>
    /// <exception cref="InvalidOperationException">The layer keeps no running statistics.</exception>
    public void GetEvalScaleShift(Span<float> scale, Span<float> shift)
    {
        if (RunningMean is null || RunningVar is null)
        {
            throw new InvalidOperationException("BatchNorm without running statistics has no eval-mode scale and shift.");
        }

        if (scale.Length != Features || shift.Length != Features)
        {
            throw new ArgumentException($"Expected spans of {Features} values; got {scale.Length} and {shift.Length}.");
        }

        ReadOnlySpan<float> mean = RunningMean.Data, variance = RunningVar.Data;
        for (int c = 0; c < Features; c++)
        {
            double gamma = Weight is null ? 1.0 : Weight.Data[c];
            double beta = Bias is null ? 0.0 : Bias.Data[c];
            double s = gamma / Math.Sqrt(variance[c] + (double)Epsilon);
            scale[c] = (float)s;
            shift[c] = (float)(beta - mean[c] * s);
        }
    }
}
