using Fusion;

namespace Fusion.Samples;

/// <summary>A small residual CNN for 16×16 grey images and 10 classes.</summary>
[FusedModel(InputChannels = 1, InputHeight = 16, InputWidth = 16)]
public partial class ShapesCnn
{
    [Conv2d(16, Kernel = 3, Padding = 1, Bias = false), BatchNorm, Relu]
    public partial ConvBlock Stem { get; }

    [Conv2d(32, Kernel = 3, Stride = 2, Padding = 1, Bias = false), BatchNorm, Relu]
    public partial ConvBlock Down1 { get; }

    [Conv2d(32, Kernel = 3, Padding = 1, Bias = false), BatchNorm, Residual(nameof(Down1)), Relu]
    public partial ConvBlock Block1 { get; }

    [Conv2d(64, Kernel = 3, Stride = 2, Padding = 1, Bias = false), BatchNorm, Relu]
    public partial ConvBlock Down2 { get; }

    [GlobalAvgPool]
    public partial PoolLayer Pool { get; }

    [Linear(10)]
    public partial LinearBlock Head { get; }
}
