using System;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using Fusion.Kernels;

namespace Fusion.Training;

/// <summary>
/// ∂W of a 3×3, stride-1, padding-1, undilated, ungrouped convolution by Winograd's F(3×3, 2×2): each 2×2 tile of the
/// output gradient and the 4×4 patch of the zero-padded input under it contribute a 3×3 correlation, computed as 16
/// products instead of 36, and the products of all tiles are summed before the one output transform per weight.
/// <para>
/// ∂W[o, c, i, j] = Σ_n Σ_tiles Σ_{a,b ∈ 0..1} ∂Z[o, 2ty + a, 2tx + b]·X̄[c, 2ty + a + i, 2tx + b + j], X̄ the input
/// with its zero border. Per tile, with D the 4×4 patch of X̄ from row 2ty, column 2tx and F the 2×2 tile of ∂Z:
/// <code>
/// Q = Bᵀ·D·B     Bᵀ = [1 0 −1 0; 0 1 1 0; 0 −1 1 0; 0 1 0 −1]        (F(2×2, 3×3)'s: Winograd.TransformPatch)
/// P = G·F·Gᵀ     G  = [1 0; ½ ½; ½ −½; 0 1]
/// M_ξ[c, o] += Σ_tiles Q_ξ[tile, c]·P_ξ[tile, o]   for the 16 points ξ: 16 matrix products reduced over tiles
/// ∂W = Aᵀ·M·A    Aᵀ = [1 1 1 0; 0 1 −1 0; 0 1 1 −1]                 (once per call)
/// </code>
/// Both transforms read pixel-major copies (8 channels per vector); the products run on the ∂W register tiles
/// (<see cref="ConvolutionTiles.WeightGradient512{TT, TZ}"/> or <see cref="ConvolutionTiles.WeightGradient{TT, TV}"/>:
/// input channels in the role of taps, tiles in the role of pixels), over blocks of at least 64 tiles (spanning images
/// where they are small), so each accumulator tile is loaded and stored once per 64 tiles or more.
/// </para>
/// </summary>
internal static unsafe class WinogradWeightGradient
{
    private const int Points = Winograd.Points;

    /// <summary>
    /// How many tiles' transforms are gathered before their products run: at least 64 (each accumulator tile is then
    /// loaded and stored once per 64 tiles or more), and up to 384 KB of Q and P together.
    /// </summary>
    public static int BlockTiles(int inPadded, int outPadded) => Math.Max(64, 384 * 1024 / (Points * (inPadded + outPadded) * sizeof(float)));

    /// <summary>
    /// Q[tile − first][ξ][c] for tiles first .. first + count − 1 of one image (row-major) from its zero-padded input,
    /// pixel-major: x[(r·xWidth + q)·inPadded + c] over xHeight × xWidth pixels (patch pixels past them read as zero:
    /// the last tiles of an odd plane).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void TransformInput(float* x, int xHeight, int xWidth, int inPadded, int outWidth, int first, int count, float* q, float* zero)
    {
        int tilesX = (outWidth + 1) / 2;
        float** p = stackalloc float*[16];
        for (int tile = first; tile < first + count; tile++)
        {
            int ty = tile / tilesX, tx = tile % tilesX;
            Winograd.Patch(p, x, 2 * ty, 2 * tx, xHeight, xWidth, xWidth, inPadded, zero);
            Winograd.TransformPatch(p, inPadded, q + (nint)(tile - first) * Points * inPadded);
        }
    }

