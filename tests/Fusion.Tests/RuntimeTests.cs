using System;
using System.Linq;
using System.Runtime.Intrinsics;
using Fusion.Activations;
using Xunit;

namespace Fusion.Tests;

/// <summary>The runtime's primitives, each against its definition.</summary>
public sealed class RuntimeTests
{
    /// <summary>
    /// Packing runs after every optimiser step into the same buffer: whatever the buffer held before (NaN here) must
    /// not show, whether the output channels pad to whole vectors of 8 (they are cleared) or not (every value written).
    /// Each packed value is checked against the layout: [group][tile][channel block][kh][kw][channel in block][tile lanes].
    /// </summary>
    [Theory]
    [InlineData(16, 1, 3, true)]
    [InlineData(12, 1, 2, true)]
    [InlineData(24, 2, 3, false)]
    [InlineData(20, 2, 1, false)]
    public void PackConv_writes_every_value_over_what_the_buffer_held(int outChannels, int groups, int tileVectors, bool fold)
    {
        const int InChannels = 10, Kernel = 3;
        var changes = new ChangeCounter();
        var conv = new Conv2d("c", InChannels * groups / 2, outChannels, Kernel, Kernel, 1, 1, 1, 1, groups, bias: true, changes, new SeededRandom(1));
        var bn = new BatchNorm("bn", outChannels, 1e-5f, 0.1f, affine: true, trackRunningStats: true, changes);
        bn.Weight!.Update(w => new SeededRandom(2).Fill(w, 0.5f, 1.5f));
        var block = new ConvBlock("b", conv, bn);
        int outPerGroup = outChannels / groups, inPerGroup = conv.InChannels / groups, taps = Kernel * Kernel, padded = (outPerGroup + 7) / 8 * 8;
        float[] weights = Enumerable.Repeat(float.NaN, Kernels.Folding.PackedConvWeightLength(groups, outPerGroup, inPerGroup, Kernel, Kernel)).ToArray();
        float[] bias = Enumerable.Repeat(float.NaN, Kernels.Folding.PackedConvBiasLength(groups, outPerGroup)).ToArray();
        Kernels.Folding.PackConv(block, tileVectors, weights, bias, foldBatchNorm: fold);

        float[] scale = new float[outChannels], shift = new float[outChannels];
        for (int o = 0; o < outChannels; o++)
        {
            double s = fold ? bn.Weight!.Data[o] / Math.Sqrt(bn.RunningVar!.Data[o] + bn.Epsilon) : 1.0;
            scale[o] = (float)s;
            shift[o] = (float)(fold ? bn.Bias!.Data[o] - bn.RunningMean!.Data[o] * s : 0.0);
        }

        for (int g = 0; g < groups; g++)
        {
            for (int lane = 0; lane < padded; lane++)
            {
                int o = g * outPerGroup + lane;
                float expectedBias = lane < outPerGroup ? (float)(conv.Bias!.Data[o] * (double)scale[o] + shift[o]) : 0f;
                Close(expectedBias, bias[g * padded + lane]);
            }

            for (int v0 = 0; v0 < padded / 8; v0 += tileVectors)
            {
                int tileLanes = Math.Min(tileVectors, padded / 8 - v0) * 8, tileStart = (g * padded + v0 * 8) * inPerGroup * taps;
                for (int block0 = 0; block0 < inPerGroup; block0 += 8)
                {
                    int blockChannels = Math.Min(8, inPerGroup - block0), blockStart = tileStart + block0 * taps * tileLanes;
                    for (int tap = 0; tap < taps; tap++)
                    {
                        for (int ic = 0; ic < blockChannels; ic++)
                        {
                            for (int lane = 0; lane < tileLanes; lane++)
                            {
                                int local = v0 * 8 + lane, o = g * outPerGroup + local;
                                float expected = local < outPerGroup ? conv.Weight.Data[(o * inPerGroup + block0 + ic) * taps + tap] * scale[o] : 0f;
                                Close(expected, weights[blockStart + (tap * blockChannels + ic) * tileLanes + lane]);
                            }
                        }
                    }
                }
            }
        }
    }

