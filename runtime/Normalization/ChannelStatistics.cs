using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

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
    /// Merges a run of values (a channel's rows of one image) into the statistics: each chunk is shifted by its first
    /// value (an exact subtraction for values within a factor of two of it, Sterbenz), its mean and M2 computed in two
    /// vectorised passes over the small shifted values, and the result combined with Chan's formula in double. The
    /// shift is what keeps a mean 10⁴ times the spread from cancelling the variance away.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void AddRun(ReadOnlySpan<float> values)
    {
        // Long runs (whole planes) in chunks, each with its own shift and float sums over at most 1024 values.
        while (values.Length > RunChunk)
        {
            AddChunk(values[..RunChunk]);
            values = values[RunChunk..];
        }

        AddChunk(values);
    }

    private const int RunChunk = 1024;

    /// <summary>Runs up to this long are gathered several to a chunk by <see cref="AddRuns"/>; longer ones are chunks of their own.</summary>
    internal const int MaxGatheredRun = RunChunk / 2;

    /// <summary>
    /// Merges <paramref name="runs"/> runs of <paramref name="length"/> values, run r starting at
    /// <paramref name="first"/> + r·<paramref name="stride"/> (a channel's plane in each image of an NCHW batch):
    /// short runs are gathered into chunks of up to 1024 values with one shift and one combination each, so small
    /// planes (8×8) do not pay a chunk's fixed cost per plane.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void AddRuns(ReadOnlySpan<float> data, int first, int stride, int runs, int length)
    {
        if (runs > 0 && (first < 0 || length < 0 || stride < length || (long)first + (long)(runs - 1) * stride + length > data.Length))
        {
            throw new ArgumentException($"Expected {runs} runs of {length} values {stride} apart from {first} inside {data.Length} values.", nameof(data));
        }

        if (length == 0)
        {
            return;
        }

        if (length > MaxGatheredRun)
        {
            for (int r = 0; r < runs; r++)
            {
                AddRun(data.Slice(first + r * stride, length));
            }

            return;
        }

        int perChunk = RunChunk / length;
        for (int r = 0; r < runs; r += perChunk)
        {
            AddChunk(ref Unsafe.Add(ref MemoryMarshal.GetReference(data), first + r * stride), stride, Math.Min(perChunk, runs - r), length);
        }
    }

    private void AddChunk(ReadOnlySpan<float> values) => AddChunk(ref MemoryMarshal.GetReference(values), values.Length, 1, values.Length);

    /// <summary>
    /// <paramref name="runs"/> runs of <paramref name="length"/> values, <paramref name="stride"/> apart, as one chunk
    /// of at most 1024 values: shifted by its first value, sums in float, combined in double.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void AddChunk(ref float first, int stride, int runs, int length)
    {
        if (length == 0 || runs == 0)
        {
            return;
        }

        float shift = first;
        int blockEnd = length - length % 32, vectorEnd = length - length % 8;
        var vectorShift = Vector256.Create(shift);

        // Four independent sums per pass: one chain would wait on every add's latency.
        Vector256<float> s0 = Vector256<float>.Zero, s1 = s0, s2 = s0, s3 = s0;
        float tail = 0;
        for (int r = 0; r < runs; r++)
        {
            ref float start = ref Unsafe.Add(ref first, r * stride);
            int i = 0;
            for (; i < blockEnd; i += 32)
            {
                s0 += Vector256.LoadUnsafe(ref start, (nuint)i) - vectorShift;
                s1 += Vector256.LoadUnsafe(ref start, (nuint)(i + 8)) - vectorShift;
                s2 += Vector256.LoadUnsafe(ref start, (nuint)(i + 16)) - vectorShift;
                s3 += Vector256.LoadUnsafe(ref start, (nuint)(i + 24)) - vectorShift;
            }

            for (; i < vectorEnd; i += 8)
            {
                s0 += Vector256.LoadUnsafe(ref start, (nuint)i) - vectorShift;
            }

            for (i = vectorEnd; i < length; i++)
            {
                tail += Unsafe.Add(ref start, i) - shift;
            }
        }

        int count = runs * length;
        float shiftedMean = (Vector256.Sum((s0 + s1) + (s2 + s3)) + tail) / count;
        var vectorMean = Vector256.Create(shiftedMean);
        Vector256<float> q0 = Vector256<float>.Zero, q1 = q0, q2 = q0, q3 = q0;
        float m2Tail = 0;
        for (int r = 0; r < runs; r++)
        {
            ref float start = ref Unsafe.Add(ref first, r * stride);
            int i = 0;
            for (; i < blockEnd; i += 32)
            {
                Vector256<float> d0 = (Vector256.LoadUnsafe(ref start, (nuint)i) - vectorShift) - vectorMean;
                Vector256<float> d1 = (Vector256.LoadUnsafe(ref start, (nuint)(i + 8)) - vectorShift) - vectorMean;
                Vector256<float> d2 = (Vector256.LoadUnsafe(ref start, (nuint)(i + 16)) - vectorShift) - vectorMean;
                Vector256<float> d3 = (Vector256.LoadUnsafe(ref start, (nuint)(i + 24)) - vectorShift) - vectorMean;
                q0 = Vector256.FusedMultiplyAdd(d0, d0, q0);
                q1 = Vector256.FusedMultiplyAdd(d1, d1, q1);
                q2 = Vector256.FusedMultiplyAdd(d2, d2, q2);
                q3 = Vector256.FusedMultiplyAdd(d3, d3, q3);
            }

            for (; i < vectorEnd; i += 8)
            {
                Vector256<float> d = (Vector256.LoadUnsafe(ref start, (nuint)i) - vectorShift) - vectorMean;
                q0 = Vector256.FusedMultiplyAdd(d, d, q0);
            }

            for (i = vectorEnd; i < length; i++)
            {
                float d = Unsafe.Add(ref start, i) - shift - shiftedMean;
                m2Tail += d * d;
            }
        }

        float m2 = Vector256.Sum((q0 + q1) + (q2 + q3)) + m2Tail;
        Combine(count, (double)shift + shiftedMean, m2);
    }
}
