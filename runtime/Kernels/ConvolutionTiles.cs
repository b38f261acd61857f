using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Fusion.Kernels;

/// <summary>A tile size known to the JIT: each kernel is compiled once per struct argument and <c>Value</c> folds to a constant, so the accumulators a tile does not use are never allocated.</summary>
internal interface ITileSize
{
    static abstract int Value { get; }
}

internal readonly struct One : ITileSize { public static int Value => 1; }
internal readonly struct Two : ITileSize { public static int Value => 2; }
internal readonly struct Three : ITileSize { public static int Value => 3; }
internal readonly struct Four : ITileSize { public static int Value => 4; }
internal readonly struct Five : ITileSize { public static int Value => 5; }
internal readonly struct Six : ITileSize { public static int Value => 6; }
internal readonly struct Nine : ITileSize { public static int Value => 9; }

/// <summary>
/// The register tiles of the runtime-shape convolution kernels (the gradients, and the generic forward baseline): up to 6 broadcast scalars × up to 4 vectors of 8 channels, 24
/// accumulators that stay in registers through the whole reduction (32 ymm registers with AVX-512; the narrow tiles
/// fit 16). Lines guarded by a tile size are removed by the JIT when the size rules them out.
/// </summary>
internal static unsafe class ConvolutionTiles
{
    /// <summary>
    /// <c>g[t, 8v..8v+7] += Σ over pixels x[offsets[t] + pixel] · z[pixel, 8v..8v+7]</c> for <typeparamref name="TT"/> taps and
    /// <typeparamref name="TV"/> vectors of output channels: the weight gradient of one tile, reduced over one image's
    /// <paramref name="rows"/>×<paramref name="columns"/> output pixels. <paramref name="x"/> is the zero-padded input
    /// (row stride <paramref name="xRow"/>, stride <paramref name="stride"/>), <paramref name="z"/> the output gradient
    /// pixel-major (pixel stride <paramref name="zPixel"/>, row stride <paramref name="zRow"/>).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void WeightGradient<TT, TV>(float* g, nint gRow, float* z, nint zPixel, nint zRow, float* x, int* offsets, nint xRow, nint stride, int rows, int columns)
        where TT : struct, ITileSize
        where TV : struct, ITileSize
    {
        nint o0 = TT.Value > 0 ? offsets[0] : 0;
        nint o1 = TT.Value > 1 ? offsets[1] : 0;
        nint o2 = TT.Value > 2 ? offsets[2] : 0;
        nint o3 = TT.Value > 3 ? offsets[3] : 0;
        nint o4 = TT.Value > 4 ? offsets[4] : 0;
        nint o5 = TT.Value > 5 ? offsets[5] : 0;
        Vector256<float> a00 = TT.Value > 0 && TV.Value > 0 ? Vector256.Load(g + 0 * gRow + 0) : default;
        Vector256<float> a01 = TT.Value > 0 && TV.Value > 1 ? Vector256.Load(g + 0 * gRow + 8) : default;
        Vector256<float> a02 = TT.Value > 0 && TV.Value > 2 ? Vector256.Load(g + 0 * gRow + 16) : default;
        Vector256<float> a03 = TT.Value > 0 && TV.Value > 3 ? Vector256.Load(g + 0 * gRow + 24) : default;
        Vector256<float> a10 = TT.Value > 1 && TV.Value > 0 ? Vector256.Load(g + 1 * gRow + 0) : default;
        Vector256<float> a11 = TT.Value > 1 && TV.Value > 1 ? Vector256.Load(g + 1 * gRow + 8) : default;
        Vector256<float> a12 = TT.Value > 1 && TV.Value > 2 ? Vector256.Load(g + 1 * gRow + 16) : default;
        Vector256<float> a13 = TT.Value > 1 && TV.Value > 3 ? Vector256.Load(g + 1 * gRow + 24) : default;
        Vector256<float> a20 = TT.Value > 2 && TV.Value > 0 ? Vector256.Load(g + 2 * gRow + 0) : default;
        Vector256<float> a21 = TT.Value > 2 && TV.Value > 1 ? Vector256.Load(g + 2 * gRow + 8) : default;
        Vector256<float> a22 = TT.Value > 2 && TV.Value > 2 ? Vector256.Load(g + 2 * gRow + 16) : default;
        Vector256<float> a23 = TT.Value > 2 && TV.Value > 3 ? Vector256.Load(g + 2 * gRow + 24) : default;
        Vector256<float> a30 = TT.Value > 3 && TV.Value > 0 ? Vector256.Load(g + 3 * gRow + 0) : default;
        Vector256<float> a31 = TT.Value > 3 && TV.Value > 1 ? Vector256.Load(g + 3 * gRow + 8) : default;
        Vector256<float> a32 = TT.Value > 3 && TV.Value > 2 ? Vector256.Load(g + 3 * gRow + 16) : default;
        Vector256<float> a33 = TT.Value > 3 && TV.Value > 3 ? Vector256.Load(g + 3 * gRow + 24) : default;
        Vector256<float> a40 = TT.Value > 4 && TV.Value > 0 ? Vector256.Load(g + 4 * gRow + 0) : default;
        Vector256<float> a41 = TT.Value > 4 && TV.Value > 1 ? Vector256.Load(g + 4 * gRow + 8) : default;
        Vector256<float> a42 = TT.Value > 4 && TV.Value > 2 ? Vector256.Load(g + 4 * gRow + 16) : default;
        Vector256<float> a43 = TT.Value > 4 && TV.Value > 3 ? Vector256.Load(g + 4 * gRow + 24) : default;
        Vector256<float> a50 = TT.Value > 5 && TV.Value > 0 ? Vector256.Load(g + 5 * gRow + 0) : default;
        Vector256<float> a51 = TT.Value > 5 && TV.Value > 1 ? Vector256.Load(g + 5 * gRow + 8) : default;
        Vector256<float> a52 = TT.Value > 5 && TV.Value > 2 ? Vector256.Load(g + 5 * gRow + 16) : default;
        Vector256<float> a53 = TT.Value > 5 && TV.Value > 3 ? Vector256.Load(g + 5 * gRow + 24) : default;
        for (int row = 0; row < rows; row++)
        {
            float* xp = x + row * stride * xRow;
            float* zp = z + row * zRow;
            for (int column = 0; column < columns; column++, xp += stride, zp += zPixel)
            {
                Vector256<float> z0 = TV.Value > 0 ? Vector256.Load(zp + 0) : default;
                Vector256<float> z1 = TV.Value > 1 ? Vector256.Load(zp + 8) : default;
                Vector256<float> z2 = TV.Value > 2 ? Vector256.Load(zp + 16) : default;
                Vector256<float> z3 = TV.Value > 3 ? Vector256.Load(zp + 24) : default;
                Vector256<float> b = Vector256.Create(xp[o0]);
                a00 = Vector256.FusedMultiplyAdd(b, z0, a00);
                if (TV.Value > 1) { a01 = Vector256.FusedMultiplyAdd(b, z1, a01); }
                if (TV.Value > 2) { a02 = Vector256.FusedMultiplyAdd(b, z2, a02); }
                if (TV.Value > 3) { a03 = Vector256.FusedMultiplyAdd(b, z3, a03); }
                if (TT.Value > 1)
                {
                    b = Vector256.Create(xp[o1]);
                    a10 = Vector256.FusedMultiplyAdd(b, z0, a10);
                    if (TV.Value > 1) { a11 = Vector256.FusedMultiplyAdd(b, z1, a11); }
                    if (TV.Value > 2) { a12 = Vector256.FusedMultiplyAdd(b, z2, a12); }
                    if (TV.Value > 3) { a13 = Vector256.FusedMultiplyAdd(b, z3, a13); }
                }
                if (TT.Value > 2)
                {
                    b = Vector256.Create(xp[o2]);
                    a20 = Vector256.FusedMultiplyAdd(b, z0, a20);
                    if (TV.Value > 1) { a21 = Vector256.FusedMultiplyAdd(b, z1, a21); }
                    if (TV.Value > 2) { a22 = Vector256.FusedMultiplyAdd(b, z2, a22); }
                    if (TV.Value > 3) { a23 = Vector256.FusedMultiplyAdd(b, z3, a23); }
                }
                if (TT.Value > 3)
                {
                    b = Vector256.Create(xp[o3]);
                    a30 = Vector256.FusedMultiplyAdd(b, z0, a30);
                    if (TV.Value > 1) { a31 = Vector256.FusedMultiplyAdd(b, z1, a31); }
                    if (TV.Value > 2) { a32 = Vector256.FusedMultiplyAdd(b, z2, a32); }
                    if (TV.Value > 3) { a33 = Vector256.FusedMultiplyAdd(b, z3, a33); }
                }
                if (TT.Value > 4)
                {
                    b = Vector256.Create(xp[o4]);
                    a40 = Vector256.FusedMultiplyAdd(b, z0, a40);
                    if (TV.Value > 1) { a41 = Vector256.FusedMultiplyAdd(b, z1, a41); }
                    if (TV.Value > 2) { a42 = Vector256.FusedMultiplyAdd(b, z2, a42); }
                    if (TV.Value > 3) { a43 = Vector256.FusedMultiplyAdd(b, z3, a43); }
                }
                if (TT.Value > 5)
                {
                    b = Vector256.Create(xp[o5]);
                    a50 = Vector256.FusedMultiplyAdd(b, z0, a50);
                    if (TV.Value > 1) { a51 = Vector256.FusedMultiplyAdd(b, z1, a51); }
                    if (TV.Value > 2) { a52 = Vector256.FusedMultiplyAdd(b, z2, a52); }
                    if (TV.Value > 3) { a53 = Vector256.FusedMultiplyAdd(b, z3, a53); }
                }
            }
        }

        if (TT.Value > 0 && TV.Value > 0) { a00.Store(g + 0 * gRow + 0); }
        if (TT.Value > 0 && TV.Value > 1) { a01.Store(g + 0 * gRow + 8); }
        if (TT.Value > 0 && TV.Value > 2) { a02.Store(g + 0 * gRow + 16); }
        if (TT.Value > 0 && TV.Value > 3) { a03.Store(g + 0 * gRow + 24); }
        if (TT.Value > 1 && TV.Value > 0) { a10.Store(g + 1 * gRow + 0); }
        if (TT.Value > 1 && TV.Value > 1) { a11.Store(g + 1 * gRow + 8); }
        if (TT.Value > 1 && TV.Value > 2) { a12.Store(g + 1 * gRow + 16); }
        if (TT.Value > 1 && TV.Value > 3) { a13.Store(g + 1 * gRow + 24); }
        if (TT.Value > 2 && TV.Value > 0) { a20.Store(g + 2 * gRow + 0); }
        if (TT.Value > 2 && TV.Value > 1) { a21.Store(g + 2 * gRow + 8); }
        if (TT.Value > 2 && TV.Value > 2) { a22.Store(g + 2 * gRow + 16); }
        if (TT.Value > 2 && TV.Value > 3) { a23.Store(g + 2 * gRow + 24); }
        if (TT.Value > 3 && TV.Value > 0) { a30.Store(g + 3 * gRow + 0); }
        if (TT.Value > 3 && TV.Value > 1) { a31.Store(g + 3 * gRow + 8); }
        if (TT.Value > 3 && TV.Value > 2) { a32.Store(g + 3 * gRow + 16); }
        if (TT.Value > 3 && TV.Value > 3) { a33.Store(g + 3 * gRow + 24); }
        if (TT.Value > 4 && TV.Value > 0) { a40.Store(g + 4 * gRow + 0); }
        if (TT.Value > 4 && TV.Value > 1) { a41.Store(g + 4 * gRow + 8); }
        if (TT.Value > 4 && TV.Value > 2) { a42.Store(g + 4 * gRow + 16); }
        if (TT.Value > 4 && TV.Value > 3) { a43.Store(g + 4 * gRow + 24); }
        if (TT.Value > 5 && TV.Value > 0) { a50.Store(g + 5 * gRow + 0); }
        if (TT.Value > 5 && TV.Value > 1) { a51.Store(g + 5 * gRow + 8); }
        if (TT.Value > 5 && TV.Value > 2) { a52.Store(g + 5 * gRow + 16); }
        if (TT.Value > 5 && TV.Value > 3) { a53.Store(g + 5 * gRow + 24); }
    }

