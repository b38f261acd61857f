using System.Threading.Tasks;

namespace Fusion.Kernels;

/// <summary>A generated convolution kernel over output rows [<paramref name="rowStart"/>, <paramref name="rowEnd"/>) of one image.</summary>
public delegate void RowKernel(nint input, nint output, nint weights, nint bias, nint residual, int rowStart, int rowEnd);

/// <summary>Splits one image's convolution across threads by output rows: the rows are independent, their stores disjoint.</summary>
public static class RowParallel
{
    /// <summary>Runs <paramref name="kernel"/> on <paramref name="threads"/> contiguous bands of <paramref name="rows"/> rows.</summary>
    public static void Run(int threads, int rows, RowKernel kernel, nint input, nint output, nint weights, nint bias, nint residual)
    {
        int parts = System.Math.Min(threads, rows);
        Parallel.For(0, parts, new ParallelOptions { MaxDegreeOfParallelism = parts }, part =>
            kernel(input, output, weights, bias, residual, (int)((long)rows * part / parts), (int)((long)rows * (part + 1) / parts)));
    }
}
