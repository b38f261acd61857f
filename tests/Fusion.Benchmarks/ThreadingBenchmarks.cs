using System;
using BenchmarkDotNet.Attributes;
using Fusion.Comparison;
using Microsoft.ML.OnnxRuntime;

namespace Fusion.Benchmarks;

/// <summary>The machine's two cores: Fusion with one and two threads (batches split by image, one image by rows), ONNX Runtime with two.</summary>
[MemoryDiagnoser]
[Config(typeof(GflopsConfig))]
public class ThreadingBenchmarks
{
    private IFusedModel _model = null!;
    private float[] _input = null!, _output = null!, _onnxOutput = null!;
    private int _batch;
    private InferenceSession _session = null!;
    private OrtValue[] _inputs = null!, _outputs = null!;
    private readonly string[] _inputNames = ["input"], _outputNames = ["output"];
    private RunOptions _runOptions = null!;

    [ParamsSource(typeof(InferenceBenchmarks), nameof(InferenceBenchmarks.CaseNames))]
    public string Case { get; set; } = "S3";

    [GlobalSetup]
    public void Setup()
    {
        (Func<IFusedModel> create, _batch, _) = InferenceBenchmarks.Cases[Case];
        _model = create();
        _input = new float[_batch * _model.InputLength];
        new SeededRandom(1).Fill(_input, -1f, 1f);
        _output = new float[_batch * _model.OutputLength];
        _onnxOutput = new float[_output.Length];
        var attribute = (FusedModelAttribute)Attribute.GetCustomAttribute(_model.GetType(), typeof(FusedModelAttribute))!;
        _session = new InferenceSession(OnnxExport.Export(_model), new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL, IntraOpNumThreads = 2 });
        long[] outputShape = [_batch, .. _session.OutputMetadata["output"].Dimensions[1..]];
        _inputs = [OrtValue.CreateTensorValueFromMemory(_input, [_batch, attribute.InputChannels, attribute.InputHeight, attribute.InputWidth])];
        _outputs = [OrtValue.CreateTensorValueFromMemory(_onnxOutput, outputShape)];
        _runOptions = new RunOptions();
    }

    [Benchmark(Baseline = true)]
    public void FusionOneThread()
    {
        _model.Threads = 1;
        _model.Forward(_input, _output, _batch);
    }

    [Benchmark]
    public void FusionTwoThreads()
    {
        _model.Threads = 2;
        _model.Forward(_input, _output, _batch);
    }

    [Benchmark]
    public void OnnxRuntimeTwoThreads() => _session.Run(_runOptions, _inputNames, _inputs, _outputNames, _outputs);
}
