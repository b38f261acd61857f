namespace Fusion.Kernels;

/// <summary>A generated convolution kernel over output rows [<paramref name="rowStart"/>, <paramref name="rowEnd"/>) of one image.</summary>
public delegate void RowKernel(nint input, nint output, nint weights, nint bias, nint residual, int rowStart, int rowEnd);

/// <summary>Splits one image's convolution across threads by output rows: the rows are independent, their stores disjoint.</summary>
public static unsafe class RowParallel
{
    /// <summary>Runs <paramref name="kernel"/> on <paramref name="threads"/> contiguous bands of <paramref name="rows"/> rows (on <see cref="Workers"/>; nothing allocated).</summary>
    public static void Run(int threads, int rows, RowKernel kernel, nint input, nint output, nint weights, nint bias, nint residual)
    {
        System.ArgumentNullException.ThrowIfNull(kernel);
        var arguments = new Arguments { Input = input, Output = output, Weights = weights, Bias = bias, Residual = residual, Rows = rows };
        Workers.Run(System.Math.Min(threads, rows), &RunBand, kernel, (nint)(&arguments));
    }

    private static void RunBand(object? kernel, nint state, int part, int parts)
    {
        Arguments* a = (Arguments*)state;
        ((RowKernel)kernel!)(a->Input, a->Output, a->Weights, a->Bias, a->Residual, (int)((long)a->Rows * part / parts), (int)((long)a->Rows * (part + 1) / parts));
    }

    private struct Arguments
    {
        public nint Input, Output, Weights, Bias, Residual;
        public int Rows;
    }
}