    /// <summary>The stride-2 loads return every other float from the first (whichever instruction set runs them).</summary>
    [Fact]
    public unsafe void Strided_loads_return_every_other_float()
    {
        float[] data = Enumerable.Range(0, 42).Select(i => i * 1.5f - 7f).ToArray();
        fixed (float* p = data)
        {
            for (int start = 0; start < 9; start++)
            {
                Vector256<float> eight = Kernels.Strided.Evens8(p + start);
                Vector512<float> sixteen = Kernels.Strided.Evens16(p + start);
                Kernels.Strided.EvensOdds8(p + start, out Vector256<float> evens8, out Vector256<float> odds8);
                Kernels.Strided.EvensOdds16(p + start, out Vector512<float> evens16, out Vector512<float> odds16);
                for (int i = 0; i < 8; i++)
                {
                    Assert.Equal(data[start + 2 * i], eight[i]);
                    Assert.Equal(data[start + 2 * i], evens8[i]);
                    Assert.Equal(data[start + 2 * i + 1], odds8[i]);
                }

                for (int i = 0; i < 16; i++)
                {
                    Assert.Equal(data[start + 2 * i], sixteen[i]);
                    Assert.Equal(data[start + 2 * i], evens16[i]);
                    Assert.Equal(data[start + 2 * i + 1], odds16[i]);
                }
            }
        }
    }

    // Within float rounding of the reference's scale (NaN, what the buffer held, is never close).
    private static void Close(float expected, float actual)
        => Assert.True(Math.Abs(expected - actual) <= 1e-6f * Math.Max(1f, Math.Abs(expected)), $"expected {expected}, got {actual}");

    [Fact]
    public void SeededRandom_is_SplitMix64()
    {
        // Reference outputs of SplitMix64 seeded with 0 (Vigna's splitmix64.c).
        var random = new SeededRandom(0);
        Assert.Equal(0xE220A8397B1DCDAFUL, random.NextUInt64());
        Assert.Equal(0x6E789E6AA1B965F4UL, random.NextUInt64());
        Assert.Equal(0x06C45D188009454FUL, random.NextUInt64());
    }

    public static TheoryData<string> ActivationNames() => new() { "Identity", "Relu", "LeakyRelu", "Relu6", "Clamp", "Sigmoid", "Tanh", "Silu", "Gelu", "GeluTanh", "HardSwish", "HardSigmoid", "Elu", "Mish" };

