using System;
using BenchmarkDotNet.Attributes;
using Fusion.Activations;
using Fusion.Normalization;
using Fusion.Training;

namespace Fusion.Benchmarks;

/// <summary>
/// BatchNorm in training, unfused from a convolution: N=32, C=64, 56×56 (25.7 MB per tensor), ReLU after it, as in
/// ANCHORS.md's libtorch measurement (13.2–13.4 ms forward, 23.6–27.9 ms forward + backward, 4–5.5 GB/s).
/// Forward = batch statistics + normalise/activate; backward = BatchNorm and ReLU gradients, as a training step runs
/// them: the forward pass reads the convolution's output z and writes y (z is kept; the backward pass recomputes x̂
/// from it), the backward pass writes dz over the incoming gradient. Traffic per iteration, in tensors of 25.7 MB:
/// forward 3 (statistics: read z; normalise: read z, write y), backward 4 more (sums: read z and g; dz: read z and
/// g, write g). The incoming gradient is restored before each backward iteration, untimed: dz of dz of … shrinks by
/// about a third per pass and would reach denormals (then zeros) within a few hundred iterations.
/// </summary>
[MemoryDiagnoser]
public class BatchNormBenchmarks
{
    private const int N = 32, C = 64, Plane = 56 * 56;
    private float[] _z = null!, _y = null!, _gradient = null!, _incoming = null!;
    private readonly ChannelStatistics[] _statistics = new ChannelStatistics[C];
    private readonly float[] _mean = new float[C], _inverseStd = new float[C];
    private BatchNorm _batchNorm = null!;

    [GlobalSetup]
    public void Setup()
    {
        _z = new float[N * C * Plane];
        new SeededRandom(1).Fill(_z, -2f, 3f);
        _y = new float[_z.Length];
        _incoming = new float[_z.Length];
        new SeededRandom(2).Fill(_incoming, -1f, 1f);
        _gradient = (float[])_incoming.Clone();
        _batchNorm = new BatchNorm("bn", C, 1e-5f, 0.1f, affine: true, trackRunningStats: true, new ChangeCounter());
    }

    [Benchmark(Baseline = true)]
    public void Forward()
    {
        Array.Clear(_statistics);
        Fusion.Kernels.BatchStatistics.Accumulate(_z, N, C, Plane, _statistics);
        TrainingKernels.NormalizeAddActivate(_z, _y, default, _batchNorm, _statistics, _mean, _inverseStd, true, N, C, Plane, default(Relu));
    }

    [IterationSetup(Target = nameof(ForwardAndBackward))]
    public void RestoreGradient() => _incoming.CopyTo(_gradient);

    [Benchmark]
    public void ForwardAndBackward()
    {
        Forward();
        TrainingKernels.NormalizeAddActivateBackward(_z, _gradient, default, default, _batchNorm, _mean, _inverseStd, true, N, C, Plane, default(Relu));
    }
}
