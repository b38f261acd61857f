using Fusion;

namespace Fusion.Samples;

/// <summary>The sample's TinyNet topology (ANCHORS.md), declared again here so that the whole network is a kernel case.</summary>
[FusedModel(InputChannels = 3, InputHeight = 32, InputWidth = 32)]
public partial class TinyNetForTests
{
    [Conv2d(16, Kernel = 3, Padding = 1, Bias = false), BatchNorm, Relu] public partial ConvBlock Stem { get; }
    [Conv2d(32, Kernel = 3, Stride = 2, Padding = 1, Bias = false), BatchNorm, Relu] public partial ConvBlock Down1 { get; }
    [Conv2d(32, Kernel = 3, Padding = 1, Bias = false), BatchNorm, Residual(nameof(Down1)), Relu] public partial ConvBlock Block1 { get; }
    [Conv2d(64, Kernel = 3, Stride = 2, Padding = 1, Bias = false), BatchNorm, Relu] public partial ConvBlock Down2 { get; }
    [Conv2d(64, Kernel = 3, Padding = 1, Bias = false), BatchNorm, Residual(nameof(Down2)), Relu] public partial ConvBlock Block2 { get; }
    [Conv2d(128, Kernel = 1, Bias = false), BatchNorm, Relu] public partial ConvBlock Expand { get; }
    [GlobalAvgPool] public partial PoolLayer Pool { get; }
    [Linear(10)] public partial LinearBlock Head { get; }
}
