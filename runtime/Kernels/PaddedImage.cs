using System;
using System.Runtime.CompilerServices;

namespace Fusion.Kernels;

/// <summary>
/// The zero-padded input the runtime-shape convolution kernels read (the generic forward and the gradients): wide
/// and tall enough for every tap of every pixel of a padded output row, so a tap is a fixed offset from a pixel's
/// corner. Its borders are cleared once per call; each image then rewrites only the interior.
/// </summary>
internal static unsafe class PaddedImage
{
    /// <summary>The padded plane's size: every output row (and its <paramref name="outWidthPadded"/> pixels) reads inside it, and the image fits at (ph, pw).</summary>
    public static (int Height, int Width) Size(Conv2d conv, int height, int width, int outHeight, int outWidthPadded)
        => (Math.Max((outHeight - 1) * conv.Stride + (conv.KernelHeight - 1) * conv.Dilation + 1, conv.PaddingHeight + height),
            Math.Max((outWidthPadded - 1) * conv.Stride + (conv.KernelWidth - 1) * conv.Dilation + 1, conv.PaddingWidth + width));

    /// <summary>offsets[t] for tap t = (c, i, j) in PyTorch's weight order: where it reads relative to the pixel's corner.</summary>
    public static void TapOffsets(int* offsets, Conv2d conv, int channels, int paddedHeight, int paddedWidth)
    {
        int d = conv.Dilation, plane = paddedHeight * paddedWidth;
        for (int c = 0, t = 0; c < channels; c++)
        {
            for (int i = 0; i < conv.KernelHeight; i++)
            {
                for (int j = 0; j < conv.KernelWidth; j++, t++)
                {
                    offsets[t] = c * plane + i * d * paddedWidth + j * d;
                }
            }
        }
    }

    /// <summary>Copies <paramref name="channels"/> planes of the image into the interior of the padded planes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void CopyInterior(float* source, float* padded, Conv2d conv, int channels, int height, int width, int paddedHeight, int paddedWidth)
    {
        int plane = paddedHeight * paddedWidth;
        for (int c = 0; c < channels; c++)
        {
            float* target = padded + (nint)c * plane + conv.PaddingHeight * paddedWidth + conv.PaddingWidth;
            float* image = source + (nint)c * height * width;
            for (int ih = 0; ih < height; ih++)
            {
                Padding.CopyRow(image + (nint)ih * width, target + (nint)ih * paddedWidth, width);
            }
        }
    }
}
