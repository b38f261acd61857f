using System;
using System.Linq;
using Fusion.Kernels;
using Fusion.Tests.Cases;
using Xunit;

namespace Fusion.Tests;

/// <summary>
/// Every generated kernel kind against the naive double-precision reference, over the table of declared cases in
/// KernelCases.cs, at batch 1 and 3. Outputs are pre-filled with NaN so that an output a kernel never writes fails.
/// The tolerance is <see cref="Reference.Tolerance"/>: the float32 dot-product error bound, not a tuned constant.
/// </summary>
public sealed class KernelTests
{
    public static readonly Type[] CaseTypes =
    [
        typeof(C3to16K3S1P1), typeof(C1to1K3S1P0), typeof(C5to17K5S1P2), typeof(C17to5K3S2P1), typeof(C64to64K3S1P1),
        typeof(C16to40K1S1P0), typeof(C32to64K1S2P0), typeof(C3to8K7S2P3), typeof(C8to24K3S1P2D2), typeof(C16to32K3G4),
        typeof(C17Depthwise), typeof(C32DepthwiseS2), typeof(C24DepthwiseRows), typeof(C10DepthwiseK5D2Rows), typeof(C12to18K3G3Rows), typeof(DepthwiseResidualRows), typeof(C12DepthwiseWidth13), typeof(C9to4K3Width11), typeof(C24DepthwiseS2Rows), typeof(C12DepthwiseS2Width13), typeof(C10DepthwiseK5S2), typeof(C12to18K3G3S2), typeof(C9to4K3S2Width12), typeof(DepthwiseResidualWidth20), typeof(C6to12K1x3), typeof(C6to9K3x1), typeof(C4to8K5S1P3),
        typeof(C3to48K3TinyImage), typeof(C9to33K3Wide), typeof(C2to32K3Wide600), typeof(C13PointwiseTails),
        typeof(C7to13RowTails), typeof(C9to20K3D2Row8), typeof(C17to40K1x5Rows), typeof(C6to24K5RowsThenValid),
        typeof(C5to20PointwiseVectorTails), typeof(DownsampleBlock), typeof(ChannelTileThreads), typeof(C20to36K3TooLargeForOneRowTile), typeof(PoolThenBlock), typeof(InputGradientShapes),
        typeof(ActIdentity), typeof(ActLeakyRelu), typeof(ActClamp), typeof(ActSigmoid), typeof(ActTanh), typeof(ActSilu),
        typeof(ActGelu), typeof(ActGeluTanh), typeof(ActHardSwish), typeof(ActHardSigmoid), typeof(ActElu), typeof(ActMish),
        typeof(ActRelu6),
        typeof(ResidualBlock), typeof(ProjectionShortcut), typeof(PoolingHead), typeof(AvgPoolNoPadCount),
        typeof(Fusion.Samples.TinyNetForTests), typeof(UntrackedBatchNorm),
    ];

    public static TheoryData<string, int, KernelVariant> Cases()
    {
        var data = new TheoryData<string, int, KernelVariant>();
        foreach (Type type in CaseTypes)
        {
            foreach (KernelVariant variant in new[] { KernelVariant.Wide, KernelVariant.Narrow })
            {
                data.Add(type.Name, 1, variant);
                data.Add(type.Name, 3, variant);
            }
        }

        return data;
    }

    public static TheoryData<string, int> UnfusedCases()
    {
        var data = new TheoryData<string, int>();
        foreach (Type type in CaseTypes)
        {
            data.Add(type.Name, 1);
            data.Add(type.Name, 3);
        }

        return data;
    }

    private static Type Find(string name) => CaseTypes.Single(t => t.Name == name);

    [Theory]
    [MemberData(nameof(Cases))]
    public void Fused_forward_matches_the_reference(string name, int batch, KernelVariant variant)
        => AssertPathMatchesReference(name, batch, variant, "fused", seed: 5, (model, input, output) => model.Forward(input, output, batch));

