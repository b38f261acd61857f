using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Fusion.Kernels;

/// <summary>
/// Every other float from a run: the input pixels a vector of stride-2 output pixels reads for one tap. Generated
/// row-tiled kernels of stride 2 load their inputs through these. Each reads exactly the floats from <c>p[0]</c> to
/// the last one it returns (two overlapping vector loads, then one permute), never past it: the last vector of a
/// padded row may end at the buffer's end.
/// </summary>
public static unsafe class Strided
{
    /// <summary>p[0], p[2], …, p[30] (reads p[0..30]).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Evens16(float* p)
    {
        if (Avx512F.IsSupported)
        {
            // a = p[0..15] gives p[0], p[2], …, p[14]; b = p[15..30] gives p[16] = b[1], …, p[30] = b[15].
            Vector512<int> indices = Vector512.Create(0, 2, 4, 6, 8, 10, 12, 14, 17, 19, 21, 23, 25, 27, 29, 31);
            return Avx512F.PermuteVar16x32x2(Vector512.Load(p), indices, Vector512.Load(p + 15));
        }

        return Vector512.Create(Evens8(p), Evens8(p + 16));
    }

    /// <summary>p[0], p[2], …, p[14] (reads p[0..14]).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Evens8(float* p)
    {
        if (Avx512F.VL.IsSupported)
        {
            // a = p[0..7] gives p[0], …, p[6]; b = p[7..14] gives p[8] = b[1], …, p[14] = b[7]: one two-source permute.
            return Avx512F.VL.PermuteVar8x32x2(Vector256.Load(p), Vector256.Create(0, 2, 4, 6, 9, 11, 13, 15), Vector256.Load(p + 7));
        }

        if (Avx2.IsSupported)
        {
            // a = p[0..7], b = p[7..14]; per 128-bit lane [a0 a2 b1 b3]: p0 p2 p8 p10 | p4 p6 p12 p14, then the middle
            // 64-bit halves swapped.
            Vector256<float> t = Avx.Shuffle(Vector256.Load(p), Vector256.Load(p + 7), 0b11_01_10_00);
            return Avx2.Permute4x64(t.AsDouble(), 0b11_01_10_00).AsSingle();
        }

        return Vector256.Create(p[0], p[2], p[4], p[6], p[8], p[10], p[12], p[14]);
    }
}