    private static (IActivation Op, Func<double, double> Exact) Activation(string name) => name switch
    {
        "Identity" => (new Identity(), x => x),
        "Relu" => (new Relu(), x => Math.Max(x, 0)),
        "LeakyRelu" => (new LeakyRelu(0.05f), x => x >= 0 ? x : 0.05 * x),
        "Relu6" => (new Relu6(), x => Math.Clamp(x, 0, 6)),
        "Clamp" => (new Clamp(-1.5f, 2.5f), x => Math.Clamp(x, -1.5, 2.5)),
        "Sigmoid" => (new Sigmoid(), x => 1 / (1 + Math.Exp(-x))),
        "Tanh" => (new Tanh(), Math.Tanh),
        "Silu" => (new Silu(), x => x / (1 + Math.Exp(-x))),
        "Gelu" => (new Gelu(), x => 0.5 * x * (1 + Reference.Erf(x / Math.Sqrt(2)))),
        "GeluTanh" => (new GeluTanh(), x => 0.5 * x * (1 + Math.Tanh(Math.Sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x)))),
        "HardSwish" => (new HardSwish(), x => x * Math.Clamp(x + 3, 0, 6) / 6),
        "HardSigmoid" => (new HardSigmoid(), x => Math.Clamp(x + 3, 0, 6) / 6),
        "Elu" => (new Elu(1.3f), x => x > 0 ? x : 1.3 * (Math.Exp(x) - 1)),
        "Mish" => (new Mish(), x => x * Math.Tanh(Math.Log(1 + Math.Exp(x)))),
        _ => throw new ArgumentOutOfRangeException(nameof(name)),
    };

    /// <summary>
    /// Scalar and vector forms against the exact formula in double, from −100 to 100 and densely around 0:
    /// within 4 ulps relative plus 3e-7 absolute (the A&amp;S erf approximation's 1.5e-7, doubled by GELU's x/2·2).
    /// </summary>
    [Theory]
    [MemberData(nameof(ActivationNames))]
    public void Activation_matches_its_formula(string name)
    {
        (IActivation op, Func<double, double> exact) = Activation(name);
        float[] xs = Enumerable.Range(-4000, 8001).Select(i => i / 40f)
            .Concat(Enumerable.Range(-200, 401).Select(i => i * 1e-4f))
            .Concat([-100f, -88.5f, -20.5f, 20.5f, 88.5f, 100f, 1e-8f, -1e-8f, 0f])
            .ToArray();
        for (int i = 0; i + 8 <= xs.Length; i += 8)
        {
            Vector256<float> vector = op.Invoke(Vector256.Create(xs, i));
            for (int lane = 0; lane < 8; lane++)
            {
                float x = xs[i + lane];
                double expected = exact(x);
                double tolerance = 4 * 6e-8 * Math.Abs(expected) + 3e-7;
                float scalar = op.Invoke(x);
                Assert.True(Math.Abs(scalar - expected) <= tolerance, $"{name}({x:R}) scalar = {scalar:R}, exact {expected:R}");
                Assert.True(Math.Abs(vector[lane] - expected) <= tolerance, $"{name}({x:R}) vector = {vector[lane]:R}, exact {expected:R}");
            }
        }
    }

    [Fact]
    public void BatchNorm_eval_scale_and_shift_follow_the_formula()
    {
        var changes = new ChangeCounter();
        var bn = new BatchNorm("bn", 3, 1e-3f, 0.1f, affine: true, trackRunningStats: true, changes);
        bn.Weight!.CopyFrom([2f, 0.5f, -1f]);
        bn.Bias!.CopyFrom([0.1f, 0.2f, 0.3f]);
        bn.RunningMean!.CopyFrom([1f, -2f, 0f]);
        bn.RunningVar!.CopyFrom([4f, 0.25f, 1f]);
        float[] scale = new float[3], shift = new float[3];
        bn.GetEvalScaleShift(scale, shift);
        for (int c = 0; c < 3; c++)
        {
            double s = bn.Weight.Data[c] / Math.Sqrt(bn.RunningVar.Data[c] + 1e-3);
            Assert.Equal(s, scale[c], 6);
            Assert.Equal(bn.Bias.Data[c] - bn.RunningMean.Data[c] * s, shift[c], 6);
        }
    }

    [Fact]
    public void BatchNorm_without_affine_has_no_weight_or_bias()
    {
        var bn = new BatchNorm("x.bn", 4, 1e-5f, null, affine: false, trackRunningStats: true, new ChangeCounter());
        Assert.Null(bn.Weight);
        Assert.Null(bn.Bias);
        Assert.Null(bn.Momentum);
        Assert.Equal(new[] { "x.bn.running_mean", "x.bn.running_var" }, bn.Tensors.Select(t => t.Name));
    }

    [Fact]
    public void Every_edit_path_counts_as_a_change()
    {
        var changes = new ChangeCounter();
        var p = new Parameter("p", [2, 3], changes);
        long start = changes.Value;
        p.CopyFrom(new float[6]);
        p.Fill(1f);
        p.Update(v => v[0] = 2f);
        Assert.Equal(start + 3, changes.Value);
        Assert.Equal(new[] { 2f, 1, 1, 1, 1, 1 }, p.Data.ToArray());
    }

    [Theory]
    [InlineData(3, 5, 7, 1, 1)]
    [InlineData(2, 2, 1, 1, 1)]     // rows narrower than a vector: the between-rows store must not leave the buffer
    [InlineData(2, 4, 2, 2, 3)]
    [InlineData(1, 6, 30, 0, 2)]
    [InlineData(4, 3, 16, 2, 0)]
    [InlineData(2, 5, 9, 1, 5)]     // borders wider than half a vector: no single store covers them
    public unsafe void ZeroBorders_clears_every_border_float_and_nothing_outside_the_image(int channels, int height, int width, int padHeight, int padWidth)
    {
        int paddedWidth = width + 2 * padWidth, paddedHeight = height + 2 * padHeight, length = channels * paddedHeight * paddedWidth;
        const int guard = 16;
        float[] buffer = new float[guard + length + guard];
        new SeededRandom(3).Fill(buffer, 1f, 2f);
        float[] before = (float[])buffer.Clone();

        fixed (float* p = buffer)
        {
            Fusion.Kernels.Padding.ZeroBorders(p + guard, channels, height, width, padHeight, padWidth);
        }

        Assert.Equal(before.Take(guard), buffer.Take(guard));
        Assert.Equal(before.Skip(guard + length), buffer.Skip(guard + length));
        for (int i = 0; i < length; i++)
        {
            int x = i % paddedWidth, y = i / paddedWidth % paddedHeight;
            bool border = x < padWidth || x >= padWidth + width || y < padHeight || y >= padHeight + height;
            if (border)
            {
                Assert.True(buffer[guard + i] == 0f, $"border float {i} (row {y}, column {x}) is {buffer[guard + i]}");
            }
            else
            {
                // The interior is the kernel's to write next: left as it was, or cleared.
                Assert.True(buffer[guard + i] == before[guard + i] || buffer[guard + i] == 0f, $"interior float {i} became {buffer[guard + i]}");
            }
        }
    }
}
