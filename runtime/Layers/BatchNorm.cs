using System;
using System.Collections.Generic;
using Fusion.Normalization;

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

        Prefix = prefix;
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
            RunningMean = new Parameter(prefix + ".running_mean", [features], changes, learnable: false);
            RunningVar = new Parameter(prefix + ".running_var", [features], changes, learnable: false);
            RunningVar.Fill(1f);
        }
    }

    /// <summary>The <c>state_dict</c> prefix, e.g. <c>stem.bn</c>.</summary>
    public string Prefix { get; }

    /// <summary>Channels or features.</summary>
    public int Features { get; }

    /// <summary>How <see cref="Momentum"/> and the stored variance are read (default <see cref="BatchNormConvention.PyTorch"/>).</summary>
    public BatchNormConvention Convention { get; set; }

    /// <summary>
    /// FrozenBatchNorm (torchvision): while training, this layer still normalises with its running statistics,
    /// updates none of them, and passes gradients as eval-mode BatchNorm does (BATCHNORM.md §5).
    /// </summary>
    public bool Frozen { get; set; }

    /// <summary>Throw a <see cref="NonFiniteBatchException"/> instead of only raising <see cref="NonFiniteBatch"/>.</summary>
    public bool ThrowOnNonFiniteBatch { get; set; }

    /// <summary>Raised when a batch's statistics are not finite and were kept out of the running statistics.</summary>
    public event EventHandler<NonFiniteBatchEventArgs>? NonFiniteBatch;

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
            (scale[c], shift[c]) = ScaleShift(c, mean[c], variance[c]);
        }
    }

    /// <summary>
    /// The affine map <c>y = s·x + t</c> that normalises with a batch's own statistics (training, or inference
    /// without running statistics): <c>s = γ/√(σ²_B + ε)</c> with the biased batch variance, <c>t = β − μ_B·s</c>.
    /// </summary>
    public void GetBatchScaleShift(ReadOnlySpan<ChannelStatistics> batch, Span<float> scale, Span<float> shift)
    {
        if (batch.Length != Features || scale.Length != Features || shift.Length != Features)
        {
            throw new ArgumentException($"Expected {Features} statistics, scales and shifts; got {batch.Length}, {scale.Length} and {shift.Length}.");
        }

        for (int c = 0; c < Features; c++)
        {
            (scale[c], shift[c]) = ScaleShift(c, batch[c].Mean, batch[c].BiasedVariance);
        }
    }

    /// <summary>s = γ/√(σ² + ε), t = β − μ·s for one channel, in double and rounded once.</summary>
    private (float Scale, float Shift) ScaleShift(int channel, double mean, double variance)
    {
        double gamma = Weight is null ? 1.0 : Weight.Data[channel];
        double beta = Bias is null ? 0.0 : Bias.Data[channel];
        double s = gamma / Math.Sqrt(variance + Epsilon);
        return ((float)s, (float)(beta - mean * s));
    }

    /// <summary>
    /// Folds one training batch's per-channel statistics into the running statistics, in this layer's
    /// <see cref="Convention"/>. PyTorch: <c>num_batches_tracked += 1</c>, <c>f = momentum ?? 1/num_batches_tracked</c>,
    /// <c>running_mean = (1 − f)·running_mean + f·μ</c>, <c>running_var = (1 − f)·running_var + f·σ²·m/(m − 1)</c>.
    /// Keras: <c>running = momentum·running + (1 − momentum)·batch</c> with the biased variance. A batch whose
    /// statistics are not finite changes nothing: it raises <see cref="NonFiniteBatch"/> (and throws when
    /// <see cref="ThrowOnNonFiniteBatch"/> is set) and is reported in the result.
    /// </summary>
    /// <exception cref="ArgumentException">Fewer than 2 values per channel (m = N·H·W = 1), or a span of the wrong length.</exception>
    public RunningStatisticsUpdate UpdateRunningStatistics(ReadOnlySpan<ChannelStatistics> batch)
    {
        if (batch.Length != Features)
        {
            throw new ArgumentException($"BatchNorm '{Prefix}' has {Features} channels; got statistics for {batch.Length}.", nameof(batch));
        }

        for (int c = 0; c < Features; c++)
        {
            if (batch[c].Count < 2)
            {
                throw new ArgumentException(
                    $"BatchNorm '{Prefix}': training needs more than 1 value per channel (m = N·H·W), but channel {c} has {batch[c].Count}.", nameof(batch));
            }
        }

        for (int c = 0; c < Features; c++)
        {
            double mean = batch[c].Mean, variance = batch[c].BiasedVariance;
            if (!double.IsFinite(mean) || !double.IsFinite(variance))
            {
                var details = new NonFiniteBatchEventArgs(Prefix, c, mean, variance);
                NonFiniteBatch?.Invoke(this, details);
                if (ThrowOnNonFiniteBatch)
                {
                    throw new NonFiniteBatchException(details);
                }

                return new RunningStatisticsUpdate(false, $"channel {c}: mean {mean}, variance {variance}");
            }
        }

        if (RunningMean is null || RunningVar is null || Frozen)
        {
            return new RunningStatisticsUpdate(false, RunningMean is null ? "no running statistics are kept" : "the layer is frozen");
        }

        NumBatchesTracked++;
        double keepNew = Convention == BatchNormConvention.Keras
            ? 1.0 - (Momentum ?? 0.99f)
            : Momentum ?? 1.0 / NumBatchesTracked;
        bool unbiased = Convention == BatchNormConvention.PyTorch;
        Span<float> runningMean = RunningMean.Values, runningVar = RunningVar.Values;
        for (int c = 0; c < Features; c++)
        {
            double variance = unbiased ? batch[c].UnbiasedVariance : batch[c].BiasedVariance;
            runningMean[c] = (float)((1 - keepNew) * runningMean[c] + keepNew * batch[c].Mean);
            runningVar[c] = (float)((1 - keepNew) * runningVar[c] + keepNew * variance);
        }

        RunningMean.MarkChanged();
        RunningVar.MarkChanged();
        return RunningStatisticsUpdate.Accepted;
    }

    private PopulationRecorder? _recorder;

    /// <summary>
    /// What a training forward pass calls with the batch statistics it measured: normally
    /// <see cref="UpdateRunningStatistics"/>; while <see cref="PreciseBatchNorm"/> re-estimates, it records them instead.
    /// </summary>
    public RunningStatisticsUpdate CommitBatch(ReadOnlySpan<ChannelStatistics> batch)
    {
        if (_recorder is not null)
        {
            _recorder.Record(batch);
            return new RunningStatisticsUpdate(false, "recorded for re-estimation");
        }

        return UpdateRunningStatistics(batch);
    }

    internal PopulationRecorder StartRecording() => _recorder = new PopulationRecorder(Features);

    internal void StopRecording() => _recorder = null;
}
