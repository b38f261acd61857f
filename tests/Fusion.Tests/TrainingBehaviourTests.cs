using System;
using System.Linq;
using System.Threading;
using Fusion.Normalization;
using Fusion.Samples;
using Fusion.Tests.Cases;
using Fusion.Training;
using Xunit;

namespace Fusion.Tests;

/// <summary>Training behaviour users rely on beyond the formulas: modes, frozen layers, guards, cancellation.</summary>
public sealed class TrainingBehaviourTests
{
    [Fact]
    public void Frozen_BatchNorm_gradients_match_finite_differences()
    {
        // BATCHNORM.md §5: eval-mode BatchNorm inside training. The reference honours Frozen, so GradientTests' check applies.
        IFusedModel model = ModelHarness.Create(typeof(ResidualBlock), seed: 2);
        foreach (BatchNorm bn in model.BatchNorms()) { bn.Frozen = true; }
        float[] input = ModelHarness.RandomInput(model, 2, seed: 3);
        float[] g = new float[2 * model.OutputLength];
        new SeededRandom(4).Fill(g, -1f, 1f);
        model.Train();
        model.Forward(input, new float[g.Length], 2);
        model.Backward(g);

        (int c, int h, int w) = ModelHarness.InputShape(typeof(ResidualBlock));
        double Loss() => Reference.Run(model, input, 2, c, h, w, training: true).SelectMany(t => t.Values).Zip(g, (y, gi) => y * gi).Sum();
        foreach (Parameter parameter in model.Parameters())
        {
            int i = parameter.Length / 3;
            float original = parameter.Data[i], step = 1e-5f * Math.Max(1f, Math.Abs(original));
            parameter.Update(v => v[i] = original + step);
            double up = Loss();
            parameter.Update(v => v[i] = original - step);
            double down = Loss();
            parameter.Update(v => v[i] = original);
            double numeric = (up - down) / ((double)(original + step) - (original - step));
            Assert.True(Math.Abs(parameter.Gradient[i] - numeric) <= 1e-3 * Math.Abs(numeric) + 1e-4, $"{parameter.Name}[{i}]: {parameter.Gradient[i]} vs {numeric}");
        }
    }

    [Fact]
    public void Eval_after_optimiser_steps_uses_refolded_weights()
    {
        IFusedModel model = ModelHarness.Create(typeof(ProjectionShortcut), seed: 3);
        float[] input = ModelHarness.RandomInput(model, 4, seed: 5);
        var sgd = new Sgd(model.Parameters(), 0.1f, momentum: 0.9f);
        float[] output = new float[4 * model.OutputLength];
        model.Train();
        for (int step = 0; step < 3; step++)
        {
            sgd.ZeroGrad();
            model.Forward(input, output, 4);
            model.Backward(output); // L = ½‖y‖²
            sgd.Step();
        }

        model.Eval();
        output.AsSpan().Fill(float.NaN);
        model.Forward(input, output, 4);
        ModelHarness.AssertMatchesReference(model, input, output, 4, "eval after training steps");
        Assert.All(model.BatchNorms(), bn => Assert.Equal(3, bn.NumBatchesTracked));
    }

    [Fact]
    public void A_non_finite_batch_leaves_the_running_statistics_alone()
    {
        IFusedModel model = ModelHarness.Create(typeof(ResidualBlock), seed: 3);
        float[] meanBefore = model.GetTensor("a.bn.running_mean").Data.ToArray();
        int rejected = 0;
        foreach (BatchNorm bn in model.BatchNorms()) { bn.NonFiniteBatch += (_, _) => rejected++; }
        float[] input = ModelHarness.RandomInput(model, 2, seed: 5);
        input[17] = float.NaN;

        model.Train();
        model.Forward(input, new float[2 * model.OutputLength], 2);

        Assert.Equal(2, rejected);
        Assert.Equal(meanBefore, model.GetTensor("a.bn.running_mean").Data.ToArray());
        Assert.All(model.BatchNorms(), bn => Assert.Equal(0, bn.NumBatchesTracked));
    }

    [Fact]
    public void Training_stops_when_cancelled_and_reports_progress_until_then()
    {
        var model = new ShapesCnnForTests(seed: 1);
        LabeledData data = ShapesDataset.Generate(200, seed: 1);
        using var cancellation = new CancellationTokenSource();
        int reports = 0;
        var progress = new InlineProgress(p =>
        {
            reports++;
            Assert.InRange(p.Accuracy, 0f, 1f);
            Assert.True(p.SamplesPerSecond > 0 && float.IsFinite(p.Loss));
            if (p.Batch == 3) { cancellation.Cancel(); }
        });

        Assert.Throws<OperationCanceledException>(() => Trainer.Fit(model, data, new Sgd(model.Parameters(), 0.01f), 2, 16, seed: 1, progress: progress, cancellationToken: cancellation.Token));
        Assert.Equal(3, reports);
    }

    [Fact]
    public void Trainer_refuses_data_of_the_wrong_sample_length()
    {
        var model = new ShapesCnnForTests();
        var error = Assert.Throws<ArgumentException>(() => Trainer.Fit(model, new LabeledData(new float[20], [0, 1], 10), new Sgd(model.Parameters(), 0.1f), 1, 2, 0));
        Assert.Contains("256", error.Message);
    }

    private sealed class InlineProgress(Action<TrainingProgress> report) : IProgress<TrainingProgress>
    {
        public void Report(TrainingProgress value) => report(value);
    }
}

/// <summary>The steady state of training allocates nothing: buffers are kept, scratch is pooled.</summary>
public sealed class TrainingAllocationTests
{
    [Fact]
    public void A_training_step_allocates_nothing_after_warm_up()
    {
        var model = new Fusion.Samples.TinyNetForTests(seed: 1);
        float[] input = ModelHarness.RandomInput(model, 8, seed: 2);
        float[] output = new float[8 * 10], gradient = new float[8 * 10];
        int[] labels = [0, 1, 2, 3, 4, 5, 6, 7];
        var sgd = new Sgd(model.Parameters(), 0.01f, momentum: 0.9f);
        model.Train();
        void Step()
        {
            sgd.ZeroGrad();
            model.Forward(input, output, 8);
            SoftmaxCrossEntropy.Compute(output, labels, 10, gradient);
            model.Backward(gradient);
            sgd.Step();
        }

        ModelHarness.WarmUp(Step);
        long before = GC.GetAllocatedBytesForCurrentThread();
        Step();
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
