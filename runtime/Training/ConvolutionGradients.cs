using System;
using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using Fusion.Kernels;

namespace Fusion.Training;

/// <summary>
/// The gradients of a convolution. Ungrouped convolutions run register tiles over pixel-major scratch copies
/// (<see cref="DirectBackward"/>; 3×3 stride-1 layers of 16 channels or more through Winograd's transforms,
/// <see cref="WinogradInputGradient"/> and <see cref="WinogradWeightGradient"/>). Grouped ones use two matrix products
/// over the im2col matrix C of the layer's input (rows: the Cin/groups·kH·kW taps, columns: the Hout·Wout output
/// pixels), per image and group:
/// <c>∂W += ∂Z·Cᵀ</c> and <c>∂C = Wᵀ·∂Z</c>, then ∂C scattered back onto ∂X (col2im), both along the contiguous pixel
/// dimension with <c>Vector256</c> FMAs and small register tiles.
/// </summary>
internal static class ConvolutionGradients
{
    public static void Backward(ReadOnlySpan<float> input, ReadOnlySpan<float> outputGradient, Conv2d conv, Span<float> inputGradient, int batch, int height, int width, Kernels.KernelVariant variant, bool accumulate, ReadOnlySpan<float> paddedInput)
    {
        int kh = conv.KernelHeight, kw = conv.KernelWidth, s = conv.Stride, d = conv.Dilation, ph = conv.PaddingHeight, pw = conv.PaddingWidth;
        int outHeight = (height + 2 * ph - d * (kh - 1) - 1) / s + 1, outWidth = (width + 2 * pw - d * (kw - 1) - 1) / s + 1;
        int groups = conv.Groups, inPerGroup = conv.InChannels / groups, outPerGroup = conv.OutChannels / groups;
        int pixels = outHeight * outWidth, taps = inPerGroup * kh * kw, plane = height * width;
        if (conv.Bias is not null)
        {
            // ∂b = Σ ∂Z over each output plane of the batch, whichever path computes ∂W and ∂X.
            Span<float> biasGradient = conv.Bias.Gradient;
            for (int n = 0; n < batch; n++)
            {
                for (int o = 0; o < conv.OutChannels; o++)
                {
                    biasGradient[o] += Sum(outputGradient.Slice((n * conv.OutChannels + o) * pixels, pixels));
                }
            }
        }

        if (groups == 1)
        {
            DirectBackward(input, outputGradient, conv, inputGradient, paddedInput, batch, height, width, outHeight, outWidth, variant == Kernels.KernelVariant.Wide, accumulate);
            return;
        }

        if (!accumulate)
        {
            inputGradient.Clear(); // col2im adds every tap's share
        }

        Span<float> weightGradient = conv.Weight.Gradient;
        ReadOnlySpan<float> weight = conv.Weight.Data;

        float[] columns = ArrayPool<float>.Shared.Rent(taps * pixels);
        float[] columnGradient = ArrayPool<float>.Shared.Rent(taps * pixels);
        try
        {
            Span<float> c = columns.AsSpan(0, taps * pixels), dc = columnGradient.AsSpan(0, taps * pixels);
            for (int n = 0; n < batch; n++)
            {
                for (int g = 0; g < groups; g++)
                {
                    ReadOnlySpan<float> x = input.Slice((n * conv.InChannels + g * inPerGroup) * plane, inPerGroup * plane);
                    ReadOnlySpan<float> dz = outputGradient.Slice((n * conv.OutChannels + g * outPerGroup) * pixels, outPerGroup * pixels);
                    ReadOnlySpan<float> w = weight.Slice(g * outPerGroup * taps, outPerGroup * taps);
                    Im2Col(x, c, inPerGroup, height, width, kh, kw, s, d, ph, pw, outHeight, outWidth);
                    MultiplyTransposedAdd(dz, c, weightGradient.Slice(g * outPerGroup * taps, outPerGroup * taps), outPerGroup, taps, pixels);

                    if (!inputGradient.IsEmpty)
                    {
                        TransposedMultiply(w, dz, dc, outPerGroup, taps, pixels);
                        Col2ImAdd(dc, inputGradient.Slice((n * conv.InChannels + g * inPerGroup) * plane, inPerGroup * plane), inPerGroup, height, width, kh, kw, s, d, ph, pw, outHeight, outWidth);
                    }
                }
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(columns);
            ArrayPool<float>.Shared.Return(columnGradient);
        }
    }

    /// <summary>
    /// The gradients of an ungrouped convolution without im2col, one image at a time, from three per-image scratch
    /// buffers: the input zero-padded (NCHW, so a tap is a fixed offset from the pixel's corner; a layer that pads
    /// nothing is read in place), the output gradient
    /// pixel-major with the channels padded to 8 (one vector load per 8 output channels), and the input gradient
    /// pixel-major and padded (each tap adds into it at a fixed offset).
    /// <list type="bullet">
    /// <item>∂W: tiles of T taps × V vectors of output channels (<see cref="ConvolutionTiles.WeightGradient"/>)
    /// accumulate into a tap-major scratch over every pixel of the batch, added to ∂W once at the end.</item>
    /// <item>∂X: per output row, tap and run of P pixels, tiles of P pixels × V vectors of input channels reduce over the
    /// output channels (<see cref="ConvolutionTiles.InputGradient"/>) against the weights arranged [tap][o][c].</item>
    /// <item>Where <see cref="Winograd.Applies"/> (3×3, stride 1, padding 1, ≥ 16 channels), both instead transform
    /// 4×4 patches and run 16 point products per tile on the same tiles, reading the same pixel-major scratch
    /// (<see cref="WinogradWeightGradient"/>, <see cref="WinogradInputGradient"/>).</item>
    /// </list>
    /// Tile sizes follow the register file: 6 × 4 with AVX-512's 32 vector registers (∂W: 9 taps × up to 2 pairs for a
    /// 3-channel 3×3 layer's kernel rows), 3 × 3 with 16. Neither product multiplies the padding: ∂W's tap tiles and
    /// ∂X's kernel rows and columns run only over the output rows and columns whose taps meet the image.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void DirectBackward(
        ReadOnlySpan<float> input, ReadOnlySpan<float> outputGradient, Conv2d conv, Span<float> inputGradient, ReadOnlySpan<float> paddedInput,
        int batch, int height, int width, int outHeight, int outWidth, bool wide, bool accumulate)
    {
        // Tap tile and pixel tile: 6 (wide) or 3 (narrow); a row of output pixels is padded to a whole number of pixel
        // tiles, so where 4 wastes fewer padded pixels than 6 (8×8 and 16×16 planes) the wide ∂X tile is 4 pixels.
        int tile = wide ? 6 : 3, maxVectors = wide ? 4 : 3;
        int pixelTile = wide && (outWidth + 3) / 4 * 4 < (outWidth + 5) / 6 * 6 ? 4 : tile;
        int kh = conv.KernelHeight, kw = conv.KernelWidth, s = conv.Stride, d = conv.Dilation, ph = conv.PaddingHeight, pw = conv.PaddingWidth;
        int inChannels = conv.InChannels, outChannels = conv.OutChannels;
        int inPadded = (inChannels + 7) / 8 * 8, outPadded = (outChannels + 7) / 8 * 8;
        int outWidthPadded = (outWidth + pixelTile - 1) / pixelTile * pixelTile;
        (int paddedHeight, int paddedWidth) = PaddedImage.Size(conv, height, width, outHeight, outWidthPadded);
        int paddedPlane = paddedHeight * paddedWidth, outPlane = outHeight * outWidth, plane = height * width;
        // ∂W's taps run in tiles of one kernel row each when the layer pads rows (row i, then column j, then channel;
        // each row's taps padded to whole tiles), so that a tile leaves out the output rows whose taps would read the
        // zero padding above or below the image, and a tile of one kernel column the output columns whose taps would
        // read the padding left or right of it; the tap-major result is put back in the weights' order at the end.
        bool byKernelRow = kh > 1 && ph > 0;
        if (wide && Vector512.IsHardwareAccelerated && byKernelRow && inChannels * kw % 6 != 0 && inChannels * kw % 9 == 0 && outPadded % 16 == 0 && outPadded <= 32)
        {
            tile = 9; // a row of 9 taps (3 channels × 3, an RGB input) in one tile of 9 × up to 2 pairs, not 12 slots
        }

        int taps = inChannels * kh * kw, rowTaps = byKernelRow ? (inChannels * kw + tile - 1) / tile * tile : 0;
        int tapsPadded = byKernelRow ? kh * rowTaps : (taps + tile - 1) / tile * tile;
        bool wantInput = !inputGradient.IsEmpty;

        // ∂W reads the input only under real output pixels, so it reads the images where they are when the layer pads
        // nothing, or the caller's zero-padded copy (H + 2·ph) × (W + 2·pw); otherwise it copies each image into padded
        // scratch (∂X's pixel-major scratch keeps its own padded layout either way).
        bool given = !paddedInput.IsEmpty, copyInput = !given && (ph > 0 || pw > 0);
        (int xHeight, int xWidth) = copyInput ? (paddedHeight, paddedWidth) : given ? (height + 2 * ph, width + 2 * pw) : (height, width);

        // Each region starts on a 64-byte line, so the vector loads of pixel-major rows never straddle two lines.
        int xLength = copyInput ? AlignedLength(inChannels * paddedPlane) : 0, zLength = AlignedLength(outHeight * outWidthPadded * outPadded);
        int gSlots = AlignedLength(tapsPadded * outPadded), gLength = gSlots + (byKernelRow ? AlignedLength(taps * outPadded) : 0), dxLength = wantInput ? AlignedLength(paddedPlane * inPadded) : 0;

        // 3×3 stride-1 layers run both products through Winograd's transforms (Winograd), a block of tiles at a time so
        // that the transformed operands stay in L2: ∂X by F(2×2, 3×3) — the transformed weights U, a block's transformed
        // gradient V and products M — and ∂W by F(3×3, 2×2) — each image's padded input pixel-major, the transformed
        // input Q and gradient P of a block of tiles (which may span images), the 16 points' sums, the result by tap;
        // the direct tiles' tap-major sums g are then not used. Patch pixels outside the image read a zero vector.
        bool winograd = Winograd.Applies(conv), winogradInput = winograd && wantInput;
        int points = Winograd.Points, tilesPerImage = winograd ? (outHeight + 1) / 2 * ((outWidth + 1) / 2) : 0;
        int inputBlock = winogradInput ? Math.Min(tilesPerImage, WinogradInputGradient.BlockTiles(inPadded, outPadded)) : 0;
        int weightBlock = winograd ? Math.Min(batch * tilesPerImage, WinogradWeightGradient.BlockTiles(inPadded, outPadded)) : 0;
        int weightTap = winogradInput ? Winograd.MatrixStride(outChannels, inPadded) : outChannels * inPadded; // wt's taps apart
        int wtLength = wantInput ? AlignedLength(kh * kw * weightTap) : 0;
        int uLength = winogradInput ? AlignedLength(points * weightTap) : 0;
        int vLength = AlignedLength(points * inputBlock * outPadded), mLength = AlignedLength(points * inputBlock * inPadded);
        int sumsMatrix = Winograd.MatrixStride(inPadded, outPadded);
        int xtLength = winograd ? AlignedLength(xHeight * xWidth * inPadded) : 0, qLength = AlignedLength(weightBlock * points * inPadded);
        int pLength = AlignedLength(weightBlock * points * outPadded), sumsLength = winograd ? AlignedLength(points * sumsMatrix) : 0;
        int byTapLength = winograd ? AlignedLength(taps * outPadded) : 0, zeroLength = winograd ? AlignedLength(Math.Max(inPadded, outPadded)) : 0;
        if (winograd)
        {
            gLength = 0;
        }

        int winogradLength = uLength + vLength + mLength + xtLength + qLength + pLength + sumsLength + byTapLength + zeroLength;
        float[] scratch = ArrayPool<float>.Shared.Rent(xLength + zLength + gLength + dxLength + wtLength + winogradLength + 16);
        int tiles = tapsPadded / tile;
        int[] offsetArray = ArrayPool<int>.Shared.Rent(tapsPadded + (byKernelRow ? taps : 0) + 2 * tiles + inPadded);
        try
        {
            fixed (float* pScratch = scratch, pIn = given ? paddedInput : input, pOut = outputGradient, pWeight = conv.Weight.Data, pWeightGradient = conv.Weight.Gradient, pInputGradient = inputGradient)
            fixed (int* offsets = offsetArray)
            {
                float* xP = (float*)(((nint)pScratch + 63) & ~(nint)63), zT = xP + xLength, g = zT + zLength, dxT = g + gLength, wt = dxT + dxLength;
                float* u = wt + wtLength, v = u + uLength, m = v + vLength, xT = m + mLength, q = xT + xtLength, p = q + qLength;
                float* sums = p + pLength, byTap = sums + sumsLength, zero = byTap + byTapLength;
                int* channelIndex = offsets + tapsPadded + (byKernelRow ? taps : 0) + 2 * tiles;

                // Cleared once: each image rewrites only the interior of the padded input and the real pixels and
                // channels of the pixel-major gradient, so their zero borders and padding lanes stay zero.
                if (winograd)
                {
                    // The padding lanes of the input's pixel-major copy, the sums the blocks add into, the zero vector,
                    // and the products M (reading them clears them).
                    new Span<float>(m, mLength).Clear();
                    new Span<float>(xT, xtLength).Clear();
                    new Span<float>(sums, sumsLength).Clear();
                    new Span<float>(zero, zeroLength).Clear();
                    for (int c = 0; c < inPadded; c++)
                    {
                        channelIndex[c] = c;
                    }
                }
                else
                {
                    new Span<float>(g, gSlots).Clear(); // the weights'-order copy after it (byKernelRow) is written whole at the end
                }

                if (outPadded != outChannels || outWidthPadded != outWidth)
                {
                    new Span<float>(zT, zLength).Clear(); // else every value of it is rewritten
                }

                new Span<float>(xP, xLength).Clear();
                // Tap (c, i, j) in the weights' order is (c·kh + i)·kw + j; by kernel row it sits at slot i·rowTaps + j·Cin + c.
                int Slot(int c, int i, int j) => i * rowTaps + j * inChannels + c;

                // The output columns each tap tile runs over: all of them, or by kernel row those whose taps in the tile
                // read the image (columns pw .. pw + width − 1 of the padded input, with kernel columns d apart).
                int* columns = offsets + tapsPadded + (byKernelRow ? taps : 0);
                for (int t = 0; t < tiles; t++)
                {
                    columns[2 * t] = 0;
                    columns[2 * t + 1] = outWidth;
                }

                if (byKernelRow)
                {
                    int* natural = offsets + tapsPadded;
                    PaddedImage.TapOffsets(natural, conv, inChannels, xHeight, xWidth);
                    for (int i = 0; i < kh; i++)
                    {
                        new Span<int>(offsets + i * rowTaps, rowTaps).Fill(natural[i * kw]); // a row's slots past its taps: any readable tap
                        for (int c = 0; c < inChannels; c++)
                        {
                            for (int j = 0; j < kw; j++)
                            {
                                offsets[Slot(c, i, j)] = natural[(c * kh + i) * kw + j];
                            }
                        }

                        // A tile's columns cover each of its taps' (the padding slots after the row's taps read anything).
                        for (int t = i * rowTaps / tile; t < (i + 1) * rowTaps / tile; t++)
                        {
                            int first = outWidth, end = 0;
                            for (int slot = t * tile; slot < Math.Min((t + 1) * tile, i * rowTaps + inChannels * kw); slot++)
                            {
                                int left = pw - (slot - i * rowTaps) / inChannels * d, right = pw + width - 1 - (slot - i * rowTaps) / inChannels * d;
                                first = Math.Min(first, left > 0 ? (left + s - 1) / s : 0);
                                end = Math.Max(end, right < 0 ? 0 : Math.Min(outWidth, right / s + 1));
                            }

                            columns[2 * t] = Math.Min(first, end);
                            columns[2 * t + 1] = end;
                        }
                    }
                }
                else
                {
                    PaddedImage.TapOffsets(offsets, conv, inChannels, xHeight, xWidth);
                    for (int t = taps; t < tapsPadded; t++)
                    {
                        offsets[t] = offsets[0];
                    }
                }

                if (wantInput)
                {
                    if (inPadded != inChannels)
                    {
                        new Span<float>(wt, wtLength).Clear(); // the padding lanes; the rest is rewritten
                    }

                    ArrangeTapMajor(pWeight, wt, inChannels, outChannels, inPadded, kh * kw, weightTap);
                    if (winogradInput)
                    {
                        WinogradInputGradient.TransformWeights(wt, u, outChannels, inPadded, weightTap);
                    }

                    // Cleared once too: reading each image's ∂X out of it zeroes what it read. The border around the
                    // image collects the shares of taps that fall into the padding; it is never read, so it is left to
                    // accumulate until the call ends.
                    new Span<float>(dxT, dxLength).Clear();
                }

                int weightFilled = 0; // tiles in the Winograd ∂W block
                for (int n = 0; n < batch; n++)
                {
                    // The image, into the interior of its zero-padded copy (or read in place).
                    float* x = pIn + (nint)n * inChannels * (given ? xHeight * xWidth : plane);
                    if (copyInput)
                    {
                        PaddedImage.CopyInterior(x, xP, conv, inChannels, height, width, paddedHeight, paddedWidth);
                        x = xP;
                    }

                    // Its output gradient, pixel-major (padding lanes and pixels stay zero).
                    float* dz = pOut + (nint)n * outChannels * outPlane;
                    for (int oh = 0; oh < outHeight; oh++)
                    {
                        ToPixelMajor(dz + oh * outWidth, outPlane, zT + oh * outWidthPadded * outPadded, outPadded, outChannels, outWidth);
                    }

                    if (winograd)
                    {
                        // The image's rows only: the border rows above and below are zero, and so is xT there since its clear.
                        for (int r = 1; r <= height; r++)
                        {
                            ToPixelMajor(x + r * xWidth, (nint)xHeight * xWidth, xT + (nint)r * xWidth * inPadded, inPadded, inChannels, xWidth);
                        }

                        // This image's tiles into the block (its products run whenever the block fills, and after the last image).
                        for (int first = 0; first < tilesPerImage;)
                        {
                            int count = Math.Min(weightBlock - weightFilled, tilesPerImage - first);
                            WinogradWeightGradient.TransformInput(xT, xHeight, xWidth, inPadded, outWidth, first, count, q + (nint)weightFilled * points * inPadded, zero);
                            WinogradWeightGradient.TransformGradient(zT, outWidthPadded, outPadded, outHeight, outWidth, first, count, p + (nint)weightFilled * points * outPadded, zero);
                            weightFilled += count;
                            first += count;
                            if (weightFilled == weightBlock || (n == batch - 1 && first == tilesPerImage))
                            {
                                WinogradWeightGradient.Multiply(wide, q, p, sums, sumsMatrix, channelIndex, weightFilled, inChannels, inPadded, outPadded);
                                weightFilled = 0;
                            }
                        }
                    }
                    else
                    {
                        WeightGradientImage(wide, tile, g, outPadded, zT, outWidthPadded, x, offsets, columns, xWidth, s, outHeight, tapsPadded, maxVectors, rowTaps, d, ph, height);
                    }

                    if (wantInput)
                    {
                        if (winogradInput)
                        {
                            for (int first = 0; first < tilesPerImage; first += inputBlock)
                            {
                                int count = Math.Min(inputBlock, tilesPerImage - first);
                                WinogradInputGradient.TransformGradient(zT, outWidthPadded, outPadded, outHeight, outWidth, first, count, v, zero);
                                WinogradInputGradient.Multiply(wide, v, u, weightTap, m, count, outChannels, outPadded, inPadded);
                                WinogradInputGradient.TransformOutput(m, dxT, paddedWidth, inPadded, width, first, count);
                            }
                        }
                        else
                        {
                            InputGradientImage(wide, pixelTile, dxT, inPadded, zT, outPadded, outWidthPadded, wt, outChannels, paddedWidth, s, d, kh, kw, outHeight, outWidth, maxVectors, ph, height, pw, width);
                        }

                        float* dx = pInputGradient + (nint)n * inChannels * plane;
                        for (int ih = 0; ih < height; ih++)
                        {
                            FromPixelMajor(dxT + ((ph + ih) * paddedWidth + pw) * inPadded, inPadded, dx + ih * width, plane, inChannels, width, accumulate, clearSource: true);
                        }
                    }
                }

                // ∂W[o, t] += g[t, o], by 8×8 blocks, from the taps in the weights' order (c, i, j).
                float* gt = g;
                if (winograd)
                {
                    WinogradWeightGradient.TransformOutput(sums, sumsMatrix, byTap, inChannels, outPadded);
                    gt = byTap;
                }
                else if (byKernelRow)
                {
                    gt = g + gSlots;
                    for (int c = 0, t = 0; c < inChannels; c++)
                    {
                        for (int i = 0; i < kh; i++)
                        {
                            for (int j = 0; j < kw; j++, t++)
                            {
                                new ReadOnlySpan<float>(g + (nint)Slot(c, i, j) * outPadded, outPadded).CopyTo(new Span<float>(gt + (nint)t * outPadded, outPadded));
                            }
                        }
                    }
                }

                FromPixelMajor(gt, outPadded, pWeightGradient, taps, outChannels, taps, accumulate: true, clearSource: false);
            }

        }
        finally
        {
            ArrayPool<float>.Shared.Return(scratch);
            ArrayPool<int>.Shared.Return(offsetArray);
        }
    }

