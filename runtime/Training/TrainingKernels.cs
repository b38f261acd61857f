using System;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Fusion.Activations;
using Fusion.Normalization;

namespace Fusion.Training;

/// <summary>
/// The shape-agnostic passes of training that follow or undo a generated convolution: BatchNorm with batch
/// statistics, the residual add and the activation (forward and backward), and the gradients of convolutions,
/// fully connected layers and pooling. Generated training code calls them per layer with its constants.
/// </summary>
public static class TrainingKernels
{
    /// <summary>
    /// The pass after a training convolution: <c>x̂ = (z − μ)·invstd</c> written over <paramref name="z"/> (kept for the
    /// backward pass), then <c>y = act(γ·x̂ + β [+ r])</c>. μ and the biased σ² come from <paramref name="statistics"/>
    /// (the batch, accumulated in the convolution's epilogue) when <paramref name="batchStatistics"/>, else from the
    /// running statistics (eval mode or a frozen layer). Without BatchNorm, <c>y = act(z [+ r])</c> and z is kept as is.
    /// <paramref name="inverseStd"/> receives 1/√(σ² + ε) per channel for the backward pass.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void NormalizeAddActivate<TActivation>(
        Span<float> z, Span<float> y, ReadOnlySpan<float> residual, BatchNorm? batchNorm, ReadOnlySpan<ChannelStatistics> statistics,
        Span<float> inverseStd, bool batchStatistics, int batch, int channels, int planeSize, TActivation activation)
        where TActivation : struct, IActivation
    {
        CheckLengths(z.Length, batch, channels, planeSize, y.Length, residual.Length);
        for (int c = 0; c < channels; c++)
        {
            double mean = 0, invStd = 1, gamma = 1, beta = 0;
            if (batchNorm is not null)
            {
                (mean, double variance) = batchStatistics
                    ? (statistics[c].Mean, statistics[c].BiasedVariance)
                    : (batchNorm.RunningMean!.Data[c], batchNorm.RunningVar!.Data[c]);
                invStd = 1 / Math.Sqrt(variance + batchNorm.Epsilon);
                gamma = batchNorm.Weight?.Data[c] ?? 1f;
                beta = batchNorm.Bias?.Data[c] ?? 0f;
                inverseStd[c] = (float)invStd;
            }

            for (int n = 0; n < batch; n++)
            {
                int start = (n * channels + c) * planeSize;
                Span<float> zPlane = z.Slice(start, planeSize), yPlane = y.Slice(start, planeSize);
                ReadOnlySpan<float> rPlane = residual.IsEmpty ? default : residual.Slice(start, planeSize);
                for (int i = 0; i < planeSize; i++)
                {
                    float u;
                    if (batchNorm is not null)
                    {
                        float xHat = (float)((zPlane[i] - mean) * invStd);
                        zPlane[i] = xHat;
                        u = (float)(gamma * xHat + beta);
                    }
                    else
                    {
                        u = zPlane[i];
                    }

                    if (!rPlane.IsEmpty)
                    {
                        u += rPlane[i];
                    }

                    yPlane[i] = activation.Invoke(u);
                }
            }
        }
    }

    /// <summary>
    /// Backward through the activation, the residual add and BatchNorm (BATCHNORM.md §4 with batch statistics, §5
    /// with running ones). Reads the output gradient from <paramref name="gradient"/> and overwrites it with the
    /// convolution output's gradient dz; adds the residual's gradient (= du) to <paramref name="residualGradient"/>;
    /// adds dγ and dβ to the BatchNorm's parameter gradients. <paramref name="kept"/> is what the forward pass kept:
    /// x̂ with BatchNorm, z without.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void NormalizeAddActivateBackward<TActivation>(
        ReadOnlySpan<float> kept, Span<float> gradient, ReadOnlySpan<float> residual, Span<float> residualGradient, BatchNorm? batchNorm,
        ReadOnlySpan<float> inverseStd, bool batchStatistics, int batch, int channels, int planeSize, TActivation activation)
        where TActivation : struct, IActivation
    {
        CheckLengths(kept.Length, batch, channels, planeSize, gradient.Length, residual.Length);
        Span<float> gammaGradient = batchNorm?.Weight is { } w ? w.Gradient : default;
        Span<float> betaGradient = batchNorm?.Bias is { } b ? b.Gradient : default;
        long m = (long)batch * planeSize;
        for (int c = 0; c < channels; c++)
        {
            double gamma = batchNorm?.Weight?.Data[c] ?? 1f, beta = batchNorm?.Bias?.Data[c] ?? 0f;
            double sumDu = 0, sumDuXHat = 0;

            // du = g·act′(u), u recomputed from what the forward pass kept
            for (int n = 0; n < batch; n++)
            {
                int start = (n * channels + c) * planeSize;
                Span<float> g = gradient.Slice(start, planeSize);
                ReadOnlySpan<float> k = kept.Slice(start, planeSize);
                for (int i = 0; i < planeSize; i++)
                {
                    double u = batchNorm is null ? k[i] : gamma * k[i] + beta;
                    if (!residual.IsEmpty)
                    {
                        u += residual[start + i];
                    }

                    float du = g[i] * activation.Derivative((float)u);
                    g[i] = du;
                    if (!residualGradient.IsEmpty)
                    {
                        residualGradient[start + i] += du;
                    }

                    sumDu += du;
                    sumDuXHat += du * (double)k[i];
                }
            }

            if (batchNorm is null)
            {
                continue;
            }

            if (!gammaGradient.IsEmpty)
            {
                gammaGradient[c] += (float)sumDuXHat;
                betaGradient[c] += (float)sumDu;
            }

            double scale = gamma * inverseStd[c];
            double meanDu = sumDu / m, meanDuXHat = sumDuXHat / m;
            for (int n = 0; n < batch; n++)
            {
                int start = (n * channels + c) * planeSize;
                Span<float> g = gradient.Slice(start, planeSize);
                ReadOnlySpan<float> k = kept.Slice(start, planeSize);
                for (int i = 0; i < planeSize; i++)
                {
                    g[i] = batchStatistics
                        ? (float)(scale * (g[i] - meanDu - k[i] * meanDuXHat))
                        : (float)(scale * g[i]);
                }
            }
        }
    }

    /// <summary>
    /// Gradients of a convolution: adds ∂L/∂W and ∂L/∂b to the layer's parameter gradients and, unless
    /// <paramref name="inputGradient"/> is empty, ∂L/∂x to it, as matrix products over the im2col matrix.
    /// </summary>
    public static void ConvolutionBackward(ReadOnlySpan<float> input, ReadOnlySpan<float> outputGradient, Conv2d conv, Span<float> inputGradient, int batch, int height, int width)
    {
        ArgumentNullException.ThrowIfNull(conv);
        int kh = conv.KernelHeight, kw = conv.KernelWidth, s = conv.Stride, d = conv.Dilation, ph = conv.PaddingHeight, pw = conv.PaddingWidth;
        int outHeight = (height + 2 * ph - d * (kh - 1) - 1) / s + 1, outWidth = (width + 2 * pw - d * (kw - 1) - 1) / s + 1;
        int inPerGroup = conv.InChannels / conv.Groups, outPerGroup = conv.OutChannels / conv.Groups;
        int inPlane = height * width, outPlane = outHeight * outWidth;
        if (input.Length != batch * conv.InChannels * inPlane || outputGradient.Length != batch * conv.OutChannels * outPlane
            || !(inputGradient.IsEmpty || inputGradient.Length == input.Length))
        {
            throw new ArgumentException("Convolution backward: span lengths do not match the layer's shapes.");
        }

        ConvolutionGradients.Backward(input, outputGradient, conv, inputGradient, batch, height, width);
    }

    /// <summary>Gradients of a fully connected layer: ∂L/∂W += dzᵀx, ∂L/∂b += Σ dz, and (unless empty) ∂L/∂x += dz·W.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void LinearBackward(ReadOnlySpan<float> input, ReadOnlySpan<float> outputGradient, Linear linear, Span<float> inputGradient, int batch)
    {
        ArgumentNullException.ThrowIfNull(linear);
        int inFeatures = linear.InFeatures, outFeatures = linear.OutFeatures;
        Span<float> weightGradient = linear.Weight.Gradient;
        ReadOnlySpan<float> weight = linear.Weight.Data;
        Span<float> biasGradient = linear.Bias is null ? default : linear.Bias.Gradient;
        for (int n = 0; n < batch; n++)
        {
            ReadOnlySpan<float> x = input.Slice(n * inFeatures, inFeatures);
            Span<float> dx = inputGradient.IsEmpty ? default : inputGradient.Slice(n * inFeatures, inFeatures);
            for (int o = 0; o < outFeatures; o++)
            {
                float dz = outputGradient[n * outFeatures + o];
                if (!biasGradient.IsEmpty)
                {
                    biasGradient[o] += dz;
                }

                Axpy(dz, x, weightGradient.Slice(o * inFeatures, inFeatures));
                if (!dx.IsEmpty)
                {
                    Axpy(dz, weight.Slice(o * inFeatures, inFeatures), dx);
                }
            }
        }
    }

    /// <summary>Gradient of max, average or global-average pooling, added to <paramref name="inputGradient"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void PoolBackward(ReadOnlySpan<float> input, ReadOnlySpan<float> outputGradient, PoolLayer pool, Span<float> inputGradient, int batch, int channels, int height, int width)
    {
        ArgumentNullException.ThrowIfNull(pool);
        int plane = height * width;
        if (pool.Kind == PoolKind.GlobalAverage)
        {
            for (int p = 0; p < batch * channels; p++)
            {
                float share = outputGradient[p] / plane;
                foreach (ref float g in inputGradient.Slice(p * plane, plane))
                {
                    g += share;
                }
            }

            return;
        }

        int k = pool.Kernel, s = pool.Stride, pad = pool.Padding;
        int outHeight = (height + 2 * pad - k) / s + 1, outWidth = (width + 2 * pad - k) / s + 1;
        for (int p = 0; p < batch * channels; p++)
        {
            ReadOnlySpan<float> x = input.Slice(p * plane, plane);
            Span<float> dx = inputGradient.Slice(p * plane, plane);
            for (int oh = 0; oh < outHeight; oh++)
            {
                for (int ow = 0; ow < outWidth; ow++)
                {
                    float g = outputGradient[(p * outHeight + oh) * outWidth + ow];
                    int best = -1, count = 0;
                    float max = float.NegativeInfinity;
                    for (int i = 0; i < k; i++)
                    {
                        for (int j = 0; j < k; j++)
                        {
                            int ih = oh * s - pad + i, iw = ow * s - pad + j;
                            if ((uint)ih < (uint)height && (uint)iw < (uint)width)
                            {
                                count++;
                                if (best < 0 || x[ih * width + iw] > max)
                                {
                                    max = x[ih * width + iw];
                                    best = ih * width + iw;
                                }
                            }
                        }
                    }

                    if (pool.Kind == PoolKind.Max)
                    {
                        dx[best] += g;
                        continue;
                    }

                    float divisor = pool.CountIncludePad
                        ? (Math.Min(oh * s - pad + k, height + pad) - (oh * s - pad)) * (Math.Min(ow * s - pad + k, width + pad) - (ow * s - pad))
                        : count;
                    for (int i = 0; i < k; i++)
                    {
                        for (int j = 0; j < k; j++)
                        {
                            int ih = oh * s - pad + i, iw = ow * s - pad + j;
                            if ((uint)ih < (uint)height && (uint)iw < (uint)width)
                            {
                                dx[ih * width + iw] += g / divisor;
                            }
                        }
                    }
                }
            }
        }
    }

    private static void Axpy(float alpha, ReadOnlySpan<float> x, Span<float> y)
    {
        ReadOnlySpan<Vector<float>> vx = MemoryMarshal.Cast<float, Vector<float>>(x);
        Span<Vector<float>> vy = MemoryMarshal.Cast<float, Vector<float>>(y);
        var a = new Vector<float>(alpha);
        for (int i = 0; i < vx.Length; i++)
        {
            vy[i] = Vector.FusedMultiplyAdd(a, vx[i], vy[i]);
        }

        for (int i = vx.Length * Vector<float>.Count; i < x.Length; i++)
        {
            y[i] += alpha * x[i];
        }
    }

    private static void CheckLengths(int length, int batch, int channels, int planeSize, int other, int residual)
    {
        long expected = (long)batch * channels * planeSize;
        if (length != expected || other != expected || !(residual == 0 || residual == expected))
        {
            throw new ArgumentException($"Expected spans of {expected} floats (batch {batch} × {channels} channels × {planeSize}); got {length}, {other} and a residual of {residual}.");
        }
    }
}
