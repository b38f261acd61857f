using System;
using System.Runtime.CompilerServices;

namespace Fusion.Kernels;

/// <summary>Argument checks shared by every generated <c>Forward</c>: they name what was expected and what came.</summary>
public static class ModelArguments
{
    /// <summary>Throws unless <paramref name="batch"/> is positive and both spans hold exactly <paramref name="batch"/> samples.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="batch"/> ≤ 0.</exception>
    /// <exception cref="ArgumentException">A span of the wrong length.</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // on every Forward: no tier-0 code, no call counting
    public static void Check(string model, int inputLength, int outputLength, int batch, int inputPerSample, int outputPerSample)
    {
        if (batch <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(batch), batch, $"{model}.Forward needs a batch of at least 1 sample; got {batch}.");
        }

        long expectedInput = (long)batch * inputPerSample;
        if (inputLength != expectedInput)
        {
            throw new ArgumentException(
                $"{model}.Forward expected an input of {expectedInput} floats (batch {batch} × {inputPerSample} per sample), but the span holds {inputLength}.",
                "input");
        }

        long expectedOutput = (long)batch * outputPerSample;
        if (outputLength != expectedOutput)
        {
            throw new ArgumentException(
                $"{model}.Forward expected an output of {expectedOutput} floats (batch {batch} × {outputPerSample} per sample), but the span holds {outputLength}.",
                "output");
        }
    }
}
