using System;
using System.Buffers;
using Fusion.Normalization;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using Fusion.Activations;

namespace Fusion.Kernels;

/// <summary>
/// Shape-agnostic kernels, one operation per pass over memory, with every shape a runtime argument. They back
/// the generated <c>ForwardUnfused</c>: the three-pass baseline (conv, then BatchNorm, then activation) that shows
/// what fusion saves. The convolution is <see cref="GenericKernels"/>' register-tiled one; the other passes are
/// plain loops over memory.
/// </summary>
public static class UnfusedKernels
{
    /// <summary>The convolution with the layer's own (unfolded) weights and bias, NCHW in and out (<see cref="GenericKernels.Convolution"/>).</summary>
    public static void Conv2d(ReadOnlySpan<float> input, Conv2d conv, Span<float> output, int batch, int height, int width)
        => GenericKernels.Convolution(input, conv, output, batch, height, width);

    /// <summary>
    /// Inference-mode BatchNorm in place over <c>batch × channels × planeSize</c> floats, PyTorch semantics: with
    /// running statistics <c>y = s·x + t</c> (s = γ/√(running_var + ε), t = β − running_mean·s); without them, the
    /// batch's own mean and biased variance (<see cref="BatchStatistics"/>).
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">No running statistics and fewer than 2 values per channel.</exception>
    public static void BatchNormInference(Span<float> data, BatchNorm batchNorm, int batch, int planeSize)
    {
        ArgumentNullException.ThrowIfNull(batchNorm);
        int channels = batchNorm.Features;
        CheckLength(data, batch * channels * planeSize, nameof(data));
        // Pooled scratch: this also runs inside the fused Forward of layers with batch statistics (FUS3001).
        float[] scratch = ArrayPool<float>.Shared.Rent(2 * channels);
        Span<float> scale = scratch.AsSpan(0, channels), shift = scratch.AsSpan(channels, channels);
        if (batchNorm.TrackRunningStats)
        {
            batchNorm.GetEvalScaleShift(scale, shift);
        }
        else
        {
            if ((long)batch * planeSize < 2)
            {
                ArrayPool<float>.Shared.Return(scratch);
                throw new ArgumentOutOfRangeException(nameof(batch), batch,
                    $"BatchNorm with batch statistics needs more than 1 value per channel, but batch {batch} × {planeSize} values per plane gives {(long)batch * planeSize}.");
            }

            ChannelStatistics[] statistics = ArrayPool<ChannelStatistics>.Shared.Rent(channels);
            Span<ChannelStatistics> batchStatistics = statistics.AsSpan(0, channels);
            batchStatistics.Clear();
            BatchStatistics.Accumulate(data, batch, channels, planeSize, batchStatistics);
            batchNorm.GetBatchScaleShift(batchStatistics, scale, shift);
            ArrayPool<ChannelStatistics>.Shared.Return(statistics);
        }

        for (int n = 0; n < batch; n++)
        {
            for (int c = 0; c < channels; c++)
            {
                Span<float> plane = data.Slice((n * channels + c) * planeSize, planeSize);
                for (int i = 0; i < plane.Length; i++)
                {
                    plane[i] = scale[c] * plane[i] + shift[c];
                }
            }
        }

        ArrayPool<float>.Shared.Return(scratch);
    }

    /// <summary><c>data += addend</c>, element-wise.</summary>
    public static void Add(Span<float> data, ReadOnlySpan<float> addend)
    {
        CheckLength(addend, data.Length, nameof(addend));
        for (int i = 0; i < data.Length; i++)
        {
            data[i] += addend[i];
        }
    }

    /// <summary>Applies <paramref name="activation"/> in place, eight at a time where it can.</summary>
    public static void Activate<TActivation>(Span<float> data, TActivation activation)
        where TActivation : struct, IActivation
    {
        Span<Vector256<float>> vectors = MemoryMarshal.Cast<float, Vector256<float>>(data);
        for (int i = 0; i < vectors.Length; i++)
        {
            vectors[i] = activation.Invoke(vectors[i]);
        }

        for (int i = vectors.Length * 8; i < data.Length; i++)
        {
            data[i] = activation.Invoke(data[i]);
        }
    }

