using System;
using System.Buffers;
using System.Runtime.Intrinsics;

namespace Fusion.Kernels;

/// <summary>
/// Folds eval-mode BatchNorm into the preceding layer's weights and packs them in the layouts the generated
/// kernels read. <c>W' = W·s</c>, <c>b' = (b − μ)·s + β</c>, <c>s = γ/√(σ² + ε)</c> (BATCHNORM.md §3), in double,
/// rounded once.
/// </summary>
public static class Folding
{
    /// <summary>Floats in the packed weights of a convolution: per group, the output channels padded to whole vectors of 8.</summary>
    public static int PackedConvWeightLength(int groups, int outPerGroup, int inPerGroup, int kernelHeight, int kernelWidth)
        => groups * RoundUp8(outPerGroup) * inPerGroup * kernelHeight * kernelWidth;

    /// <summary>Floats in the packed bias of a convolution.</summary>
    public static int PackedConvBiasLength(int groups, int outPerGroup) => groups * RoundUp8(outPerGroup);

    /// <summary>
    /// Packs a convolution with its BatchNorm folded in for the direct tiled kernels. Per group, the output channels
    /// are padded with zero filters to whole vectors of 8 and cut into tiles of <paramref name="tileVectors"/>
    /// vectors (the last tile may be narrower). Each tile holds, for each block of up to 8 input channels, for each
    /// kh, kw, for each input channel of the block, its tile's output channels contiguously:
    /// <c>[group][tile][channel block][kh][kw][channel in block][tile lanes]</c>. A tile starting at vector v0
    /// begins at float <c>(group·vectorsPerGroup + v0)·8·C_in/groups·kH·kW</c>.
    /// </summary>
    /// <param name="block">The convolution and its BatchNorm.</param>
    /// <param name="tileVectors">Vectors of 8 output channels per tile, as the kernel's plan says.</param>
    /// <param name="packedWeights">Receives the packed weights.</param>
    /// <param name="packedBias">Receives the packed bias.</param>
    /// <param name="foldBatchNorm">False for training kernels, which need the convolution's own weights and bias.</param>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public static unsafe void PackConv(ConvBlock block, int tileVectors, Span<float> packedWeights, Span<float> packedBias, bool foldBatchNorm = true)
    {
        ArgumentNullException.ThrowIfNull(block);
        Conv2d conv = block.Conv;
        int groups = conv.Groups, outPerGroup = conv.OutChannels / groups, inPerGroup = conv.InChannels / groups;
        int kh = conv.KernelHeight, kw = conv.KernelWidth, taps = kh * kw;
        int vectors = RoundUp8(outPerGroup) / 8;
        CheckLength(packedWeights, PackedConvWeightLength(groups, outPerGroup, inPerGroup, kh, kw), nameof(packedWeights));
        CheckLength(packedBias, PackedConvBiasLength(groups, outPerGroup), nameof(packedBias));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(tileVectors);

        // Folding runs after every optimiser step in training: the scratch comes from the pool, not the heap.
        float[] scratch = ArrayPool<float>.Shared.Rent(2 * conv.OutChannels);
        Span<float> scale = scratch.AsSpan(0, conv.OutChannels), shift = scratch.AsSpan(conv.OutChannels, conv.OutChannels);
        GetScaleShift(foldBatchNorm ? block.BatchNorm : null, scale, shift);
        ReadOnlySpan<float> weight = conv.Weight.Data;
        ReadOnlySpan<float> bias = conv.Bias is null ? default : conv.Bias.Data;

        if (outPerGroup % 8 != 0)
        {
            // The filters padding each group to whole vectors; with none, every value below is written.
            packedWeights.Clear();
            packedBias.Clear();
        }

        float* block8 = stackalloc float[64]; // one 8×8 transpose
        for (int g = 0; g < groups; g++)
        {
            for (int lane = 0; lane < outPerGroup; lane++)
            {
                int oc = g * outPerGroup + lane;
                double b = bias.IsEmpty ? 0.0 : bias[oc];
                packedBias[g * vectors * 8 + lane] = (float)(b * scale[oc] + shift[oc]);
            }

            for (int v0 = 0; v0 < vectors; v0 += tileVectors)
            {
                int tileLanes = Math.Min(tileVectors, vectors - v0) * 8;
                int tileStart = (g * vectors + v0) * 8 * inPerGroup * taps;
                for (int block0 = 0; block0 < inPerGroup; block0 += 8)
                {
                    int blockChannels = Math.Min(8, inPerGroup - block0);
                    int blockStart = tileStart + block0 * taps * tileLanes;
                    // Whole vectors of 8 output channels: 8 channels' weights (rows of the block's channels × taps, in
                    // order) transposed 8 at a time, so each packed vector is one store. This runs after every optimiser
                    // step in training. Float products equal the double ones rounded once: a float product is exact in double.
                    int lanes = Math.Min(tileLanes, outPerGroup - v0 * 8);
                    int reduction = blockChannels * taps, vectorLanes = lanes / 8 * 8, vectorReduction = reduction / 8 * 8;
                    fixed (float* pWeight = weight, pPacked = packedWeights, pScale = scale)
                    {
                        for (int lane0 = 0; lane0 < vectorLanes; lane0 += 8)
                        {
                            int oc0 = g * outPerGroup + v0 * 8 + lane0;
                            float* source = pWeight + ((nint)oc0 * inPerGroup + block0) * taps;
                            Vector256<float> laneScale = Vector256.Load(pScale + oc0);
                            for (int k0 = 0; k0 < vectorReduction; k0 += 8)
                            {
                                Nchw.Transpose8x8(source + k0, inPerGroup * taps, block8, 8, accumulate: false);
                                for (int m = 0; m < 8; m++)
                                {
                                    int k = k0 + m, ic = k / taps, tap = k - ic * taps;
                                    Vector256.Store(Vector256.Load(block8 + 8 * m) * laneScale, pPacked + blockStart + (nint)(tap * blockChannels + ic) * tileLanes + lane0);
                                }
                            }
                        }
                    }

                    // The rest one output channel at a time (channels beyond the whole vectors: every k; the others: the
                    // reduction's tail): weights read in order, written tileLanes apart within an L1-sized block.
                    for (int lane = 0; lane < lanes; lane++)
                    {
                        int first = lane < vectorLanes ? vectorReduction : 0;
                        if (first == reduction)
                        {
                            continue;
                        }

                        int oc = g * outPerGroup + v0 * 8 + lane;
                        double s = scale[oc];
                        ReadOnlySpan<float> source = weight.Slice((oc * inPerGroup + block0) * taps, blockChannels * taps);
                        Span<float> target = packedWeights.Slice(blockStart + lane, ((taps - 1) * blockChannels + blockChannels - 1) * tileLanes + 1);
                        fixed (float* from = source, to = target)
                        {
                            int tapStride = blockChannels * tileLanes;
                            for (int k = first; k < reduction; k++)
                            {
                                int ic = k / taps, tap = k - ic * taps;
                                to[tap * tapStride + ic * tileLanes] = (float)(from[k] * s);
                            }
                        }
                    }
                }
            }
        }

        ArrayPool<float>.Shared.Return(scratch);
    }