    /// <summary>
    /// <c>target[p·targetPixel + 8v..] += Σ_o z[p·zPixel + o] · w[o·wRow + 8v..]</c> for <typeparamref name="TP"/> pixels and
    /// <typeparamref name="TV"/> vectors of input channels: one kernel tap's contribution to the input gradient of a
    /// run of output pixels, reduced over the <paramref name="outChannels"/> output channels and added into the
    /// pixel-major, zero-padded input-gradient scratch.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void InputGradient<TP, TV>(float* target, nint targetPixel, float* z, nint zPixel, float* w, nint wRow, int outChannels)
        where TP : struct, ITileSize
        where TV : struct, ITileSize
    {
        Vector256<float> a00 = default, a01 = default, a02 = default, a03 = default;
        Vector256<float> a10 = default, a11 = default, a12 = default, a13 = default;
        Vector256<float> a20 = default, a21 = default, a22 = default, a23 = default;
        Vector256<float> a30 = default, a31 = default, a32 = default, a33 = default;
        Vector256<float> a40 = default, a41 = default, a42 = default, a43 = default;
        Vector256<float> a50 = default, a51 = default, a52 = default, a53 = default;
        for (int o = 0; o < outChannels; o++, w += wRow, z++)
        {
            Vector256<float> w0 = TV.Value > 0 ? Vector256.Load(w + 0) : default;
            Vector256<float> w1 = TV.Value > 1 ? Vector256.Load(w + 8) : default;
            Vector256<float> w2 = TV.Value > 2 ? Vector256.Load(w + 16) : default;
            Vector256<float> w3 = TV.Value > 3 ? Vector256.Load(w + 24) : default;
            Vector256<float> b = Vector256.Create(z[0 * zPixel]);
            a00 = Vector256.FusedMultiplyAdd(b, w0, a00);
            if (TV.Value > 1) { a01 = Vector256.FusedMultiplyAdd(b, w1, a01); }
            if (TV.Value > 2) { a02 = Vector256.FusedMultiplyAdd(b, w2, a02); }
            if (TV.Value > 3) { a03 = Vector256.FusedMultiplyAdd(b, w3, a03); }
            if (TP.Value > 1)
            {
                b = Vector256.Create(z[1 * zPixel]);
                a10 = Vector256.FusedMultiplyAdd(b, w0, a10);
                if (TV.Value > 1) { a11 = Vector256.FusedMultiplyAdd(b, w1, a11); }
                if (TV.Value > 2) { a12 = Vector256.FusedMultiplyAdd(b, w2, a12); }
                if (TV.Value > 3) { a13 = Vector256.FusedMultiplyAdd(b, w3, a13); }
            }
            if (TP.Value > 2)
            {
                b = Vector256.Create(z[2 * zPixel]);
                a20 = Vector256.FusedMultiplyAdd(b, w0, a20);
                if (TV.Value > 1) { a21 = Vector256.FusedMultiplyAdd(b, w1, a21); }
                if (TV.Value > 2) { a22 = Vector256.FusedMultiplyAdd(b, w2, a22); }
                if (TV.Value > 3) { a23 = Vector256.FusedMultiplyAdd(b, w3, a23); }
            }
            if (TP.Value > 3)
            {
                b = Vector256.Create(z[3 * zPixel]);
                a30 = Vector256.FusedMultiplyAdd(b, w0, a30);
                if (TV.Value > 1) { a31 = Vector256.FusedMultiplyAdd(b, w1, a31); }
                if (TV.Value > 2) { a32 = Vector256.FusedMultiplyAdd(b, w2, a32); }
                if (TV.Value > 3) { a33 = Vector256.FusedMultiplyAdd(b, w3, a33); }
            }
            if (TP.Value > 4)
            {
                b = Vector256.Create(z[4 * zPixel]);
                a40 = Vector256.FusedMultiplyAdd(b, w0, a40);
                if (TV.Value > 1) { a41 = Vector256.FusedMultiplyAdd(b, w1, a41); }
                if (TV.Value > 2) { a42 = Vector256.FusedMultiplyAdd(b, w2, a42); }
                if (TV.Value > 3) { a43 = Vector256.FusedMultiplyAdd(b, w3, a43); }
            }
            if (TP.Value > 5)
            {
                b = Vector256.Create(z[5 * zPixel]);
                a50 = Vector256.FusedMultiplyAdd(b, w0, a50);
                if (TV.Value > 1) { a51 = Vector256.FusedMultiplyAdd(b, w1, a51); }
                if (TV.Value > 2) { a52 = Vector256.FusedMultiplyAdd(b, w2, a52); }
                if (TV.Value > 3) { a53 = Vector256.FusedMultiplyAdd(b, w3, a53); }
            }
        }

        if (TP.Value > 0 && TV.Value > 0) { float* t = target + 0 * targetPixel + 0; (Vector256.Load(t) + a00).Store(t); }
        if (TP.Value > 0 && TV.Value > 1) { float* t = target + 0 * targetPixel + 8; (Vector256.Load(t) + a01).Store(t); }
        if (TP.Value > 0 && TV.Value > 2) { float* t = target + 0 * targetPixel + 16; (Vector256.Load(t) + a02).Store(t); }
        if (TP.Value > 0 && TV.Value > 3) { float* t = target + 0 * targetPixel + 24; (Vector256.Load(t) + a03).Store(t); }
        if (TP.Value > 1 && TV.Value > 0) { float* t = target + 1 * targetPixel + 0; (Vector256.Load(t) + a10).Store(t); }
        if (TP.Value > 1 && TV.Value > 1) { float* t = target + 1 * targetPixel + 8; (Vector256.Load(t) + a11).Store(t); }
        if (TP.Value > 1 && TV.Value > 2) { float* t = target + 1 * targetPixel + 16; (Vector256.Load(t) + a12).Store(t); }
        if (TP.Value > 1 && TV.Value > 3) { float* t = target + 1 * targetPixel + 24; (Vector256.Load(t) + a13).Store(t); }
        if (TP.Value > 2 && TV.Value > 0) { float* t = target + 2 * targetPixel + 0; (Vector256.Load(t) + a20).Store(t); }
        if (TP.Value > 2 && TV.Value > 1) { float* t = target + 2 * targetPixel + 8; (Vector256.Load(t) + a21).Store(t); }
        if (TP.Value > 2 && TV.Value > 2) { float* t = target + 2 * targetPixel + 16; (Vector256.Load(t) + a22).Store(t); }
        if (TP.Value > 2 && TV.Value > 3) { float* t = target + 2 * targetPixel + 24; (Vector256.Load(t) + a23).Store(t); }
        if (TP.Value > 3 && TV.Value > 0) { float* t = target + 3 * targetPixel + 0; (Vector256.Load(t) + a30).Store(t); }
        if (TP.Value > 3 && TV.Value > 1) { float* t = target + 3 * targetPixel + 8; (Vector256.Load(t) + a31).Store(t); }
        if (TP.Value > 3 && TV.Value > 2) { float* t = target + 3 * targetPixel + 16; (Vector256.Load(t) + a32).Store(t); }
        if (TP.Value > 3 && TV.Value > 3) { float* t = target + 3 * targetPixel + 24; (Vector256.Load(t) + a33).Store(t); }
        if (TP.Value > 4 && TV.Value > 0) { float* t = target + 4 * targetPixel + 0; (Vector256.Load(t) + a40).Store(t); }
        if (TP.Value > 4 && TV.Value > 1) { float* t = target + 4 * targetPixel + 8; (Vector256.Load(t) + a41).Store(t); }
        if (TP.Value > 4 && TV.Value > 2) { float* t = target + 4 * targetPixel + 16; (Vector256.Load(t) + a42).Store(t); }
        if (TP.Value > 4 && TV.Value > 3) { float* t = target + 4 * targetPixel + 24; (Vector256.Load(t) + a43).Store(t); }
        if (TP.Value > 5 && TV.Value > 0) { float* t = target + 5 * targetPixel + 0; (Vector256.Load(t) + a50).Store(t); }
        if (TP.Value > 5 && TV.Value > 1) { float* t = target + 5 * targetPixel + 8; (Vector256.Load(t) + a51).Store(t); }
        if (TP.Value > 5 && TV.Value > 2) { float* t = target + 5 * targetPixel + 16; (Vector256.Load(t) + a52).Store(t); }
        if (TP.Value > 5 && TV.Value > 3) { float* t = target + 5 * targetPixel + 24; (Vector256.Load(t) + a53).Store(t); }
    }

