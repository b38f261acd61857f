using System;
using System.Collections.Generic;
using System.Globalization;
using Fusion.Generator.Model;

namespace Fusion.Generator.Planning;

/// <summary>
/// Chooses how one convolution runs: the register tile (pixels × vectors of 8 output channels), the runs of
/// channel tiles per group, and which output columns are interior (no padding read: a tight loop) or border
/// (emitted tile by tile with the out-of-range taps removed). Every performance decision of a conv kernel is made
/// here and nowhere else.
/// </summary>
internal static class ConvKernelPlanner
{
    /// <summary>
    /// Accumulators one tile may hold. With AVX-512 present, RyuJIT gives <c>Vector256</c> code all 32 ymm
    /// registers; 24 accumulators leave room for the tile's weight vectors and one broadcast (KERNELS.md: 6×4 and
    /// 4×4 won, 7×4 spilled).
    /// </summary>
    public const int MaxAccumulators = 24;

    public static ConvKernelPlan Plan(LayerSpec layer, TensorShape input, TensorShape output, bool residual, ActivationSpec activation)
    {
        int groups = layer.Groups;
        int outPerGroup = output.Channels / groups;
        int vectorsPerGroup = (outPerGroup + 7) / 8;
        int tileVectors = Math.Min(4, vectorsPerGroup);
        int tilePixels = ChooseTilePixels(output.Width, tileVectors);

        var channelRuns = ChannelRuns(vectorsPerGroup, tileVectors, outPerGroup);
        var columnRuns = ColumnRuns(input.Width, output.Width, tilePixels, layer.KernelWidth, layer.Stride, layer.PaddingWidth, layer.Dilation);

        string name = KernelName(layer, input, output, residual, activation, tilePixels, tileVectors);
        return new ConvKernelPlan(
            name, input.Channels, input.Height, input.Width, output.Channels, output.Height, output.Width,
            layer.KernelHeight, layer.KernelWidth, layer.Stride, layer.PaddingHeight, layer.PaddingWidth, layer.Dilation, groups,
            tilePixels, tileVectors, channelRuns.ToEquatableArray(), columnRuns.ToEquatableArray(), residual, activation);
    }

    /// <summary>
    /// The pixel count P of the tile: the one that minimises the issue slots one row costs, where a tile of p
    /// pixels × V vectors costs max(p·V FMAs, p + V loads) per input channel and tap (Zen 4 issues two of each per
    /// cycle), summed over the full tiles and the narrower last one. Ties go to the wider tile (fewer epilogues).
    /// </summary>
    public static int ChooseTilePixels(int outWidth, int tileVectors)
    {
        int maxPixels = Math.Min(Math.Min(12, MaxAccumulators / tileVectors), outWidth);
        int best = 1;
        long bestCost = long.MaxValue;
        for (int p = 1; p <= maxPixels; p++)
        {
            int full = outWidth / p, tail = outWidth % p;
            long cost = (long)full * Math.Max(p * tileVectors, p + tileVectors) + (tail > 0 ? Math.Max(tail * tileVectors, tail + tileVectors) : 0);
            if (cost <= bestCost)
            {
                best = p;
                bestCost = cost;
            }
        }

        return best;
    }

    private static List<ChannelRun> ChannelRuns(int vectorsPerGroup, int tileVectors, int outPerGroup)
    {
        var runs = new List<ChannelRun>();
        int lastLanes = outPerGroup - (vectorsPerGroup - 1) * 8;
        int fullTiles = vectorsPerGroup / tileVectors;
        int remainder = vectorsPerGroup % tileVectors;

        // A tile whose last vector is partial cannot share the loop: its epilogue stores fewer lanes.
        bool lastFullTileIsPartial = remainder == 0 && lastLanes < 8;
        int loopTiles = lastFullTileIsPartial ? fullTiles - 1 : fullTiles;
        if (loopTiles > 0)
        {
            runs.Add(new ChannelRun(0, loopTiles, tileVectors, 8));
        }

        if (lastFullTileIsPartial)
        {
            runs.Add(new ChannelRun(loopTiles * tileVectors, 1, tileVectors, lastLanes));
        }

        if (remainder > 0)
        {
            runs.Add(new ChannelRun(fullTiles * tileVectors, 1, remainder, lastLanes));
        }

        return runs;
    }

    private static List<ColumnRun> ColumnRuns(int inWidth, int outWidth, int tilePixels, int kernelWidth, int stride, int padding, int dilation)
    {
        var runs = new List<ColumnRun>();
        for (int start = 0; start < outWidth; start += tilePixels)
        {
            int pixels = Math.Min(tilePixels, outWidth - start);
            int first = start * stride - padding;
            int last = (start + pixels - 1) * stride - padding + (kernelWidth - 1) * dilation;
            bool interior = first >= 0 && last < inWidth;
            if (runs.Count > 0 && runs[runs.Count - 1] is { Interior: true } previous && interior && pixels == previous.Pixels)
            {
                runs[runs.Count - 1] = previous with { Count = previous.Count + 1 };
            }
            else
            {
                runs.Add(new ColumnRun(start, 1, pixels, interior));
            }
        }

        return runs;
    }

    /// <summary>
    /// The kernel's name is its specification: op, kernel/stride/padding/dilation/groups, input and output shape,
    /// the post-ops that live in the kernel (BatchNorm lives in the packed weights), the tile and the vector width.
    /// </summary>
    private static string KernelName(LayerSpec layer, TensorShape input, TensorShape output, bool residual, ActivationSpec activation, int tilePixels, int tileVectors)
    {
        string kernel = layer.KernelHeight == layer.KernelWidth ? $"{layer.KernelHeight}x{layer.KernelHeight}" : $"{layer.KernelHeight}x{layer.KernelWidth}";
        string padding = layer.PaddingHeight == layer.PaddingWidth ? $"p{layer.PaddingHeight}" : $"p{layer.PaddingHeight}x{layer.PaddingWidth}";
        string dilation = layer.Dilation == 1 ? "" : $"d{layer.Dilation}";
        string groups = layer.Groups == 1 ? "" : layer.Groups == input.Channels && layer.Groups == output.Channels ? "dw" : $"g{layer.Groups}";
        string post = (residual ? "Add" : "") + ActivationName(activation);
        return $"Conv{kernel}s{layer.Stride}{padding}{dilation}{groups}_{input.Channels}x{input.Height}x{input.Width}to{output.Channels}_{post}_{tilePixels}x{tileVectors}_V256";
    }

    /// <summary>The activation and its constants as an identifier fragment: <c>LeakyRelu0p2</c>, <c>ClampM1to1</c>.</summary>
    public static string ActivationName(ActivationSpec activation) => activation.Kind switch
    {
        ActivationKind.LeakyRelu => "LeakyRelu" + Fragment(activation.Parameter1),
        ActivationKind.Elu => "Elu" + Fragment(activation.Parameter1),
        ActivationKind.Clamp => "Clamp" + Fragment(activation.Parameter1) + "to" + Fragment(activation.Parameter2),
        _ => activation.Kind.ToString(),
    };

    private static string Fragment(float value)
        => value.ToString("R", CultureInfo.InvariantCulture).Replace("-", "M").Replace(".", "p").Replace("+", "").Replace("E", "e");
}
