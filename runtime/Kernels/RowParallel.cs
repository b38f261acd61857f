using System.Threading;

namespace Fusion.Kernels;

/// <summary>
/// A generated convolution kernel over output rows [<paramref name="rowStart"/>, <paramref name="rowEnd"/>) of one image
/// (for a <c>_tiles</c> kernel: over its channel tiles in that range, every row).
/// </summary>
public delegate void RowKernel(nint input, nint output, nint weights, nint bias, nint residual, int rowStart, int rowEnd);

/// <summary>
/// Splits one image's convolution across threads by output rows — or by channel tiles, for a kernel whose few rows
/// would share out unevenly (<c>_tiles</c> kernels take a range of tiles in place of the range of rows): either way the
/// parts are independent and their stores disjoint.
/// </summary>
public static unsafe class RowParallel
{
    /// <summary>
    /// Runs <paramref name="kernel"/> over <paramref name="rows"/> rows on up to <paramref name="threads"/> threads (on
    /// <see cref="Workers"/>; nothing allocated). The rows are claimed in guided chunks — each a share of what is left,
    /// never less than <paramref name="granule"/> rows (a row-tiled kernel's band) — so a thread that starts late or is
    /// preempted leaves its rows to the others instead of making them wait for a fixed half.
    /// </summary>
    public static void Run(int threads, int rows, RowKernel kernel, nint input, nint output, nint weights, nint bias, nint residual, int granule = 1)
    {
        System.ArgumentNullException.ThrowIfNull(kernel);
        granule = System.Math.Max(1, granule);
        int parts = System.Math.Min(threads, (rows + granule - 1) / granule);
        var arguments = new Arguments { Input = input, Output = output, Weights = weights, Bias = bias, Residual = residual, Rows = rows, Granule = granule, Parts = parts };
        Workers.Run(parts, &RunChunks, kernel, (nint)(&arguments));
    }

    private static void RunChunks(object? kernel, nint state, int part, int parts)
    {
        Arguments* a = (Arguments*)state;
        var rowKernel = (RowKernel)kernel!;
        while (true)
        {
            int start = Volatile.Read(ref a->Next);
            if (start >= a->Rows)
            {
                return;
            }

            // Guided: half of an even share of the rows left (whole granules), so chunks shrink toward the end.
            int share = (a->Rows - start) / (2 * a->Parts);
            int size = System.Math.Max(a->Granule, (share + a->Granule - 1) / a->Granule * a->Granule);
            int end = System.Math.Min(a->Rows, start + size);
            if (Interlocked.CompareExchange(ref a->Next, end, start) == start)
            {
                rowKernel(a->Input, a->Output, a->Weights, a->Bias, a->Residual, start, end);
            }
        }
    }

    private struct Arguments
    {
        public nint Input, Output, Weights, Bias, Residual;
        public int Rows, Granule, Parts, Next;
    }
}
