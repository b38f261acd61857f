using System;
using System.Reflection;

namespace Fusion.Tests;

/// <summary>Builds declared test models with non-trivial BatchNorm state and compares their outputs with <see cref="Reference"/>.</summary>
internal static class ModelHarness
{
    /// <summary>
    /// Runs <paramref name="action"/> until tiered compilation has settled (call counting and tier-1 promotions
    /// allocate on the calling thread), so that allocation tests measure the code, not the JIT.
    /// </summary>
    public static void WarmUp(Action action)
    {
        for (int round = 0; round < 3; round++)
        {
            for (int i = 0; i < 40; i++)
            {
                action();
            }

            System.Threading.Thread.Sleep(150); // past the runtime's 100 ms call-counting delay
        }
    }

    public static IFusedModel Create(Type type, ulong seed = 1)
    {
        var model = (IFusedModel)Activator.CreateInstance(type, seed)!;
        Perturb(model, new SeededRandom(seed + 100));
        return model;
    }

    /// <summary>Gives every BatchNorm the statistics and affine parameters of a trained network, and every bias a non-zero value.</summary>
    public static void Perturb(IFusedModel model, SeededRandom random)
    {
        foreach (Parameter tensor in model.StateDict())
        {
            (float low, float high) = tensor.Name switch
            {
                var n when n.EndsWith(".running_mean", StringComparison.Ordinal) => (-0.3f, 0.3f),
                var n when n.EndsWith(".running_var", StringComparison.Ordinal) => (0.3f, 2f),
                var n when n.EndsWith(".bn.weight", StringComparison.Ordinal) => (0.5f, 1.5f),
                var n when n.EndsWith(".bn.bias", StringComparison.Ordinal) => (-0.3f, 0.3f),
                _ => (0f, 0f),
            };
            if (high > low)
            {
                tensor.Update(values => random.Fill(values, low, high));
            }
        }
    }

    public static (int Channels, int Height, int Width) InputShape(Type type)
    {
        var attribute = type.GetCustomAttribute<FusedModelAttribute>()!;
        return (attribute.InputChannels, attribute.InputHeight, attribute.InputWidth);
    }

    public static float[] RandomInput(IFusedModel model, int batch, ulong seed)
    {
        var input = new float[batch * model.InputLength];
        new SeededRandom(seed).Fill(input, -1f, 1f);
        return input;
    }

    /// <summary>Asserts every output of every sample is within <see cref="Reference.Tolerance"/> of the reference.</summary>
    public static void AssertMatchesReference(IFusedModel model, float[] input, float[] output, int batch, string what)
    {
        (int c, int h, int w) = InputShape(model.GetType());
        Reference.Tensor[] references = Reference.Run(model, input, batch, c, h, w);
        for (int n = 0; n < batch; n++)
        {
            Reference.Tensor expected = references[n];
            Xunit.Assert.Equal(model.OutputLength, expected.Values.Length);
            for (int i = 0; i < expected.Values.Length; i++)
            {
                float actual = output[n * model.OutputLength + i];
                double tolerance = Reference.Tolerance(expected, i);
                if (!(Math.Abs(actual - expected.Values[i]) <= tolerance))
                {
                    Xunit.Assert.Fail(
                        $"{model.GetType().Name} {what}: sample {n}, output {i} (channel {i / (expected.Height * expected.Width)}, pixel {i % (expected.Height * expected.Width)}) " +
                        $"is {actual:R}, reference {expected.Values[i]:R}, |difference| {Math.Abs(actual - expected.Values[i]):E3} > tolerance {tolerance:E3}");
                }
            }
        }
    }
}
