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
    /// The pass after a training convolution: <c>y = act(γ·x̂ + β [+ r])</c> with <c>x̂ = (z − μ)·invstd</c>, reading
    /// <paramref name="z"/> and writing only <paramref name="y"/> (z stays as the convolution wrote it: the backward pass
    /// recomputes x̂ from it, so no x̂ tensor is written). μ and the biased σ² come from
    /// <paramref name="statistics"/> (the batch, accumulated in the convolution's epilogue) when
    /// <paramref name="batchStatistics"/>, else from the running statistics (eval mode or a frozen layer). Without
    /// BatchNorm, <c>y = act(z [+ r])</c>. <paramref name="mean"/> and <paramref name="inverseStd"/> receive μ and
    /// 1/√(σ² + ε) per channel, as floats, for the backward pass.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void NormalizeAddActivate<TActivation>(
        ReadOnlySpan<float> z, Span<float> y, ReadOnlySpan<float> residual, BatchNorm? batchNorm, ReadOnlySpan<ChannelStatistics> statistics,
        Span<float> mean, Span<float> inverseStd, bool batchStatistics, int batch, int channels, int planeSize, TActivation activation)
        where TActivation : struct, IActivation
    {
        CheckLengths(z.Length, batch, channels, planeSize, y.Length, residual.Length);
        for (int c = 0; c < channels; c++)
        {
            float mu = 0, invStd = 1, gamma = 1, beta = 0;
            if (batchNorm is not null)
            {
                (double m, double variance) = batchStatistics
                    ? (statistics[c].Mean, statistics[c].BiasedVariance)
                    : (batchNorm.RunningMean!.Data[c], batchNorm.RunningVar!.Data[c]);
                mu = (float)m;
                invStd = (float)(1 / Math.Sqrt(variance + batchNorm.Epsilon));
                gamma = batchNorm.Weight?.Data[c] ?? 1f;
                beta = batchNorm.Bias?.Data[c] ?? 0f;
                mean[c] = mu;
                inverseStd[c] = invStd;
            }

            for (int n = 0; n < batch; n++)
            {
                int start = (n * channels + c) * planeSize;
                NormalizePlane(z.Slice(start, planeSize), y.Slice(start, planeSize), residual.IsEmpty ? default : residual.Slice(start, planeSize),
                    batchNorm is not null, mu, invStd, gamma, beta, activation);
            }
        }
    }

    /// <summary>One plane: y = act(γ·x̂ + β [+ r]), x̂ = (z − μ)·invstd; eight at a time, then the tail.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void NormalizePlane<TActivation>(ReadOnlySpan<float> z, Span<float> y, ReadOnlySpan<float> r, bool normalize, float mean, float invStd, float gamma, float beta, TActivation activation)
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
                u = Vector256.FusedMultiplyAdd(vGamma, (u - vMean) * vInvStd, vBeta);
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
                u = MathF.FusedMultiplyAdd(gamma, (u - mean) * invStd, beta);
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
    /// convolution output's gradient dz; adds the residual's gradient (= du) to <paramref name="residualGradient"/> (or
    /// writes it there, without <paramref name="accumulateResidualGradient"/>: its first contribution);
    /// adds dγ and dβ to the BatchNorm's parameter gradients. <paramref name="z"/> is the convolution's output the
    /// forward pass kept; with BatchNorm, x̂ = (z − μ)·invstd is recomputed from it with the forward pass's
    /// <paramref name="mean"/> and <paramref name="inverseStd"/> (the same float operations, so the same x̂).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void NormalizeAddActivateBackward<TActivation>(
        ReadOnlySpan<float> z, Span<float> gradient, ReadOnlySpan<float> residual, Span<float> residualGradient, BatchNorm? batchNorm,
        ReadOnlySpan<float> mean, ReadOnlySpan<float> inverseStd, bool batchStatistics, int batch, int channels, int planeSize, TActivation activation,
        bool accumulateResidualGradient = true)
        where TActivation : struct, IActivation
    {
        CheckLengths(z.Length, batch, channels, planeSize, gradient.Length, residual.Length);
        Span<float> gammaGradient = batchNorm?.Weight is { } w ? w.Gradient : default;
        Span<float> betaGradient = batchNorm?.Bias is { } b ? b.Gradient : default;
        long m = (long)batch * planeSize;
        for (int c = 0; c < channels; c++)
        {
            float gamma = batchNorm?.Weight?.Data[c] ?? 1f, beta = batchNorm?.Bias?.Data[c] ?? 0f;
            float mu = batchNorm is null ? 0f : mean[c], invStd = batchNorm is null ? 1f : inverseStd[c];
            float scale = 1f, meanDu = 0f, meanDuXHat = 0f;
            if (batchNorm is not null)
            {
                // Pass 1 reads only: du = g·act′(u) (u recomputed from what the forward pass kept) summed with du·x̂.
                double sumDu = 0, sumDuXHat = 0;
                for (int n = 0; n < batch; n++)
                {
                    int start = (n * channels + c) * planeSize;
                    (double planeDu, double planeDuXHat) = ActivationBackwardSums(
                        z.Slice(start, planeSize), gradient.Slice(start, planeSize), residual.IsEmpty ? default : residual.Slice(start, planeSize),
                        normalized: true, mu, invStd, gamma, beta, activation);
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
                    z.Slice(start, planeSize), gradient.Slice(start, planeSize), residual.IsEmpty ? default : residual.Slice(start, planeSize),
                    residualGradient.IsEmpty ? default : residualGradient.Slice(start, planeSize),
                    batchNorm is not null, mu, invStd, gamma, beta, activation, scale, meanDu, meanDuXHat, accumulateResidualGradient);
            }
        }
    }

    /// <summary>
    /// One plane of du = g·act′(u), u = γ·x̂ + β [+ r] (or z [+ r] without BatchNorm), x̂ = (z − μ)·invstd: returns Σdu
    /// and Σdu·x̂ and writes nothing. ReLU and identity run sixteen at a time; other activations call their scalar
    /// derivative.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static (double SumDu, double SumDuXHat) ActivationBackwardSums<TActivation>(
        ReadOnlySpan<float> z, ReadOnlySpan<float> g, ReadOnlySpan<float> r, bool normalized, float mean, float invStd, float gamma, float beta, TActivation activation)
        where TActivation : struct, IActivation
    {
        int start = 0;
        double totalDu = 0, totalDuXHat = 0;
        if (typeof(TActivation) == typeof(Relu) || typeof(TActivation) == typeof(Identity))
        {
            start = g.Length - g.Length % 8;
            var constants = new PlaneConstants(mean, invStd, gamma, beta, 0f, 0f, 0f);
            (Vector256<float> sumDu, Vector256<float> sumDuXHat) = r.IsEmpty
                ? VectorSums<TActivation, Off>(ref MemoryMarshal.GetReference(z), ref MemoryMarshal.GetReference(g), ref MemoryMarshal.GetReference(r), start, constants)
                : VectorSums<TActivation, On>(ref MemoryMarshal.GetReference(z), ref MemoryMarshal.GetReference(g), ref MemoryMarshal.GetReference(r), start, constants);
            totalDu = Vector256.Sum(sumDu);
            totalDuXHat = Vector256.Sum(sumDuXHat);
        }

        for (int i = start; i < g.Length; i++)
        {
            float k = (z[i] - mean) * invStd;
            float du = ScalarDu(k, g[i], r.IsEmpty ? 0f : r[i], normalized, gamma, beta, activation);
            totalDu += du;
            totalDuXHat += (double)du * k;
        }

        return (totalDu, totalDuXHat);
    }

    /// <summary>
    /// The sums of <see cref="ActivationBackwardSums"/> over the first <paramref name="end"/> values (a multiple of 8),
    /// with the residual's presence a type parameter (no test in the loop) and two pairs of accumulators, so the loop
    /// waits on neither add's latency.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (Vector256<float> SumDu, Vector256<float> SumDuXHat) VectorSums<TActivation, TResidual>(ref float zs, ref float gs, ref float rs, int end, in PlaneConstants k)
        where TActivation : struct, IActivation
        where TResidual : struct, IFlag
    {
        Vector256<float> sumDu0 = Vector256<float>.Zero, sumDu1 = sumDu0, sumDuXHat0 = sumDu0, sumDuXHat1 = sumDu0;
        int i = 0;
        for (; i + 16 <= end; i += 16)
        {
            Vector256<float> xHat0 = (Vector256.LoadUnsafe(ref zs, (nuint)i) - k.Mean) * k.InverseStd;
            Vector256<float> xHat1 = (Vector256.LoadUnsafe(ref zs, (nuint)(i + 8)) - k.Mean) * k.InverseStd;
            Vector256<float> du0 = VectorDu<TActivation, TResidual>(xHat0, Vector256.LoadUnsafe(ref gs, (nuint)i), ref rs, i, normalized: true, k);
            Vector256<float> du1 = VectorDu<TActivation, TResidual>(xHat1, Vector256.LoadUnsafe(ref gs, (nuint)(i + 8)), ref rs, i + 8, normalized: true, k);
            sumDu0 += du0;
            sumDu1 += du1;
            sumDuXHat0 = Vector256.FusedMultiplyAdd(du0, xHat0, sumDuXHat0);
            sumDuXHat1 = Vector256.FusedMultiplyAdd(du1, xHat1, sumDuXHat1);
        }

        if (i < end)
        {
            Vector256<float> xHat = (Vector256.LoadUnsafe(ref zs, (nuint)i) - k.Mean) * k.InverseStd;
            Vector256<float> du = VectorDu<TActivation, TResidual>(xHat, Vector256.LoadUnsafe(ref gs, (nuint)i), ref rs, i, normalized: true, k);
            sumDu0 += du;
            sumDuXHat0 = Vector256.FusedMultiplyAdd(du, xHat, sumDuXHat0);
        }

        return (sumDu0 + sumDu1, sumDuXHat0 + sumDuXHat1);
    }

    /// <summary>
    /// One plane of du (as <see cref="ActivationBackwardSums"/>), added to <paramref name="dr"/>, and
    /// <c>scale·(du − meanDu − x̂·meanDuXHat)</c> (BatchNorm) or du (none) written over <paramref name="g"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ActivationBackwardApply<TActivation>(
        ReadOnlySpan<float> z, Span<float> g, ReadOnlySpan<float> r, Span<float> dr, bool normalized, float mean, float invStd, float gamma, float beta, TActivation activation,
        float scale, float meanDu, float meanDuXHat, bool accumulateResidualGradient)
        where TActivation : struct, IActivation
    {
        int start = 0;
        if (typeof(TActivation) == typeof(Relu) || typeof(TActivation) == typeof(Identity))
        {
            start = g.Length - g.Length % 8;
            var constants = new PlaneConstants(mean, invStd, gamma, beta, scale, meanDu, meanDuXHat);
            ref float zs = ref MemoryMarshal.GetReference(z);
            ref float gs = ref MemoryMarshal.GetReference(g);
            ref float rs = ref MemoryMarshal.GetReference(r);
            ref float drs = ref MemoryMarshal.GetReference(dr);
            // The loop's choices as type parameters: each combination compiles to a loop without tests.
            ResidualGradient mode = dr.IsEmpty ? ResidualGradient.None : accumulateResidualGradient ? ResidualGradient.Add : ResidualGradient.Store;
            switch ((normalized, r.IsEmpty))
            {
                case (true, true): VectorApply<TActivation, On, Off>(ref zs, ref gs, ref rs, ref drs, start, constants, mode); break;
                case (true, false): VectorApply<TActivation, On, On>(ref zs, ref gs, ref rs, ref drs, start, constants, mode); break;
                case (false, true): VectorApply<TActivation, Off, Off>(ref zs, ref gs, ref rs, ref drs, start, constants, mode); break;
                case (false, false): VectorApply<TActivation, Off, On>(ref zs, ref gs, ref rs, ref drs, start, constants, mode); break;
            }
        }

        for (int i = start; i < g.Length; i++)
        {
            float k = normalized ? (z[i] - mean) * invStd : z[i];
            float du = ScalarDu(k, g[i], r.IsEmpty ? 0f : r[i], normalized, gamma, beta, activation);
            if (!dr.IsEmpty)
            {
                dr[i] = accumulateResidualGradient ? dr[i] + du : du;
            }

            g[i] = normalized ? scale * (du - meanDu - k * meanDuXHat) : du;
        }
    }

    private enum ResidualGradient
    {
        None,
        Add,
        Store,
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void VectorApply<TActivation, TNormalized, TResidual>(ref float zs, ref float gs, ref float rs, ref float drs, int end, in PlaneConstants k, ResidualGradient mode)
        where TActivation : struct, IActivation
        where TNormalized : struct, IFlag
        where TResidual : struct, IFlag
    {
        switch (mode)
        {
            case ResidualGradient.None: VectorApply<TActivation, TNormalized, TResidual, Off, Off>(ref zs, ref gs, ref rs, ref drs, end, k); break;
            case ResidualGradient.Add: VectorApply<TActivation, TNormalized, TResidual, On, On>(ref zs, ref gs, ref rs, ref drs, end, k); break;
            default: VectorApply<TActivation, TNormalized, TResidual, On, Off>(ref zs, ref gs, ref rs, ref drs, end, k); break;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void VectorApply<TActivation, TNormalized, TResidual, TResidualGradient, TAccumulate>(ref float zs, ref float gs, ref float rs, ref float drs, int end, in PlaneConstants k)
        where TActivation : struct, IActivation
        where TNormalized : struct, IFlag
        where TResidual : struct, IFlag
        where TResidualGradient : struct, IFlag
        where TAccumulate : struct, IFlag
    {
        for (int i = 0; i < end; i += 8)
        {
            Vector256<float> xHat = Vector256.LoadUnsafe(ref zs, (nuint)i);
            if (TNormalized.Value)
            {
                xHat = (xHat - k.Mean) * k.InverseStd;
            }

            Vector256<float> du = VectorDu<TActivation, TResidual>(xHat, Vector256.LoadUnsafe(ref gs, (nuint)i), ref rs, i, TNormalized.Value, k);
            if (TResidualGradient.Value)
            {
                (TAccumulate.Value ? Vector256.LoadUnsafe(ref drs, (nuint)i) + du : du).StoreUnsafe(ref drs, (nuint)i);
            }

            (TNormalized.Value ? k.Scale * (du - k.MeanDu - xHat * k.MeanDuXHat) : du).StoreUnsafe(ref gs, (nuint)i);
        }
    }

    /// <summary>du = g·act′(u) for ReLU (g where u &gt; 0) and identity (g), eight at a time; u = γ·x̂ + β [+ r] or z [+ r].</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> VectorDu<TActivation, TResidual>(Vector256<float> xHat, Vector256<float> g, ref float rs, int i, bool normalized, in PlaneConstants k)
        where TActivation : struct, IActivation
        where TResidual : struct, IFlag
    {
        if (typeof(TActivation) != typeof(Relu))
        {
            return g;
        }

        Vector256<float> u = normalized ? Vector256.FusedMultiplyAdd(k.Gamma, xHat, k.Beta) : xHat;
        if (TResidual.Value)
        {
            u += Vector256.LoadUnsafe(ref rs, (nuint)i);
        }

        return Vector256.ConditionalSelect(Vector256.GreaterThan(u, Vector256<float>.Zero), g, Vector256<float>.Zero);
    }

    /// <summary>One channel's constants of the backward passes, broadcast.</summary>
    private readonly struct PlaneConstants(float mean, float inverseStd, float gamma, float beta, float scale, float meanDu, float meanDuXHat)
    {
        public readonly Vector256<float> Mean = Vector256.Create(mean), InverseStd = Vector256.Create(inverseStd);
        public readonly Vector256<float> Gamma = Vector256.Create(gamma), Beta = Vector256.Create(beta);
        public readonly Vector256<float> Scale = Vector256.Create(scale), MeanDu = Vector256.Create(meanDu), MeanDuXHat = Vector256.Create(meanDuXHat);
    }

    /// <summary>A choice fixed per call, as a type: the JIT compiles one loop per combination, with the tests folded away.</summary>
    private interface IFlag
    {
        static abstract bool Value { get; }
    }

    private readonly struct On : IFlag
    {
        public static bool Value => true;
    }

    private readonly struct Off : IFlag
    {
        public static bool Value => false;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float ScalarDu<TActivation>(float kept, float g, float r, bool normalized, float gamma, float beta, TActivation activation)
        where TActivation : struct, IActivation
        => g * activation.Derivative((normalized ? MathF.FusedMultiplyAdd(gamma, kept, beta) : kept) + r);

    /// <summary>
    /// Gradients of a convolution: adds ∂L/∂W and ∂L/∂b to the layer's parameter gradients and, unless
    /// <paramref name="inputGradient"/> is empty, ∂L/∂x to it — or writes ∂L/∂x over it without
    /// <paramref name="accumulate"/> (its first contribution, so no clearing pass is needed beforehand). Ungrouped
    /// convolutions run register-tiled direct kernels over pixel-major scratch copies; grouped ones, matrix products
    /// over the im2col matrix.
    /// </summary>
    public static void ConvolutionBackward(ReadOnlySpan<float> input, ReadOnlySpan<float> outputGradient, Conv2d conv, Span<float> inputGradient, int batch, int height, int width, bool accumulate = true)
        => ConvolutionBackward(input, outputGradient, conv, inputGradient, batch, height, width, KernelVariants.Default, accumulate);

    /// <summary>
    /// <see cref="ConvolutionBackward(ReadOnlySpan{float}, ReadOnlySpan{float}, Conv2d, Span{float}, int, int, int, bool)"/> with
    /// the register tiles of <paramref name="variant"/> (<see cref="KernelVariant.Wide"/> needs 32 vector registers to
    /// run at full speed; both compute the same gradients).
    /// </summary>
    public static void ConvolutionBackward(ReadOnlySpan<float> input, ReadOnlySpan<float> outputGradient, Conv2d conv, Span<float> inputGradient, int batch, int height, int width, KernelVariant variant, bool accumulate = true)
    {
        ArgumentNullException.ThrowIfNull(conv);
        int kh = conv.KernelHeight, kw = conv.KernelWidth, s = conv.Stride, d = conv.Dilation, ph = conv.PaddingHeight, pw = conv.PaddingWidth;
        int outHeight = (height + 2 * ph - d * (kh - 1) - 1) / s + 1, outWidth = (width + 2 * pw - d * (kw - 1) - 1) / s + 1;
        int inPerGroup = conv.InChannels / conv.Groups, outPerGroup = conv.OutChannels / conv.Groups;
        int inPlane = height * width, outPlane = outHeight * outWidth;
        if (input.Length != batch * conv.InChannels * inPlane || outputGradient.Length != batch * conv.OutChannels * outPlane
            || !(inputGradient.IsEmpty || inputGradient.Length == input.Length))
        {
            throw new ArgumentException(
                $"Convolution backward over a batch of {batch} ({conv.InChannels}×{height}×{width} → {conv.OutChannels}×{outHeight}×{outWidth}) expected an input of "
                + $"{batch * conv.InChannels * inPlane} floats, an output gradient of {batch * conv.OutChannels * outPlane} and an input gradient of the input's length "
                + $"or none; got {input.Length}, {outputGradient.Length} and {inputGradient.Length}.");
        }

        ConvolutionGradients.Backward(input, outputGradient, conv, inputGradient, batch, height, width, variant, accumulate);
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

    /// <summary>
    /// Gradient of max, average or global-average pooling, added to <paramref name="inputGradient"/> (or written over
    /// it without <paramref name="accumulate"/>: its first contribution).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void PoolBackward(ReadOnlySpan<float> input, ReadOnlySpan<float> outputGradient, PoolLayer pool, Span<float> inputGradient, int batch, int channels, int height, int width, bool accumulate = true)
    {
        ArgumentNullException.ThrowIfNull(pool);
        int plane = height * width;
        if (pool.Kind == PoolKind.GlobalAverage)
        {
            for (int p = 0; p < batch * channels; p++)
            {
                float share = outputGradient[p] / plane;
                Span<float> target = inputGradient.Slice(p * plane, plane);
                if (accumulate)
                {
                    AddScalar(share, target);
                }
                else
                {
                    target.Fill(share);
                }
            }

            return;
        }

        if (!accumulate)
        {
            inputGradient.Clear(); // the windows scatter into it
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

    private static void AddScalar(float value, Span<float> y)
    {
        Span<Vector<float>> vy = MemoryMarshal.Cast<float, Vector<float>>(y);
        var v = new Vector<float>(value);
        for (int i = 0; i < vy.Length; i++)
        {
            vy[i] += v;
        }

        for (int i = vy.Length * Vector<float>.Count; i < y.Length; i++)
        {
            y[i] += value;
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
