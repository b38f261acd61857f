using System;
using System.Linq;
using Fusion.Training;
using Xunit;

namespace Fusion.Tests;

/// <summary>Losses, optimisers and schedules against their PyTorch formulas, written out here in double.</summary>
public sealed class OptimizerTests
{
    private static Parameter Make(string name, params float[] values)
    {
        var p = new Parameter(name, [values.Length], new ChangeCounter());
        p.CopyFrom(values);
        return p;
    }

    [Fact]
    public void Cross_entropy_and_its_gradient_match_the_definition()
    {
        float[] logits = [2f, -1f, 0.5f, 1000f, 999f, -1000f];   // the second row would overflow a naive exp
        int[] labels = [0, 1];
        float[] gradient = new float[6];

        float loss = SoftmaxCrossEntropy.Compute(logits, labels, 3, gradient);

        double expected = 0;
        for (int n = 0; n < 2; n++)
        {
            double[] row = logits.Skip(n * 3).Take(3).Select(v => (double)v).ToArray();
            double max = row.Max();
            double[] p = row.Select(v => Math.Exp(v - max)).ToArray();
            double z = p.Sum();
            expected -= Math.Log(p[labels[n]] / z);
            for (int k = 0; k < 3; k++)
            {
                Assert.Equal((p[k] / z - (k == labels[n] ? 1 : 0)) / 2, gradient[n * 3 + k], 6);
            }
        }

        Assert.Equal(expected / 2, loss, 5);
        Assert.Equal(1, SoftmaxCrossEntropy.CountCorrect(logits, labels, 3));
        Assert.Throws<ArgumentException>(() => SoftmaxCrossEntropy.Compute(logits, [0, 3], 3, gradient));
    }

    [Fact]
    public void Mean_squared_error_and_its_gradient()
    {
        float[] gradient = new float[3];
        float loss = MeanSquaredError.Compute([1f, 2f, 4f], [1f, 0f, 1f], gradient);
        Assert.Equal((0 + 4 + 9) / 3f, loss, 6);
        Assert.Equal(new[] { 0f, 4f / 3, 2f }, gradient);
    }

    [Theory]
    [InlineData(0f, false, 0f)]
    [InlineData(0.9f, false, 0f)]
    [InlineData(0.9f, true, 0f)]
    [InlineData(0.9f, true, 0.01f)]
    public void Sgd_follows_torch_optim_SGD(float momentum, bool nesterov, float decay)
    {
        // 19 values: two vectors of eight and a scalar tail, each checked against the definition in double.
        const int Length = 19;
        var random = new SeededRandom(3);
        float[] initial = new float[Length];
        random.Fill(initial, -2f, 2f);
        Parameter p = Make("w", initial);
        var sgd = new Sgd([p], learningRate: 0.1f, momentum, nesterov, decay);
        double[] value = initial.Select(v => (double)v).ToArray(), buffer = new double[Length];
        for (int step = 0; step < 3; step++)
        {
            float[] gradient = new float[Length];
            random.Fill(gradient, -1f, 1f);
            gradient.CopyTo(p.Gradient);
            sgd.Step();
            for (int j = 0; j < Length; j++)
            {
                double g = gradient[j] + decay * value[j];
                if (momentum != 0)
                {
                    buffer[j] = step == 0 ? g : momentum * buffer[j] + g;
                    g = nesterov ? g + momentum * buffer[j] : buffer[j];
                }

                value[j] -= 0.1 * g;
                Assert.Equal(value[j], p.Data[j], 5);
            }
        }
    }

    [Fact]
    public void AdamW_follows_torch_optim_AdamW()
    {
        Parameter p = Make("w", 0.5f);
        var adam = new AdamW([p], learningRate: 0.01f, weightDecay: 0.1f);
        double value = 0.5, m = 0, v = 0;
        double[] gradients = [0.2, -0.4, 0.1, 0.05];
        for (int t = 1; t <= gradients.Length; t++)
        {
            p.Gradient[0] = (float)gradients[t - 1];
            adam.Step();
            value -= 0.01 * 0.1 * value;
            m = 0.9 * m + 0.1 * gradients[t - 1];
            v = 0.999 * v + 0.001 * gradients[t - 1] * gradients[t - 1];
            value -= 0.01 * (m / (1 - Math.Pow(0.9, t))) / (Math.Sqrt(v / (1 - Math.Pow(0.999, t))) + 1e-8);
            Assert.Equal(value, p.Data[0], 5);
        }
    }

    [Fact]
    public void Weight_decay_can_spare_BatchNorm_and_biases()
    {
        Parameter weight = Make("stem.conv.weight", 1f), bias = Make("head.linear.bias", 1f), gamma = Make("stem.bn.weight", 1f);
        var sgd = new Sgd([weight, bias, gamma], 0.1f, weightDecay: 0.5f, scope: WeightDecayScope.NoDecayOnNormAndBias);
        sgd.Step(); // zero gradients: only decay moves parameters
        Assert.Equal(1f - 0.1f * 0.5f, weight.Data[0], 6);
        Assert.Equal(1f, bias.Data[0]);
        Assert.Equal(1f, gamma.Data[0]);
    }

    [Fact]
    public void Optimisers_skip_buffers_and_mark_the_model_changed()
    {
        var changes = new ChangeCounter();
        var weight = new Parameter("w", [1], changes);
        var runningMean = new Parameter("bn.running_mean", [1], changes, learnable: false);
        var sgd = new Sgd([weight, runningMean], 0.1f);
        long before = changes.Value;
        weight.Gradient[0] = 1f;
        sgd.Step();
        Assert.Equal(-0.1f, weight.Data[0]);
        Assert.True(changes.Value > before);
        Assert.Throws<InvalidOperationException>(() => runningMean.Gradient.Length);
    }

    [Fact]
    public void Schedules_follow_StepLR_and_CosineAnnealingLR()
    {
        var step = new StepSchedule(0.1f, stepSize: 3, gamma: 0.5f);
        Assert.Equal(new[] { 0.1f, 0.1f, 0.1f, 0.05f, 0.05f, 0.05f, 0.025f }, Enumerable.Range(0, 7).Select(step.At).Select(v => MathF.Round(v, 6)));
        var cosine = new CosineSchedule(1f, epochs: 4, minimumRate: 0.2f);
        Assert.Equal(1f, cosine.At(0), 6);
        Assert.Equal(0.6f, cosine.At(2), 6);
        Assert.Equal(0.2f, cosine.At(4), 6);
    }
}
