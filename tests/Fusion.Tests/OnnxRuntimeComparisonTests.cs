using System;
using System.Linq;
using Fusion.Comparison;
using Fusion.Samples;
using Fusion.Tests.Cases;
using Microsoft.ML.OnnxRuntime;
using Xunit;

namespace Fusion.Tests;

/// <summary>
/// The same declared network, with the same weights and BatchNorm statistics, run by ONNX Runtime (opt level ALL)
/// and by Fusion's fused kernels: the two frameworks must agree. A check of semantics that a self-written
/// reference cannot give (padding, BatchNorm folding, residual placement, pooling conventions).
/// </summary>
public sealed class OnnxRuntimeComparisonTests
{
    public static TheoryData<string> Models() => new() { nameof(TinyNetForTests), nameof(ProjectionShortcut), nameof(PoolingHead), nameof(C3to8K7S2P3), nameof(C16to32K3G4), nameof(C8to24K3S1P2D2) };

    [Theory]
    [MemberData(nameof(Models))]
    public void Fusion_agrees_with_ONNX_Runtime(string name)
    {
        Type type = KernelTests.CaseTypes.Single(t => t.Name == name);
        IFusedModel model = ModelHarness.Create(type, seed: 4);
        const int Batch = 3;
        float[] input = ModelHarness.RandomInput(model, Batch, seed: 8);
        float[] fusion = new float[Batch * model.OutputLength];
        model.Forward(input, fusion, Batch);

        using var options = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL, IntraOpNumThreads = 1 };
        using var session = new InferenceSession(OnnxExport.Export(model), options);
        (int c, int h, int w) = ModelHarness.InputShape(type);
        using OrtValue inputValue = OrtValue.CreateTensorValueFromMemory(input, [Batch, c, h, w]);
        using var results = session.Run(new RunOptions(), ["input"], [inputValue], ["output"]);
        float[] onnx = results[0].GetTensorDataAsSpan<float>().ToArray();

        Assert.Equal(fusion.Length, onnx.Length);
        double scale = onnx.Max(v => Math.Abs(v));
        for (int i = 0; i < onnx.Length; i++)
        {
            // two float32 implementations with different summation orders and folding: 1e-5 of the output scale
            Assert.True(Math.Abs(fusion[i] - onnx[i]) <= 1e-5 * (1 + scale), $"{name} output {i}: Fusion {fusion[i]:R}, ONNX Runtime {onnx[i]:R}");
        }
    }
}
