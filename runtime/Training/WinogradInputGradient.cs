using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using Fusion.Kernels;

namespace Fusion.Training;

/// <summary>
/// ∂X of a 3×3, stride-1, padding-1, undilated, ungrouped convolution by Winograd's F(2×2, 3×3): 16 multiplications per
/// 2×2 output pixels and channel pair instead of 36 (2.25× fewer FLOPs than the direct tiles), all in the pixel-major
/// layouts <see cref="ConvolutionGradients"/> keeps.
/// <para>
/// ∂X[c, y, x] = Σ_o Σ_{i,j} ∂Z[o, y − 1 + i, x − 1 + j]·K[c, o, i, j] with K[c, o, i, j] = W[o, c, 2 − i, 2 − j]: a
/// correlation of the zero-bordered output gradient with the flipped, transposed weights. Per 2×2 tile of ∂X, the 4×4
/// patch D of ∂Z (from row and column −1) and each 3×3 K become
/// <code>
/// V = Bᵀ·D·B     Bᵀ = [1 0 −1 0; 0 1 1 0; 0 −1 1 0; 0 1 0 −1]        (adds only)
/// U = G·K·Gᵀ     G  = [1 0 0; ½ ½ ½; ½ −½ ½; 0 0 1]                  (once per call: the weights change every step)
/// M_ξ = Σ_o V_ξ[tile, o]·U_ξ[o, c]   for each of the 16 points ξ: 16 matrix products, tiles × Cout by Cout × Cin
/// Y = Aᵀ·M·A     Aᵀ = [1 1 1 0; 0 1 −1 −1]                          (adds only)
/// </code>
/// The products run on the same register tiles as the direct ∂X (<see cref="ConvolutionTiles.InputGradient512{TP, TZ}"/>
/// or <see cref="ConvolutionTiles.InputGradient{TP, TV}"/>: tiles in the role of pixels, ∂Z's channels reduced). The
/// transforms work on 8 channels at a time. Rounding: every transform coefficient is 0, ±1 or ±½, and each value takes
/// at most Cout + 12 rounded steps, so its error stays within (Cout + 12)·2⁻²⁴ times the same expression in absolute
/// values (what the tests check). Measured in the tests: up to a third of the direct sum's worst-case bound, where the
/// direct tiles stay under a thirtieth.
/// </para>
/// </summary>
internal static unsafe class WinogradInputGradient
{
    private const int Points = Winograd.Points;

    /// <summary>Tiles through the transforms and products at a time: V and M within 384 KB, at least 16.</summary>
    public static int BlockTiles(int inPadded, int outPadded) => System.Math.Max(16, 384 * 1024 / (Points * (inPadded + outPadded) * sizeof(float)));

    /// <summary>
    /// U[ξ·matrix + o·inPadded + c] (c padded to <paramref name="inPadded"/>, the padding lanes zero as in
    /// <paramref name="wt"/>) from the tap-major weights wt[ij·matrix + o·inPadded + c] = W[o, c, ij].
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void TransformWeights(float* wt, float* u, int outChannels, int inPadded, int matrix)
    {
        nint tap = matrix, point = matrix;
        Vector256<float> half = Vector256.Create(0.5f);
        for (int o = 0; o < outChannels; o++)
        {
            for (int c = 0; c < inPadded; c += 8)
            {
                float* w = wt + (nint)o * inPadded + c;
                // K[i][j] = W[2 − i, 2 − j]: tap (2 − i)·3 + (2 − j) of wt.
                Vector256<float> k00 = Vector256.Load(w + 8 * tap), k01 = Vector256.Load(w + 7 * tap), k02 = Vector256.Load(w + 6 * tap);
                Vector256<float> k10 = Vector256.Load(w + 5 * tap), k11 = Vector256.Load(w + 4 * tap), k12 = Vector256.Load(w + 3 * tap);
                Vector256<float> k20 = Vector256.Load(w + 2 * tap), k21 = Vector256.Load(w + 1 * tap), k22 = Vector256.Load(w);

                // T = G·K, row by row (4 × 3).
                Vector256<float> t00 = k00, t01 = k01, t02 = k02;
                Vector256<float> t10 = (k00 + k10 + k20) * half, t11 = (k01 + k11 + k21) * half, t12 = (k02 + k12 + k22) * half;
                Vector256<float> t20 = (k00 - k10 + k20) * half, t21 = (k01 - k11 + k21) * half, t22 = (k02 - k12 + k22) * half;
                Vector256<float> t30 = k20, t31 = k21, t32 = k22;

                float* target = u + (nint)o * inPadded + c;
                StoreRow(target, 0, point, t00, t01, t02, half);
                StoreRow(target, 4, point, t10, t11, t12, half);
                StoreRow(target, 8, point, t20, t21, t22, half);
                StoreRow(target, 12, point, t30, t31, t32, half);
            }
        }
    }

    /// <summary>Row r of U = T·Gᵀ: points first .. first + 3.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreRow(float* target, int first, nint point, Vector256<float> t0, Vector256<float> t1, Vector256<float> t2, Vector256<float> half)
    {
        t0.Store(target + first * point);
        ((t0 + t1 + t2) * half).Store(target + (first + 1) * point);
        ((t0 - t1 + t2) * half).Store(target + (first + 2) * point);
        t2.Store(target + (first + 3) * point);
    }

