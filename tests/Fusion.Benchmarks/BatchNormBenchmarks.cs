using System;
using BenchmarkDotNet.Attributes;
using Fusion.Activations;
using Fusion.Normalization;
using Fusion.Training;

namespace Fusion.Benchmarks;

/// <summary>
/// BatchNorm in training, unfused from a convolution: N=32, C=64, 56×56 (25.7 MB per tensor), ReLU after it, as in
/// ANCHORS.md's libtorch measurement (13.2–13.4 ms forward, 23.6–27.9 ms forward + backward, 4–5.5 GB/s).
/// Forward = batch statistics + normalise/activate; backward = BatchNorm and ReLU gradients.
/// </summary>
[MemoryDiagnoser]
public class BatchNormBenchmarks
{
    private const int N = 32, C = 64, Plane = 56 * 56;
    private float[] _z = null!, _kept = null!, _y = null!, _gradient = null!, _upstream = null!;
    private readonly ChannelStatistics[] _statistics = new ChannelStatistics[C];
    private readonly float[] _inverseStd = new float[C];
    private BatchNorm _batchNorm = null!;

    [GlobalSetup]
    public void Setup()
    {
        _z = new float[N * C * Plane];
        new SeededRandom(1).Fill(_z, -2f, 3f);
        _kept = new float[_z.Length];
        _y = new float[_z.Length];
        _gradient = new float[_z.Length];
        _upstream = new float[_z.Length];
        new SeededRandom(2).Fill(_upstream, -1f, 1f);
        _batchNorm = new BatchNorm("bn", C, 1e-5f, 0.1f, affine: true, trackRunningStats: true, new ChangeCounter());
    }

    [Benchmark(Baseline = true)]
    public void Forward()
    {
        Array.Clear(_statistics);
        Fusion.Kernels.BatchStatistics.Accumulate(_z, N, C, Plane, _statistics);
        _z.AsSpan().CopyTo(_kept);
        TrainingKernels.NormalizeAddActivate(_kept, _y, default, _batchNorm, _statistics, _inverseStd, true, N, C, Plane, default(Relu));
    }

    [Benchmark]
    public void ForwardAndBackward()
    {
        Forward();
        _upstream.AsSpan().CopyTo(_gradient);
        TrainingKernels.NormalizeAddActivateBackward(_kept, _gradient, default, default, _batchNorm, _inverseStd, true, N, C, Plane, default(Relu));
    }
}
