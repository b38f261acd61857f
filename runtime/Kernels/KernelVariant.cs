using System.Runtime.Intrinsics.X86;

namespace Fusion.Kernels;

/// <summary>
/// Which register tiles a model's convolution kernels use. The generator plans every convolution twice, because the
/// best tile depends on the vector register file the code is compiled for: with AVX-512 RyuJIT gives
/// <c>Vector256</c> code 32 registers (tiles of up to 24 accumulators); without it, 16 (tiles of up to 12).
/// </summary>
/// <remarks>
/// The wide variant's channel-tiled kernels also accumulate pairs of 8-channel vectors as <c>Vector512</c> (one
/// broadcast input feeds 16 output channels): forced on a machine without AVX-512 it still computes the same result,
/// through the runtime's software <c>Vector512</c>, only slowly.
/// </remarks>
public enum KernelVariant
{
    /// <summary>Tiles for 32 vector registers, with 512-bit accumulators where channels pair up (AVX-512 present).</summary>
    Wide,

    /// <summary>Tiles for 16 vector registers (AVX2 only, or Native AOT compiled for x86-64-v3).</summary>
    Narrow,
}

/// <summary>The variant that fits the machine.</summary>
public static class KernelVariants
{
    /// <summary><see cref="KernelVariant.Wide"/> when AVX-512 (with VL) is available to the code generator, else <see cref="KernelVariant.Narrow"/>.</summary>
    public static KernelVariant Default { get; } = Avx512F.VL.IsSupported ? KernelVariant.Wide : KernelVariant.Narrow;
}
