using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Fusion.Training;

/// <summary>
/// When a convolution's gradients run through Winograd's minimal filtering algorithms instead of the direct tiles:
/// ∂X by F(2×2, 3×3) (<see cref="WinogradInputGradient"/>) and ∂W by F(3×3, 2×2) (<see cref="WinogradWeightGradient"/>),
/// 16 products per 2×2 tile where the direct tiles take 36 (2.25× fewer FLOPs), the transforms adds and halvings.
/// </summary>
internal static unsafe class Winograd
{
    /// <summary>The points of both transforms: a 4×4 patch per tile.</summary>
    public const int Points = 16;

    /// <summary>
    /// 3×3, stride 1, padding 1, undilated, ungrouped, at least 16 channels in and out (below that the products are too
    /// thin to pay for the transforms), on a machine with 256-bit vectors.
    /// </summary>
    public static bool Applies(Conv2d conv) =>
        Vector256.IsHardwareAccelerated && conv.Groups == 1 && conv.KernelHeight == 3 && conv.KernelWidth == 3 && conv.Stride == 1 && conv.Dilation == 1
        && conv.PaddingHeight == 1 && conv.PaddingWidth == 1 && conv.InChannels >= 16 && conv.OutChannels >= 16;

    /// <summary>
    /// How far apart (in floats) consecutive rows × columns matrices of a per-tap or per-point array are: rows·columns,
    /// plus one cache line when that is a multiple of 1 KB, so that the 9 taps or 16 points of one element do not all
    /// fall into the same set of L1 lines (4 KB apart they would: 8 ways for 9 or 16 lines).
    /// </summary>
    public static int MatrixStride(int rows, int columns) => rows * columns % 256 == 0 ? rows * columns + 16 : rows * columns;

    /// <summary>
    /// The 16 pixels of the 4×4 patch from (<paramref name="top"/>, <paramref name="left"/>) of a pixel-major image
    /// (image[(y·rowPixels + x)·channels + c], <paramref name="height"/> × <paramref name="width"/> pixels), row by row;
    /// those outside it point at <paramref name="zero"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Patch(float** patch, float* image, int top, int left, int height, int width, int rowPixels, int channels, float* zero)
    {
        for (int r = 0; r < 4; r++)
        {
            for (int k = 0; k < 4; k++)
            {
                int y = top + r, x = left + k;
                patch[r * 4 + k] = (uint)y < (uint)height && (uint)x < (uint)width ? image + ((nint)y * rowPixels + x) * channels : zero;
            }
        }
    }

    /// <summary>
    /// Bᵀ·D·B for one tile's 4×4 patch D (<paramref name="patch"/>: its 16 pixels row by row, each
    /// <paramref name="channels"/> floats, a multiple of 8), written as target[ξ·channels + c] — the data transform both
    /// algorithms share, Bᵀ = [1 0 −1 0; 0 1 1 0; 0 −1 1 0; 0 1 0 −1] (adds only).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void TransformPatch(float** patch, int channels, float* target)
    {
        for (int c = 0; c < channels; c += 8)
        {
            // Bᵀ·D on rows: D0 − D2, D1 + D2, D2 − D1, D1 − D3; then the same on columns.
            Row(patch, 0, c, out Vector256<float> d00, out Vector256<float> d01, out Vector256<float> d02, out Vector256<float> d03);
            Row(patch, 4, c, out Vector256<float> d10, out Vector256<float> d11, out Vector256<float> d12, out Vector256<float> d13);
            Row(patch, 8, c, out Vector256<float> d20, out Vector256<float> d21, out Vector256<float> d22, out Vector256<float> d23);
            Row(patch, 12, c, out Vector256<float> d30, out Vector256<float> d31, out Vector256<float> d32, out Vector256<float> d33);
            float* t = target + c;
            Columns(t, 0, channels, d00 - d20, d01 - d21, d02 - d22, d03 - d23);
            Columns(t, 4, channels, d10 + d20, d11 + d21, d12 + d22, d13 + d23);
            Columns(t, 8, channels, d20 - d10, d21 - d11, d22 - d12, d23 - d13);
            Columns(t, 12, channels, d10 - d30, d11 - d31, d12 - d32, d13 - d33);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Row(float** patch, int first, int c, out Vector256<float> d0, out Vector256<float> d1, out Vector256<float> d2, out Vector256<float> d3)
    {
        d0 = Vector256.Load(patch[first] + c);
        d1 = Vector256.Load(patch[first + 1] + c);
        d2 = Vector256.Load(patch[first + 2] + c);
        d3 = Vector256.Load(patch[first + 3] + c);
    }

    /// <summary>One row t of Bᵀ·D times B: points first .. first + 3.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Columns(float* target, int first, nint point, Vector256<float> t0, Vector256<float> t1, Vector256<float> t2, Vector256<float> t3)
    {
        (t0 - t2).Store(target + first * point);
        (t1 + t2).Store(target + (first + 1) * point);
        (t2 - t1).Store(target + (first + 2) * point);
        (t1 - t3).Store(target + (first + 3) * point);
    }
}
