using System;
using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Threading;
using Fusion.Activations;

namespace Fusion.Kernels;

/// <summary>
/// A fast convolution with every shape a runtime argument: the kernel a general-purpose runtime would ship, written
/// with the same techniques as the generated ones (weights packed once per parameter change with BatchNorm folded,
/// a zero-padded input, register tiles of 6 pixels × 4 vectors of 8 output channels, residual and activation in the
/// pass that writes NCHW) but with loops over runtime channel counts, taps and widths instead of code specialised to
/// one shape. It backs the generated <c>ForwardGeneric</c> (what specialisation buys) and the convolution pass of
/// <c>ForwardUnfused</c> (what fusion buys).
/// </summary>
public static unsafe class GenericKernels
{
    /// <summary>
    /// <c>output = activation(conv(input) with the block's BatchNorm folded in [+ residual])</c>, NCHW in and out, in one
    /// pass: what the generated kernel of this block computes, with runtime shapes. The BatchNorm is folded with its
    /// running statistics, so it must track them.
    /// </summary>
    /// <remarks><paramref name="variant"/> picks the register tiles (default: the machine's); results do not depend on it.</remarks>
    /// <exception cref="ArgumentException">A span's length does not match the shapes, or the BatchNorm has no running statistics.</exception>
    public static void ConvBlock<TActivation>(
        ReadOnlySpan<float> input, ConvBlock block, Span<float> output, int batch, int height, int width,
        ReadOnlySpan<float> residual, TActivation activation, KernelVariant? variant = null)
        where TActivation : struct, IActivation
    {
        ArgumentNullException.ThrowIfNull(block);
        if (block.BatchNorm is { TrackRunningStats: false })
        {
            throw new ArgumentException($"'{block.Name}': a BatchNorm without running statistics normalises with batch statistics and cannot be folded.", nameof(block));
        }

        Convolve(input, block.Conv, block.BatchNorm, output, batch, height, width, residual, activation, variant ?? KernelVariants.Default);
    }

    /// <summary>The convolution alone (its own weights and bias), NCHW in and out.</summary>
    /// <exception cref="ArgumentException">A span's length does not match the shapes.</exception>
    public static void Convolution(ReadOnlySpan<float> input, Conv2d conv, Span<float> output, int batch, int height, int width, KernelVariant? variant = null)
        => Convolve(input, conv, null, output, batch, height, width, default, default(Identity), variant ?? KernelVariants.Default);

    private static void Convolve<TActivation>(
        ReadOnlySpan<float> input, Conv2d conv, BatchNorm? batchNorm, Span<float> output, int batch, int height, int width,
        ReadOnlySpan<float> residual, TActivation activation, KernelVariant variant)
        where TActivation : struct, IActivation
    {
        ArgumentNullException.ThrowIfNull(conv);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batch);
        int outHeight = (height + 2 * conv.PaddingHeight - conv.Dilation * (conv.KernelHeight - 1) - 1) / conv.Stride + 1;
        int outWidth = (width + 2 * conv.PaddingWidth - conv.Dilation * (conv.KernelWidth - 1) - 1) / conv.Stride + 1;
        Check(input.Length, batch * conv.InChannels * height * width, nameof(input));
        Check(output.Length, batch * conv.OutChannels * outHeight * outWidth, nameof(output));
        if (!residual.IsEmpty)
        {
            Check(residual.Length, output.Length, nameof(residual));
        }

