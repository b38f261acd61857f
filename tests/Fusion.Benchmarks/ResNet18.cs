using Fusion;

namespace Fusion.Benchmarks.Shapes;

/// <summary>
/// ResNet-18 (torchvision's topology, 3×224×224 → 1000) declared with Fusion's attributes: basic blocks with
/// residual adds before their ReLU, and 1×1 stride-2 projection shortcuts read through [Input] from the block's input.
/// </summary>
[FusedModel(InputChannels = 3, InputHeight = 224, InputWidth = 224)]
public partial class ResNet18
{
    [Conv2d(64, Kernel = 7, Stride = 2, Padding = 3, Bias = false), BatchNorm, Relu] public partial ConvBlock Stem { get; }
    [MaxPool2d(3, Stride = 2, Padding = 1)] public partial PoolLayer MaxPool { get; }

    [Conv2d(64, Kernel = 3, Padding = 1, Bias = false), BatchNorm, Relu] public partial ConvBlock Layer1Block1Conv1 { get; }
    [Conv2d(64, Kernel = 3, Padding = 1, Bias = false), BatchNorm, Residual(nameof(MaxPool)), Relu] public partial ConvBlock Layer1Block1Conv2 { get; }
    [Conv2d(64, Kernel = 3, Padding = 1, Bias = false), BatchNorm, Relu] public partial ConvBlock Layer1Block2Conv1 { get; }
    [Conv2d(64, Kernel = 3, Padding = 1, Bias = false), BatchNorm, Residual(nameof(Layer1Block1Conv2)), Relu] public partial ConvBlock Layer1Block2Conv2 { get; }

    [Input(nameof(Layer1Block2Conv2)), Conv2d(128, Kernel = 1, Stride = 2, Bias = false), BatchNorm] public partial ConvBlock Layer2Downsample { get; }
    [Input(nameof(Layer1Block2Conv2)), Conv2d(128, Kernel = 3, Stride = 2, Padding = 1, Bias = false), BatchNorm, Relu] public partial ConvBlock Layer2Block1Conv1 { get; }
    [Conv2d(128, Kernel = 3, Padding = 1, Bias = false), BatchNorm, Residual(nameof(Layer2Downsample)), Relu] public partial ConvBlock Layer2Block1Conv2 { get; }
    [Conv2d(128, Kernel = 3, Padding = 1, Bias = false), BatchNorm, Relu] public partial ConvBlock Layer2Block2Conv1 { get; }
    [Conv2d(128, Kernel = 3, Padding = 1, Bias = false), BatchNorm, Residual(nameof(Layer2Block1Conv2)), Relu] public partial ConvBlock Layer2Block2Conv2 { get; }

    [Input(nameof(Layer2Block2Conv2)), Conv2d(256, Kernel = 1, Stride = 2, Bias = false), BatchNorm] public partial ConvBlock Layer3Downsample { get; }
    [Input(nameof(Layer2Block2Conv2)), Conv2d(256, Kernel = 3, Stride = 2, Padding = 1, Bias = false), BatchNorm, Relu] public partial ConvBlock Layer3Block1Conv1 { get; }
    [Conv2d(256, Kernel = 3, Padding = 1, Bias = false), BatchNorm, Residual(nameof(Layer3Downsample)), Relu] public partial ConvBlock Layer3Block1Conv2 { get; }
    [Conv2d(256, Kernel = 3, Padding = 1, Bias = false), BatchNorm, Relu] public partial ConvBlock Layer3Block2Conv1 { get; }
    [Conv2d(256, Kernel = 3, Padding = 1, Bias = false), BatchNorm, Residual(nameof(Layer3Block1Conv2)), Relu] public partial ConvBlock Layer3Block2Conv2 { get; }

    [Input(nameof(Layer3Block2Conv2)), Conv2d(512, Kernel = 1, Stride = 2, Bias = false), BatchNorm] public partial ConvBlock Layer4Downsample { get; }
    [Input(nameof(Layer3Block2Conv2)), Conv2d(512, Kernel = 3, Stride = 2, Padding = 1, Bias = false), BatchNorm, Relu] public partial ConvBlock Layer4Block1Conv1 { get; }
    [Conv2d(512, Kernel = 3, Padding = 1, Bias = false), BatchNorm, Residual(nameof(Layer4Downsample)), Relu] public partial ConvBlock Layer4Block1Conv2 { get; }
    [Conv2d(512, Kernel = 3, Padding = 1, Bias = false), BatchNorm, Relu] public partial ConvBlock Layer4Block2Conv1 { get; }
    [Conv2d(512, Kernel = 3, Padding = 1, Bias = false), BatchNorm, Residual(nameof(Layer4Block1Conv2)), Relu] public partial ConvBlock Layer4Block2Conv2 { get; }

    [GlobalAvgPool] public partial PoolLayer AveragePool { get; }
    [Linear(1000)] public partial LinearBlock Fc { get; }
}
