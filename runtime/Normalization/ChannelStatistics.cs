using System;
using System.Runtime.CompilerServices;

namespace Fusion.Normalization;

/// <summary>
/// Count, mean and sum of squared deviations (M2) of one channel, in double, combined with Chan et al.'s
/// parallel formula: partial results (one row, one image, one thread) merge without ever forming the
/// cancellation-prone Σx² − m·μ². <c>variance = M2 / count</c> (biased), <c>M2 / (count − 1)</c> (unbiased).
/// </summary>
public struct ChannelStatistics
{
    /// <summary>Values seen.</summary>
    public long Count;

    /// <summary>Their mean.</summary>
    public double Mean;

    /// <summary>Σ (x − mean)² over them.</summary>
    public double M2;

    /// <summary>The biased variance M2 / count (what BatchNorm normalises by in training).</summary>
    public readonly double BiasedVariance => Count > 0 ? M2 / Count : double.NaN;

    /// <summary>The unbiased variance M2 / (count − 1) (what PyTorch stores as running_var).</summary>
    public readonly double UnbiasedVariance => Count > 1 ? M2 / (Count - 1) : double.NaN;

    /// <summary>Adds one value (Welford's update).</summary>
    public void Add(double value)
    {
        Count++;
        double delta = value - Mean;
        Mean += delta / Count;
        M2 += delta * (value - Mean);
    }

    /// <summary>Merges a partial result of <paramref name="count"/> values with mean <paramref name="mean"/> and M2 <paramref name="m2"/> (Chan's formula).</summary>
    public void Combine(long count, double mean, double m2)
    {
        if (count == 0)
        {
            return;
        }

        long total = Count + count;
        double delta = mean - Mean;
        Mean += delta * count / total;
        M2 += m2 + delta * delta * ((double)Count * count / total);
        Count = total;
    }

    /// <summary>
    /// Merges a run of values (a staged output row) by first computing its own mean and M2 in two passes over
    /// the run (it is in L1), then combining; this is what the training kernels' epilogues call per row.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void AddRun(ReadOnlySpan<float> values)
    {
        if (values.IsEmpty)
        {
            return;
        }

        double sum = 0;
        foreach (float value in values)
        {
            sum += value;
        }

        double mean = sum / values.Length, m2 = 0;
        foreach (float value in values)
        {
            double d = value - mean;
            m2 += d * d;
        }

        Combine(values.Length, mean, m2);
    }
}