        Run(input, Pack(conv, batchNorm), output, batch, height, width, outHeight, outWidth, residual, activation, variant == KernelVariant.Wide);
    }

    /// <summary>The weights of one block packed [group][tap][output channel, padded to 8] with the bias, for one parameter version.</summary>
    internal sealed class Packed(long version, float[] weights, float[] bias, int outPadded)
    {
        public long Version { get; } = version;
        public float[] Weights { get; } = weights;
        public float[] Bias { get; } = bias;
        public int OutPadded { get; } = outPadded;
        public Conv2d Conv { get; init; } = null!;
    }

    private static readonly ConditionalWeakTable<Conv2d, Packed[]> Cache = new();

    private static Packed Pack(Conv2d conv, BatchNorm? batchNorm)
    {
        long version = conv.Weight.Changes.Value;
        Packed[] slots = Cache.GetValue(conv, static _ => new Packed[2]);
        bool fold = batchNorm is not null;
        int slot = fold ? 1 : 0;
        Packed? cached = Volatile.Read(ref slots[slot]);
        if (cached is not null && cached.Version == version)
        {
            return cached;
        }

        // Repacked after any parameter change (the model's change counter), published whole: concurrent callers see
        // either the old packing or the new one.
        int groups = conv.Groups, inPerGroup = conv.InChannels / groups, outPerGroup = conv.OutChannels / groups;
        int outPadded = (outPerGroup + 7) / 8 * 8, taps = inPerGroup * conv.KernelHeight * conv.KernelWidth;
        float[] weights = new float[groups * taps * outPadded], bias = new float[groups * outPadded];
        float[] scratch = ArrayPool<float>.Shared.Rent(2 * conv.OutChannels);
        try
        {
            Span<float> s = scratch.AsSpan(0, conv.OutChannels), t = scratch.AsSpan(conv.OutChannels, conv.OutChannels);
            Folding.GetScaleShift(batchNorm, s, t);
            ReadOnlySpan<float> w = conv.Weight.Data;
            ReadOnlySpan<float> b = conv.Bias is null ? default : conv.Bias.Data;
            for (int o = 0; o < conv.OutChannels; o++)
            {
                int g = o / outPerGroup, lane = o % outPerGroup;
                bias[g * outPadded + lane] = (float)((b.IsEmpty ? 0.0 : b[o]) * s[o] + t[o]);
                for (int k = 0; k < taps; k++)
                {
                    weights[(g * taps + k) * outPadded + lane] = w[o * taps + k] * s[o];
                }
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(scratch);
        }

        var packed = new Packed(version, weights, bias, outPadded) { Conv = conv };
        Volatile.Write(ref slots[slot], packed);
        return packed;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Run<TActivation>(
        ReadOnlySpan<float> input, Packed packed, Span<float> output, int batch, int height, int width, int outHeight, int outWidth,
        ReadOnlySpan<float> residual, TActivation activation, bool wide)
        where TActivation : struct, IActivation
    {
        Conv2d conv = packed.Conv;
        int tile = wide ? 6 : 3, maxVectors = wide ? 4 : 3;
        int kh = conv.KernelHeight, kw = conv.KernelWidth, s = conv.Stride;
        int groups = conv.Groups, inPerGroup = conv.InChannels / groups, outPerGroup = conv.OutChannels / groups, outPadded = packed.OutPadded;
        int taps = inPerGroup * kh * kw;
        int outWidthPadded = (outWidth + tile - 1) / tile * tile;
        (int paddedHeight, int paddedWidth) = PaddedImage.Size(conv, height, width, outHeight, outWidthPadded);
        int paddedPlane = paddedHeight * paddedWidth, plane = height * width, outPlane = outHeight * outWidth;
        int xLength = (inPerGroup * paddedPlane + 15) / 16 * 16, rowLength = outWidthPadded * outPadded;
        float[] scratch = ArrayPool<float>.Shared.Rent(xLength + rowLength + 16);
        int[] offsetArray = ArrayPool<int>.Shared.Rent(taps);
        try
        {
            fixed (float* pScratch = scratch, pIn = input, pOut = output, pResidual = residual, pWeights = packed.Weights, pBias = packed.Bias)
            fixed (int* offsets = offsetArray)
            {
                float* xP = (float*)(((nint)pScratch + 63) & ~(nint)63), row = xP + xLength;
                PaddedImage.TapOffsets(offsets, conv, inPerGroup, paddedHeight, paddedWidth);
                new Span<float>(xP, xLength).Clear();
                for (int n = 0; n < batch; n++)
                {
                    for (int g = 0; g < groups; g++)
                    {
                        PaddedImage.CopyInterior(pIn + ((nint)n * conv.InChannels + g * inPerGroup) * plane, xP, conv, inPerGroup, height, width, paddedHeight, paddedWidth);

                        float* w = pWeights + (nint)g * taps * outPadded;
                        float* bias = pBias + g * outPadded;
                        nint outOffset = ((nint)n * conv.OutChannels + g * outPerGroup) * outPlane;
                        for (int oh = 0; oh < outHeight; oh++)
                        {
                            float* xr = xP + oh * s * paddedWidth;
                            for (int v = 0; v < outPadded / 8; v += maxVectors)
                            {
                                int count = Math.Min(maxVectors, outPadded / 8 - v);
                                for (int ow = 0; ow < outWidthPadded; ow += tile)
                                {
                                    Tile(wide, count, row + ow * outPadded + v * 8, outPadded, xr + ow * s, s, offsets, taps, w + v * 8, outPadded, bias + v * 8);
                                }
                            }

                            Epilogue(row, outPadded, pOut + outOffset + oh * outWidth, pResidual == null ? null : pResidual + outOffset + oh * outWidth, outPlane, outPerGroup, outWidth, activation);
                        }
                    }
                }
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(scratch);
            ArrayPool<int>.Shared.Return(offsetArray);
        }
    }

    private static void Tile(bool wide, int count, float* output, nint outputPixel, float* x, nint xPixel, int* offsets, int taps, float* w, nint wRow, float* bias)
    {
        if (wide)
        {
            switch (count)
            {
                case 4: ConvolutionTiles.Forward<Six, Four>(output, outputPixel, x, xPixel, offsets, taps, w, wRow, bias); break;
                case 3: ConvolutionTiles.Forward<Six, Three>(output, outputPixel, x, xPixel, offsets, taps, w, wRow, bias); break;
                case 2: ConvolutionTiles.Forward<Six, Two>(output, outputPixel, x, xPixel, offsets, taps, w, wRow, bias); break;
                default: ConvolutionTiles.Forward<Six, One>(output, outputPixel, x, xPixel, offsets, taps, w, wRow, bias); break;
            }
        }
        else
        {
            switch (count)
            {
                case 3: ConvolutionTiles.Forward<Three, Three>(output, outputPixel, x, xPixel, offsets, taps, w, wRow, bias); break;
                case 2: ConvolutionTiles.Forward<Three, Two>(output, outputPixel, x, xPixel, offsets, taps, w, wRow, bias); break;
                default: ConvolutionTiles.Forward<Three, One>(output, outputPixel, x, xPixel, offsets, taps, w, wRow, bias); break;
            }
        }
    }

    /// <summary>One output row from pixel-major to NCHW, 8 channels × 8 pixels at a time, adding the residual and activating on the way.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Epilogue<TActivation>(float* row, nint rowPixel, float* output, float* residual, nint plane, int channels, int pixels, TActivation activation)
        where TActivation : struct, IActivation
    {
        float* block = stackalloc float[64];
        int c = 0;
        for (; c + 8 <= channels; c += 8)
        {
            int p = 0;
            for (; p + 8 <= pixels; p += 8)
            {
                Nchw.Transpose8x8(row + p * rowPixel + c, rowPixel, block, 8, accumulate: false);
                for (int k = 0; k < 8; k++)
                {
                    Vector256<float> value = Vector256.Load(block + k * 8);
                    if (residual != null)
                    {
                        value += Vector256.Load(residual + (c + k) * plane + p);
                    }

                    activation.Invoke(value).Store(output + (c + k) * plane + p);
                }
            }

            for (; p < pixels; p++)
            {
                for (int k = c; k < c + 8; k++)
                {
                    Scalar(row[p * rowPixel + k], output + k * plane + p, residual == null ? null : residual + k * plane + p, activation);
                }
            }
        }

        for (; c < channels; c++)
        {
            for (int p = 0; p < pixels; p++)
            {
                Scalar(row[p * rowPixel + c], output + c * plane + p, residual == null ? null : residual + c * plane + p, activation);
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Scalar<TActivation>(float value, float* output, float* residual, TActivation activation)
        where TActivation : struct, IActivation
        => *output = activation.Invoke(residual == null ? value : value + *residual);

    private static void Check(int actual, int expected, string name)
    {
        if (actual != expected)
        {
            throw new ArgumentException($"Expected {expected} floats, but the span holds {actual}.", name);
        }
    }
}
