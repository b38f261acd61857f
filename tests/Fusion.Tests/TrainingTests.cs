using System;
using System.Linq;
using Fusion.Normalization;
using Fusion.Tests.Cases;
using Xunit;

namespace Fusion.Tests;

/// <summary>
/// Backward passes against central finite differences of the double-precision reference (in training mode: batch
/// statistics), for every layer kind. The loss is L = Σ y·G with a fixed random G, so ∂L/∂y = G is what Backward gets.
/// </summary>
public sealed class GradientTests
{
    public static TheoryData<string> Models() => new()
    {
        nameof(ActSilu), nameof(ActGelu), nameof(ActGeluTanh), nameof(ActTanh), nameof(ActSigmoid), nameof(ActMish), nameof(ActElu), nameof(ActIdentity),
        nameof(C8to24K3S1P2D2), nameof(C16to32K3G4), nameof(C3to8K7S2P3), nameof(C6to9K3x1), nameof(C32to64K1S2P0),
        nameof(ResidualBlock), nameof(ProjectionShortcut), nameof(PoolingHead), nameof(AvgPoolNoPadCount), nameof(UntrackedBatchNorm),
        nameof(C17Depthwise), nameof(InputGradientShapes), nameof(DownsampleBlock),
        nameof(C24DepthwiseRows), nameof(C12to18K3G3Rows), nameof(DepthwiseResidualRows), nameof(C12DepthwiseWidth13), nameof(DepthwiseResidualWidth20),
        nameof(C24DepthwiseS2Rows), nameof(C12DepthwiseS2Width13), nameof(C10DepthwiseK5S2), nameof(C12to18K3G3S2), nameof(C9to4K3S2Width12),
    };

    private static Type Find(string name) => KernelTests.CaseTypes.Concat([typeof(UntrackedBatchNorm1d)]).Single(t => t.Name == name);

