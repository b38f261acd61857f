using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
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
    /// Accumulators one tile may hold with 32 vector registers (AVX-512 present: RyuJIT gives <c>Vector256</c> code
    /// all 32 ymm registers); 24 leave room for the tile's weight vectors and one broadcast (KERNELS.md: 6×4 and 4×4
    /// won, 7×4 spilled).
    /// </summary>
    public const int MaxAccumulators = 24;

    /// <summary>
    /// Accumulators with 16 vector registers (AVX2 without AVX-512, or Native AOT for x86-64-v3): 12, with at most
    /// 3 weight vectors and one broadcast, so that nothing spills (measured: 24-accumulator tiles run 2.5× slower there).
    /// </summary>
    public const int MaxAccumulatorsNarrow = 12;

    /// <summary>
    /// Accumulators of a tile that covers a whole output row (512-bit pairs: 28 + 2 weight vectors + 1 broadcast = 31 of
    /// the 32 registers; measured without spills). One tile per row is the tile whose taps into the left and right
    /// padding the kernel leaves out (see <see cref="ConvKernelPlan.SkipsPaddingColumns"/>): ResNet-18's 14×14 layers
    /// 16.9 → 15.8 ms at batch 8 with 14-pixel tiles instead of 10 + 4.
    /// </summary>
    public const int MaxAccumulatorsWholeRow = 28;

    /// <param name="statistics">A training kernel: identity epilogue that also adds each output channel's rows to its batch statistics.</param>
    /// <param name="narrow">Plan for 16 vector registers instead of 32.</param>
    /// <param name="outputPad">Zero rows and columns around each plane of the buffer the kernel writes (the next layer's padding).</param>
    /// <param name="residualPad">Zero rows and columns around each plane of the residual buffer.</param>
    public static ConvKernelPlan Plan(LayerSpec layer, TensorShape input, TensorShape output, bool residual, ActivationSpec activation, bool statistics = false, bool narrow = false,
        (int Height, int Width) outputPad = default, (int Height, int Width) residualPad = default, bool batchRows = false,
        (int Height, int Width) inputBorder = default)
    {
        // Only a kernel that pads nothing reads another reader's zero-bordered buffer as it stands.
        if (layer.PaddingHeight > 0 || layer.PaddingWidth > 0)
        {
            inputBorder = default;
        }

        int groups = layer.Groups;
        int outPerGroup = output.Channels / groups;
        int vectorsPerGroup = (outPerGroup + 7) / 8;
        int tileVectors = Math.Min(narrow ? 3 : 4, vectorsPerGroup);
        // With 32 registers (AVX-512 present), pairs of channel vectors run as one 512-bit vector (an odd last one stays
        // 256-bit): one broadcast feeds 16 channels, so a tile issues half the instructions and loads per FMA (measured:
        // S4 107 → 112 GFLOP/s).
        bool wide512 = !narrow && tileVectors >= 2;
        bool padsColumns = layer.PaddingWidth > 0 && layer.KernelWidth > 1; // what a whole-row tile can leave out
        int columnTileVectors = tileVectors; // the tile's vectors when it does not span the row
        // A padded row too wide for one tile of two 512-bit vectors but not for one of a single vector takes tiles of 16
        // channels, so that one tile spans the row and leaves out its padding taps (see MaxAccumulatorsWholeRow). Measured:
        // S4 (28 pixels) 1.98 → 1.93 ms, TinyNet's 16×16 block 341 → 321 µs at batch 8.
        if (wide512 && padsColumns && tileVectors > 2 && output.Width * 2 > MaxAccumulatorsWholeRow && output.Width <= MaxAccumulatorsWholeRow)
        {
            tileVectors = 2;
        }

        int reduction = input.Channels / groups * layer.KernelHeight * layer.KernelWidth;
        int tilePixels = ChooseTilePixels(output.Width, tileVectors, reduction, narrow ? MaxAccumulatorsNarrow : MaxAccumulators, wide512);
        var channelRuns = ChannelRuns(vectorsPerGroup, tileVectors, outPerGroup);
        // A whole-row tile unrolls kw and every channel of an input block (and of the tail block) for each run of channel
        // tiles: past MaxUnrolledFmas the JIT would compile the kernel without optimising it. Then column tiles with kw as
        // a loop instead (narrower than the row, which would unroll kw again), at the tile width the row would have had.
        int[] tapPixels = TapPixels(layer.KernelWidth, layer.Stride, layer.PaddingWidth, layer.Dilation, input.Width, output.Width);
        if (wide512 && padsColumns && tilePixels == output.Width
            && UnrolledFmas(channelRuns, [new ColumnRun(0, 1, output.Width)], input.Channels / groups, tapPixels) > MaxUnrolledFmas)
        {
            tileVectors = columnTileVectors;
            tilePixels = ChooseTilePixels(output.Width, tileVectors, reduction, MaxAccumulators, wide512, wholeRow: false, maxPixels: output.Width - 1);
            channelRuns = ChannelRuns(vectorsPerGroup, tileVectors, outPerGroup);
        }

        var columnRuns = ColumnRuns(output.Width, tilePixels);
        bool stagedRows = tileVectors * 8 * output.Width <= MaxStageFloats;

        // Pointwise and row-tiled kernels address whole planes or padded rows: they read plain or padded buffers only.
        bool pointwise = layer.KernelHeight == 1 && layer.KernelWidth == 1 && layer.Stride == 1 && layer.PaddingHeight == 0 && layer.PaddingWidth == 0
            && layer.Dilation == 1 && groups == 1 && output.Height * output.Width >= 8 && inputBorder == default;
        // A padded layer whose row fits one channel tile runs channel-tiled instead: that tile leaves out every tap over the
        // padding (rows and columns), which row tiles, whole vectors of a row, cannot.
        bool wholeRowSkipsPadding = wide512 && padsColumns && tilePixels == output.Width && layer.PaddingHeight > 0;
        // Groups of fewer than 8 output channels (depthwise) waste lanes in a vector of channels, so they take row tiles at
        // any width from 8: a row that is not whole vectors ends with a vector overlapping the one before it. With stride
        // 2 too (MobileNet's downsampling depthwise layers), each vector of pixels then read as every other input float.
        bool fewPerGroup = outPerGroup < 8;
        bool wholeVectors = output.Width % 8 == 0 || (fewPerGroup && output.Width >= 8);
        bool rowStride = layer.Stride == 1 || (layer.Stride == 2 && fewPerGroup);
        bool rowTiled = !pointwise && inputBorder == default && rowStride && wholeVectors && output.Width > 0
            && RowBandBytes(input.Channels / groups, 1, layer.KernelHeight, layer.Stride, layer.Dilation, input.Width + 2 * layer.PaddingWidth) <= MaxRowBandBytes
            && !wholeRowSkipsPadding;

        // Statistics are added from each channel's output rows after the kernel has written them, which every kernel
        // kind can do but one with rows too wide to stage (its rows are not written while they are still in cache).
        // Planes under 512 values are measured after the batch instead, a channel's planes of several images per chunk:
        // per image, an 8×8 plane is 8 vectors against a chunk's fixed cost (two reductions and Chan's combination).
        statistics &= (stagedRows || pointwise || rowTiled) && output.Height * output.Width >= MinEpiloguePlane;

        // 1×1, stride 1, no padding, one group: every input and output plane is one contiguous run of pixels, so the
        // kernel vectorises along pixels (4 channels × 3–6 vectors of 16 pixels with 32 registers; 3 × 3 vectors of 8
        // with 16), reads the packed weights as broadcasts and writes NCHW without staging or transposes.
        int pointwiseChannels = 0, pointwiseVectors = 0;
        if (pointwise)
        {
            (pointwiseChannels, pointwiseVectors) = narrow ? (3, 3) : (4, PointwiseVectors512(output.Height * output.Width));
        }

        // Stride 1 (or 2 for groups of few channels), rows a whole number of vectors: every tap of a row of outputs reads a
        // run of the padded input row (every float of it, or every other), so the kernel vectorises along rows (tiles of
        // channels × rows × vectors of 8 or 16 pixels, each group in turn: a depthwise layer's one channel per group fills
        // whole vectors of pixels, not one lane of a vector of channels), loads the input as whole vectors, broadcasts the
        // packed weights and writes NCHW without transposes.
        int rowChannels = 0, rowRows = 0, rowVectors = 0;
        bool rows512 = false;
        if (rowTiled)
        {
            var packingTiles = channelRuns.Select(run => ((run.Vectors - 1) * 8 + run.LastLanes, run.Count)).ToList();
            int maxRows = 1;
            while (maxRows < 8 && RowBandBytes(input.Channels / groups, maxRows + 1, layer.KernelHeight, layer.Stride, layer.Dilation, input.Width + 2 * layer.PaddingWidth) <= MaxRowBandBytes)
            {
                maxRows++;
            }

            rows512 = !narrow && output.Width % 16 == 0;
            (rowChannels, rowRows, rowVectors) = ChooseRowTile(packingTiles, Math.Min(maxRows, output.Height), output.Height, output.Width / (rows512 ? 16 : 8),
                reduction, narrow ? MaxAccumulatorsNarrow : MaxAccumulators, narrow ? 16 : 32, rows512);
        }

        bool vectors512 = rowTiled ? rows512 : pointwise ? !narrow : wide512;
        batchRows &= !pointwise && !rowTiled && !statistics;
        int channelTiles = channelRuns.Sum(run => run.Count);
        bool splitsChannelTiles = batchRows && groups == 1 && output.Height <= MaxRowsSplitByChannelTiles && channelTiles >= MinChannelTilesToSplit
            && Threaded(layer, input, output);

        // The tile in the name: P×V (pixels × vectors of 8 channels), P×Cch (512-bit channel pairs), CchRxNpx (row tiles:
        // channels × rows × pixels), CchNpx (pointwise); then _i/_o/_r for zero-bordered input/output/residual buffers,
        // _batch for rows that run over every image of the call, _tiles for threads that share channel tiles, not rows.
        string tile = rowTiled ? $"{rowChannels}ch{rowRows}x{rowVectors * (rows512 ? 16 : 8)}px"
            : pointwise ? $"{pointwiseChannels}ch{pointwiseVectors * (narrow ? 8 : 16)}px"
            : wide512 ? $"{tilePixels}x{tileVectors * 8}ch"
            : $"{tilePixels}x{tileVectors}";
        tile += (inputBorder != default ? $"_i{inputBorder.Height}x{inputBorder.Width}" : "")
            + (outputPad != default ? $"_o{outputPad.Height}x{outputPad.Width}" : "") + (residualPad != default ? $"_r{residualPad.Height}x{residualPad.Width}" : "")
            + (batchRows ? "_batch" : "") + (splitsChannelTiles ? "_tiles" : "");
        string name = KernelName(layer, input, output, residual, activation, statistics, tile, vectors512 ? "V512" : "V256");

        // A channel tile's output rows (and the residual rows its epilogue reads) are asked into L2 before the row's tiles
        // compute, so the epilogue's burst of stores does not wait on memory: measured on ResNet-18 at batch 8, 1–5 % on
        // each layer with rows of 14 floats or more (21 % on a 1×1 shortcut); rows of 7 gained nothing.
        bool prefetchRows = !pointwise && !rowTiled && output.Width >= MinPrefetchRow;

        return new ConvKernelPlan(
            name, input.Channels, input.Height, input.Width, output.Channels, output.Height, output.Width,
            layer.KernelHeight, layer.KernelWidth, layer.Stride, layer.PaddingHeight, layer.PaddingWidth, layer.Dilation, groups,
            tilePixels, tileVectors, channelRuns.ToEquatableArray(), columnRuns.ToEquatableArray(), stagedRows && !pointwise && !rowTiled, residual, activation, statistics,
            pointwiseChannels, pointwiseVectors, rowChannels, rowRows, rowVectors, vectors512,
            outputPad.Height, outputPad.Width, residualPad.Height, residualPad.Width, batchRows, inputBorder.Height, inputBorder.Width, prefetchRows,
            splitsChannelTiles);
    }

    /// <summary>
    /// Whether a convolution is worth sharing across threads when a single image runs: at least 2 MFLOP (≈ 20 µs on one
    /// core). Fusion's workers spin between parts, so on a quiet machine a hand-off costs about a microsecond and even
    /// S1 (0.9 MFLOP) gained 1.3×; but when another process holds the second core, a worker preempted inside its part
    /// makes the caller wait, and S1 took 20 µs instead of 12 (ONNX Runtime suffered alike). 2 MFLOP keeps that risk to
    /// layers long enough to absorb it.
    /// </summary>
    public static bool Threaded(LayerSpec layer, TensorShape input, TensorShape output)
        => layer.Kind == LayerKind.Conv2d && output.Height >= 4
            && 2L * output.Length * (input.Channels / layer.Groups) * layer.KernelHeight * layer.KernelWidth >= 2_000_000;

    /// <summary>
    /// The most output rows a single image may have for its threads to share channel tiles instead of rows
    /// (<see cref="ConvKernelPlan.SplitsChannelTiles"/>). With 7 rows two threads take 4 and 3 (the second waits an eighth
    /// of the layer), and each thread's rows read all of a 512-channel layer's 9.4 MB of weights from L3 again; shares of
    /// the channel tiles read each tile's weights once and come out even.
    /// </summary>
    public const int MaxRowsSplitByChannelTiles = 14;

    /// <summary>The fewest channel tiles worth sharing among threads: with fewer, shares of them are too uneven.</summary>
    public const int MinChannelTilesToSplit = 4;

    /// <summary>
    /// The most FMA statements a channel-tiled kernel may unroll. RyuJIT compiles a method of more than 20,000 IL
    /// instructions without optimisations (MinOpts: every accumulator on the stack), whatever its
    /// <c>AggressiveOptimization</c>; a generated FMA statement with its loads costs about 29 bytes, 12–13 instructions,
    /// of IL. Measured: a whole-row 3×3 kernel 20 → 36 channels over 17×23 (1,608 FMAs, 46 KB of IL) ran
    /// unoptimised at a quarter of its speed; a 5×5 one over 28×28 (1,072 FMAs, 31 KB) compiled fully.
    /// </summary>
    public const int MaxUnrolledFmas = 1300;

    /// <summary>
    /// How many FMA statements a channel-tiled kernel's tile bodies hold: for each run of channel tiles and run of
    /// column tiles, its accumulator registers × the pixels each unrolled tap covers × the input channels unrolled
    /// (8 for the blocks' loop and the tail block's). <paramref name="tapPixels"/>: per kw tap of a whole-row tile, the
    /// pixels that do not read the padding (null: kw is a loop, one tap's worth).
    /// </summary>
    public static long UnrolledFmas(IReadOnlyList<ChannelRun> channelRuns, IReadOnlyList<ColumnRun> columnRuns, int inPerGroup, int[]? tapPixels)
    {
        int unrolledChannels = (inPerGroup >= 8 ? 8 : 0) + inPerGroup % 8;
        long pixels = columnRuns.Sum(run => tapPixels is null ? (long)run.Pixels : tapPixels.Sum());
        return channelRuns.Sum(run => (long)(run.Vectors + 1) / 2) * pixels * unrolledChannels;
    }

    /// <summary>The FMA statements of a planned channel-tiled kernel (see <see cref="UnrolledFmas(IReadOnlyList{ChannelRun}, IReadOnlyList{ColumnRun}, int, int[])"/>).</summary>
    public static long UnrolledFmas(ConvKernelPlan k)
        => UnrolledFmas(k.ChannelRuns, k.ColumnRuns, k.InPerGroup,
            k.SkipsPaddingColumns ? TapPixels(k.KernelWidth, k.Stride, k.PaddingWidth, k.Dilation, k.Width, k.OutWidth) : null);

    /// <summary>Per kw tap, how many of a row's output pixels read the image rather than its left or right padding.</summary>
    public static int[] TapPixels(int kernelWidth, int stride, int padding, int dilation, int inWidth, int outWidth)
    {
        int[] pixels = new int[kernelWidth];
        for (int j = 0; j < kernelWidth; j++)
        {
            for (int ow = 0; ow < outWidth; ow++)
            {
                int column = ow * stride - padding + j * dilation;
                pixels[j] += column >= 0 && column < inWidth ? 1 : 0;
            }
        }

        return pixels;
    }

    /// <summary>The narrowest output row a channel-tiled kernel prefetches (see <see cref="ConvKernelPlan.PrefetchRows"/>).</summary>
    public const int MinPrefetchRow = 8;

    /// <summary>
    /// 512-bit vectors of 16 pixels per pointwise tile (4 output channels each, so 3–6 vectors keep 12–24 accumulators):
    /// the count that leaves the fewest whole vectors of the plane to the one-vector loop after the tiles, the widest
    /// on a tie (S5's 196 vectors: 4; TinyNet's 8×8 planes: 4).
    /// </summary>
    public static int PointwiseVectors512(int planePixels)
    {
        int vectors = planePixels / 16, best = 6;
        for (int v = 6; v >= 3; v--)
        {
            if (vectors % v < vectors % best)
            {
                best = v;
            }
        }

        return best;
    }

    /// <summary>
    /// The pixel count P of the tile: the one that minimises the cycles one row costs. Per input channel and tap a
    /// tile of p pixels × V vectors issues p·V FMAs and p + V loads, two of each per cycle on Zen 4; its epilogue
    /// parks V vectors per pixel in the row stage, about 3 cycles per 4 pixels transposed together and 3 per pixel
    /// stored alone. Summed over the full tiles and the narrower last one; ties go to the wider tile.
    /// </summary>
    /// <param name="wide512">Pairs of the tile's vectors run as 512-bit vectors (an odd last one as 256-bit).</param>
    /// <param name="wholeRow">Whether a tile may span the row (when its accumulators fit): not when it would be too large to compile.</param>
    /// <param name="maxPixels">The widest tile to consider (at most 12 and the row).</param>
    public static int ChooseTilePixels(int outWidth, int tileVectors, int reduction, int maxAccumulators = MaxAccumulators, bool wide512 = false, bool wholeRow = true, int maxPixels = 12)
    {
        int registers = wide512 ? (tileVectors + 1) / 2 : tileVectors;
        if (wholeRow && wide512 && registers * outWidth <= MaxAccumulatorsWholeRow)
        {
            return outWidth;
        }

        maxPixels = Math.Max(1, Math.Min(Math.Min(Math.Min(12, maxPixels), maxAccumulators / registers), outWidth));
        int best = 1;
        double bestCost = double.MaxValue;
        for (int p = 1; p <= maxPixels; p++)
        {
            int full = outWidth / p, tail = outWidth % p;
            double cost = full * TileCost(p, tileVectors, reduction, wide512) + (tail > 0 ? TileCost(tail, tileVectors, reduction, wide512) : 0);
            if (cost <= bestCost)
            {
                best = p;
                bestCost = cost;
            }
        }

        return best;
    }

    /// <summary>
    /// The row tile (C output channels × R rows × V vectors of 8 or 16 pixels) that minimises the cycles of the whole output:
    /// per input channel and tap a tile issues C·R·V FMAs, C broadcasts and R·V loads (two FMAs and two loads per cycle
    /// on Zen 4), and its epilogue stores C·R·V vectors. Channels, rows and vectors that do not fill a tile are covered
    /// by a smaller one (rows one at a time), as the emitter does. C weights stay in registers while the R·V input
    /// vectors stream, so C·R·V + C + 1 registers must fit.
    /// </summary>
    /// <param name="packingTiles">The channel tiles of the weight packing (channels, how many): row tiles never straddle two.</param>
    /// <param name="maxRows">The most rows whose input band fits L1.</param>
    /// <param name="wide512">Vectors of 16 pixels (512-bit): an FMA counts twice, and an input load twice (it spans two lines).</param>
    public static (int Channels, int Rows, int Vectors) ChooseRowTile(IReadOnlyList<(int Channels, int Count)> packingTiles, int maxRows, int outHeight, int rowVectors, int reduction, int maxAccumulators, int registers, bool wide512 = false)
    {
        (int, int, int) best = (1, 1, 1);
        double bestCost = double.MaxValue;
        for (int c = 1; c <= Math.Min(8, packingTiles.Max(t => t.Channels)); c++)
        {
            var channelSplits = packingTiles.SelectMany(t => Split(t.Channels, c).Select(s => (s.Size, s.Count * t.Count))).ToList();
            for (int r = 1; r <= Math.Min(maxRows, outHeight); r++)
            {
                for (int v = 1; v <= rowVectors; v++)
                {
                    int accumulators = c * r * v;
                    if (accumulators > maxAccumulators || accumulators + c + 1 > registers)
                    {
                        continue;
                    }

                    double cost = 0;
                    foreach ((int cc, int channelCount) in channelSplits)
                    {
                        foreach ((int rr, int rowCount) in Split(outHeight, r, remainderInOnes: true))
                        {
                            foreach ((int vv, int vectorCount) in Split(rowVectors, v))
                            {
                                cost += channelCount * rowCount * vectorCount * RowTileCost(cc, rr, vv, reduction, wide512);
                            }
                        }
                    }

                    if (cost < bestCost * 0.999)
                    {
                        best = (c, r, v);
                        bestCost = cost;
                    }
                }
            }
        }

        return best;
    }

    private static double RowTileCost(int channels, int rows, int vectors, int reduction, bool wide512)
    {
        int scale = wide512 ? 2 : 1, fmas = scale * channels * rows * vectors, loads = channels + scale * rows * vectors;
        return reduction * (Math.Max(fmas, loads) / 2.0 + 0.1 * loads) + 2.0 * fmas + 8;
    }

    /// <summary>Covers <paramref name="total"/> by tiles of <paramref name="size"/> and one smaller tile (or single units).</summary>
    private static IEnumerable<(int Size, int Count)> Split(int total, int size, bool remainderInOnes = false)
    {
        if (total / size > 0)
        {
            yield return (size, total / size);
        }

        if (total % size > 0)
        {
            yield return remainderInOnes ? (1, total % size) : (total % size, 1);
        }
    }

    /// <summary>
    /// Cycles of one channel-tiled tile: per input channel and tap, p·V 256-bit FMAs against p broadcasts and V weight
    /// loads (a 512-bit FMA or load counts as two), plus a tenth of a cycle per load for the pressure the load ports
    /// put on the rest (which makes the tile with fewer loads per FMA win a tie); then its epilogue.
    /// </summary>
    private static double TileCost(int pixels, int vectors, int reduction, bool wide512 = false)
    {
        int loads = pixels + vectors, loadOps = wide512 ? pixels + (vectors + 1) / 2 : loads;
        double step = Math.Max(Math.Max(pixels * vectors, loads) / 2.0, MinStepCycles);
        return (step + 0.1 * loadOps) * reduction + vectors * (3.0 * (pixels / 4) + 3.0 * (pixels % 4));
    }

    /// <summary>
    /// The fewest cycles one input channel and tap of a tile can take: each accumulator takes one FMA per step and an
    /// FMA's result is ready 4 cycles later, so a tile of few accumulators waits on them (4) and on its broadcasts.
    /// Measured: 14-pixel rows in tiles of 12 + 2 (the 2-pixel tile 4 FMAs per step) ran 2–3 % slower than 7 + 7, which
    /// the throughput count alone scores equal (ResNet-18's 14×14 layers, 256 channels).
    /// </summary>
    private const double MinStepCycles = 5;

    /// <summary>
    /// Bytes of padded input one band of row tiles reads (every input channel, the band's rows and the taps' extra
    /// rows, whole padded rows): each channel sub-tile reads it again, so it must stay in L1.
    /// </summary>
    private static long RowBandBytes(int inChannels, int rows, int kernelHeight, int stride, int dilation, int paddedWidth)
        => (long)inChannels * ((rows - 1) * stride + 1 + (kernelHeight - 1) * dilation) * paddedWidth * sizeof(float);

    /// <summary>
    /// The largest input band a row tile may read (half of Zen 4's 32 KiB L1). Larger ones (S3: 64 channels of 58-float
    /// rows, 45 KB for a single output row) run faster channel-tiled (measured: 103 against 107 GFLOP/s).
    /// </summary>
    public const int MaxRowBandBytes = 16384;

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

    /// <summary>
    /// Output rows are staged in a stack buffer of at most this many floats (64 KiB), so that each output line is
    /// written whole, in one burst, instead of a few floats per tile: with planes a multiple of 4 KiB apart, the
    /// tile's channel planes all fall in one L1 set and partial lines are evicted before they are complete.
    /// </summary>
    public const int MaxStageFloats = 16384;

    /// <summary>The smallest output plane whose batch statistics the training kernel's epilogue measures, image by image.</summary>
    public const int MinEpiloguePlane = 512;

    /// <summary>
    /// The tiles of one output row. The input is zero-padded before the kernel runs, so no tile reads out of range:
    /// every full tile shares one loop, and only a narrower last tile is emitted apart.
    /// </summary>
    private static List<ColumnRun> ColumnRuns(int outWidth, int tilePixels)
    {
        var runs = new List<ColumnRun>();
        int full = outWidth / tilePixels, tail = outWidth % tilePixels;
        if (full > 0)
        {
            runs.Add(new ColumnRun(0, full, tilePixels));
        }

        if (tail > 0)
        {
            runs.Add(new ColumnRun(full * tilePixels, 1, tail));
        }

        return runs;
    }

    /// <summary>
    /// The kernel's name is its specification: op, kernel/stride/padding/dilation/groups, input and output shape,
    /// the post-ops that live in the kernel (BatchNorm lives in the packed weights), the tile and the vector width.
    /// </summary>
    private static string KernelName(LayerSpec layer, TensorShape input, TensorShape output, bool residual, ActivationSpec activation, bool statistics, string tile, string vectors)
    {
        string kernel = layer.KernelHeight == layer.KernelWidth ? $"{layer.KernelHeight}x{layer.KernelHeight}" : $"{layer.KernelHeight}x{layer.KernelWidth}";
        string padding = layer.PaddingHeight == layer.PaddingWidth ? $"p{layer.PaddingHeight}" : $"p{layer.PaddingHeight}x{layer.PaddingWidth}";
        string dilation = layer.Dilation == 1 ? "" : $"d{layer.Dilation}";
        string groups = layer.Groups == 1 ? "" : layer.Groups == input.Channels && layer.Groups == output.Channels ? "dw" : $"g{layer.Groups}";
        string post = statistics ? "Stats" : (residual ? "Add" : "") + ActivationName(activation);
        return $"Conv{kernel}s{layer.Stride}{padding}{dilation}{groups}_{input.Channels}x{input.Height}x{input.Width}to{output.Channels}_{post}_{tile}_{vectors}";
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