    /// <summary>
    /// <see cref="WeightGradient{TT, TV}"/> with pairs of channel vectors as 512-bit vectors: <typeparamref name="TT"/> taps ×
    /// <typeparamref name="TZ"/> vectors of 16 output channels (up to 6 × 4 = 24 accumulators, 64 channels; or 9 × 2, the
    /// kernel rows of a 3-channel 3×3 layer), so one broadcast input feeds 16 channels. For the wide variant on machines
    /// with AVX-512.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void WeightGradient512<TT, TZ>(float* g, nint gRow, float* z, nint zPixel, nint zRow, float* x, int* offsets, nint xRow, nint stride, int rows, int columns)
        where TT : struct, ITileSize
        where TZ : struct, ITileSize
    {
        nint o0 = TT.Value > 0 ? offsets[0] : 0;
        nint o1 = TT.Value > 1 ? offsets[1] : 0;
        nint o2 = TT.Value > 2 ? offsets[2] : 0;
        nint o3 = TT.Value > 3 ? offsets[3] : 0;
        nint o4 = TT.Value > 4 ? offsets[4] : 0;
        nint o5 = TT.Value > 5 ? offsets[5] : 0;
        nint o6 = TT.Value > 6 ? offsets[6] : 0;
        nint o7 = TT.Value > 7 ? offsets[7] : 0;
        nint o8 = TT.Value > 8 ? offsets[8] : 0;
        Vector512<float> a00 = TT.Value > 0 && TZ.Value > 0 ? Vector512.Load(g + 0 * gRow + 0) : default;
        Vector512<float> a01 = TT.Value > 0 && TZ.Value > 1 ? Vector512.Load(g + 0 * gRow + 16) : default;
        Vector512<float> a02 = TT.Value > 0 && TZ.Value > 2 ? Vector512.Load(g + 0 * gRow + 32) : default;
        Vector512<float> a03 = TT.Value > 0 && TZ.Value > 3 ? Vector512.Load(g + 0 * gRow + 48) : default;
        Vector512<float> a10 = TT.Value > 1 && TZ.Value > 0 ? Vector512.Load(g + 1 * gRow + 0) : default;
        Vector512<float> a11 = TT.Value > 1 && TZ.Value > 1 ? Vector512.Load(g + 1 * gRow + 16) : default;
        Vector512<float> a12 = TT.Value > 1 && TZ.Value > 2 ? Vector512.Load(g + 1 * gRow + 32) : default;
        Vector512<float> a13 = TT.Value > 1 && TZ.Value > 3 ? Vector512.Load(g + 1 * gRow + 48) : default;
        Vector512<float> a20 = TT.Value > 2 && TZ.Value > 0 ? Vector512.Load(g + 2 * gRow + 0) : default;
        Vector512<float> a21 = TT.Value > 2 && TZ.Value > 1 ? Vector512.Load(g + 2 * gRow + 16) : default;
        Vector512<float> a22 = TT.Value > 2 && TZ.Value > 2 ? Vector512.Load(g + 2 * gRow + 32) : default;
        Vector512<float> a23 = TT.Value > 2 && TZ.Value > 3 ? Vector512.Load(g + 2 * gRow + 48) : default;
        Vector512<float> a30 = TT.Value > 3 && TZ.Value > 0 ? Vector512.Load(g + 3 * gRow + 0) : default;
        Vector512<float> a31 = TT.Value > 3 && TZ.Value > 1 ? Vector512.Load(g + 3 * gRow + 16) : default;
        Vector512<float> a32 = TT.Value > 3 && TZ.Value > 2 ? Vector512.Load(g + 3 * gRow + 32) : default;
        Vector512<float> a33 = TT.Value > 3 && TZ.Value > 3 ? Vector512.Load(g + 3 * gRow + 48) : default;
        Vector512<float> a40 = TT.Value > 4 && TZ.Value > 0 ? Vector512.Load(g + 4 * gRow + 0) : default;
        Vector512<float> a41 = TT.Value > 4 && TZ.Value > 1 ? Vector512.Load(g + 4 * gRow + 16) : default;
        Vector512<float> a42 = TT.Value > 4 && TZ.Value > 2 ? Vector512.Load(g + 4 * gRow + 32) : default;
        Vector512<float> a43 = TT.Value > 4 && TZ.Value > 3 ? Vector512.Load(g + 4 * gRow + 48) : default;
        Vector512<float> a50 = TT.Value > 5 && TZ.Value > 0 ? Vector512.Load(g + 5 * gRow + 0) : default;
        Vector512<float> a51 = TT.Value > 5 && TZ.Value > 1 ? Vector512.Load(g + 5 * gRow + 16) : default;
        Vector512<float> a52 = TT.Value > 5 && TZ.Value > 2 ? Vector512.Load(g + 5 * gRow + 32) : default;
        Vector512<float> a53 = TT.Value > 5 && TZ.Value > 3 ? Vector512.Load(g + 5 * gRow + 48) : default;
        Vector512<float> a60 = TT.Value > 6 && TZ.Value > 0 ? Vector512.Load(g + 6 * gRow + 0) : default;
        Vector512<float> a61 = TT.Value > 6 && TZ.Value > 1 ? Vector512.Load(g + 6 * gRow + 16) : default;
        Vector512<float> a70 = TT.Value > 7 && TZ.Value > 0 ? Vector512.Load(g + 7 * gRow + 0) : default;
        Vector512<float> a71 = TT.Value > 7 && TZ.Value > 1 ? Vector512.Load(g + 7 * gRow + 16) : default;
        Vector512<float> a80 = TT.Value > 8 && TZ.Value > 0 ? Vector512.Load(g + 8 * gRow + 0) : default;
        Vector512<float> a81 = TT.Value > 8 && TZ.Value > 1 ? Vector512.Load(g + 8 * gRow + 16) : default;
        for (int row = 0; row < rows; row++)
        {
            float* xp = x + row * stride * xRow;
            float* zp = z + row * zRow;
            for (int column = 0; column < columns; column++, xp += stride, zp += zPixel)
            {
                Vector512<float> z0 = TZ.Value > 0 ? Vector512.Load(zp + 0) : default;
                Vector512<float> z1 = TZ.Value > 1 ? Vector512.Load(zp + 16) : default;
                Vector512<float> z2 = TZ.Value > 2 ? Vector512.Load(zp + 32) : default;
                Vector512<float> z3 = TZ.Value > 3 ? Vector512.Load(zp + 48) : default;
                Vector512<float> b = Vector512.Create(xp[o0]);
                a00 = Vector512.FusedMultiplyAdd(b, z0, a00);
                if (TZ.Value > 1) { a01 = Vector512.FusedMultiplyAdd(b, z1, a01); }
                if (TZ.Value > 2) { a02 = Vector512.FusedMultiplyAdd(b, z2, a02); }
                if (TZ.Value > 3) { a03 = Vector512.FusedMultiplyAdd(b, z3, a03); }
                if (TT.Value > 1)
                {
                    b = Vector512.Create(xp[o1]);
                    a10 = Vector512.FusedMultiplyAdd(b, z0, a10);
                    if (TZ.Value > 1) { a11 = Vector512.FusedMultiplyAdd(b, z1, a11); }
                    if (TZ.Value > 2) { a12 = Vector512.FusedMultiplyAdd(b, z2, a12); }
                    if (TZ.Value > 3) { a13 = Vector512.FusedMultiplyAdd(b, z3, a13); }
                }
                if (TT.Value > 2)
                {
                    b = Vector512.Create(xp[o2]);
                    a20 = Vector512.FusedMultiplyAdd(b, z0, a20);
                    if (TZ.Value > 1) { a21 = Vector512.FusedMultiplyAdd(b, z1, a21); }
                    if (TZ.Value > 2) { a22 = Vector512.FusedMultiplyAdd(b, z2, a22); }
                    if (TZ.Value > 3) { a23 = Vector512.FusedMultiplyAdd(b, z3, a23); }
                }
                if (TT.Value > 3)
                {
                    b = Vector512.Create(xp[o3]);
                    a30 = Vector512.FusedMultiplyAdd(b, z0, a30);
                    if (TZ.Value > 1) { a31 = Vector512.FusedMultiplyAdd(b, z1, a31); }
                    if (TZ.Value > 2) { a32 = Vector512.FusedMultiplyAdd(b, z2, a32); }
                    if (TZ.Value > 3) { a33 = Vector512.FusedMultiplyAdd(b, z3, a33); }
                }
                if (TT.Value > 4)
                {
                    b = Vector512.Create(xp[o4]);
                    a40 = Vector512.FusedMultiplyAdd(b, z0, a40);
                    if (TZ.Value > 1) { a41 = Vector512.FusedMultiplyAdd(b, z1, a41); }
                    if (TZ.Value > 2) { a42 = Vector512.FusedMultiplyAdd(b, z2, a42); }
                    if (TZ.Value > 3) { a43 = Vector512.FusedMultiplyAdd(b, z3, a43); }
                }
                if (TT.Value > 5)
                {
                    b = Vector512.Create(xp[o5]);
                    a50 = Vector512.FusedMultiplyAdd(b, z0, a50);
                    if (TZ.Value > 1) { a51 = Vector512.FusedMultiplyAdd(b, z1, a51); }
                    if (TZ.Value > 2) { a52 = Vector512.FusedMultiplyAdd(b, z2, a52); }
                    if (TZ.Value > 3) { a53 = Vector512.FusedMultiplyAdd(b, z3, a53); }
                }
                if (TT.Value > 6)
                {
                    b = Vector512.Create(xp[o6]);
                    a60 = Vector512.FusedMultiplyAdd(b, z0, a60);
                    if (TZ.Value > 1) { a61 = Vector512.FusedMultiplyAdd(b, z1, a61); }
                }
                if (TT.Value > 7)
                {
                    b = Vector512.Create(xp[o7]);
                    a70 = Vector512.FusedMultiplyAdd(b, z0, a70);
                    if (TZ.Value > 1) { a71 = Vector512.FusedMultiplyAdd(b, z1, a71); }
                }
                if (TT.Value > 8)
                {
                    b = Vector512.Create(xp[o8]);
                    a80 = Vector512.FusedMultiplyAdd(b, z0, a80);
                    if (TZ.Value > 1) { a81 = Vector512.FusedMultiplyAdd(b, z1, a81); }
                }
            }
        }

        if (TT.Value > 0 && TZ.Value > 0) { a00.Store(g + 0 * gRow + 0); }
        if (TT.Value > 0 && TZ.Value > 1) { a01.Store(g + 0 * gRow + 16); }
        if (TT.Value > 0 && TZ.Value > 2) { a02.Store(g + 0 * gRow + 32); }
        if (TT.Value > 0 && TZ.Value > 3) { a03.Store(g + 0 * gRow + 48); }
        if (TT.Value > 1 && TZ.Value > 0) { a10.Store(g + 1 * gRow + 0); }
        if (TT.Value > 1 && TZ.Value > 1) { a11.Store(g + 1 * gRow + 16); }
        if (TT.Value > 1 && TZ.Value > 2) { a12.Store(g + 1 * gRow + 32); }
        if (TT.Value > 1 && TZ.Value > 3) { a13.Store(g + 1 * gRow + 48); }
        if (TT.Value > 2 && TZ.Value > 0) { a20.Store(g + 2 * gRow + 0); }
        if (TT.Value > 2 && TZ.Value > 1) { a21.Store(g + 2 * gRow + 16); }
        if (TT.Value > 2 && TZ.Value > 2) { a22.Store(g + 2 * gRow + 32); }
        if (TT.Value > 2 && TZ.Value > 3) { a23.Store(g + 2 * gRow + 48); }
        if (TT.Value > 3 && TZ.Value > 0) { a30.Store(g + 3 * gRow + 0); }
        if (TT.Value > 3 && TZ.Value > 1) { a31.Store(g + 3 * gRow + 16); }
        if (TT.Value > 3 && TZ.Value > 2) { a32.Store(g + 3 * gRow + 32); }
        if (TT.Value > 3 && TZ.Value > 3) { a33.Store(g + 3 * gRow + 48); }
        if (TT.Value > 4 && TZ.Value > 0) { a40.Store(g + 4 * gRow + 0); }
        if (TT.Value > 4 && TZ.Value > 1) { a41.Store(g + 4 * gRow + 16); }
        if (TT.Value > 4 && TZ.Value > 2) { a42.Store(g + 4 * gRow + 32); }
        if (TT.Value > 4 && TZ.Value > 3) { a43.Store(g + 4 * gRow + 48); }
        if (TT.Value > 5 && TZ.Value > 0) { a50.Store(g + 5 * gRow + 0); }
        if (TT.Value > 5 && TZ.Value > 1) { a51.Store(g + 5 * gRow + 16); }
        if (TT.Value > 5 && TZ.Value > 2) { a52.Store(g + 5 * gRow + 32); }
        if (TT.Value > 5 && TZ.Value > 3) { a53.Store(g + 5 * gRow + 48); }
        if (TT.Value > 6 && TZ.Value > 0) { a60.Store(g + 6 * gRow + 0); }
        if (TT.Value > 6 && TZ.Value > 1) { a61.Store(g + 6 * gRow + 16); }
        if (TT.Value > 7 && TZ.Value > 0) { a70.Store(g + 7 * gRow + 0); }
        if (TT.Value > 7 && TZ.Value > 1) { a71.Store(g + 7 * gRow + 16); }
        if (TT.Value > 8 && TZ.Value > 0) { a80.Store(g + 8 * gRow + 0); }
        if (TT.Value > 8 && TZ.Value > 1) { a81.Store(g + 8 * gRow + 16); }
    }