    [Theory]
    [MemberData(nameof(UnfusedCases))]
    public void Unfused_forward_matches_the_reference(string name, int batch)
    {
        IFusedModel model = ModelHarness.Create(Find(name));
        float[] input = ModelHarness.RandomInput(model, batch, seed: 6);
        float[] output = new float[batch * model.OutputLength];
        output.AsSpan().Fill(float.NaN);

        model.ForwardUnfused(input, output, batch);

        ModelHarness.AssertMatchesReference(model, input, output, batch, "unfused");
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Generic_forward_matches_the_reference(string name, int batch, KernelVariant variant)
        => AssertPathMatchesReference(name, batch, variant, "generic", seed: 7, (model, input, output) => model.ForwardGeneric(input, output, batch));

    // Forward writes a convolution's output straight into the zero-bordered layout its readers' padding needs; the
    // generic and unfused paths lay plain tensors over the same pooled workspace, so Forward must zero the borders again.
    [Theory]
    [InlineData(nameof(C7to13RowTails))]
    [InlineData(nameof(ResidualBlock))]
    [InlineData(nameof(ProjectionShortcut))]
    public void Forward_zeroes_the_borders_of_its_padded_buffers_after_other_paths_reused_them(string name)
    {
        IFusedModel model = ModelHarness.Create(Find(name));
        const int batch = 3;
        float[] input = ModelHarness.RandomInput(model, batch, seed: 8), other = ModelHarness.RandomInput(model, batch, seed: 9);
        float[] first = new float[batch * model.OutputLength], again = new float[first.Length], scratch = new float[first.Length];
        model.Forward(input, first, batch);

        model.ForwardUnfused(other, scratch, batch);
        model.ForwardGeneric(other, scratch, batch);
        model.Forward(input, again, batch);

        Assert.Equal(first, again);
        ModelHarness.AssertMatchesReference(model, input, again, batch, "fused after the other paths");
    }

    // Forward clears those borders only when the pooled array may not hold them: the first call, another batch size
    // (whose buffers sit elsewhere in the array, so its interiors overlap this layout's borders), or after a training
    // forward (which pads its inputs in the same array). Every call must still match the reference.
    [Theory]
    [InlineData(nameof(C7to13RowTails))]
    [InlineData(nameof(ResidualBlock))]
    [InlineData(nameof(ProjectionShortcut))]
    [InlineData(nameof(DownsampleBlock))]
    [InlineData(nameof(PoolThenBlock))]
    public void Forward_keeps_its_zero_borders_across_calls_batch_sizes_and_training(string name)
    {
        IFusedModel model = ModelHarness.Create(Find(name));
        float[] three = ModelHarness.RandomInput(model, 3, seed: 10), two = ModelHarness.RandomInput(model, 2, seed: 11);
        float[] first = new float[3 * model.OutputLength], output = new float[first.Length], small = new float[2 * model.OutputLength];
        model.Forward(three, first, 3);
        ModelHarness.AssertMatchesReference(model, three, first, 3, "fused, first call");

        model.Forward(three, output, 3);
        Assert.Equal(first, output);

        model.Forward(two, small, 2);
        ModelHarness.AssertMatchesReference(model, two, small, 2, "fused, another batch size");

        model.Forward(three, output, 3);
        Assert.Equal(first, output);

        model.Train();
        model.Forward(two, small, 2);
        model.Forward(three, output, 3);
        model.Eval();
        model.Forward(three, output, 3);
        ModelHarness.AssertMatchesReference(model, three, output, 3, "fused after training forwards");
    }

    // Both register-tile variants run, whatever the machine: the choice changes speed, never results.
    private static void AssertPathMatchesReference(string name, int batch, KernelVariant variant, string path, ulong seed, Action<IFusedModel, float[], float[]> forward)
    {
        IFusedModel model = ModelHarness.Create(Find(name));
        model.KernelVariant = variant;
        float[] input = ModelHarness.RandomInput(model, batch, seed);
        float[] output = new float[batch * model.OutputLength];
        output.AsSpan().Fill(float.NaN);

        forward(model, input, output);

        ModelHarness.AssertMatchesReference(model, input, output, batch, path);
    }

    [Theory]
    [InlineData(2)]
    [InlineData(5)]
    public void BatchNorm1d_with_batch_statistics_matches_the_reference(int batch)
    {
        IFusedModel model = ModelHarness.Create(typeof(UntrackedBatchNorm1d));
        float[] input = ModelHarness.RandomInput(model, batch, seed: 3);
        foreach (bool fused in new[] { true, false })
        {
            float[] output = new float[batch * model.OutputLength];
            output.AsSpan().Fill(float.NaN);
            if (fused) { model.Forward(input, output, batch); } else { model.ForwardUnfused(input, output, batch); }
            ModelHarness.AssertMatchesReference(model, input, output, batch, fused ? "fused" : "unfused");
        }
    }

    [Fact]
    public void Batch_statistics_over_a_single_value_are_refused_before_any_work()
    {
        IFusedModel model = ModelHarness.Create(typeof(UntrackedBatchNorm1d));
        float[] output = new float[model.OutputLength];
        output.AsSpan().Fill(float.NaN);
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => model.Forward(new float[model.InputLength], output, 1));
        Assert.Contains("Hidden", error.Message);
        Assert.Contains("at least 2", error.Message);
        Assert.All(output, v => Assert.True(float.IsNaN(v)));
    }

    [Fact]
    public void Large_inputs_do_not_overflow_the_transcendental_activations()
    {
        // ±80 after BatchNorm reaches exp's overflow range: sigmoid, SiLU, tanh, GELU, ELU and Mish must stay finite and exact.
        foreach (Type type in new[] { typeof(ActSigmoid), typeof(ActSilu), typeof(ActTanh), typeof(ActGelu), typeof(ActGeluTanh), typeof(ActElu), typeof(ActMish) })
        {
            IFusedModel model = ModelHarness.Create(type);
            float[] input = ModelHarness.RandomInput(model, 1, seed: 9).Select(v => v * 80f).ToArray();
            float[] output = new float[model.OutputLength];
            output.AsSpan().Fill(float.NaN);
            model.Forward(input, output, 1);
            Assert.All(output, v => Assert.True(float.IsFinite(v), $"{type.Name} produced {v}"));
            ModelHarness.AssertMatchesReference(model, input, output, 1, "fused, inputs ×80");
        }
    }
}