    private static int AlignedLength(int floats) => (floats + 15) / 16 * 16;

    /// <summary>
    /// wt[ij·tapStride + o·inPadded + c] = W[o, c, ij] (tapStride at least Cout·inPadded): per output channel, its
    /// Cin × taps block transposed as <see cref="ToPixelMajor"/> transposes channels × pixels (taps in the role of
    /// pixels), by 8×8 blocks.
    /// </summary>
    private static unsafe void ArrangeTapMajor(float* weight, float* wt, int inChannels, int outChannels, int inPadded, int kernelTaps, int tapStride)
    {
        for (int o = 0; o < outChannels; o++)
        {
            ToPixelMajor(weight + (nint)o * inChannels * kernelTaps, kernelTaps, wt + (nint)o * inPadded, tapStride, inChannels, kernelTaps);
        }
    }

    /// <summary>target[p·targetPixel + c] = source[c·sourcePlane + p] for one row of <paramref name="pixels"/> pixels, by 8×8 blocks.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void ToPixelMajor(float* source, nint sourcePlane, float* target, nint targetPixel, int channels, int pixels)
    {
        int c = 0;
        for (; c + 8 <= channels; c += 8)
        {
            int p = 0;
            for (; p + 8 <= pixels; p += 8)
            {
                Kernels.Nchw.Transpose8x8(source + c * sourcePlane + p, sourcePlane, target + p * targetPixel + c, targetPixel, accumulate: false);
            }

            if (p < pixels && pixels >= 8)
            {
                // The last pixels as a block that overlaps the one before (a copy: rewriting a value changes nothing).
                Kernels.Nchw.Transpose8x8(source + c * sourcePlane + pixels - 8, sourcePlane, target + (pixels - 8) * targetPixel + c, targetPixel, accumulate: false);
                continue;
            }

            for (; p < pixels; p++)
            {
                for (int k = c; k < c + 8; k++)
                {
                    target[p * targetPixel + k] = source[k * sourcePlane + p];
                }
            }
        }

        for (; c < channels; c++)
        {
            for (int p = 0; p < pixels; p++)
            {
                target[p * targetPixel + c] = source[c * sourcePlane + p];
            }
        }
    }