    /// <summary>Folds a fully connected layer's BatchNorm1d: weights stay [out, in], bias [out].</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public static void FoldLinear(LinearBlock block, Span<float> weights, Span<float> bias, bool foldBatchNorm = true)
    {
        ArgumentNullException.ThrowIfNull(block);
        Linear linear = block.Linear;
        int outFeatures = linear.OutFeatures, inFeatures = linear.InFeatures;
        CheckLength(weights, outFeatures * inFeatures, nameof(weights));
        CheckLength(bias, outFeatures, nameof(bias));
        float[] scratch = ArrayPool<float>.Shared.Rent(2 * outFeatures);
        Span<float> scale = scratch.AsSpan(0, outFeatures), shift = scratch.AsSpan(outFeatures, outFeatures);
        GetScaleShift(foldBatchNorm ? block.BatchNorm : null, scale, shift);
        ReadOnlySpan<float> w = linear.Weight.Data;
        ReadOnlySpan<float> b = linear.Bias is null ? default : linear.Bias.Data;
        for (int o = 0; o < outFeatures; o++)
        {
            for (int i = 0; i < inFeatures; i++)
            {
                weights[o * inFeatures + i] = (float)((double)w[o * inFeatures + i] * scale[o]);
            }

            bias[o] = (float)((b.IsEmpty ? 0.0 : b[o]) * scale[o] + shift[o]);
        }

        ArrayPool<float>.Shared.Return(scratch);
    }

    internal static void GetScaleShift(BatchNorm? batchNorm, Span<float> scale, Span<float> shift)
    {
        // Without running statistics BatchNorm uses the batch's own at inference: nothing to fold, it runs after the kernel.
        if (batchNorm is null || !batchNorm.TrackRunningStats)
        {
            scale.Fill(1f);
            shift.Clear();
        }
        else
        {
            batchNorm.GetEvalScaleShift(scale, shift);
        }
    }

    private static int RoundUp8(int value) => (value + 7) & ~7;

    private static void CheckLength(Span<float> span, int expected, string name)
    {
        if (span.Length != expected)
        {
            throw new ArgumentException($"Expected {expected} floats for the packed layout; the span holds {span.Length}.", name);
        }
    }
}
