using System;
using System.Diagnostics;
using System.Linq;
using Fusion.Samples;
using Fusion.Training;
using Xunit;
using Xunit.Abstractions;

namespace Fusion.Tests;

/// <summary>A small CNN declared with the attributes learns the generated shapes task; a linear model cannot.</summary>
public sealed class EndToEndTrainingTests(ITestOutputHelper output)
{
    private static readonly LabeledData Train = ShapesDataset.Generate(3000, seed: 1);
    private static readonly LabeledData HeldOut = ShapesDataset.Generate(1000, seed: 2);

    [Fact]
    public void The_CNN_learns_the_shapes_and_a_linear_model_does_clearly_worse()
    {
        var timer = Stopwatch.StartNew();
        var cnn = new ShapesCnnForTests(seed: 7);
        var sgd = new Sgd(cnn.Parameters(), 0.05f, momentum: 0.9f, nesterov: true, weightDecay: 5e-4f, scope: WeightDecayScope.NoDecayOnNormAndBias);
        var history = Trainer.Fit(cnn, Train, sgd, epochs: 6, batchSize: 32, seed: 3, schedule: new CosineSchedule(0.05f, 6));
        float cnnAccuracy = Trainer.Evaluate(cnn, HeldOut);

        var linear = new ShapesLinearForTests(seed: 7);
        var adam = new AdamW(linear.Parameters(), 0.01f, weightDecay: 0f);
        Trainer.Fit(linear, Train, adam, epochs: 6, batchSize: 32, seed: 3);
        float linearAccuracy = Trainer.Evaluate(linear, HeldOut);
        output.WriteLine($"CNN {cnnAccuracy:P1} held out (losses {string.Join(", ", history.Select(h => h.Loss.ToString("F3")))}), linear {linearAccuracy:P1}, {timer.Elapsed.TotalSeconds:F1} s");

        Assert.True(history[^1].Loss < history[0].Loss / 3, "the training loss should fall");
        Assert.True(cnnAccuracy >= 0.95f, $"CNN held-out accuracy {cnnAccuracy:P1}");
        Assert.True(linearAccuracy <= cnnAccuracy - 0.2f, $"linear {linearAccuracy:P1} vs CNN {cnnAccuracy:P1}");
    }

    [Fact]
    public void Training_is_deterministic_for_a_seed()
    {
        LabeledData small = ShapesDataset.Generate(256, seed: 9);
        float[] Run()
        {
            var model = new ShapesCnnForTests(seed: 5);
            Trainer.Fit(model, small, new Sgd(model.Parameters(), 0.05f, momentum: 0.9f), epochs: 1, batchSize: 32, seed: 4);
            return model.StateDict().SelectMany(t => t.Data.ToArray()).ToArray();
        }

        Assert.Equal(Run(), Run());
    }
}

[FusedModel(InputChannels = 1, InputHeight = 16, InputWidth = 16)]
public partial class ShapesCnnForTests
{
    [Conv2d(16, Kernel = 3, Padding = 1, Bias = false), BatchNorm, Relu] public partial ConvBlock Stem { get; }
    [Conv2d(32, Kernel = 3, Stride = 2, Padding = 1, Bias = false), BatchNorm, Relu] public partial ConvBlock Down1 { get; }
    [Conv2d(32, Kernel = 3, Padding = 1, Bias = false), BatchNorm, Residual(nameof(Down1)), Relu] public partial ConvBlock Block1 { get; }
    [Conv2d(64, Kernel = 3, Stride = 2, Padding = 1, Bias = false), BatchNorm, Relu] public partial ConvBlock Down2 { get; }
    [GlobalAvgPool] public partial PoolLayer Pool { get; }
    [Linear(10)] public partial LinearBlock Head { get; }
}

[FusedModel(InputChannels = 1, InputHeight = 16, InputWidth = 16)]
public partial class ShapesLinearForTests
{
    [Flatten] public partial FlattenLayer Flat { get; }
    [Linear(10)] public partial LinearBlock Head { get; }
}