    /// <summary>
    /// target[c·targetPlane + p] += source[p·sourcePixel + c] (or = without <paramref name="accumulate"/>) for one row of
    /// <paramref name="pixels"/> pixels, by 8×8 blocks; with <paramref name="clearSource"/> each source value read is
    /// set to zero (the lines are in L1 by then: cheaper than clearing the scratch separately).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void FromPixelMajor(float* source, nint sourcePixel, float* target, nint targetPlane, int channels, int pixels, bool accumulate, bool clearSource)
    {
        int c = 0;
        for (; c + 8 <= channels; c += 8)
        {
            int p = 0;
            for (; p + 8 <= pixels; p += 8)
            {
                float* block = source + p * sourcePixel + c;
                Kernels.Nchw.Transpose8x8(block, sourcePixel, target + c * targetPlane + p, targetPlane, accumulate);
                if (clearSource)
                {
                    for (int k = 0; k < 8; k++)
                    {
                        Vector256<float>.Zero.Store(block + k * sourcePixel);
                    }
                }
            }

            for (; p < pixels; p++)
            {
                for (int k = c; k < c + 8; k++)
                {
                    target[k * targetPlane + p] = (accumulate ? target[k * targetPlane + p] : 0f) + source[p * sourcePixel + k];
                    if (clearSource)
                    {
                        source[p * sourcePixel + k] = 0f;
                    }
                }
            }
        }

        // The last channels one plane at a time (planes are often 4 KB apart: stores across them would alias).
        for (; c < channels; c++)
        {
            for (int p = 0; p < pixels; p++)
            {
                target[c * targetPlane + p] = (accumulate ? target[c * targetPlane + p] : 0f) + source[p * sourcePixel + c];
                if (clearSource)
                {
                    source[p * sourcePixel + c] = 0f;
                }
            }
        }
    }

