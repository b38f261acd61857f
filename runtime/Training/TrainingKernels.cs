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
    /// 1/√(σ² + ε) per channel, as floats, for the backward pass. With <paramref name="paddedCopy"/>, y is written
    /// row by row into the interior of that zero-bordered buffer too (planes of <paramref name="width"/> columns,
    /// bordered by <paramref name="padHeight"/> rows and <paramref name="padWidth"/> columns, whose borders the caller
    /// keeps zero): the input of the next, padding convolution, so that it is not copied again; <paramref name="y"/>
    /// may then be empty, when nothing else reads it.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static unsafe void NormalizeAddActivate<TActivation>(
        ReadOnlySpan<float> z, Span<float> y, ReadOnlySpan<float> residual, BatchNorm? batchNorm, ReadOnlySpan<ChannelStatistics> statistics,
        Span<float> mean, Span<float> inverseStd, bool batchStatistics, int batch, int channels, int planeSize, TActivation activation,
        Span<float> paddedCopy = default, int width = 0, int padHeight = 0, int padWidth = 0)
        where TActivation : struct, IActivation
    {
        bool keepOutput = !y.IsEmpty;
        if (!keepOutput && paddedCopy.IsEmpty)
        {
            throw new ArgumentException("NormalizeAddActivate needs an output span or a padded copy to write; both are empty.", nameof(y));
        }

        CheckLengths(z.Length, batch, channels, planeSize, keepOutput ? y.Length : z.Length, residual.Length);
        int height = width > 0 ? planeSize / width : 0, paddedWidth = width + 2 * padWidth, paddedPlane = (height + 2 * padHeight) * paddedWidth;
        if (!paddedCopy.IsEmpty && (width <= 0 || planeSize % width != 0 || padHeight < 0 || padWidth < 0 || paddedCopy.Length != (long)batch * channels * paddedPlane))
        {
            throw new ArgumentException(
                $"Expected a padded copy of {batch} × {channels} planes of ({height} + 2·{padHeight}) × ({width} + 2·{padWidth}) floats for planes of {planeSize} values {width} wide; got {paddedCopy.Length} floats.",
                nameof(paddedCopy));
        }

        fixed (float* pz = z, py = y, pr = residual, pp = paddedCopy)
        {
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

                // One channel's planes in every image: into y as one run per plane, or row by row into the padded
                // copy's interior (and into y as well when it is wanted).
                nint first = (nint)c * planeSize, imageStride = (nint)channels * planeSize;
                var rows = paddedCopy.IsEmpty
                    ? new ChannelRows(pz + first, residual.IsEmpty ? null : pr + first, imageStride, batch, 1, planeSize, py + first, imageStride, planeSize, null)
                    : new ChannelRows(pz + first, residual.IsEmpty ? null : pr + first, imageStride, batch, height, width,
                        pp + (nint)c * paddedPlane + padHeight * paddedWidth + padWidth, (nint)channels * paddedPlane, paddedWidth, keepOutput ? py + first : null);
                switch ((batchNorm is not null, residual.IsEmpty))
                {
                    case (true, true): NormalizeRows<TActivation, On, Off>(rows, mu, invStd, gamma, beta, activation); break;
                    case (true, false): NormalizeRows<TActivation, On, On>(rows, mu, invStd, gamma, beta, activation); break;
                    case (false, true): NormalizeRows<TActivation, Off, Off>(rows, mu, invStd, gamma, beta, activation); break;
                    case (false, false): NormalizeRows<TActivation, Off, On>(rows, mu, invStd, gamma, beta, activation); break;
                }
            }
        }
    }

    /// <summary>
    /// One channel's planes in every image as rows of <c>Width</c> values: read from z (and r) with the batch's NCHW
    /// strides, written to <c>Target</c> with its own (the plain output, or the padded copy's interior) and, when
    /// given, to y as well (<c>Also</c>, NCHW like z).
    /// </summary>
    private readonly unsafe struct ChannelRows(float* z, float* r, nint imageStride, int batch, int height, int width, float* target, nint targetImageStride, nint targetRow, float* also)
    {
        public readonly float* Z = z, R = r, Target = target, Also = also;
        public readonly nint ImageStride = imageStride, TargetImageStride = targetImageStride, TargetRow = targetRow;
        public readonly int Batch = batch, Height = height, Width = width;
    }

    /// <summary>
    /// y = act(γ·x̂ + β [+ r]), x̂ = (z − μ)·invstd, over one channel's <paramref name="rows"/>: eight at a time, then each
    /// row's last few; whether it normalises and adds a residual are type parameters (no tests in the loop).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void NormalizeRows<TActivation, TNormalize, TResidual>(ChannelRows rows, float mean, float invStd, float gamma, float beta, TActivation activation)
        where TActivation : struct, IActivation
        where TNormalize : struct, IFlag
        where TResidual : struct, IFlag
    {
        Vector256<float> vMean = Vector256.Create(mean), vInvStd = Vector256.Create(invStd), vGamma = Vector256.Create(gamma), vBeta = Vector256.Create(beta);
        int width = rows.Width, vectorWidth = width & ~7;
        bool also = rows.Also != null;
        for (int n = 0; n < rows.Batch; n++)
        {
            for (int h = 0; h < rows.Height; h++)
            {
                nint at = n * rows.ImageStride + (nint)h * width;
                float* zp = rows.Z + at, yp = also ? rows.Also + at : null, rp = TResidual.Value ? rows.R + at : null;
                float* tp = rows.Target + n * rows.TargetImageStride + h * rows.TargetRow;
                int i = 0;
                for (; i < vectorWidth; i += 8)
                {
                    Vector256<float> u = Vector256.Load(zp + i);
                    if (TNormalize.Value)
                    {
                        u = Vector256.FusedMultiplyAdd(vGamma, (u - vMean) * vInvStd, vBeta);
                    }

                    if (TResidual.Value)
                    {
                        u += Vector256.Load(rp + i);
                    }

                    Vector256<float> v = activation.Invoke(u);
                    v.Store(tp + i);
                    if (also)
                    {
                        v.Store(yp + i);
                    }
                }

                for (; i < width; i++)
                {
                    float u = zp[i];
                    if (TNormalize.Value)
                    {
                        u = MathF.FusedMultiplyAdd(gamma, (u - mean) * invStd, beta);
                    }

                    if (TResidual.Value)
                    {
                        u += rp[i];
                    }

                    float v = activation.Invoke(u);
                    tp[i] = v;
                    if (also)
                    {
                        yp[i] = v;
                    }
                }
            }
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
            var channel = new Channel(c * planeSize, channels * planeSize, batch, planeSize);
            float gamma = batchNorm?.Weight?.Data[c] ?? 1f, beta = batchNorm?.Bias?.Data[c] ?? 0f;
            float mu = batchNorm is null ? 0f : mean[c], invStd = batchNorm is null ? 1f : inverseStd[c];
            float scale = 1f, meanDu = 0f, meanDuXHat = 0f;
            if (batchNorm is not null)
            {
                // Pass 1 reads only: du = g·act′(u) (u recomputed from what the forward pass kept) summed with du·x̂.
                (double sumDu, double sumDuXHat) = ActivationBackwardSums(z, gradient, residual, channel, mu, invStd, gamma, beta, activation);

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
            ActivationBackwardApply(z, gradient, residual, residualGradient, channel, new PlaneConstants(mu, invStd, gamma, beta, scale, meanDu, meanDuXHat),
                batchNorm is not null, activation, accumulateResidualGradient);
        }
    }

    /// <summary>
    /// One channel of du = g·act′(u), u = γ·x̂ + β [+ r], x̂ = (z − μ)·invstd, over its plane in each image of the
    /// batch (<paramref name="channel"/>): returns Σdu and Σdu·x̂
    /// and writes nothing. ReLU and identity run sixteen at a time, each plane's float partial sums added in double;
    /// other activations call their scalar derivative. One call per channel, not per plane: 8×8 planes are 8 vectors.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static (double SumDu, double SumDuXHat) ActivationBackwardSums<TActivation>(
        ReadOnlySpan<float> z, ReadOnlySpan<float> g, ReadOnlySpan<float> r, Channel channel,
        float mean, float invStd, float gamma, float beta, TActivation activation)
        where TActivation : struct, IActivation
        => r.IsEmpty
            ? ChannelSums<TActivation, Off>(z, g, r, channel, mean, invStd, gamma, beta, activation)
            : ChannelSums<TActivation, On>(z, g, r, channel, mean, invStd, gamma, beta, activation);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (double SumDu, double SumDuXHat) ChannelSums<TActivation, TResidual>(
        ReadOnlySpan<float> z, ReadOnlySpan<float> g, ReadOnlySpan<float> r, Channel channel,
        float mean, float invStd, float gamma, float beta, TActivation activation)
        where TActivation : struct, IActivation
        where TResidual : struct, IFlag
    {
        bool vectorised = typeof(TActivation) == typeof(Relu) || typeof(TActivation) == typeof(Identity);
        int planeSize = channel.PlaneSize, vectorEnd = vectorised ? planeSize - planeSize % 8 : 0;
        Vector256<float> vMean = Vector256.Create(mean), vInvStd = Vector256.Create(invStd), vGamma = Vector256.Create(gamma), vBeta = Vector256.Create(beta);
        ref float zs = ref MemoryMarshal.GetReference(z);
        ref float gs = ref MemoryMarshal.GetReference(g);
        ref float rs = ref MemoryMarshal.GetReference(r);
        Vector256<double> sumDu = Vector256<double>.Zero, sumDuXHat = Vector256<double>.Zero;
        double tailDu = 0, tailDuXHat = 0;
        for (int n = 0, start = channel.First; n < channel.Batch; n++, start += channel.ImageStride)
        {
            if (vectorEnd > 0)
            {
                (Vector256<float> planeDu, Vector256<float> planeDuXHat) = VectorSums<TActivation, TResidual>(
                    ref Unsafe.Add(ref zs, start), ref Unsafe.Add(ref gs, start), ref Unsafe.Add(ref rs, TResidual.Value ? start : 0), vectorEnd, vMean, vInvStd, vGamma, vBeta);
                (Vector256<double> low, Vector256<double> high) = Vector256.Widen(planeDu);
                sumDu += low + high;
                (low, high) = Vector256.Widen(planeDuXHat);
                sumDuXHat += low + high;
            }

            for (int i = start + vectorEnd; i < start + planeSize; i++)
            {
                float k = (z[i] - mean) * invStd;
                float du = ScalarDu(k, g[i], TResidual.Value ? r[i] : 0f, true, gamma, beta, activation);
                tailDu += du;
                tailDuXHat += (double)du * k;
            }
        }

        return (Vector256.Sum(sumDu) + tailDu, Vector256.Sum(sumDuXHat) + tailDuXHat);
    }

    /// <summary>
    /// The sums of <see cref="ActivationBackwardSums"/> over the first <paramref name="end"/> values of one plane (a
    /// multiple of 8), with two pairs of accumulators, so the loop waits on neither add's latency.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (Vector256<float> SumDu, Vector256<float> SumDuXHat) VectorSums<TActivation, TResidual>(ref float zs, ref float gs, ref float rs, int end, Vector256<float> mean, Vector256<float> invStd, Vector256<float> gamma, Vector256<float> beta)
        where TActivation : struct, IActivation
        where TResidual : struct, IFlag
    {
        Vector256<float> sumDu0 = Vector256<float>.Zero, sumDu1 = sumDu0, sumDuXHat0 = sumDu0, sumDuXHat1 = sumDu0;
        int i = 0;
        for (; i + 16 <= end; i += 16)
        {
            Vector256<float> xHat0 = (Vector256.LoadUnsafe(ref zs, (nuint)i) - mean) * invStd;
            Vector256<float> xHat1 = (Vector256.LoadUnsafe(ref zs, (nuint)(i + 8)) - mean) * invStd;
            Vector256<float> du0 = VectorDu<TActivation, TResidual>(xHat0, Vector256.LoadUnsafe(ref gs, (nuint)i), ref rs, i, normalized: true, gamma, beta);
            Vector256<float> du1 = VectorDu<TActivation, TResidual>(xHat1, Vector256.LoadUnsafe(ref gs, (nuint)(i + 8)), ref rs, i + 8, normalized: true, gamma, beta);
            sumDu0 += du0;
            sumDu1 += du1;
            sumDuXHat0 = Vector256.FusedMultiplyAdd(du0, xHat0, sumDuXHat0);
            sumDuXHat1 = Vector256.FusedMultiplyAdd(du1, xHat1, sumDuXHat1);
        }

        if (i < end)
        {
            Vector256<float> xHat = (Vector256.LoadUnsafe(ref zs, (nuint)i) - mean) * invStd;
            Vector256<float> du = VectorDu<TActivation, TResidual>(xHat, Vector256.LoadUnsafe(ref gs, (nuint)i), ref rs, i, normalized: true, gamma, beta);
            sumDu0 += du;
            sumDuXHat0 = Vector256.FusedMultiplyAdd(du, xHat, sumDuXHat0);
        }

        return (sumDu0 + sumDu1, sumDuXHat0 + sumDuXHat1);
    }

    /// <summary>
    /// One channel (as <see cref="ActivationBackwardSums"/>) of du, added to <paramref name="dr"/> (or written there),
    /// and <c>scale·(du − meanDu − x̂·meanDuXHat)</c> (BatchNorm) or du (none) written over <paramref name="g"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ActivationBackwardApply<TActivation>(
        ReadOnlySpan<float> z, Span<float> g, ReadOnlySpan<float> r, Span<float> dr, Channel channel, in PlaneConstants k,
        bool normalized, TActivation activation, bool accumulateResidualGradient)
        where TActivation : struct, IActivation
    {
        // The loop's choices as type parameters: each combination compiles to a loop without tests.
        ResidualGradient mode = dr.IsEmpty ? ResidualGradient.None : accumulateResidualGradient ? ResidualGradient.Add : ResidualGradient.Store;
        switch ((normalized, r.IsEmpty))
        {
            case (true, true): ChannelApply<TActivation, On, Off>(z, g, r, dr, channel, k, activation, mode); break;
            case (true, false): ChannelApply<TActivation, On, On>(z, g, r, dr, channel, k, activation, mode); break;
            case (false, true): ChannelApply<TActivation, Off, Off>(z, g, r, dr, channel, k, activation, mode); break;
            case (false, false): ChannelApply<TActivation, Off, On>(z, g, r, dr, channel, k, activation, mode); break;
        }
    }

    /// <summary>Where one channel's planes are: the plane of image n starts at First + n·ImageStride.</summary>
    private readonly record struct Channel(int First, int ImageStride, int Batch, int PlaneSize);

    private enum ResidualGradient
    {
        None,
        Add,
        Store,
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void ChannelApply<TActivation, TNormalized, TResidual>(
        ReadOnlySpan<float> z, Span<float> g, ReadOnlySpan<float> r, Span<float> dr, Channel channel, in PlaneConstants k, TActivation activation, ResidualGradient mode)
        where TActivation : struct, IActivation
        where TNormalized : struct, IFlag
        where TResidual : struct, IFlag
    {
        switch (mode)
        {
            case ResidualGradient.None: ChannelApply<TActivation, TNormalized, TResidual, Off, Off>(z, g, r, dr, channel, k, activation); break;
            case ResidualGradient.Add: ChannelApply<TActivation, TNormalized, TResidual, On, On>(z, g, r, dr, channel, k, activation); break;
            default: ChannelApply<TActivation, TNormalized, TResidual, On, Off>(z, g, r, dr, channel, k, activation); break;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ChannelApply<TActivation, TNormalized, TResidual, TResidualGradient, TAccumulate>(
        ReadOnlySpan<float> z, Span<float> g, ReadOnlySpan<float> r, Span<float> dr, Channel channel, in PlaneConstants k, TActivation activation)
        where TActivation : struct, IActivation
        where TNormalized : struct, IFlag
        where TResidual : struct, IFlag
        where TResidualGradient : struct, IFlag
        where TAccumulate : struct, IFlag
    {
        bool vectorised = typeof(TActivation) == typeof(Relu) || typeof(TActivation) == typeof(Identity);
        int planeSize = channel.PlaneSize, vectorEnd = vectorised ? planeSize - planeSize % 8 : 0;
        ref float zs = ref MemoryMarshal.GetReference(z);
        ref float gs = ref MemoryMarshal.GetReference(g);
        ref float rs = ref MemoryMarshal.GetReference(r);
        ref float drs = ref MemoryMarshal.GetReference(dr);
        (float mean, float invStd, float gamma, float beta, float scale, float meanDu, float meanDuXHat) = k;
        // Vector locals, which the JIT keeps in registers (a struct of vectors it would reload on every use).
        Vector256<float> vMean = Vector256.Create(mean), vInvStd = Vector256.Create(invStd), vGamma = Vector256.Create(gamma), vBeta = Vector256.Create(beta);
        Vector256<float> vScale = Vector256.Create(scale), vMeanDu = Vector256.Create(meanDu), vMeanDuXHat = Vector256.Create(meanDuXHat);
        for (int n = 0, start = channel.First; n < channel.Batch; n++, start += channel.ImageStride)
        {
            ref float zp = ref Unsafe.Add(ref zs, start), gp = ref Unsafe.Add(ref gs, start);
            ref float rp = ref Unsafe.Add(ref rs, TResidual.Value ? start : 0), drp = ref Unsafe.Add(ref drs, TResidualGradient.Value ? start : 0);
            for (int i = 0; i < vectorEnd; i += 8)
            {
                Vector256<float> xHat = Vector256.LoadUnsafe(ref zp, (nuint)i);
                if (TNormalized.Value)
                {
                    xHat = (xHat - vMean) * vInvStd;
                }

                Vector256<float> du = VectorDu<TActivation, TResidual>(xHat, Vector256.LoadUnsafe(ref gp, (nuint)i), ref rp, i, TNormalized.Value, vGamma, vBeta);
                if (TResidualGradient.Value)
                {
                    (TAccumulate.Value ? Vector256.LoadUnsafe(ref drp, (nuint)i) + du : du).StoreUnsafe(ref drp, (nuint)i);
                }

                (TNormalized.Value ? vScale * (du - vMeanDu - xHat * vMeanDuXHat) : du).StoreUnsafe(ref gp, (nuint)i);
            }

            for (int i = start + vectorEnd; i < start + planeSize; i++)
            {
                float xHat = TNormalized.Value ? (z[i] - mean) * invStd : z[i];
                float du = ScalarDu(xHat, g[i], TResidual.Value ? r[i] : 0f, TNormalized.Value, gamma, beta, activation);
                if (TResidualGradient.Value)
                {
                    dr[i] = TAccumulate.Value ? dr[i] + du : du;
                }

                g[i] = TNormalized.Value ? scale * (du - meanDu - xHat * meanDuXHat) : du;
            }
        }
    }

    /// <summary>du = g·act′(u) for ReLU (g where u &gt; 0) and identity (g), eight at a time; u = γ·x̂ + β [+ r] or z [+ r].</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> VectorDu<TActivation, TResidual>(Vector256<float> xHat, Vector256<float> g, ref float rs, int i, bool normalized, Vector256<float> gamma, Vector256<float> beta)
        where TActivation : struct, IActivation
        where TResidual : struct, IFlag
    {
        if (typeof(TActivation) != typeof(Relu))
        {
            return g;
        }

        Vector256<float> u = normalized ? Vector256.FusedMultiplyAdd(gamma, xHat, beta) : xHat;
        if (TResidual.Value)
        {
            u += Vector256.LoadUnsafe(ref rs, (nuint)i);
        }

        return Vector256.ConditionalSelect(Vector256.GreaterThan(u, Vector256<float>.Zero), g, Vector256<float>.Zero);
    }

    /// <summary>One channel's constants of the backward's writing pass.</summary>
    private readonly record struct PlaneConstants(float Mean, float InverseStd, float Gamma, float Beta, float Scale, float MeanDu, float MeanDuXHat);

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
    private static float ScalarDu<TActivation>(float xHat, float g, float r, bool normalized, float gamma, float beta, TActivation activation)
        where TActivation : struct, IActivation
        => g * activation.Derivative((normalized ? MathF.FusedMultiplyAdd(gamma, xHat, beta) : xHat) + r);

    /// <summary>
    /// Gradients of a convolution: adds ∂L/∂W and ∂L/∂b to the layer's parameter gradients and, unless
    /// <paramref name="inputGradient"/> is empty, ∂L/∂x to it — or writes ∂L/∂x over it without
    /// <paramref name="accumulate"/> (its first contribution, so no clearing pass is needed beforehand). Ungrouped
    /// convolutions run register-tiled direct kernels over pixel-major scratch copies — 3×3 stride-1 ones with 16 channels
    /// or more through Winograd's transforms on the same tiles (2.25× fewer multiplications); grouped ones, matrix
    /// products over the im2col matrix. <paramref name="paddedInput"/>, when given, is the same input already zero-padded by the
    /// layer's padding (batch × Cin × (H + 2·padH) × (W + 2·padW), as the training forward pass keeps it): ungrouped
    /// convolutions read it instead of copying each image.
    /// </summary>
    public static void ConvolutionBackward(
        ReadOnlySpan<float> input, ReadOnlySpan<float> outputGradient, Conv2d conv, Span<float> inputGradient, int batch, int height, int width,
        bool accumulate = true, ReadOnlySpan<float> paddedInput = default)
        => ConvolutionBackward(input, outputGradient, conv, inputGradient, batch, height, width, KernelVariants.Default, accumulate, paddedInput);

    /// <summary>
    /// <see cref="ConvolutionBackward(ReadOnlySpan{float}, ReadOnlySpan{float}, Conv2d, Span{float}, int, int, int, bool, ReadOnlySpan{float})"/> with
    /// the register tiles of <paramref name="variant"/> (<see cref="KernelVariant.Wide"/> needs 32 vector registers to
    /// run at full speed; both compute the same gradients).
    /// </summary>
    public static void ConvolutionBackward(
        ReadOnlySpan<float> input, ReadOnlySpan<float> outputGradient, Conv2d conv, Span<float> inputGradient, int batch, int height, int width, KernelVariant variant,
        bool accumulate = true, ReadOnlySpan<float> paddedInput = default)
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

        long paddedLength = (long)batch * conv.InChannels * (height + 2 * ph) * (width + 2 * pw);
        if (!paddedInput.IsEmpty && paddedInput.Length != paddedLength)
        {
            throw new ArgumentException(
                $"Convolution backward: the padded input of a batch of {batch} ({conv.InChannels}×{height + 2 * ph}×{width + 2 * pw}) holds {paddedLength} floats; got {paddedInput.Length}.",
                nameof(paddedInput));
        }

        ConvolutionGradients.Backward(input, outputGradient, conv, inputGradient, batch, height, width, variant, accumulate, paddedInput);
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
