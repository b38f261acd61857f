using System;

namespace Fusion.Normalization;

/// <summary>Collects per-batch statistics for precise re-estimation: the mean of batch means and of unbiased batch variances.</summary>
internal sealed class PopulationRecorder(int features)
{
    private readonly double[] _means = new double[features];
    private readonly double[] _variances = new double[features];

    public int Batches { get; private set; }

    public void Record(ReadOnlySpan<ChannelStatistics> batch)
    {
        for (int c = 0; c < _means.Length; c++)
        {
            _means[c] += batch[c].Mean;
            _variances[c] += batch[c].UnbiasedVariance;
        }

        Batches++;
    }

    public double Mean(int channel) => _means[channel] / Batches;

    public double Variance(int channel) => _variances[channel] / Batches;
}
