using System.Runtime.Intrinsics;

namespace Fusion.Training;

/// <summary>
/// When a convolution's gradients run through Winograd's minimal filtering algorithms instead of the direct tiles:
/// ∂X by F(2×2, 3×3) (<see cref="WinogradInputGradient"/>) and ∂W by F(3×3, 2×2) (<see cref="WinogradWeightGradient"/>),
/// 16 products per 2×2 tile where the direct tiles take 36 (2.25× fewer FLOPs), the transforms adds and halvings.
/// </summary>
internal static class Winograd
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
}
