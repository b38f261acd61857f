using System;
using System.Collections.Generic;
using System.Linq;
using System.Runtime.Intrinsics;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using Fusion.Benchmarks.Shapes;
using Fusion.Comparison;
using Microsoft.ML.OnnxRuntime;

namespace Fusion.Benchmarks;

/// <summary>
/// Fused inference on the anchor shapes S1–S6 and TinyNet, one thread, NCHW in and out, against the same model's
/// unfused three-pass path. GFLOP/s counts conv FLOPs (2·N·Cout·Hout·Wout·Cin/groups·k²) as ANCHORS.md does.
/// ONNX Runtime runs the same network with the same weights in the same process (opt level ALL, one thread):
/// its Ratio is its time over Fusion's, so above 1 means Fusion is faster.
/// </summary>
[MemoryDiagnoser]
[Config(typeof(GflopsConfig))]
public class InferenceBenchmarks
{
    public static readonly Dictionary<string, (Func<IFusedModel> Create, int Batch, double Flops)> Cases = new()
    {
        ["S1"] = (() => new S1(), 1, 2.0 * 16 * 32 * 32 * 3 * 9),
        ["S2"] = (() => new S2(), 1, 2.0 * 32 * 32 * 32 * 16 * 9),
        ["S3"] = (() => new S3(), 8, 2.0 * 8 * 64 * 56 * 56 * 64 * 9),
        ["S4"] = (() => new S4(), 1, 2.0 * 128 * 28 * 28 * 128 * 9),
        ["S5"] = (() => new S5(), 1, 2.0 * 64 * 56 * 56 * 32),
        ["S6"] = (() => new S6(), 1, 2.0 * 128 * 28 * 28 * 64 * 9),
        ["Depthwise112"] = (() => new Depthwise112(), 1, 2.0 * 32 * 112 * 112 * 9),
        ["Depthwise28"] = (() => new Depthwise28(), 1, 2.0 * 256 * 28 * 28 * 9),
        ["DepthwiseS2"] = (() => new DepthwiseS2(), 1, 2.0 * 64 * 56 * 56 * 9),
        ["OddRows"] = (() => new OddRows(), 1, 2.0 * 36 * 17 * 23 * 20 * 9),
        ["TinyNet-b1"] = (() => new TinyNet(), 1, TinyNetFlops),
        ["TinyNet-b8"] = (() => new TinyNet(), 8, 8 * TinyNetFlops),
        ["ResNet18-b1"] = (() => new ResNet18(), 1, 3.63e9),
        ["ResNet18-b8"] = (() => new ResNet18(), 8, 8 * 3.63e9),
    };

    private const double TinyNetFlops = 2.0 * (16 * 32 * 32 * 27 + 32 * 16 * 16 * 144 + 32 * 16 * 16 * 288 + 64 * 8 * 8 * 288 + 64 * 8 * 8 * 576 + 128 * 8 * 8 * 64);

    private IFusedModel _model = null!;
    private float[] _input = null!, _output = null!, _onnxOutput = null!;
    private int _batch;
    private InferenceSession _session = null!;
    private OrtValue _onnxInput = null!, _onnxOutputValue = null!;
    private RunOptions _runOptions = null!;
    private string[] _inputNames = ["input"], _outputNames = ["output"];
    private OrtValue[] _inputValues = null!, _outputValues = null!;

    [ParamsSource(nameof(CaseNames))]
    public string Case { get; set; } = "S1";

    /// <summary>Every case, or those named in <c>FUSION_BENCHMARK_CASES</c> (comma-separated), to rerun a few.</summary>
    /// <exception cref="ArgumentException">A name in <c>FUSION_BENCHMARK_CASES</c> is not a case.</exception>
    public static IEnumerable<string> CaseNames
    {
        get
        {
            if (Environment.GetEnvironmentVariable("FUSION_BENCHMARK_CASES") is not { Length: > 0 } names)
            {
                return Cases.Keys;
            }

            string[] chosen = names.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
            string[] unknown = chosen.Where(name => !Cases.ContainsKey(name)).ToArray();
            return unknown.Length == 0 ? chosen : throw new ArgumentException(
                $"FUSION_BENCHMARK_CASES names {string.Join(", ", unknown)}; the cases are {string.Join(", ", Cases.Keys)}.");
        }
    }

