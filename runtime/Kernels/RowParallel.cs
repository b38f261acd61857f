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
    /// <see cref="Workers"/>; nothing allocated). Each thread owns an equal run of the rows (whole granules of
    /// <paramref name="granule"/> rows: a row-tiled kernel's band) and claims it from the front in shrinking chunks, half
    /// of what it has left each time; a thread done with its own run takes chunks of the others' from their back ends.
    /// So consecutive layers give a thread the same rows — their inputs are the rows it just wrote, still in its own
    /// cache — and a thread that starts late or is preempted leaves its rows to the others instead of making them wait.
    /// </summary>
    public static void Run(int threads, int rows, RowKernel kernel, nint input, nint output, nint weights, nint bias, nint residual, int granule = 1)
    {
        System.ArgumentNullException.ThrowIfNull(kernel);
        granule = System.Math.Max(1, granule);
        int units = (rows + granule - 1) / granule, parts = System.Math.Max(1, System.Math.Min(threads, units));
        long* ranges = stackalloc long[parts];
        for (int part = 0; part < parts; part++)
        {
            ranges[part] = Range((int)((long)units * part / parts), (int)((long)units * (part + 1) / parts));
        }

        var arguments = new Arguments { Input = input, Output = output, Weights = weights, Bias = bias, Residual = residual, Rows = rows, Granule = granule, Parts = parts, Ranges = ranges };
        Workers.Run(parts, &RunChunks, kernel, (nint)(&arguments));
    }

    private static void RunChunks(object? kernel, nint state, int part, int parts)
    {
        Arguments* a = (Arguments*)state;
        var rowKernel = (RowKernel)kernel!;
        for (int i = 0; i < a->Parts; i++)
        {
            // Its own run first, from the front; then the others' leftovers, from their backs.
            long* range = a->Ranges + (part + i) % a->Parts;
            while (Claim(range, fromBack: i > 0, out int first, out int last))
            {
                rowKernel(a->Input, a->Output, a->Weights, a->Bias, a->Residual, first * a->Granule, System.Math.Min(a->Rows, last * a->Granule));
            }
        }
    }

    /// <summary>Takes half of what is left of a run of granules (at least one), from its front or its back; false when it is empty.</summary>
    private static bool Claim(long* range, bool fromBack, out int first, out int last)
    {
        while (true)
        {
            long current = Volatile.Read(ref *range);
            int front = (int)current, back = (int)(current >> 32);
            if (front >= back)
            {
                first = last = 0;
                return false;
            }

            int size = System.Math.Max(1, (back - front) / 2);
            (first, last) = fromBack ? (back - size, back) : (front, front + size);
            long left = fromBack ? Range(front, first) : Range(last, back);
            if (Interlocked.CompareExchange(ref *range, left, current) == current)
            {
                return true;
            }
        }
    }

    private static long Range(int front, int back) => (uint)front | ((long)back << 32);

    private struct Arguments
    {
        public nint Input, Output, Weights, Bias, Residual;
        public int Rows, Granule, Parts;
        public long* Ranges; // per part: its run of granules left, front | back << 32
    }
}
