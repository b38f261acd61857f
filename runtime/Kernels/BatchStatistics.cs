using System;

namespace Fusion.Kernels;

/// <summary>Per-channel statistics of an NCHW batch, computed stably.</summary>
public static class BatchStatistics
{
    /// <summary>
    /// The mean and the biased variance (divided by m = batch·planeSize) of each channel, in double and in two
    /// passes (the mean, then the centred sum of squares), so that a mean far larger than the spread costs no
    /// precision; never the cancelling Σx² − m·μ².
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">m &lt; 2: one value has no spread to normalise by (PyTorch: "Expected more than 1 value per channel").</exception>
    public static void MeanAndBiasedVariance(ReadOnlySpan<float> data, int batch, int channels, int planeSize, Span<double> mean, Span<double> variance)
    {
        long m = (long)batch * planeSize;
        if (m < 2)
        {
            throw new ArgumentOutOfRangeException(nameof(batch), batch,
                $"BatchNorm with batch statistics needs more than 1 value per channel, but batch {batch} × {planeSize} values per plane gives {m}.");
        }

        if (data.Length != (long)batch * channels * planeSize || mean.Length != channels || variance.Length != channels)
        {
            throw new ArgumentException($"Expected {(long)batch * channels * planeSize} floats and {channels} statistics; got {data.Length}, {mean.Length} and {variance.Length}.");
        }

        for (int c = 0; c < channels; c++)
        {
            double sum = 0;
            for (int n = 0; n < batch; n++)
            {
                foreach (float value in data.Slice((n * channels + c) * planeSize, planeSize))
                {
                    sum += value;
                }
            }

            double mu = sum / m, squares = 0;
            for (int n = 0; n < batch; n++)
            {
                foreach (float value in data.Slice((n * channels + c) * planeSize, planeSize))
                {
                    double d = value - mu;
                    squares += d * d;
                }
            }

            mean[c] = mu;
            variance[c] = squares / m;
        }
    }

    /// <summary>
    /// Adds every value of each channel of an NCHW batch to its <see cref="Normalization.ChannelStatistics"/>, one plane
    /// at a time (Chan's combination); the training path uses it where the kernel's epilogue cannot (layers without a staged row).
    /// </summary>
    public static void Accumulate(ReadOnlySpan<float> data, int batch, int channels, int planeSize, Span<Normalization.ChannelStatistics> statistics)
    {
        for (int n = 0; n < batch; n++)
        {
            for (int c = 0; c < channels; c++)
            {
                statistics[c].AddRun(data.Slice((n * channels + c) * planeSize, planeSize));
            }
        }
    }
}