    /// <summary>Max, average or global-average pooling, NCHW in and out.</summary>
    public static void Pool(ReadOnlySpan<float> input, PoolLayer pool, Span<float> output, int batch, int channels, int height, int width)
    {
        ArgumentNullException.ThrowIfNull(pool);
        CheckLength(input, batch * channels * height * width, nameof(input));
        if (pool.Kind == PoolKind.GlobalAverage)
        {
            CheckLength(output, batch * channels, nameof(output));
            for (int plane = 0; plane < batch * channels; plane++)
            {
                double sum = 0;
                foreach (float value in input.Slice(plane * height * width, height * width))
                {
                    sum += value;
                }

                output[plane] = (float)(sum / (height * width));
            }

            return;
        }

        int k = pool.Kernel, s = pool.Stride, p = pool.Padding;
        int outHeight = (height + 2 * p - k) / s + 1, outWidth = (width + 2 * p - k) / s + 1;
        CheckLength(output, batch * channels * outHeight * outWidth, nameof(output));
        unsafe
        {
            fixed (float* x = input, y = output)
            {
                Pooling.Window(x, pool, y, batch * channels, height, width);
            }
        }
    }

    /// <summary>
    /// Windowed pooling (max or average) into the interiors of a zero-bordered output buffer: <paramref name="batch"/>
    /// images of <paramref name="channels"/> planes of (outHeight + 2·<paramref name="padHeight"/>) ×
    /// (outWidth + 2·<paramref name="padWidth"/>) floats, so that a convolution with that padding reads it without a
    /// copy. The borders are the caller's (<see cref="Padding.ZeroBorders"/>).
    /// </summary>
    public static void PoolBordered(ReadOnlySpan<float> input, PoolLayer pool, Span<float> output, int batch, int channels, int height, int width, int padHeight, int padWidth)
    {
        ArgumentNullException.ThrowIfNull(pool);
        if (pool.Kind == PoolKind.GlobalAverage)
        {
            throw new ArgumentException("Global average pooling has no spatial output to border.", nameof(pool));
        }

        ArgumentOutOfRangeException.ThrowIfNegative(padHeight);
        ArgumentOutOfRangeException.ThrowIfNegative(padWidth);
        CheckLength(input, batch * channels * height * width, nameof(input));
        int k = pool.Kernel, s = pool.Stride, p = pool.Padding;
        int outHeight = (height + 2 * p - k) / s + 1, outWidth = (width + 2 * p - k) / s + 1;
        int row = outWidth + 2 * padWidth, plane = (outHeight + 2 * padHeight) * row;
        CheckLength(output, batch * channels * plane, nameof(output));
        unsafe
        {
            fixed (float* x = input, y = output)
            {
                Pooling.Window(x, pool, y + padHeight * row + padWidth, batch * channels, height, width, row, plane);
            }
        }
    }

    /// <summary>A fully connected layer with its own (unfolded) weights: <c>y = W·x + b</c> per sample.</summary>
    public static void Linear(ReadOnlySpan<float> input, Linear linear, Span<float> output, int batch)
    {
        ArgumentNullException.ThrowIfNull(linear);
        int inFeatures = linear.InFeatures, outFeatures = linear.OutFeatures;
        CheckLength(input, batch * inFeatures, nameof(input));
        CheckLength(output, batch * outFeatures, nameof(output));
        ReadOnlySpan<float> weight = linear.Weight.Data;
        for (int n = 0; n < batch; n++)
        {
            for (int o = 0; o < outFeatures; o++)
            {
                float sum = linear.Bias is null ? 0f : linear.Bias.Data[o];
                for (int i = 0; i < inFeatures; i++)
                {
                    sum += weight[o * inFeatures + i] * input[n * inFeatures + i];
                }

                output[n * outFeatures + o] = sum;
            }
        }
    }

    /// <summary>
    /// PyTorch's divisor for one average-pooling window: with <c>count_include_pad</c> the window clipped to the padded
    /// image (padding counts, positions beyond it do not), otherwise the <paramref name="inside"/> positions in the image.
    /// </summary>
    internal static float AverageDivisor(PoolLayer pool, int oh, int ow, int height, int width, int inside)
    {
        int k = pool.Kernel, s = pool.Stride, p = pool.Padding;
        return pool.CountIncludePad
            ? (Math.Min(oh * s - p + k, height + p) - (oh * s - p)) * (Math.Min(ow * s - p + k, width + p) - (ow * s - p))
            : inside;
    }

    private static void CheckLength(ReadOnlySpan<float> span, int expected, string name)
    {
        if (span.Length != expected)
        {
            throw new ArgumentException($"Expected {expected} floats; the span holds {span.Length}.", name);
        }
    }
}
