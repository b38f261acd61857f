using System;

namespace Fusion.Kernels;

/// <summary>Per-channel statistics of an NCHW batch, computed stably (see <see cref="Normalization.ChannelStatistics"/>).</summary>
public static class BatchStatistics
{
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
