using System;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.InteropServices;
using Fusion.Activations;
using Fusion.Kernels;
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
                NormalizePlane(z.Slice(start, planeSize), y.Slice(start, planeSize), residual.IsEmpty ? default : residual.Slice(start, planeSize),
                    batchNorm is not null, (float)mean, (float)invStd, (float)gamma, (float)beta, activation);
            }
        }
    }

    /// <summary>One plane: x̂ = (z − μ)·invstd over z, y = act(γ·x̂ + β [+ r]); eight at a time, then the tail.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void NormalizePlane<TActivation>(Span<float> z, Span<float> y, ReadOnlySpan<float> r, bool normalize, float mean, float invStd, float gamma, float beta, TActivation activation)
        where TActivation : struct, IActivation
    {
        int vectorEnd = z.Length - z.Length % 8;
        ref float zs = ref MemoryMarshal.GetReference(z);
        ref float ys = ref MemoryMarshal.GetReference(y);
        ref float rs = ref MemoryMarshal.GetReference(r);
        Vector256<float> vMean = Vector256.Create(mean), vInvStd = Vector256.Create(invStd), vGamma = Vector256.Create(gamma), vBeta = Vector256.Create(beta);
        for (int i = 0; i < vectorEnd; i += 8)
        {
            Vector256<float> u = Vector256.LoadUnsafe(ref zs, (nuint)i);
            if (normalize)
            {
                Vector256<float> xHat = (u - vMean) * vInvStd;
                xHat.StoreUnsafe(ref zs, (nuint)i);
                u = Vector256.FusedMultiplyAdd(vGamma, xHat, vBeta);
            }

            if (!r.IsEmpty)
            {
                u += Vector256.LoadUnsafe(ref rs, (nuint)i);
            }

            activation.Invoke(u).StoreUnsafe(ref ys, (nuint)i);
        }

        for (int i = vectorEnd; i < z.Length; i++)
        {
            float u = z[i];
            if (normalize)
            {
                float xHat = (u - mean) * invStd;
                z[i] = xHat;
                u = MathF.FusedMultiplyAdd(gamma, xHat, beta);
            }

            if (!r.IsEmpty)
            {
                u += r[i];
            }

            y[i] = activation.Invoke(u);
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
            float gamma = batchNorm?.Weight?.Data[c] ?? 1f, beta = batchNorm?.Bias?.Data[c] ?? 0f;
            float scale = 1f, meanDu = 0f, meanDuXHat = 0f;
            if (batchNorm is not null)
            {
                // Pass 1 reads only: du = g·act′(u) (u recomputed from what the forward pass kept) summed with du·x̂.
                double sumDu = 0, sumDuXHat = 0;
                for (int n = 0; n < batch; n++)
                {
                    int start = (n * channels + c) * planeSize;
                    (double planeDu, double planeDuXHat) = ActivationBackwardSums(
                        kept.Slice(start, planeSize), gradient.Slice(start, planeSize), residual.IsEmpty ? default : residual.Slice(start, planeSize),
                        normalized: true, gamma, beta, activation);
                    sumDu += planeDu;
                    sumDuXHat += planeDuXHat;
                }

                if (!gammaGradient.IsEmpty)
                {
                    gammaGradient[c] += (float)sumDuXHat;
                    betaGradient[c] += (float)sumDu;
                }

                // dz = γ·invstd·(du − mean(du) − x̂·mean(du·x̂)) with batch statistics, γ·invstd·du with running ones
                scale = gamma * inverseStd[c];
                meanDu = batchStatistics ? (float)(sumDu / m) : 0f;
                meanDuXHat = batchStatistics ? (float)(sumDuXHat / m) : 0f;
            }

            // Pass 2 writes: du recomputed, added to the residual's gradient, and dz over the gradient.
            for (int n = 0; n < batch; n++)
            {
                int start = (n * channels + c) * planeSize;
                ActivationBackwardApply(
                    kept.Slice(start, planeSize), gradient.Slice(start, planeSize), residual.IsEmpty ? default : residual.Slice(start, planeSize),
                    residualGradient.IsEmpty ? default : residualGradient.Slice(start, planeSize),
                    batchNorm is not null, gamma, beta, activation, scale, meanDu, meanDuXHat);
            }
        }
    }

    /// <summary>
    /// One plane of du = g·act′(u), u = γ·x̂ + β [+ r] (or z [+ r] without BatchNorm): returns Σdu and Σdu·x̂ and writes
    /// nothing. ReLU and identity run eight at a time; other activations call their scalar derivative.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static (double SumDu, double SumDuXHat) ActivationBackwardSums<TActivation>(
        ReadOnlySpan<float> kept, ReadOnlySpan<float> g, ReadOnlySpan<float> r, bool normalized, float gamma, float beta, TActivation activation)
        where TActivation : struct, IActivation
    {
        int start = 0;
        Vector256<float> sumDu = Vector256<float>.Zero, sumDuXHat = Vector256<float>.Zero;
        if (typeof(TActivation) == typeof(Relu) || typeof(TActivation) == typeof(Identity))
        {
            start = g.Length - g.Length % 8;
            ref float ks = ref MemoryMarshal.GetReference(kept);
            ref float gs = ref MemoryMarshal.GetReference(g);
            ref float rs = ref MemoryMarshal.GetReference(r);
            Vector256<float> vGamma = Vector256.Create(gamma), vBeta = Vector256.Create(beta);
            for (int i = 0; i < start; i += 8)
            {
                Vector256<float> k = Vector256.LoadUnsafe(ref ks, (nuint)i);
                Vector256<float> du = VectorDu(k, Vector256.LoadUnsafe(ref gs, (nuint)i), ref rs, i, !r.IsEmpty, normalized, vGamma, vBeta, activation);
                sumDu += du;
                sumDuXHat = Vector256.FusedMultiplyAdd(du, k, sumDuXHat);
            }
        }

        double totalDu = Vector256.Sum(sumDu), totalDuXHat = Vector256.Sum(sumDuXHat);
        for (int i = start; i < g.Length; i++)
        {
            float du = ScalarDu(kept[i], g[i], r.IsEmpty ? 0f : r[i], normalized, gamma, beta, activation);
            totalDu += du;
            totalDuXHat += (double)du * kept[i];
        }

        return (totalDu, totalDuXHat);
    }

    /// <summary>
    /// One plane of du (as <see cref="ActivationBackwardSums"/>), added to <paramref name="dr"/>, and
    /// <c>scale·(du − meanDu − x̂·meanDuXHat)</c> (BatchNorm) or du (none) written over <paramref name="g"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ActivationBackwardApply<TActivation>(
        ReadOnlySpan<float> kept, Span<float> g, ReadOnlySpan<float> r, Span<float> dr, bool normalized, float gamma, float beta, TActivation activation,
        float scale, float meanDu, float meanDuXHat)
        where TActivation : struct, IActivation
    {
        int start = 0;
        if (typeof(TActivation) == typeof(Relu) || typeof(TActivation) == typeof(Identity))
        {
            start = g.Length - g.Length % 8;
            ref float ks = ref MemoryMarshal.GetReference(kept);
            ref float gs = ref MemoryMarshal.GetReference(g);
            ref float rs = ref MemoryMarshal.GetReference(r);
            ref float drs = ref MemoryMarshal.GetReference(dr);
            Vector256<float> vGamma = Vector256.Create(gamma), vBeta = Vector256.Create(beta);
            Vector256<float> vScale = Vector256.Create(scale), vMeanDu = Vector256.Create(meanDu), vMeanDuXHat = Vector256.Create(meanDuXHat);
            for (int i = 0; i < start; i += 8)
            {
                Vector256<float> k = Vector256.LoadUnsafe(ref ks, (nuint)i);
                Vector256<float> du = VectorDu(k, Vector256.LoadUnsafe(ref gs, (nuint)i), ref rs, i, !r.IsEmpty, normalized, vGamma, vBeta, activation);
                if (!dr.IsEmpty)
                {
                    (Vector256.LoadUnsafe(ref drs, (nuint)i) + du).StoreUnsafe(ref drs, (nuint)i);
                }

                (normalized ? vScale * (du - vMeanDu - k * vMeanDuXHat) : du).StoreUnsafe(ref gs, (nuint)i);
            }
        }

        for (int i = start; i < g.Length; i++)
        {
            float du = ScalarDu(kept[i], g[i], r.IsEmpty ? 0f : r[i], normalized, gamma, beta, activation);
            if (!dr.IsEmpty)
            {
                dr[i] += du;
            }

            g[i] = normalized ? scale * (du - meanDu - kept[i] * meanDuXHat) : du;
        }
    }

    /// <summary>du = g·act′(u) for ReLU (g where u &gt; 0) and identity (g), eight at a time.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> VectorDu<TActivation>(
        Vector256<float> k, Vector256<float> g, ref float rs, int i, bool residual, bool normalized, Vector256<float> gamma, Vector256<float> beta, TActivation activation)
        where TActivation : struct, IActivation
    {
        if (typeof(TActivation) != typeof(Relu))
        {
            return g;
        }

        Vector256<float> u = normalized ? Vector256.FusedMultiplyAdd(gamma, k, beta) : k;
        if (residual)
        {
            u += Vector256.LoadUnsafe(ref rs, (nuint)i);
        }

        return Vector256.ConditionalSelect(Vector256.GreaterThan(u, Vector256<float>.Zero), g, Vector256<float>.Zero);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float ScalarDu<TActivation>(float kept, float g, float r, bool normalized, float gamma, float beta, TActivation activation)
        where TActivation : struct, IActivation
        => g * activation.Derivative((normalized ? MathF.FusedMultiplyAdd(gamma, kept, beta) : kept) + r);

    /// <summary>
    /// Gradients of a convolution: adds ∂L/∂W and ∂L/∂b to the layer's parameter gradients and, unless
    /// <paramref name="inputGradient"/> is empty, ∂L/∂x to it. Ungrouped convolutions run register-tiled direct
    /// kernels over pixel-major scratch copies; grouped ones, matrix products over the im2col matrix.
    /// </summary>
    public static void ConvolutionBackward(ReadOnlySpan<float> input, ReadOnlySpan<float> outputGradient, Conv2d conv, Span<float> inputGradient, int batch, int height, int width)
        => ConvolutionBackward(input, outputGradient, conv, inputGradient, batch, height, width, KernelVariants.Default);

    /// <summary>
    /// <see cref="ConvolutionBackward(ReadOnlySpan{float}, ReadOnlySpan{float}, Conv2d, Span{float}, int, int, int)"/> with
    /// the register tiles of <paramref name="variant"/> (<see cref="KernelVariant.Wide"/> needs 32 vector registers to
    /// run at full speed; both compute the same gradients).
    /// </summary>
    public static void ConvolutionBackward(ReadOnlySpan<float> input, ReadOnlySpan<float> outputGradient, Conv2d conv, Span<float> inputGradient, int batch, int height, int width, KernelVariant variant)
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

        ConvolutionGradients.Backward(input, outputGradient, conv, inputGradient, batch, height, width, variant);
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

                    float divisor = Kernels.UnfusedKernels.AverageDivisor(pool, oh, ow, height, width, count);
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