    // rowTaps: taps per kernel row when the taps run by kernel row (0: in the weights' order), so that a tile leaves out
    // the output rows whose taps read the padding above or below the image (rows ph .. ph + height − 1 of the padded
    // input, with kernel rows d apart, are the image's); columns: each tile's first output column and the end of its run.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void WeightGradientImage(bool wide, int tile, float* g, int outPadded, float* zT, int outWidthPadded, float* xP, int* offsets, int* columns, int paddedWidth, int s, int outHeight, int tapsPadded, int maxVectors,
        int rowTaps, int d, int ph, int height)
    {
        int vectors = outPadded / 8;
        bool pairs512 = wide && Vector512.IsHardwareAccelerated;
        int step = pairs512 ? 8 : maxVectors;
        nint zRow = (nint)outWidthPadded * outPadded;

        // Bands of output rows whose output gradient (the operand every tap tile rereads) stays in a 16 KB share of L1.
        int bandRows = Math.Clamp(16384 / (int)(zRow * sizeof(float)), 1, outHeight);
        for (int band = 0; band < outHeight; band += bandRows)
        {
            int rows = Math.Min(bandRows, outHeight - band);
            float* x = xP + (nint)band * s * paddedWidth;
            for (int v = 0; v < vectors; v += step)
            {
                int count = Math.Min(step, vectors - v);
                float* z = zT + band * zRow + v * 8;
                for (int t = 0; t < tapsPadded; t += tile)
                {
                    float* gt = g + t * outPadded + v * 8;
                    float* xb = x, zb = z;
                    int tileRows = rows;
                    if (rowTaps > 0)
                    {
                        // The tile's kernel row i reads padded row oh·s + i·d: the image's rows are ph .. ph + height − 1.
                        int i = t / rowTaps, top = ph - i * d, bottom = ph + height - 1 - i * d;
                        int first = Math.Max(band, top > 0 ? (top + s - 1) / s : 0), end = Math.Min(band + rows, bottom < 0 ? 0 : bottom / s + 1);
                        if (end <= first)
                        {
                            continue;
                        }

                        xb = x + (nint)(first - band) * s * paddedWidth;
                        zb = z + (first - band) * zRow;
                        tileRows = end - first;
                    }
                    int* o = offsets + t;

                    // The tile's output columns firstColumn .. firstColumn + outWidth − 1.
                    int firstColumn = columns[2 * (t / tile)], outWidth = columns[2 * (t / tile) + 1] - firstColumn;
                    if (outWidth == 0)
                    {
                        continue;
                    }

                    xb += (nint)firstColumn * s;
                    zb += (nint)firstColumn * outPadded;
                    if (tile == 9)
                    {
                        // 16 or 32 channels (DirectBackward chooses 9 only then).
                        if (count == 4)
                        {
                            ConvolutionTiles.WeightGradient512<Nine, Two>(gt, outPadded, zb, outPadded, zRow, xb, o, paddedWidth, s, tileRows, outWidth);
                        }
                        else
                        {
                            ConvolutionTiles.WeightGradient512<Nine, One>(gt, outPadded, zb, outPadded, zRow, xb, o, paddedWidth, s, tileRows, outWidth);
                        }
                    }
                    else if (pairs512)
                    {
                        // Up to 64 channels as 512-bit pairs of vectors; an odd last vector alone.
                        int pairs = count / 2;
                        switch (pairs)
                        {
                            case 4: ConvolutionTiles.WeightGradient512<Six, Four>(gt, outPadded, zb, outPadded, zRow, xb, o, paddedWidth, s, tileRows, outWidth); break;
                            case 3: ConvolutionTiles.WeightGradient512<Six, Three>(gt, outPadded, zb, outPadded, zRow, xb, o, paddedWidth, s, tileRows, outWidth); break;
                            case 2: ConvolutionTiles.WeightGradient512<Six, Two>(gt, outPadded, zb, outPadded, zRow, xb, o, paddedWidth, s, tileRows, outWidth); break;
                            case 1: ConvolutionTiles.WeightGradient512<Six, One>(gt, outPadded, zb, outPadded, zRow, xb, o, paddedWidth, s, tileRows, outWidth); break;
                        }

                        if ((count & 1) != 0)
                        {
                            ConvolutionTiles.WeightGradient<Six, One>(gt + pairs * 16, outPadded, zb + pairs * 16, outPadded, zRow, xb, o, paddedWidth, s, tileRows, outWidth);
                        }
                    }
                    else if (wide)
                    {
                        switch (count)
                        {
                            case 4: ConvolutionTiles.WeightGradient<Six, Four>(gt, outPadded, zb, outPadded, zRow, xb, o, paddedWidth, s, tileRows, outWidth); break;
                            case 3: ConvolutionTiles.WeightGradient<Six, Three>(gt, outPadded, zb, outPadded, zRow, xb, o, paddedWidth, s, tileRows, outWidth); break;
                            case 2: ConvolutionTiles.WeightGradient<Six, Two>(gt, outPadded, zb, outPadded, zRow, xb, o, paddedWidth, s, tileRows, outWidth); break;
                            default: ConvolutionTiles.WeightGradient<Six, One>(gt, outPadded, zb, outPadded, zRow, xb, o, paddedWidth, s, tileRows, outWidth); break;
                        }
                    }
                    else
                    {
                        switch (count)
                        {
                            case 3: ConvolutionTiles.WeightGradient<Three, Three>(gt, outPadded, zb, outPadded, zRow, xb, o, paddedWidth, s, tileRows, outWidth); break;
                            case 2: ConvolutionTiles.WeightGradient<Three, Two>(gt, outPadded, zb, outPadded, zRow, xb, o, paddedWidth, s, tileRows, outWidth); break;
                            default: ConvolutionTiles.WeightGradient<Three, One>(gt, outPadded, zb, outPadded, zRow, xb, o, paddedWidth, s, tileRows, outWidth); break;
                        }
                    }
                }
            }
        }
    }

    /// <summary>Up to 64 input channels (<paramref name="count"/> vectors of 8) as 512-bit pairs of vectors; an odd last vector alone.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void InputGradient512<TP>(int count, float* target, nint targetPixel, float* z, int outPadded, float* w, int inPadded, int outChannels)
        where TP : struct, ITileSize
    {
        int pairs = count / 2;
        switch (pairs)
        {
            case 4: ConvolutionTiles.InputGradient512<TP, Four>(target, targetPixel, z, outPadded, w, inPadded, outChannels); break;
            case 3: ConvolutionTiles.InputGradient512<TP, Three>(target, targetPixel, z, outPadded, w, inPadded, outChannels); break;
            case 2: ConvolutionTiles.InputGradient512<TP, Two>(target, targetPixel, z, outPadded, w, inPadded, outChannels); break;
            case 1: ConvolutionTiles.InputGradient512<TP, One>(target, targetPixel, z, outPadded, w, inPadded, outChannels); break;
        }

        if ((count & 1) != 0)
        {
            ConvolutionTiles.InputGradient<TP, One>(target + pairs * 16, targetPixel, z, outPadded, w + pairs * 16, inPadded, outChannels);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void InputGradientImage(bool wide, int tile, float* dxT, int inPadded, float* zT, int outPadded, int outWidthPadded, float* wt, int outChannels, int paddedWidth, int s, int d, int kh, int kw, int outHeight, int outWidth, int maxVectors,
        int ph, int height, int pw, int width)
    {
        int vectors = inPadded / 8;
        nint targetPixel = (nint)s * inPadded;
        bool pairs512 = wide && Vector512.IsHardwareAccelerated;
        int step = pairs512 ? 8 : maxVectors;
        for (int v = 0; v < vectors; v += step)
        {
            int count = Math.Min(step, vectors - v);
            for (int oh = 0; oh < outHeight; oh++)
            {
                // Kernel rows whose target row is the zero padding above or below the image: their shares are never read.
                int top = ph - oh * s, bottom = ph + height - 1 - oh * s; // the image's first and last rows, from the window's first
                int first = top > 0 ? (top + d - 1) / d : 0, last = bottom < 0 ? 0 : Math.Min(kh, bottom / d + 1);
                for (int i = first; i < last; i++)
                {
                    for (int j = 0; j < kw; j++)
                    {
                        // Likewise the output columns whose target column is the padding left or right of the image
                        // (columns pw .. pw + width − 1): whole tiles over the others, then one tile of the rest.
                        int left = pw - j * d, right = pw + width - 1 - j * d;
                        int column = left > 0 ? (left + s - 1) / s : 0, end = right < 0 ? 0 : Math.Min(outWidth, right / s + 1);
                        float* w = wt + (i * kw + j) * outChannels * inPadded + v * 8;
                        float* rowTarget = dxT + ((oh * s + i * d) * paddedWidth + j * d) * inPadded + v * 8;
                        float* rowGradient = zT + oh * outWidthPadded * outPadded;
                        for (; column < end; column += tile)
                        {
                            InputGradientRun(pairs512, Math.Min(tile, end - column), count, rowTarget + column * targetPixel, targetPixel, rowGradient + column * outPadded, outPadded, w, inPadded, outChannels);
                        }
                    }
                }
            }
        }
    }

    /// <summary>
    /// One tile of <paramref name="pixels"/> output pixels (at most the variant's pixel tile: 6, or 3 narrow) ×
    /// <paramref name="count"/> vectors of input channels, as 512-bit pairs or 256-bit vectors.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static unsafe void InputGradientRun(bool pairs512, int pixels, int count, float* target, nint targetPixel, float* z, int outPadded, float* w, int inPadded, int outChannels)
    {
        if (pairs512)
        {
            switch (pixels)
            {
                case 6: InputGradient512<Six>(count, target, targetPixel, z, outPadded, w, inPadded, outChannels); break;
                case 5: InputGradient512<Five>(count, target, targetPixel, z, outPadded, w, inPadded, outChannels); break;
                case 4: InputGradient512<Four>(count, target, targetPixel, z, outPadded, w, inPadded, outChannels); break;
                case 3: InputGradient512<Three>(count, target, targetPixel, z, outPadded, w, inPadded, outChannels); break;
                case 2: InputGradient512<Two>(count, target, targetPixel, z, outPadded, w, inPadded, outChannels); break;
                default: InputGradient512<One>(count, target, targetPixel, z, outPadded, w, inPadded, outChannels); break;
            }

            return;
        }

        switch (pixels)
        {
            case 6: InputGradient<Six>(count, target, targetPixel, z, outPadded, w, inPadded, outChannels); break;
            case 5: InputGradient<Five>(count, target, targetPixel, z, outPadded, w, inPadded, outChannels); break;
            case 4: InputGradient<Four>(count, target, targetPixel, z, outPadded, w, inPadded, outChannels); break;
            case 3: InputGradient<Three>(count, target, targetPixel, z, outPadded, w, inPadded, outChannels); break;
            case 2: InputGradient<Two>(count, target, targetPixel, z, outPadded, w, inPadded, outChannels); break;
            default: InputGradient<One>(count, target, targetPixel, z, outPadded, w, inPadded, outChannels); break;
        }
    }

    /// <summary>Up to 4 vectors of 8 input channels (<paramref name="count"/>) with 256-bit tiles.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void InputGradient<TP>(int count, float* target, nint targetPixel, float* z, int outPadded, float* w, int inPadded, int outChannels)
        where TP : struct, ITileSize
    {
        switch (count)
        {
            case 4: ConvolutionTiles.InputGradient<TP, Four>(target, targetPixel, z, outPadded, w, inPadded, outChannels); break;
            case 3: ConvolutionTiles.InputGradient<TP, Three>(target, targetPixel, z, outPadded, w, inPadded, outChannels); break;
            case 2: ConvolutionTiles.InputGradient<TP, Two>(target, targetPixel, z, outPadded, w, inPadded, outChannels); break;
            default: ConvolutionTiles.InputGradient<TP, One>(target, targetPixel, z, outPadded, w, inPadded, outChannels); break;
        }
    }

    /// <summary>C[(ic·kh + i)·kw + j, oh·Wout + ow] = x[ic, oh·s − ph + i·d, ow·s − pw + j·d], zero outside the image.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Im2Col(ReadOnlySpan<float> x, Span<float> c, int channels, int height, int width, int kh, int kw, int s, int d, int ph, int pw, int outHeight, int outWidth)
    {
        int row = 0;
        for (int ic = 0; ic < channels; ic++)
        {
            for (int i = 0; i < kh; i++)
            {
                for (int j = 0; j < kw; j++, row++)
                {
                    Span<float> target = c.Slice(row * outHeight * outWidth, outHeight * outWidth);
                    for (int oh = 0; oh < outHeight; oh++)
                    {
                        int ih = oh * s - ph + i * d;
                        Span<float> line = target.Slice(oh * outWidth, outWidth);
                        if ((uint)ih >= (uint)height)
                        {
                            line.Clear();
                            continue;
                        }

                        int rowStart = (ic * height + ih) * width;
                        for (int ow = 0; ow < outWidth; ow++)
                        {
                            int iw = ow * s - pw + j * d;
                            line[ow] = (uint)iw < (uint)width ? x[rowStart + iw] : 0f;
                        }
                    }
                }
            }
        }
    }

    /// <summary>The adjoint of <see cref="Im2Col"/>: dx[ic, ih, iw] += Σ dC over the taps and pixels that read it.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Col2ImAdd(ReadOnlySpan<float> dc, Span<float> dx, int channels, int height, int width, int kh, int kw, int s, int d, int ph, int pw, int outHeight, int outWidth)
    {
        int row = 0;
        for (int ic = 0; ic < channels; ic++)
        {
            for (int i = 0; i < kh; i++)
            {
                for (int j = 0; j < kw; j++, row++)
                {
                    ReadOnlySpan<float> source = dc.Slice(row * outHeight * outWidth, outHeight * outWidth);
                    for (int oh = 0; oh < outHeight; oh++)
                    {
                        int ih = oh * s - ph + i * d;
                        if ((uint)ih >= (uint)height)
                        {
                            continue;
                        }

                        int rowStart = (ic * height + ih) * width;
                        for (int ow = 0; ow < outWidth; ow++)
                        {
                            int iw = ow * s - pw + j * d;
                            if ((uint)iw < (uint)width)
                            {
                                dx[rowStart + iw] += source[oh * outWidth + ow];
                            }
                        }
                    }
                }
            }
        }
    }

    /// <summary>dw[o, k] += Σ_p a[o, p]·b[k, p]: tiles of 4 rows of a × 4 rows of b, 16 vector accumulators along p.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void MultiplyTransposedAdd(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> dw, int rows, int columns, int length)
    {
        int vectorEnd = length / 8 * 8;
        fixed (float* pa = a, pb = b, pw = dw)
        {
            int o = 0;
            for (; o + 4 <= rows; o += 4)
            {
                int k = 0;
                for (; k + 4 <= columns; k += 4)
                {
                    Tile4x4(pa + o * length, pb + k * length, pw + o * columns + k, columns, length, vectorEnd);
                }

                for (; k < columns; k++)
                {
                    for (int r = 0; r < 4; r++)
                    {
                        pw[(o + r) * columns + k] += Dot(pa + (o + r) * length, pb + k * length, length, vectorEnd);
                    }
                }
            }

            for (; o < rows; o++)
            {
                for (int k = 0; k < columns; k++)
                {
                    pw[o * columns + k] += Dot(pa + o * length, pb + k * length, length, vectorEnd);
                }
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Tile4x4(float* a, float* b, float* w, int columns, int length, int vectorEnd)
    {
        Vector256<float> a00 = default, a01 = default, a02 = default, a03 = default, a10 = default, a11 = default, a12 = default, a13 = default;
        Vector256<float> a20 = default, a21 = default, a22 = default, a23 = default, a30 = default, a31 = default, a32 = default, a33 = default;
        for (int p = 0; p < vectorEnd; p += 8)
        {
            Vector256<float> x0 = Vector256.Load(a + p), x1 = Vector256.Load(a + length + p), x2 = Vector256.Load(a + 2 * length + p), x3 = Vector256.Load(a + 3 * length + p);
            Vector256<float> y = Vector256.Load(b + p);
            a00 = Vector256.FusedMultiplyAdd(x0, y, a00); a10 = Vector256.FusedMultiplyAdd(x1, y, a10); a20 = Vector256.FusedMultiplyAdd(x2, y, a20); a30 = Vector256.FusedMultiplyAdd(x3, y, a30);
            y = Vector256.Load(b + length + p);
            a01 = Vector256.FusedMultiplyAdd(x0, y, a01); a11 = Vector256.FusedMultiplyAdd(x1, y, a11); a21 = Vector256.FusedMultiplyAdd(x2, y, a21); a31 = Vector256.FusedMultiplyAdd(x3, y, a31);
            y = Vector256.Load(b + 2 * length + p);
            a02 = Vector256.FusedMultiplyAdd(x0, y, a02); a12 = Vector256.FusedMultiplyAdd(x1, y, a12); a22 = Vector256.FusedMultiplyAdd(x2, y, a22); a32 = Vector256.FusedMultiplyAdd(x3, y, a32);
            y = Vector256.Load(b + 3 * length + p);
            a03 = Vector256.FusedMultiplyAdd(x0, y, a03); a13 = Vector256.FusedMultiplyAdd(x1, y, a13); a23 = Vector256.FusedMultiplyAdd(x2, y, a23); a33 = Vector256.FusedMultiplyAdd(x3, y, a33);
        }

        float* sums = stackalloc float[16];
        sums[0] = Vector256.Sum(a00); sums[1] = Vector256.Sum(a01); sums[2] = Vector256.Sum(a02); sums[3] = Vector256.Sum(a03);
        sums[4] = Vector256.Sum(a10); sums[5] = Vector256.Sum(a11); sums[6] = Vector256.Sum(a12); sums[7] = Vector256.Sum(a13);
        sums[8] = Vector256.Sum(a20); sums[9] = Vector256.Sum(a21); sums[10] = Vector256.Sum(a22); sums[11] = Vector256.Sum(a23);
        sums[12] = Vector256.Sum(a30); sums[13] = Vector256.Sum(a31); sums[14] = Vector256.Sum(a32); sums[15] = Vector256.Sum(a33);
        for (int p = vectorEnd; p < length; p++)
        {
            for (int r = 0; r < 4; r++)
            {
                for (int q = 0; q < 4; q++)
                {
                    sums[r * 4 + q] += a[r * length + p] * b[q * length + p];
                }
            }
        }

        for (int r = 0; r < 4; r++)
        {
            for (int q = 0; q < 4; q++)
            {
                w[r * columns + q] += sums[r * 4 + q];
            }
        }
    }

    private static unsafe float Dot(float* a, float* b, int length, int vectorEnd)
    {
        Vector256<float> acc = default;
        for (int p = 0; p < vectorEnd; p += 8)
        {
            acc = Vector256.FusedMultiplyAdd(Vector256.Load(a + p), Vector256.Load(b + p), acc);
        }

        float sum = Vector256.Sum(acc);
        for (int p = vectorEnd; p < length; p++)
        {
            sum += a[p] * b[p];
        }

        return sum;
    }

    /// <summary>dc[k, p] = Σ_o w[o, k]·dz[o, p]: tiles of 4 taps × 16 pixels, 8 vector accumulators, loop over o.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void TransposedMultiply(ReadOnlySpan<float> w, ReadOnlySpan<float> dz, Span<float> dc, int rows, int taps, int length)
    {
        int blockEnd = length / 16 * 16;
        fixed (float* pw = w, pz = dz, pc = dc)
        {
            int k = 0;
            for (; k + 4 <= taps; k += 4)
            {
                for (int p = 0; p < blockEnd; p += 16)
                {
                    Vector256<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default, c30 = default, c31 = default;
                    for (int o = 0; o < rows; o++)
                    {
                        float* z = pz + o * length + p;
                        Vector256<float> z0 = Vector256.Load(z), z1 = Vector256.Load(z + 8);
                        float* wr = pw + o * taps + k;
                        Vector256<float> w0 = Vector256.Create(wr[0]), w1 = Vector256.Create(wr[1]), w2 = Vector256.Create(wr[2]), w3 = Vector256.Create(wr[3]);
                        c00 = Vector256.FusedMultiplyAdd(w0, z0, c00); c01 = Vector256.FusedMultiplyAdd(w0, z1, c01);
                        c10 = Vector256.FusedMultiplyAdd(w1, z0, c10); c11 = Vector256.FusedMultiplyAdd(w1, z1, c11);
                        c20 = Vector256.FusedMultiplyAdd(w2, z0, c20); c21 = Vector256.FusedMultiplyAdd(w2, z1, c21);
                        c30 = Vector256.FusedMultiplyAdd(w3, z0, c30); c31 = Vector256.FusedMultiplyAdd(w3, z1, c31);
                    }

                    float* c = pc + k * length + p;
                    c00.Store(c); c01.Store(c + 8);
                    c10.Store(c + length); c11.Store(c + length + 8);
                    c20.Store(c + 2 * length); c21.Store(c + 2 * length + 8);
                    c30.Store(c + 3 * length); c31.Store(c + 3 * length + 8);
                }

                for (int p = blockEnd; p < length; p++)
                {
                    for (int r = 0; r < 4; r++)
                    {
                        float sum = 0f;
                        for (int o = 0; o < rows; o++)
                        {
                            sum += pw[o * taps + k + r] * pz[o * length + p];
                        }

                        pc[(k + r) * length + p] = sum;
                    }
                }
            }

            for (; k < taps; k++)
            {
                for (int p = 0; p < length; p++)
                {
                    float sum = 0f;
                    for (int o = 0; o < rows; o++)
                    {
                        sum += pw[o * taps + k] * pz[o * length + p];
                    }

                    pc[k * length + p] = sum;
                }
            }
        }
    }

    private static float Sum(ReadOnlySpan<float> values)
    {
        double sum = 0;
        foreach (float value in values)
        {
            sum += value;
        }

        return (float)sum;
    }
}
