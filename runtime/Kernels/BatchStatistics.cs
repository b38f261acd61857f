using System;

namespace Fusion.Kernels;

/// <summary>Per-channel statistics of an NCHW batch, computed stably (see <see cref="Normalization.ChannelStatistics"/>).</summary>
public static class BatchStatistics
{
    /// <summary>
    /// Adds every value of each channel of an NCHW batch to its <see cref="Normalization.ChannelStatistics"/>, channel
    /// by channel over the planes of every image (small planes gathered into chunks of up to 1024 values; Chan's
    /// combination between chunks). The training path uses it after the batch for layers whose planes are too small
    /// for the kernel's epilogue to measure them economically, or where the epilogue cannot (rows too wide to stage).
    /// </summary>
    public static void Accumulate(ReadOnlySpan<float> data, int batch, int channels, int planeSize, Span<Normalization.ChannelStatistics> statistics)
    {
        if (data.Length != (long)batch * channels * planeSize || statistics.Length < channels)
        {
            throw new ArgumentException($"Expected {(long)batch * channels * planeSize} values (batch {batch} × {channels} channels × {planeSize}) and {channels} statistics; got {data.Length} and {statistics.Length}.");
        }

        if (planeSize >= Normalization.ChannelStatistics.MaxGatheredRun)
        {
            // Whole planes are chunks of their own: walk the batch in memory order (one stream for the prefetchers).
            for (int n = 0; n < batch; n++)
            {
                for (int c = 0; c < channels; c++)
                {
                    statistics[c].AddRun(data.Slice((n * channels + c) * planeSize, planeSize));
                }
            }

            return;
        }

        for (int c = 0; c < channels; c++)
        {
            statistics[c].AddRuns(data, c * planeSize, channels * planeSize, batch, planeSize);
        }
    }
}