    private static double Loss(IFusedModel model, float[] input, int batch, double[] weights)
    {
        (int c, int h, int w) = ModelHarness.InputShape(model.GetType());
        Reference.Tensor[] outputs = Reference.Run(model, input, batch, c, h, w, training: true);
        double loss = 0;
        for (int n = 0; n < batch; n++)
        {
            for (int i = 0; i < outputs[n].Values.Length; i++)
            {
                loss += outputs[n].Values[i] * weights[n * model.OutputLength + i];
            }
        }

        return loss;
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void Parameter_gradients_match_finite_differences(string name)
    {
        const int Batch = 3;
        IFusedModel model = ModelHarness.Create(Find(name), seed: 11);
        float[] input = ModelHarness.RandomInput(model, Batch, seed: 12);
        var random = new SeededRandom(13);
        float[] outputGradient = new float[Batch * model.OutputLength];
        random.Fill(outputGradient, -1f, 1f);
        double[] weights = outputGradient.Select(v => (double)v).ToArray();

        foreach (Parameter p in model.Parameters()) { p.Gradient.Clear(); }
        model.Train();
        float[] output = new float[Batch * model.OutputLength];
        model.Forward(input, output, Batch);
        model.Backward(outputGradient);

        foreach (Parameter parameter in model.Parameters().ToArray())
        {
            float[] analytic = parameter.Gradient.ToArray();
            int[] picks = Enumerable.Range(0, 6).Select(_ => (int)(random.NextUInt64() % (ulong)parameter.Length)).Distinct().ToArray();
            foreach (int i in picks)
            {
                float original = parameter.Data[i];
                // small enough that ReLU kinks are rarely crossed; the double reference keeps the quotient exact to ~1e-9
                float step = 1e-5f * Math.Max(1f, Math.Abs(original));
                float up = original + step, down = original - step;
                parameter.Update(v => v[i] = up);
                double lossUp = Loss(model, input, Batch, weights);
                parameter.Update(v => v[i] = down);
                double lossDown = Loss(model, input, Batch, weights);
                parameter.Update(v => v[i] = original);
                double numeric = (lossUp - lossDown) / ((double)up - down);

                // float32 backward vs double central differences: 1e-3 relative, plus 1e-4 of the loss's output weights' scale
                double tolerance = 1e-3 * Math.Abs(numeric) + 1e-4;
                Assert.True(Math.Abs(analytic[i] - numeric) <= tolerance,
                    $"{name}: ∂L/∂{parameter.Name}[{i}] = {analytic[i]:R} by Backward, {numeric:R} by finite differences");
            }
        }
    }

    /// <summary>
    /// Backward keeps per-layer gradient buffers between calls and writes each one's first contribution over it instead
    /// of clearing it first: a second Backward over the same forward pass must give bit-identical parameter gradients,
    /// for models where a buffer has several contributions (residuals, a shared input, pooling, a linear head).
    /// </summary>
    [Theory]
    [InlineData(nameof(ResidualBlock))]
    [InlineData(nameof(ProjectionShortcut))]
    [InlineData(nameof(DownsampleBlock))]
    [InlineData(nameof(PoolingHead))]
    [InlineData(nameof(InputGradientShapes))]
    public void Backward_repeated_over_one_forward_gives_the_same_gradients(string name)
    {
        const int Batch = 2;
        IFusedModel model = ModelHarness.Create(Find(name), seed: 21);
        float[] input = ModelHarness.RandomInput(model, Batch, seed: 22);
        float[] outputGradient = new float[Batch * model.OutputLength];
        new SeededRandom(23).Fill(outputGradient, -1f, 1f);
        model.Train();
        model.Forward(input, new float[Batch * model.OutputLength], Batch);

        float[][] Gradients()
        {
            foreach (Parameter p in model.Parameters()) { p.Gradient.Clear(); }
            model.Backward(outputGradient);
            return model.Parameters().Select(p => p.Gradient.ToArray()).ToArray();
        }

        float[][] first = Gradients(), second = Gradients();
        Parameter[] parameters = model.Parameters().ToArray();
        for (int k = 0; k < parameters.Length; k++)
        {
            Assert.True(first[k].AsSpan().SequenceEqual(second[k]), $"{name}: ∂L/∂{parameters[k].Name} changed on the second Backward");
        }
    }

    /// <summary>
    /// Training state is laid out per batch size (outputs, kept z, gradients, padded inputs): after passes at other
    /// batch sizes, a forward and backward must give bit-identical outputs and gradients to a fresh model's,
    /// so nothing a larger or smaller batch left in the buffers (borders, gradients written rather than added) leaks in.
    /// </summary>
    [Theory]
    [InlineData(nameof(ResidualBlock))]
    [InlineData(nameof(DownsampleBlock))]
    [InlineData(nameof(PoolingHead))]
    public void Gradients_do_not_depend_on_earlier_batch_sizes(string name)
    {
        (float[][] Gradients, float[] Output) Step(IFusedModel model, int batch, ulong seed)
        {
            float[] input = ModelHarness.RandomInput(model, batch, seed);
            float[] output = new float[batch * model.OutputLength], outputGradient = new float[output.Length];
            new SeededRandom(seed + 1).Fill(outputGradient, -1f, 1f);
            foreach (Parameter p in model.Parameters()) { p.Gradient.Clear(); }
            model.Train();
            model.Forward(input, output, batch);
            model.Backward(outputGradient);
            return (model.Parameters().Select(p => p.Gradient.ToArray()).ToArray(), output);
        }

        // No optimiser step: the parameters stay as created, and batch statistics make the pass independent of the
        // running statistics the earlier batches moved. Only the buffers remember those batches.
        IFusedModel used = ModelHarness.Create(Find(name), seed: 31), fresh = ModelHarness.Create(Find(name), seed: 31);
        Step(used, 4, 40);
        Step(used, 5, 41); // more than the state holds: a new array
        Step(used, 3, 42);
        (float[][] afterOthers, float[] outputAfterOthers) = Step(used, 2, 43);
        (float[][] expected, float[] expectedOutput) = Step(fresh, 2, 43);

        Assert.True(outputAfterOthers.AsSpan().SequenceEqual(expectedOutput), $"{name}: the training forward changed with the history of batch sizes");
        Parameter[] parameters = used.Parameters().ToArray();
        for (int k = 0; k < parameters.Length; k++)
        {
            Assert.True(afterOthers[k].AsSpan().SequenceEqual(expected[k]), $"{name}: ∂L/∂{parameters[k].Name} changed with the history of batch sizes");
        }
    }

    [Fact]
    public void Forward_in_training_mode_matches_the_reference_with_batch_statistics()
    {
        foreach ((Type type, Kernels.KernelVariant variant) in new[] { typeof(ResidualBlock), typeof(PoolingHead), typeof(Fusion.Samples.TinyNetForTests) }
            .SelectMany(t => new[] { (t, Kernels.KernelVariant.Wide), (t, Kernels.KernelVariant.Narrow) }))
        {
            IFusedModel model = ModelHarness.Create(type);
            model.KernelVariant = variant;
            float[] input = ModelHarness.RandomInput(model, 4, seed: 2);
            float[] output = new float[4 * model.OutputLength];
            output.AsSpan().Fill(float.NaN);
            model.Train();
            model.Forward(input, output, 4);
            (int c, int h, int w) = ModelHarness.InputShape(type);
            Reference.Tensor[] expected = Reference.Run(model, input, 4, c, h, w, training: true);
            for (int n = 0; n < 4; n++)
            {
                for (int i = 0; i < model.OutputLength; i++)
                {
                    // batch statistics add a data-dependent normalisation: a relative 1e-4 of the output scale
                    double tolerance = 1e-4 * (1 + Math.Abs(expected[n].Values[i]));
                    Assert.True(Math.Abs(output[n * model.OutputLength + i] - expected[n].Values[i]) <= tolerance, $"{type.Name} sample {n} output {i}: {output[n * model.OutputLength + i]} vs {expected[n].Values[i]}");
                }
            }
        }
    }

    [Fact]
    public void Backward_without_a_training_forward_is_a_clear_error()
    {
        IFusedModel model = new ResidualBlock();
        var error = Assert.Throws<InvalidOperationException>(() => model.Backward(new float[model.OutputLength]));
        Assert.Contains("Train()", error.Message);
        model.Train();
        model.Forward(new float[2 * model.InputLength], new float[2 * model.OutputLength], 2);
        var wrong = Assert.Throws<ArgumentException>(() => model.Backward(new float[model.OutputLength]));
        Assert.Contains("batch 2", wrong.Message);
    }
}