    [GlobalSetup]
    public void Setup()
    {
        (Func<IFusedModel> create, _batch, _) = Cases[Case];
        _model = create();
        _input = new float[_batch * _model.InputLength];
        new SeededRandom(1).Fill(_input, -1f, 1f);
        _output = new float[_batch * _model.OutputLength];
        _model.Forward(_input, _output, _batch);

        var attribute = (FusedModelAttribute)Attribute.GetCustomAttribute(_model.GetType(), typeof(FusedModelAttribute))!;
        var options = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL, IntraOpNumThreads = 1, InterOpNumThreads = 1, ExecutionMode = ExecutionMode.ORT_SEQUENTIAL };
        _session = new InferenceSession(OnnxExport.Export(_model), options);
        _onnxInput = OrtValue.CreateTensorValueFromMemory(_input, [_batch, attribute.InputChannels, attribute.InputHeight, attribute.InputWidth]);
        _onnxOutput = new float[_output.Length];
        long[] outputShape = _session.OutputMetadata["output"].Dimensions.Select(d => (long)d).ToArray();
        outputShape[0] = _batch;
        _onnxOutputValue = OrtValue.CreateTensorValueFromMemory(_onnxOutput, outputShape);
        _runOptions = new RunOptions();
        _inputValues = [_onnxInput];
        _outputValues = [_onnxOutputValue];
        OnnxRuntime();
        Agree("ONNX Runtime", _onnxOutput);
        float[] baseline = new float[_output.Length];
        _model.ForwardGeneric(_input, baseline, _batch);
        Agree("the generic path", baseline);
        _model.ForwardUnfused(_input, baseline, _batch);
        Agree("the unfused path", baseline);
    }

    private void Agree(string what, float[] other)
    {
        double difference = _output.Zip(other, (a, b) => Math.Abs(a - b)).Max();
        if (!(difference <= 1e-3))
        {
            throw new InvalidOperationException($"{Case}: Fusion and {what} disagree by {difference}");
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _onnxInput.Dispose();
        _onnxOutputValue.Dispose();
        _session.Dispose();
        _runOptions.Dispose();
    }

    [Benchmark(Baseline = true)]
    public void Fused() => _model.Forward(_input, _output, _batch);

    /// <summary>Fused, but through the runtime kernel with every shape an argument: what specialisation saves.</summary>
    [Benchmark]
    public void Generic() => _model.ForwardGeneric(_input, _output, _batch);

    /// <summary>Conv, BatchNorm, residual and activation as separate passes (the conv is the generic one): what fusion saves.</summary>
    [Benchmark]
    public void Unfused() => _model.ForwardUnfused(_input, _output, _batch);

    [Benchmark]
    public void OnnxRuntime() => _session.Run(_runOptions, _inputNames, _inputValues, _outputNames, _outputValues);
}

/// <summary>
/// Adds a GFLOP/s column computed from each case's FLOPs and the measured median, and a "% peak" column against the
/// one-core FMA peak this process measures itself before the summary is printed (<see cref="Peak"/>).
/// </summary>
public sealed class GflopsConfig : ManualConfig
{
    public GflopsConfig()
    {
        AddColumn(new GflopsColumn());
        AddColumn(new PeakColumn());
    }

    internal static double? Gflops(Summary summary, BenchmarkDotNet.Running.BenchmarkCase benchmarkCase)
    {
        string name = (string)benchmarkCase.Parameters["Case"];
        double? median = summary[benchmarkCase]?.ResultStatistics?.Median;
        return median is double ns && ns > 0 ? InferenceBenchmarks.Cases[name].Flops / ns : null;
    }

    private sealed class PeakColumn : IColumn
    {
        public string Id => "PercentPeak";
        public string ColumnName => "% peak";
        public bool AlwaysShow => true;
        public ColumnCategory Category => ColumnCategory.Custom;
        public int PriorityInCategory => 1;
        public bool IsNumeric => true;
        public UnitType UnitType => UnitType.Dimensionless;
        public string Legend => "GFLOP/s over the peak of a 12-chain Vector256 FMA loop measured on one core in this run (threaded cases: over one core's peak)";
        public bool IsAvailable(Summary summary) => true;
        public bool IsDefault(Summary summary, BenchmarkDotNet.Running.BenchmarkCase benchmarkCase) => false;
        public string GetValue(Summary summary, BenchmarkDotNet.Running.BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);

        public string GetValue(Summary summary, BenchmarkDotNet.Running.BenchmarkCase benchmarkCase, SummaryStyle style)
            => Gflops(summary, benchmarkCase) is double gflops ? (100 * gflops / Peak.GflopsPerCore).ToString("F0", System.Globalization.CultureInfo.InvariantCulture) + " %" : "-";
    }