    /// <summary>
    /// <see cref="InputGradient{TP, TV}"/> with pairs of channel vectors as 512-bit vectors: <typeparamref name="TP"/> pixels ×
    /// <typeparamref name="TZ"/> vectors of 16 input channels (up to 6 × 4 = 24 accumulators, 64 channels). For the wide
    /// variant on machines with AVX-512.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void InputGradient512<TP, TZ>(float* target, nint targetPixel, float* z, nint zPixel, float* w, nint wRow, int outChannels)
        where TP : struct, ITileSize
        where TZ : struct, ITileSize
    {
        Vector512<float> a00 = default, a01 = default, a02 = default, a03 = default;
        Vector512<float> a10 = default, a11 = default, a12 = default, a13 = default;
        Vector512<float> a20 = default, a21 = default, a22 = default, a23 = default;
        Vector512<float> a30 = default, a31 = default, a32 = default, a33 = default;
        Vector512<float> a40 = default, a41 = default, a42 = default, a43 = default;
        Vector512<float> a50 = default, a51 = default, a52 = default, a53 = default;
        for (int o = 0; o < outChannels; o++, w += wRow, z++)
        {
            Vector512<float> w0 = TZ.Value > 0 ? Vector512.Load(w + 0) : default;
            Vector512<float> w1 = TZ.Value > 1 ? Vector512.Load(w + 16) : default;
            Vector512<float> w2 = TZ.Value > 2 ? Vector512.Load(w + 32) : default;
            Vector512<float> w3 = TZ.Value > 3 ? Vector512.Load(w + 48) : default;
            Vector512<float> b = Vector512.Create(z[0 * zPixel]);
            a00 = Vector512.FusedMultiplyAdd(b, w0, a00);
            if (TZ.Value > 1) { a01 = Vector512.FusedMultiplyAdd(b, w1, a01); }
            if (TZ.Value > 2) { a02 = Vector512.FusedMultiplyAdd(b, w2, a02); }
            if (TZ.Value > 3) { a03 = Vector512.FusedMultiplyAdd(b, w3, a03); }
            if (TP.Value > 1)
            {
                b = Vector512.Create(z[1 * zPixel]);
                a10 = Vector512.FusedMultiplyAdd(b, w0, a10);
                if (TZ.Value > 1) { a11 = Vector512.FusedMultiplyAdd(b, w1, a11); }
                if (TZ.Value > 2) { a12 = Vector512.FusedMultiplyAdd(b, w2, a12); }
                if (TZ.Value > 3) { a13 = Vector512.FusedMultiplyAdd(b, w3, a13); }
            }
            if (TP.Value > 2)
            {
                b = Vector512.Create(z[2 * zPixel]);
                a20 = Vector512.FusedMultiplyAdd(b, w0, a20);
                if (TZ.Value > 1) { a21 = Vector512.FusedMultiplyAdd(b, w1, a21); }
                if (TZ.Value > 2) { a22 = Vector512.FusedMultiplyAdd(b, w2, a22); }
                if (TZ.Value > 3) { a23 = Vector512.FusedMultiplyAdd(b, w3, a23); }
            }
            if (TP.Value > 3)
            {
                b = Vector512.Create(z[3 * zPixel]);
                a30 = Vector512.FusedMultiplyAdd(b, w0, a30);
                if (TZ.Value > 1) { a31 = Vector512.FusedMultiplyAdd(b, w1, a31); }
                if (TZ.Value > 2) { a32 = Vector512.FusedMultiplyAdd(b, w2, a32); }
                if (TZ.Value > 3) { a33 = Vector512.FusedMultiplyAdd(b, w3, a33); }
            }
            if (TP.Value > 4)
            {
                b = Vector512.Create(z[4 * zPixel]);
                a40 = Vector512.FusedMultiplyAdd(b, w0, a40);
                if (TZ.Value > 1) { a41 = Vector512.FusedMultiplyAdd(b, w1, a41); }
                if (TZ.Value > 2) { a42 = Vector512.FusedMultiplyAdd(b, w2, a42); }
                if (TZ.Value > 3) { a43 = Vector512.FusedMultiplyAdd(b, w3, a43); }
            }
            if (TP.Value > 5)
            {
                b = Vector512.Create(z[5 * zPixel]);
                a50 = Vector512.FusedMultiplyAdd(b, w0, a50);
                if (TZ.Value > 1) { a51 = Vector512.FusedMultiplyAdd(b, w1, a51); }
                if (TZ.Value > 2) { a52 = Vector512.FusedMultiplyAdd(b, w2, a52); }
                if (TZ.Value > 3) { a53 = Vector512.FusedMultiplyAdd(b, w3, a53); }
            }
        }

        if (TP.Value > 0 && TZ.Value > 0) { float* t = target + 0 * targetPixel + 0; (Vector512.Load(t) + a00).Store(t); }
        if (TP.Value > 0 && TZ.Value > 1) { float* t = target + 0 * targetPixel + 16; (Vector512.Load(t) + a01).Store(t); }
        if (TP.Value > 0 && TZ.Value > 2) { float* t = target + 0 * targetPixel + 32; (Vector512.Load(t) + a02).Store(t); }
        if (TP.Value > 0 && TZ.Value > 3) { float* t = target + 0 * targetPixel + 48; (Vector512.Load(t) + a03).Store(t); }
        if (TP.Value > 1 && TZ.Value > 0) { float* t = target + 1 * targetPixel + 0; (Vector512.Load(t) + a10).Store(t); }
        if (TP.Value > 1 && TZ.Value > 1) { float* t = target + 1 * targetPixel + 16; (Vector512.Load(t) + a11).Store(t); }
        if (TP.Value > 1 && TZ.Value > 2) { float* t = target + 1 * targetPixel + 32; (Vector512.Load(t) + a12).Store(t); }
        if (TP.Value > 1 && TZ.Value > 3) { float* t = target + 1 * targetPixel + 48; (Vector512.Load(t) + a13).Store(t); }
        if (TP.Value > 2 && TZ.Value > 0) { float* t = target + 2 * targetPixel + 0; (Vector512.Load(t) + a20).Store(t); }
        if (TP.Value > 2 && TZ.Value > 1) { float* t = target + 2 * targetPixel + 16; (Vector512.Load(t) + a21).Store(t); }
        if (TP.Value > 2 && TZ.Value > 2) { float* t = target + 2 * targetPixel + 32; (Vector512.Load(t) + a22).Store(t); }
        if (TP.Value > 2 && TZ.Value > 3) { float* t = target + 2 * targetPixel + 48; (Vector512.Load(t) + a23).Store(t); }
        if (TP.Value > 3 && TZ.Value > 0) { float* t = target + 3 * targetPixel + 0; (Vector512.Load(t) + a30).Store(t); }
        if (TP.Value > 3 && TZ.Value > 1) { float* t = target + 3 * targetPixel + 16; (Vector512.Load(t) + a31).Store(t); }
        if (TP.Value > 3 && TZ.Value > 2) { float* t = target + 3 * targetPixel + 32; (Vector512.Load(t) + a32).Store(t); }
        if (TP.Value > 3 && TZ.Value > 3) { float* t = target + 3 * targetPixel + 48; (Vector512.Load(t) + a33).Store(t); }
        if (TP.Value > 4 && TZ.Value > 0) { float* t = target + 4 * targetPixel + 0; (Vector512.Load(t) + a40).Store(t); }
        if (TP.Value > 4 && TZ.Value > 1) { float* t = target + 4 * targetPixel + 16; (Vector512.Load(t) + a41).Store(t); }
        if (TP.Value > 4 && TZ.Value > 2) { float* t = target + 4 * targetPixel + 32; (Vector512.Load(t) + a42).Store(t); }
        if (TP.Value > 4 && TZ.Value > 3) { float* t = target + 4 * targetPixel + 48; (Vector512.Load(t) + a43).Store(t); }
        if (TP.Value > 5 && TZ.Value > 0) { float* t = target + 5 * targetPixel + 0; (Vector512.Load(t) + a50).Store(t); }
        if (TP.Value > 5 && TZ.Value > 1) { float* t = target + 5 * targetPixel + 16; (Vector512.Load(t) + a51).Store(t); }
        if (TP.Value > 5 && TZ.Value > 2) { float* t = target + 5 * targetPixel + 32; (Vector512.Load(t) + a52).Store(t); }
        if (TP.Value > 5 && TZ.Value > 3) { float* t = target + 5 * targetPixel + 48; (Vector512.Load(t) + a53).Store(t); }
    }

