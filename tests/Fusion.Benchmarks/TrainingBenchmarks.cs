using System;
using BenchmarkDotNet.Attributes;
using Fusion.Benchmarks.Shapes;
using Fusion.Training;

namespace Fusion.Benchmarks;

/// <summary>
/// One training step of TinyNet at batch 8 (zero gradients, training-mode forward with batch statistics, softmax
/// cross-entropy, backward, SGD step) against the same model's inference forward: the step's cost in forwards.
/// <see cref="ForwardBackward"/> is the step as the performance issue defines it (training forward with statistics,
/// loss and backward; no optimiser, so the weights and their packed copies stay as they are and the gradients keep
/// accumulating, which changes no work).
/// </summary>
[MemoryDiagnoser]
public class TrainingBenchmarks
{
    private const int Batch = 8;
    private TinyNet _model = null!;
    private Sgd _optimizer = null!;
    private float[] _input = null!, _output = null!, _gradient = null!;
    private int[] _labels = null!;

    [GlobalSetup]
    public void Setup()
    {
        _model = new TinyNet(seed: 1);
        _optimizer = new Sgd(_model.Parameters(), 0.01f, momentum: 0.9f);
        _input = new float[Batch * TinyNet.InputLength];
        new SeededRandom(2).Fill(_input, -1f, 1f);
        _output = new float[Batch * TinyNet.OutputLength];
        _gradient = new float[_output.Length];
        _labels = [0, 1, 2, 3, 4, 5, 6, 7];
    }

    [Benchmark(Baseline = true)]
    public void InferenceForward()
    {
        _model.Eval();
        _model.Forward(_input, _output, Batch);
    }

    [Benchmark]
    public float ForwardBackward()
    {
        _model.Train();
        _model.Forward(_input, _output, Batch);
        float loss = SoftmaxCrossEntropy.Compute(_output, _labels, TinyNet.OutputLength, _gradient);
        _model.Backward(_gradient);
        return loss;
    }

    [Benchmark]
    public float TrainingStep()
    {
        _model.Train();
        _optimizer.ZeroGrad();
        _model.Forward(_input, _output, Batch);
        float loss = SoftmaxCrossEntropy.Compute(_output, _labels, TinyNet.OutputLength, _gradient);
        _model.Backward(_gradient);
        _optimizer.Step();
        return loss;
    }
}
