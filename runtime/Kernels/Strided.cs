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

    /// <summary>p[0], p[2], …, p[30] and p[1], p[3], …, p[31] from the same two loads (reads p[0..31]): two neighbouring taps.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void EvensOdds16(float* p, out Vector512<float> evens, out Vector512<float> odds)
    {
        if (Avx512F.IsSupported)
        {
            Vector512<float> a = Vector512.Load(p), b = Vector512.Load(p + 16);
            evens = Avx512F.PermuteVar16x32x2(a, Vector512.Create(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30), b);
            odds = Avx512F.PermuteVar16x32x2(a, Vector512.Create(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31), b);
            return;
        }

        EvensOdds8(p, out Vector256<float> evensLow, out Vector256<float> oddsLow);
        EvensOdds8(p + 16, out Vector256<float> evensHigh, out Vector256<float> oddsHigh);
        evens = Vector512.Create(evensLow, evensHigh);
        odds = Vector512.Create(oddsLow, oddsHigh);
    }

    /// <summary>p[0], p[2], …, p[14] and p[1], p[3], …, p[15] from the same two loads (reads p[0..15]): two neighbouring taps.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void EvensOdds8(float* p, out Vector256<float> evens, out Vector256<float> odds)
    {
        Vector256<float> a = Vector256.Load(p), b = Vector256.Load(p + 8);
        if (Avx512F.VL.IsSupported)
        {
            evens = Avx512F.VL.PermuteVar8x32x2(a, Vector256.Create(0, 2, 4, 6, 8, 10, 12, 14), b);
            odds = Avx512F.VL.PermuteVar8x32x2(a, Vector256.Create(1, 3, 5, 7, 9, 11, 13, 15), b);
        }
        else if (Avx2.IsSupported)
        {
            // Per 128-bit lane [a0 a2 b0 b2] and [a1 a3 b1 b3], then the middle 64-bit halves swapped.
            evens = Avx2.Permute4x64(Avx.Shuffle(a, b, 0b10_00_10_00).AsDouble(), 0b11_01_10_00).AsSingle();
            odds = Avx2.Permute4x64(Avx.Shuffle(a, b, 0b11_01_11_01).AsDouble(), 0b11_01_10_00).AsSingle();
        }
        else
        {
            evens = Vector256.Create(p[0], p[2], p[4], p[6], p[8], p[10], p[12], p[14]);
            odds = Vector256.Create(p[1], p[3], p[5], p[7], p[9], p[11], p[13], p[15]);
        }
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