    /// <summary>
    /// <c>output[p·outputPixel + 8v..] = bias[8v..] + Σ_t x[offsets[t] + p·xPixel] · w[t·wRow + 8v..]</c> for <typeparamref name="TP"/>
    /// pixels and <typeparamref name="TV"/> vectors of output channels: a convolution with runtime shapes (the
    /// generic baseline), its taps a runtime list of offsets into the zero-padded input.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Forward<TP, TV>(float* output, nint outputPixel, float* x, nint xPixel, int* offsets, int taps, float* w, nint wRow, float* bias)
        where TP : struct, ITileSize
        where TV : struct, ITileSize
    {
        Vector256<float> b0 = TV.Value > 0 ? Vector256.Load(bias + 0) : default;
        Vector256<float> b1 = TV.Value > 1 ? Vector256.Load(bias + 8) : default;
        Vector256<float> b2 = TV.Value > 2 ? Vector256.Load(bias + 16) : default;
        Vector256<float> b3 = TV.Value > 3 ? Vector256.Load(bias + 24) : default;
        Vector256<float> a00 = b0;
        Vector256<float> a01 = b1;
        Vector256<float> a02 = b2;
        Vector256<float> a03 = b3;
        Vector256<float> a10 = b0;
        Vector256<float> a11 = b1;
        Vector256<float> a12 = b2;
        Vector256<float> a13 = b3;
        Vector256<float> a20 = b0;
        Vector256<float> a21 = b1;
        Vector256<float> a22 = b2;
        Vector256<float> a23 = b3;
        Vector256<float> a30 = b0;
        Vector256<float> a31 = b1;
        Vector256<float> a32 = b2;
        Vector256<float> a33 = b3;
        Vector256<float> a40 = b0;
        Vector256<float> a41 = b1;
        Vector256<float> a42 = b2;
        Vector256<float> a43 = b3;
        Vector256<float> a50 = b0;
        Vector256<float> a51 = b1;
        Vector256<float> a52 = b2;
        Vector256<float> a53 = b3;
        for (int t = 0; t < taps; t++, w += wRow)
        {
            float* xt = x + offsets[t];
            Vector256<float> w0 = TV.Value > 0 ? Vector256.Load(w + 0) : default;
            Vector256<float> w1 = TV.Value > 1 ? Vector256.Load(w + 8) : default;
            Vector256<float> w2 = TV.Value > 2 ? Vector256.Load(w + 16) : default;
            Vector256<float> w3 = TV.Value > 3 ? Vector256.Load(w + 24) : default;
            Vector256<float> b = Vector256.Create(xt[0 * xPixel]);
            a00 = Vector256.FusedMultiplyAdd(b, w0, a00);
            if (TV.Value > 1) { a01 = Vector256.FusedMultiplyAdd(b, w1, a01); }
            if (TV.Value > 2) { a02 = Vector256.FusedMultiplyAdd(b, w2, a02); }
            if (TV.Value > 3) { a03 = Vector256.FusedMultiplyAdd(b, w3, a03); }
            if (TP.Value > 1)
            {
                b = Vector256.Create(xt[1 * xPixel]);
                a10 = Vector256.FusedMultiplyAdd(b, w0, a10);
                if (TV.Value > 1) { a11 = Vector256.FusedMultiplyAdd(b, w1, a11); }
                if (TV.Value > 2) { a12 = Vector256.FusedMultiplyAdd(b, w2, a12); }
                if (TV.Value > 3) { a13 = Vector256.FusedMultiplyAdd(b, w3, a13); }
            }
            if (TP.Value > 2)
            {
                b = Vector256.Create(xt[2 * xPixel]);
                a20 = Vector256.FusedMultiplyAdd(b, w0, a20);
                if (TV.Value > 1) { a21 = Vector256.FusedMultiplyAdd(b, w1, a21); }
                if (TV.Value > 2) { a22 = Vector256.FusedMultiplyAdd(b, w2, a22); }
                if (TV.Value > 3) { a23 = Vector256.FusedMultiplyAdd(b, w3, a23); }
            }
            if (TP.Value > 3)
            {
                b = Vector256.Create(xt[3 * xPixel]);
                a30 = Vector256.FusedMultiplyAdd(b, w0, a30);
                if (TV.Value > 1) { a31 = Vector256.FusedMultiplyAdd(b, w1, a31); }
                if (TV.Value > 2) { a32 = Vector256.FusedMultiplyAdd(b, w2, a32); }
                if (TV.Value > 3) { a33 = Vector256.FusedMultiplyAdd(b, w3, a33); }
            }
            if (TP.Value > 4)
            {
                b = Vector256.Create(xt[4 * xPixel]);
                a40 = Vector256.FusedMultiplyAdd(b, w0, a40);
                if (TV.Value > 1) { a41 = Vector256.FusedMultiplyAdd(b, w1, a41); }
                if (TV.Value > 2) { a42 = Vector256.FusedMultiplyAdd(b, w2, a42); }
                if (TV.Value > 3) { a43 = Vector256.FusedMultiplyAdd(b, w3, a43); }
            }
            if (TP.Value > 5)
            {
                b = Vector256.Create(xt[5 * xPixel]);
                a50 = Vector256.FusedMultiplyAdd(b, w0, a50);
                if (TV.Value > 1) { a51 = Vector256.FusedMultiplyAdd(b, w1, a51); }
                if (TV.Value > 2) { a52 = Vector256.FusedMultiplyAdd(b, w2, a52); }
                if (TV.Value > 3) { a53 = Vector256.FusedMultiplyAdd(b, w3, a53); }
            }
        }

        if (TP.Value > 0 && TV.Value > 0) { a00.Store(output + 0 * outputPixel + 0); }
        if (TP.Value > 0 && TV.Value > 1) { a01.Store(output + 0 * outputPixel + 8); }
        if (TP.Value > 0 && TV.Value > 2) { a02.Store(output + 0 * outputPixel + 16); }
        if (TP.Value > 0 && TV.Value > 3) { a03.Store(output + 0 * outputPixel + 24); }
        if (TP.Value > 1 && TV.Value > 0) { a10.Store(output + 1 * outputPixel + 0); }
        if (TP.Value > 1 && TV.Value > 1) { a11.Store(output + 1 * outputPixel + 8); }
        if (TP.Value > 1 && TV.Value > 2) { a12.Store(output + 1 * outputPixel + 16); }
        if (TP.Value > 1 && TV.Value > 3) { a13.Store(output + 1 * outputPixel + 24); }
        if (TP.Value > 2 && TV.Value > 0) { a20.Store(output + 2 * outputPixel + 0); }
        if (TP.Value > 2 && TV.Value > 1) { a21.Store(output + 2 * outputPixel + 8); }
        if (TP.Value > 2 && TV.Value > 2) { a22.Store(output + 2 * outputPixel + 16); }
        if (TP.Value > 2 && TV.Value > 3) { a23.Store(output + 2 * outputPixel + 24); }
        if (TP.Value > 3 && TV.Value > 0) { a30.Store(output + 3 * outputPixel + 0); }
        if (TP.Value > 3 && TV.Value > 1) { a31.Store(output + 3 * outputPixel + 8); }
        if (TP.Value > 3 && TV.Value > 2) { a32.Store(output + 3 * outputPixel + 16); }
        if (TP.Value > 3 && TV.Value > 3) { a33.Store(output + 3 * outputPixel + 24); }
        if (TP.Value > 4 && TV.Value > 0) { a40.Store(output + 4 * outputPixel + 0); }
        if (TP.Value > 4 && TV.Value > 1) { a41.Store(output + 4 * outputPixel + 8); }
        if (TP.Value > 4 && TV.Value > 2) { a42.Store(output + 4 * outputPixel + 16); }
        if (TP.Value > 4 && TV.Value > 3) { a43.Store(output + 4 * outputPixel + 24); }
        if (TP.Value > 5 && TV.Value > 0) { a50.Store(output + 5 * outputPixel + 0); }
        if (TP.Value > 5 && TV.Value > 1) { a51.Store(output + 5 * outputPixel + 8); }
        if (TP.Value > 5 && TV.Value > 2) { a52.Store(output + 5 * outputPixel + 16); }
        if (TP.Value > 5 && TV.Value > 3) { a53.Store(output + 5 * outputPixel + 24); }
    }
}