    private sealed class GflopsColumn : IColumn
    {
        public string Id => "GFLOPs";
        public string ColumnName => "GFLOP/s";
        public bool AlwaysShow => true;
        public ColumnCategory Category => ColumnCategory.Custom;
        public int PriorityInCategory => 0;
        public bool IsNumeric => true;
        public UnitType UnitType => UnitType.Dimensionless;
        public string Legend => "conv FLOPs per call / median time";
        public bool IsAvailable(Summary summary) => true;
        public bool IsDefault(Summary summary, BenchmarkDotNet.Running.BenchmarkCase benchmarkCase) => false;
        public string GetValue(Summary summary, BenchmarkDotNet.Running.BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);

        public string GetValue(Summary summary, BenchmarkDotNet.Running.BenchmarkCase benchmarkCase, SummaryStyle style)
            => Gflops(summary, benchmarkCase) is double gflops ? gflops.ToString("F1", System.Globalization.CultureInfo.InvariantCulture) : "-";
    }
}

/// <summary>
/// The machine's single-core FMA peak, measured once per process the way ANCHORS.md measured it: 12 independent
/// <c>Vector256</c> FMA chains (enough to cover the latency of both FMA pipes), best of several 50 ms runs.
/// </summary>
public static class Peak
{
    private static readonly Lazy<double> Measured = new(Measure);

    public static double GflopsPerCore => Measured.Value;

    private static double Measure()
    {
        double best = 0;
        for (int run = 0; run < 7; run++)
        {
            const long Iterations = 2_000_000;
            long start = System.Diagnostics.Stopwatch.GetTimestamp();
            float sink = Chains(Iterations);
            double seconds = System.Diagnostics.Stopwatch.GetElapsedTime(start).TotalSeconds;
            best = Math.Max(best, Iterations * 12 * 8 * 2 / seconds / 1e9);
            GC.KeepAlive(sink);
        }

        return best;
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization | System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static float Chains(long iterations)
    {
        var m = Vector256.Create(0.999f);
        var a = Vector256.Create(1e-3f);
        Vector256<float> c0 = m, c1 = m, c2 = m, c3 = m, c4 = m, c5 = m, c6 = m, c7 = m, c8 = m, c9 = m, c10 = m, c11 = m;
        for (long i = 0; i < iterations; i++)
        {
            c0 = Vector256.FusedMultiplyAdd(c0, m, a); c1 = Vector256.FusedMultiplyAdd(c1, m, a);
            c2 = Vector256.FusedMultiplyAdd(c2, m, a); c3 = Vector256.FusedMultiplyAdd(c3, m, a);
            c4 = Vector256.FusedMultiplyAdd(c4, m, a); c5 = Vector256.FusedMultiplyAdd(c5, m, a);
            c6 = Vector256.FusedMultiplyAdd(c6, m, a); c7 = Vector256.FusedMultiplyAdd(c7, m, a);
            c8 = Vector256.FusedMultiplyAdd(c8, m, a); c9 = Vector256.FusedMultiplyAdd(c9, m, a);
            c10 = Vector256.FusedMultiplyAdd(c10, m, a); c11 = Vector256.FusedMultiplyAdd(c11, m, a);
        }

        return Vector256.Sum(c0 + c1 + c2 + c3 + c4 + c5 + c6 + c7 + c8 + c9 + c10 + c11);
    }
}

public static class Program
{
    /// <summary>Runs the selected benchmarks; exits with 1 when any of them failed (CI's smoke run relies on it).</summary>
    public static int Main(string[] args)
    {
        if (args.Length == 2 && args[0] == "--export-tinynet")
        {
            // For tests/ColdStart/run.sh: the TinyNet ONNX Runtime loads, with the weights the Fusion program seeds.
            System.IO.File.WriteAllBytes(args[1], OnnxExport.Export(new TinyNet(seed: 1)));
            return 0;
        }

        Summary[] summaries = BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args).ToArray();
        int failed = summaries.Sum(s => s.Reports.Count(r => !r.Success) + (s.HasCriticalValidationErrors ? 1 : 0));
        Console.WriteLine(failed == 0 ? $"benchmarks: {summaries.Sum(s => s.Reports.Length)} ran" : $"benchmarks: {failed} FAILED");
        return failed == 0 && summaries.Length > 0 ? 0 : 1;
    }
}