    /// <summary>
    /// P[tile − first][ξ][o] for tiles first .. first + count − 1 of one image from its pixel-major output gradient
    /// z[(oh·zWidth + ow)·outPadded + o] (pixels past outHeight × outWidth read as zero).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void TransformGradient(float* z, int zWidth, int outPadded, int outHeight, int outWidth, int first, int count, float* target, float* zero)
    {
        int tilesX = (outWidth + 1) / 2;
        Vector256<float> half = Vector256.Create(0.5f);
        for (int tile = first; tile < first + count; tile++)
        {
            int ty = tile / tilesX, tx = tile % tilesX;
            bool lower = 2 * ty + 1 < outHeight;
            bool right = 2 * tx + 1 < outWidth;
            float* f00 = z + ((nint)2 * ty * zWidth + 2 * tx) * outPadded;
            float* f01 = right ? f00 + outPadded : zero;
            float* f10 = lower ? f00 + (nint)zWidth * outPadded : zero;
            float* f11 = lower && right ? f10 + outPadded : zero;
            float* t = target + (nint)(tile - first) * Points * outPadded;
            for (int o = 0; o < outPadded; o += 8)
            {
                // G·F on rows: F0, ½(F0 + F1), ½(F0 − F1), F1; then the same on columns.
                Vector256<float> a0 = Vector256.Load(f00 + o), a1 = Vector256.Load(f01 + o), b0 = Vector256.Load(f10 + o), b1 = Vector256.Load(f11 + o);
                GradientColumns(t + o, 0, outPadded, a0, a1, half);
                GradientColumns(t + o, 4, outPadded, (a0 + b0) * half, (a1 + b1) * half, half);
                GradientColumns(t + o, 8, outPadded, (a0 - b0) * half, (a1 - b1) * half, half);
                GradientColumns(t + o, 12, outPadded, b0, b1, half);
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void GradientColumns(float* target, int first, nint point, Vector256<float> t0, Vector256<float> t1, Vector256<float> half)
    {
        t0.Store(target + first * point);
        ((t0 + t1) * half).Store(target + (first + 1) * point);
        ((t0 - t1) * half).Store(target + (first + 2) * point);
        t1.Store(target + (first + 3) * point);
    }

    /// <summary>
    /// M[ξ·matrix + c·outPadded + o] += Σ over <paramref name="tiles"/> tiles of Q[tile][ξ][c]·P[tile][ξ][o], for the
    /// first <paramref name="inChannels"/> channels, on the ∂W register tiles of the variant: 6 channels × up to 64
    /// output channels (wide, as 512-bit pairs with AVX-512), 6 × 32 (wide, 256-bit) or 3 × 24 (narrow).
    /// <paramref name="channelIndex"/> holds 0, 1, 2, …: the channels' offsets within a point's row of Q, as the tiles
    /// read taps.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Multiply(bool wide, float* q, float* p, float* m, int matrix, int* channelIndex, int tiles, int inChannels, int inPadded, int outPadded)
    {
        bool pairs512 = wide && Vector512.IsHardwareAccelerated;
        int vectors = outPadded / 8, tile = wide ? 6 : 3, step = pairs512 ? 8 : wide ? 4 : 3;
        nint qTile = (nint)Points * inPadded, pTile = (nint)Points * outPadded;
        for (int xi = 0; xi < Points; xi++)
        {
            float* qp = q + (nint)xi * inPadded, pp = p + (nint)xi * outPadded, mp = m + (nint)xi * matrix;
            for (int v = 0; v < vectors; v += step)
            {
                int count = Math.Min(step, vectors - v);
                for (int c = 0; c < inChannels; c += tile)
                {
                    float* g = mp + (nint)c * outPadded + v * 8;
                    switch (Math.Min(tile, inChannels - c))
                    {
                        case 6: Tile<Six>(pairs512, count, g, outPadded, pp + v * 8, pTile, qp, channelIndex + c, qTile, tiles); break;
                        case 5: Tile<Five>(pairs512, count, g, outPadded, pp + v * 8, pTile, qp, channelIndex + c, qTile, tiles); break;
                        case 4: Tile<Four>(pairs512, count, g, outPadded, pp + v * 8, pTile, qp, channelIndex + c, qTile, tiles); break;
                        case 3: Tile<Three>(pairs512, count, g, outPadded, pp + v * 8, pTile, qp, channelIndex + c, qTile, tiles); break;
                        case 2: Tile<Two>(pairs512, count, g, outPadded, pp + v * 8, pTile, qp, channelIndex + c, qTile, tiles); break;
                        default: Tile<One>(pairs512, count, g, outPadded, pp + v * 8, pTile, qp, channelIndex + c, qTile, tiles); break;
                    }
                }
            }
        }
    }

    /// <summary>
    /// One accumulator tile: TT channels × <paramref name="count"/> vectors of 8 output channels, as 512-bit pairs and an
    /// odd last vector, or as 256-bit vectors.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Tile<TT>(bool pairs512, int count, float* g, nint gRow, float* p, nint pTile, float* q, int* channels, nint qTile, int tiles)
        where TT : struct, ITileSize
    {
        if (!pairs512)
        {
            switch (count)
            {
                case 4: ConvolutionTiles.WeightGradient<TT, Four>(g, gRow, p, pTile, 0, q, channels, 0, qTile, 1, tiles); break;
                case 3: ConvolutionTiles.WeightGradient<TT, Three>(g, gRow, p, pTile, 0, q, channels, 0, qTile, 1, tiles); break;
                case 2: ConvolutionTiles.WeightGradient<TT, Two>(g, gRow, p, pTile, 0, q, channels, 0, qTile, 1, tiles); break;
                default: ConvolutionTiles.WeightGradient<TT, One>(g, gRow, p, pTile, 0, q, channels, 0, qTile, 1, tiles); break;
            }

            return;
        }

        int pairs = count / 2;
        switch (pairs)
        {
            case 4: ConvolutionTiles.WeightGradient512<TT, Four>(g, gRow, p, pTile, 0, q, channels, 0, qTile, 1, tiles); break;
            case 3: ConvolutionTiles.WeightGradient512<TT, Three>(g, gRow, p, pTile, 0, q, channels, 0, qTile, 1, tiles); break;
            case 2: ConvolutionTiles.WeightGradient512<TT, Two>(g, gRow, p, pTile, 0, q, channels, 0, qTile, 1, tiles); break;
            case 1: ConvolutionTiles.WeightGradient512<TT, One>(g, gRow, p, pTile, 0, q, channels, 0, qTile, 1, tiles); break;
        }

        if ((count & 1) != 0)
        {
            ConvolutionTiles.WeightGradient<TT, One>(g + pairs * 16, gRow, p + pairs * 16, pTile, 0, q, channels, 0, qTile, 1, tiles);
        }
    }

    /// <summary>
    /// ∂W's 3×3 per channel pair = Aᵀ·M·A, written tap-major in the weights' order:
    /// target[((c·3 + i)·3 + j)·outPadded + o].
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void TransformOutput(float* m, int matrix, float* target, int inChannels, int outPadded)
    {
        nint point = matrix;
        for (int c = 0; c < inChannels; c++)
        {
            for (int o = 0; o < outPadded; o += 8)
            {
                float* s = m + (nint)c * outPadded + o;
                // Aᵀ·M down each column k (points k, 4 + k, 8 + k, 12 + k): rows m0 + m1 + m2, m1 − m2, m1 + m2 − m3.
                Column(s, 0, point, out Vector256<float> a0, out Vector256<float> b0, out Vector256<float> e0);
                Column(s, 1, point, out Vector256<float> a1, out Vector256<float> b1, out Vector256<float> e1);
                Column(s, 2, point, out Vector256<float> a2, out Vector256<float> b2, out Vector256<float> e2);
                Column(s, 3, point, out Vector256<float> a3, out Vector256<float> b3, out Vector256<float> e3);
                float* t = target + (nint)c * 9 * outPadded + o;
                Row(t, 0, outPadded, a0, a1, a2, a3);
                Row(t, 3, outPadded, b0, b1, b2, b3);
                Row(t, 6, outPadded, e0, e1, e2, e3);
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Column(float* s, int k, nint point, out Vector256<float> first, out Vector256<float> second, out Vector256<float> third)
    {
        Vector256<float> m0 = Vector256.Load(s + k * point), m1 = Vector256.Load(s + (4 + k) * point);
        Vector256<float> m2 = Vector256.Load(s + (8 + k) * point), m3 = Vector256.Load(s + (12 + k) * point);
        first = m0 + m1 + m2;
        second = m1 - m2;
        third = m1 + m2 - m3;
    }

    /// <summary>Row i of ·A: taps (i, 0), (i, 1), (i, 2).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Row(float* t, int first, nint tap, Vector256<float> s0, Vector256<float> s1, Vector256<float> s2, Vector256<float> s3)
    {
        (s0 + s1 + s2).Store(t + first * tap);
        (s1 - s2).Store(t + (first + 1) * tap);
        (s1 + s2 - s3).Store(t + (first + 2) * tap);
    }
}
