using Fusion;

// The per-layer shapes of the performance anchors (shared/docs/ANCHORS.md): Conv → BatchNorm → ReLU, NCHW.
namespace Fusion.Benchmarks.Shapes;

[FusedModel(InputChannels = 3, InputHeight = 32, InputWidth = 32)]
public partial class S1 { [Conv2d(16, Kernel = 3, Padding = 1, Bias = false), BatchNorm, Relu] public partial ConvBlock Conv { get; } }

[FusedModel(InputChannels = 16, InputHeight = 32, InputWidth = 32)]
public partial class S2 { [Conv2d(32, Kernel = 3, Padding = 1, Bias = false), BatchNorm, Relu] public partial ConvBlock Conv { get; } }

[FusedModel(InputChannels = 64, InputHeight = 56, InputWidth = 56)]
public partial class S3 { [Conv2d(64, Kernel = 3, Padding = 1, Bias = false), BatchNorm, Relu] public partial ConvBlock Conv { get; } }

[FusedModel(InputChannels = 128, InputHeight = 28, InputWidth = 28)]
public partial class S4 { [Conv2d(128, Kernel = 3, Padding = 1, Bias = false), BatchNorm, Relu] public partial ConvBlock Conv { get; } }

[FusedModel(InputChannels = 32, InputHeight = 56, InputWidth = 56)]
public partial class S5 { [Conv2d(64, Kernel = 1, Bias = false), BatchNorm, Relu] public partial ConvBlock Conv { get; } }

[FusedModel(InputChannels = 64, InputHeight = 56, InputWidth = 56)]
public partial class S6 { [Conv2d(128, Kernel = 3, Stride = 2, Padding = 1, Bias = false), BatchNorm, Relu] public partial ConvBlock Conv { get; } }

// Beyond the anchors: shapes the planner once handled far below ONNX Runtime (sixth session), kept measured.
// MobileNet's depthwise layers (one channel per group) over rows of whole vectors and over rows of 28.
[FusedModel(InputChannels = 32, InputHeight = 112, InputWidth = 112)]
public partial class Depthwise112 { [Conv2d(32, Kernel = 3, Padding = 1, Groups = 32, Bias = false), BatchNorm, Relu] public partial ConvBlock Conv { get; } }

[FusedModel(InputChannels = 256, InputHeight = 28, InputWidth = 28)]
public partial class Depthwise28 { [Conv2d(256, Kernel = 3, Padding = 1, Groups = 256, Bias = false), BatchNorm, Relu] public partial ConvBlock Conv { get; } }

// MobileNet's downsampling depthwise layer: stride 2 (seventh session: row tiles reading every other input float).
[FusedModel(InputChannels = 64, InputHeight = 112, InputWidth = 112)]
public partial class DepthwiseS2 { [Conv2d(64, Kernel = 3, Stride = 2, Padding = 1, Groups = 64, Bias = false), BatchNorm, Relu] public partial ConvBlock Conv { get; } }

// Odd sizes whose row fits one tile per channel run, too large for the JIT to optimise unrolled.
[FusedModel(InputChannels = 20, InputHeight = 17, InputWidth = 23)]
public partial class OddRows { [Conv2d(36, Kernel = 3, Padding = 1, Bias = false), BatchNorm, Relu] public partial ConvBlock Conv { get; } }

[FusedModel(InputChannels = 3, InputHeight = 32, InputWidth = 32)]
public partial class TinyNet
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