    /// <summary>
    /// V[tile − first][ξ][o] for tiles first .. first + count − 1 of one image (row-major over ⌈H/2⌉ × ⌈W/2⌉) from its
    /// pixel-major output gradient z[(oh·zWidth + ow)·outPadded + o]; patch pixels outside the outHeight × outWidth
    /// gradient read as zero.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void TransformGradient(float* z, int zWidth, int outPadded, int outHeight, int outWidth, int first, int count, float* v, float* zero)
    {
        int tilesX = (outWidth + 1) / 2;
        float** rows = stackalloc float*[16];
        for (int tile = first; tile < first + count; tile++)
        {
            int ty = tile / tilesX, tx = tile % tilesX;
            Winograd.Patch(rows, z, 2 * ty - 1, 2 * tx - 1, outHeight, outWidth, zWidth, outPadded, zero);
            Winograd.TransformPatch(rows, outPadded, v + (nint)(tile - first) * Points * outPadded);
        }
    }

    /// <summary>
    /// M[ξ] = V[ξ]·U[ξ] for the 16 points (M zero before: the tiles add), on the ∂X register tiles of the variant: tiles
    /// in the role of pixels, 6 × up to 64 input channels (wide, as 512-bit pairs with AVX-512), 6 × 32 (wide, 256-bit)
    /// or 3 × 24 (narrow).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Multiply(bool wide, float* v, float* u, int matrix, float* m, int tiles, int outChannels, int outPadded, int inPadded)
    {
        bool pairs512 = wide && Vector512.IsHardwareAccelerated;
        int vectors = inPadded / 8, tile = wide ? 6 : 3, step = pairs512 ? 8 : wide ? 4 : 3;
        for (int xi = 0; xi < Points; xi++)
        {
            float* vp = v + (nint)xi * outPadded, up = u + (nint)xi * matrix, mp = m + (nint)xi * inPadded;
            for (int c = 0; c < vectors; c += step)
            {
                int count = System.Math.Min(step, vectors - c);
                for (int t = 0; t < tiles; t += tile)
                {
                    ConvolutionGradients.InputGradientRun(pairs512, System.Math.Min(tile, tiles - t), count, mp + (nint)t * Points * inPadded + c * 8, Points * inPadded,
                        vp + (nint)t * Points * outPadded, Points * outPadded, up + c * 8, inPadded, outChannels);
                }
            }
        }
    }

    /// <summary>
    /// Y = Aᵀ·M·A for tiles first .. first + count − 1 (M[tile − first]), written over the image's pixels of the
    /// padded pixel-major ∂X scratch (dx[((1 + y)·paddedWidth + 1 + x)·inPadded + c]); M is set back to zero as it is
    /// read. With an odd height or width the last tiles' second row or column lands in the scratch's zero border (at
    /// least one pixel wide on every side), which is never read.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void TransformOutput(float* m, float* dx, int paddedWidth, int inPadded, int width, int first, int count)
    {
        int tilesX = (width + 1) / 2;
        nint point = inPadded;
        for (int tile = first; tile < first + count; tile++)
        {
            int ty = tile / tilesX, tx = tile % tilesX;
            float* source = m + (nint)(tile - first) * Points * inPadded;
            float* target = dx + ((nint)(1 + 2 * ty) * paddedWidth + 1 + 2 * tx) * inPadded;
            for (int c = 0; c < inPadded; c += 8)
            {
                float* s = source + c;
                // Aᵀ·M: s0 = m0 + m1 + m2, s1 = m1 − m2 − m3 (rows of 4 points), then the same on columns.
                Column(s, 0, point, out Vector256<float> a0, out Vector256<float> b0);
                Column(s, 1, point, out Vector256<float> a1, out Vector256<float> b1);
                Column(s, 2, point, out Vector256<float> a2, out Vector256<float> b2);
                Column(s, 3, point, out Vector256<float> a3, out Vector256<float> b3);
                float* t = target + c;
                (a0 + a1 + a2).Store(t);
                (a1 - a2 - a3).Store(t + inPadded);
                (b0 + b1 + b2).Store(t + (nint)paddedWidth * inPadded);
                (b1 - b2 - b3).Store(t + ((nint)paddedWidth + 1) * inPadded);
            }
        }
    }

    /// <summary>Column q of Aᵀ·M (points q, 4 + q, 8 + q, 12 + q), each point read and cleared.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Column(float* s, int q, nint point, out Vector256<float> top, out Vector256<float> bottom)
    {
        float* p0 = s + q * point, p1 = s + (4 + q) * point, p2 = s + (8 + q) * point, p3 = s + (12 + q) * point;
        Vector256<float> m0 = Vector256.Load(p0), m1 = Vector256.Load(p1), m2 = Vector256.Load(p2), m3 = Vector256.Load(p3);
        Vector256<float>.Zero.Store(p0);
        Vector256<float>.Zero.Store(p1);
        Vector256<float>.Zero.Store(p2);
        Vector256<float>.Zero.Store(p3);
        top = m0 + m1 + m2;
        bottom = m1 - m2 - m3;
    }
}
