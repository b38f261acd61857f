using Fusion;

// The models whose generated kernels the numeric tests check against Reference. Each is one row of the kernel case
// table (KernelTests.Cases): together they cover 1, 3, 5, 17 and 64 channels, kernels 1/3/5/7 and 1×3/3×1, strides
// 1 and 2, padding 0–3, dilation 2, groups and depthwise, non-square inputs, widths that leave a partial tile,
// output channels that leave a partial vector, every activation, residual adds and a second input path.
namespace Fusion.Tests.Cases;

[FusedModel(InputChannels = 3, InputHeight = 32, InputWidth = 32)]
public partial class C3to16K3S1P1 { [Conv2d(16, Kernel = 3, Padding = 1, Bias = false), BatchNorm, Relu] public partial ConvBlock Conv { get; } }

[FusedModel(InputChannels = 1, InputHeight = 9, InputWidth = 7)]
public partial class C1to1K3S1P0 { [Conv2d(1, Kernel = 3)] public partial ConvBlock Conv { get; } }

[FusedModel(InputChannels = 5, InputHeight = 11, InputWidth = 13)]
public partial class C5to17K5S1P2 { [Conv2d(17, Kernel = 5, Padding = 2, Bias = false), BatchNorm, Relu] public partial ConvBlock Conv { get; } }

[FusedModel(InputChannels = 17, InputHeight = 10, InputWidth = 19)]
public partial class C17to5K3S2P1 { [Conv2d(5, Kernel = 3, Stride = 2, Padding = 1, Bias = false), BatchNorm] public partial ConvBlock Conv { get; } }

[FusedModel(InputChannels = 64, InputHeight = 14, InputWidth = 14)]
public partial class C64to64K3S1P1 { [Conv2d(64, Kernel = 3, Padding = 1, Bias = false), BatchNorm, Relu] public partial ConvBlock Conv { get; } }

[FusedModel(InputChannels = 16, InputHeight = 12, InputWidth = 12)]
public partial class C16to40K1S1P0 { [Conv2d(40, Kernel = 1), Relu] public partial ConvBlock Conv { get; } }

[FusedModel(InputChannels = 32, InputHeight = 15, InputWidth = 15)]
public partial class C32to64K1S2P0 { [Conv2d(64, Kernel = 1, Stride = 2, Bias = false), BatchNorm] public partial ConvBlock Conv { get; } }

[FusedModel(InputChannels = 3, InputHeight = 23, InputWidth = 29)]
public partial class C3to8K7S2P3 { [Conv2d(8, Kernel = 7, Stride = 2, Padding = 3, Bias = false), BatchNorm, Relu] public partial ConvBlock Conv { get; } }

[FusedModel(InputChannels = 8, InputHeight = 13, InputWidth = 17)]
public partial class C8to24K3S1P2D2 { [Conv2d(24, Kernel = 3, Padding = 2, Dilation = 2, Bias = false), BatchNorm, Relu] public partial ConvBlock Conv { get; } }

[FusedModel(InputChannels = 16, InputHeight = 9, InputWidth = 9)]
public partial class C16to32K3G4 { [Conv2d(32, Kernel = 3, Padding = 1, Groups = 4, Bias = false), BatchNorm, Relu] public partial ConvBlock Conv { get; } }

[FusedModel(InputChannels = 17, InputHeight = 12, InputWidth = 10)]
public partial class C17Depthwise { [Conv2d(17, Kernel = 3, Padding = 1, Groups = 17, Bias = false), BatchNorm, Relu6] public partial ConvBlock Conv { get; } }

// Grouped row tiles: stride 1 and rows of whole vectors, so each group runs as row tiles (vectors of pixels) instead
// of one padded vector of channels. Depthwise over rows of 16 (512-bit), 5×5 dilated over rows of 24 (256-bit), and 3
// groups of 4 → 6 channels (several input and output channels per group) over rows of 8.
[FusedModel(InputChannels = 24, InputHeight = 11, InputWidth = 16)]
public partial class C24DepthwiseRows { [Conv2d(24, Kernel = 3, Padding = 1, Groups = 24, Bias = false), BatchNorm, Relu6] public partial ConvBlock Conv { get; } }

[FusedModel(InputChannels = 10, InputHeight = 13, InputWidth = 24)]
public partial class C10DepthwiseK5D2Rows { [Conv2d(10, Kernel = 5, Padding = 4, Dilation = 2, Groups = 10), Silu] public partial ConvBlock Conv { get; } }

[FusedModel(InputChannels = 12, InputHeight = 9, InputWidth = 8)]
public partial class C12to18K3G3Rows { [Conv2d(18, Kernel = 3, Padding = 1, Groups = 3, Bias = false), BatchNorm, Relu] public partial ConvBlock Conv { get; } }

// Rows that are not whole vectors: fewer than 8 output channels per group take row tiles anyway, the row ending with
// a vector that overlaps the one before it (13 = 8 + 5, 11 = 8 + 3).
[FusedModel(InputChannels = 12, InputHeight = 9, InputWidth = 13)]
public partial class C12DepthwiseWidth13 { [Conv2d(12, Kernel = 3, Padding = 1, Groups = 12, Bias = false), BatchNorm, Relu] public partial ConvBlock Conv { get; } }

[FusedModel(InputChannels = 9, InputHeight = 7, InputWidth = 11)]
public partial class C9to4K3Width11 { [Conv2d(4, Kernel = 3, Padding = 1), Tanh] public partial ConvBlock Conv { get; } }

// Stride 2 with few output channels per group: row tiles whose vectors read every other input float (MobileNet's
// downsampling depthwise layers). Rows of 16 (512-bit), 13 (256-bit, the last vector overlapping), a 5×5 kernel over rows
// of 10, 3 groups of 4 → 6 channels, and an ungrouped layer of 4 output channels.
[FusedModel(InputChannels = 24, InputHeight = 17, InputWidth = 32)]
public partial class C24DepthwiseS2Rows { [Conv2d(24, Kernel = 3, Stride = 2, Padding = 1, Groups = 24, Bias = false), BatchNorm, Relu6] public partial ConvBlock Conv { get; } }

[FusedModel(InputChannels = 12, InputHeight = 11, InputWidth = 26)]
public partial class C12DepthwiseS2Width13 { [Conv2d(12, Kernel = 3, Stride = 2, Padding = 1, Groups = 12, Bias = false), BatchNorm, Relu] public partial ConvBlock Conv { get; } }

[FusedModel(InputChannels = 10, InputHeight = 12, InputWidth = 19)]
public partial class C10DepthwiseK5S2 { [Conv2d(10, Kernel = 5, Stride = 2, Padding = 2, Groups = 10), Silu] public partial ConvBlock Conv { get; } }

[FusedModel(InputChannels = 12, InputHeight = 9, InputWidth = 16)]
public partial class C12to18K3G3S2 { [Conv2d(18, Kernel = 3, Stride = 2, Padding = 1, Groups = 3, Bias = false), BatchNorm, Relu] public partial ConvBlock Conv { get; } }

[FusedModel(InputChannels = 9, InputHeight = 7, InputWidth = 23)]
public partial class C9to4K3S2Width12 { [Conv2d(4, Kernel = 3, Stride = 2, Padding = 1), Tanh] public partial ConvBlock Conv { get; } }

// A depthwise layer adding a residual, reading the zero-bordered output of the convolution before it.
[FusedModel(InputChannels = 3, InputHeight = 10, InputWidth = 16)]
public partial class DepthwiseResidualRows
{
    [Conv2d(16, Kernel = 3, Padding = 1, Bias = false), BatchNorm, Relu] public partial ConvBlock Stem { get; }
    [Conv2d(16, Kernel = 3, Padding = 1, Groups = 16, Bias = false), BatchNorm, Residual(nameof(Stem)), Relu] public partial ConvBlock Depthwise { get; }
}

[FusedModel(InputChannels = 3, InputHeight = 6, InputWidth = 20)]
public partial class DepthwiseResidualWidth20
{
    [Conv2d(16, Kernel = 3, Padding = 1, Bias = false), BatchNorm, Relu] public partial ConvBlock Stem { get; }
    [Conv2d(16, Kernel = 3, Padding = 1, Groups = 16, Bias = false), BatchNorm, Residual(nameof(Stem)), Relu] public partial ConvBlock Depthwise { get; }
}

[FusedModel(InputChannels = 32, InputHeight = 16, InputWidth = 16)]
public partial class C32DepthwiseS2 { [Conv2d(32, Kernel = 3, Stride = 2, Padding = 1, Groups = 32, Bias = false), BatchNorm, Relu] public partial ConvBlock Conv { get; } }

[FusedModel(InputChannels = 6, InputHeight = 8, InputWidth = 30)]
public partial class C6to12K1x3 { [Conv2d(12, KernelHeight = 1, KernelWidth = 3, PaddingWidth = 1), Silu] public partial ConvBlock Conv { get; } }

[FusedModel(InputChannels = 6, InputHeight = 21, InputWidth = 5)]
public partial class C6to9K3x1 { [Conv2d(9, KernelHeight = 3, KernelWidth = 1, PaddingHeight = 1, Stride = 2)] public partial ConvBlock Conv { get; } }

[FusedModel(InputChannels = 4, InputHeight = 5, InputWidth = 6)]
public partial class C4to8K5S1P3 { [Conv2d(8, Kernel = 5, Padding = 3, Bias = false), BatchNorm, LeakyRelu(0.2f)] public partial ConvBlock Conv { get; } }

[FusedModel(InputChannels = 3, InputHeight = 2, InputWidth = 3)]
public partial class C3to48K3TinyImage { [Conv2d(48, Kernel = 3, Padding = 1, Bias = false), BatchNorm, Relu] public partial ConvBlock Conv { get; } }

[FusedModel(InputChannels = 9, InputHeight = 7, InputWidth = 50)]
public partial class C9to33K3Wide { [Conv2d(33, Kernel = 3, Padding = 1, Bias = false), BatchNorm, Relu] public partial ConvBlock Conv { get; } }

// One case per activation: 10 channels (a partial second vector), a width that leaves a partial tile.
[FusedModel(InputChannels = 4, InputHeight = 6, InputWidth = 11)]
public partial class ActIdentity { [Conv2d(10, Kernel = 3, Padding = 1, Bias = false), BatchNorm, Identity] public partial ConvBlock Conv { get; } }

[FusedModel(InputChannels = 4, InputHeight = 6, InputWidth = 11)]
public partial class ActLeakyRelu { [Conv2d(10, Kernel = 3, Padding = 1, Bias = false), BatchNorm, LeakyRelu(0.1f)] public partial ConvBlock Conv { get; } }

[FusedModel(InputChannels = 4, InputHeight = 6, InputWidth = 11)]
public partial class ActClamp { [Conv2d(10, Kernel = 3, Padding = 1, Bias = false), BatchNorm, Clamp(-0.5f, 0.75f)] public partial ConvBlock Conv { get; } }

[FusedModel(InputChannels = 4, InputHeight = 6, InputWidth = 11)]
public partial class ActSigmoid { [Conv2d(10, Kernel = 3, Padding = 1, Bias = false), BatchNorm, Sigmoid] public partial ConvBlock Conv { get; } }

[FusedModel(InputChannels = 4, InputHeight = 6, InputWidth = 11)]
public partial class ActTanh { [Conv2d(10, Kernel = 3, Padding = 1, Bias = false), BatchNorm, Tanh] public partial ConvBlock Conv { get; } }

[FusedModel(InputChannels = 4, InputHeight = 6, InputWidth = 11)]
public partial class ActSilu { [Conv2d(10, Kernel = 3, Padding = 1, Bias = false), BatchNorm, Silu] public partial ConvBlock Conv { get; } }

[FusedModel(InputChannels = 4, InputHeight = 6, InputWidth = 11)]
public partial class ActGelu { [Conv2d(10, Kernel = 3, Padding = 1, Bias = false), BatchNorm, Gelu] public partial ConvBlock Conv { get; } }

[FusedModel(InputChannels = 4, InputHeight = 6, InputWidth = 11)]
public partial class ActGeluTanh { [Conv2d(10, Kernel = 3, Padding = 1, Bias = false), BatchNorm, Gelu(Approximate = GeluApproximation.Tanh)] public partial ConvBlock Conv { get; } }

[FusedModel(InputChannels = 4, InputHeight = 6, InputWidth = 11)]
public partial class ActHardSwish { [Conv2d(10, Kernel = 3, Padding = 1, Bias = false), BatchNorm, HardSwish] public partial ConvBlock Conv { get; } }

[FusedModel(InputChannels = 4, InputHeight = 6, InputWidth = 11)]
public partial class ActHardSigmoid { [Conv2d(10, Kernel = 3, Padding = 1, Bias = false), BatchNorm, HardSigmoid] public partial ConvBlock Conv { get; } }

[FusedModel(InputChannels = 4, InputHeight = 6, InputWidth = 11)]
public partial class ActElu { [Conv2d(10, Kernel = 3, Padding = 1, Bias = false), BatchNorm, Elu(0.7f)] public partial ConvBlock Conv { get; } }

[FusedModel(InputChannels = 4, InputHeight = 6, InputWidth = 11)]
public partial class ActMish { [Conv2d(10, Kernel = 3, Padding = 1, Bias = false), BatchNorm, Mish] public partial ConvBlock Conv { get; } }

[FusedModel(InputChannels = 4, InputHeight = 6, InputWidth = 11)]
public partial class ActRelu6 { [Conv2d(10, Kernel = 3, Padding = 1, Bias = false), BatchNorm, Relu6] public partial ConvBlock Conv { get; } }

// Topologies: a residual add inside the fused kernel, and ResNet's projection shortcut on a second input path.
[FusedModel(InputChannels = 8, InputHeight = 10, InputWidth = 10)]
public partial class ResidualBlock
{
    [Conv2d(24, Kernel = 3, Padding = 1, Bias = false), BatchNorm, Relu] public partial ConvBlock A { get; }
    [Conv2d(24, Kernel = 3, Padding = 1, Bias = false), BatchNorm, Residual(nameof(A)), Relu] public partial ConvBlock B { get; }
}

[FusedModel(InputChannels = 16, InputHeight = 14, InputWidth = 14)]
public partial class ProjectionShortcut
{
    [Conv2d(32, Kernel = 3, Stride = 2, Padding = 1, Bias = false), BatchNorm, Relu] public partial ConvBlock Conv1 { get; }
    [Conv2d(32, Kernel = 3, Padding = 1, Bias = false), BatchNorm] public partial ConvBlock Conv2 { get; }
    [Input(InputAttribute.ModelInput), Conv2d(32, Kernel = 1, Stride = 2, Bias = false), BatchNorm] public partial ConvBlock Shortcut { get; }
    [Input(nameof(Conv2)), Conv2d(32, Kernel = 3, Padding = 1, Bias = false), BatchNorm, Residual(nameof(Shortcut)), Relu] public partial ConvBlock Out { get; }
}

// ResNet's downsampling block on odd planes: Stem's output is read by a 3×3 convolution with padding 1 and by a 1×1
// stride-2 shortcut without padding, so it is written zero-bordered and the shortcut reads its interior (_i1x1); the
// shortcut's weights (96×40) outweigh one input image (40×8×9), so it also batches its rows.
[FusedModel(InputChannels = 5, InputHeight = 6, InputWidth = 7)]
public partial class DownsampleBlock
{
    [Conv2d(40, Kernel = 3, Padding = 1, Bias = false), BatchNorm, Relu] public partial ConvBlock Stem { get; }
    [Conv2d(96, Kernel = 3, Stride = 2, Padding = 1, Bias = false), BatchNorm, Relu] public partial ConvBlock Conv1 { get; }
    [Conv2d(96, Kernel = 3, Padding = 1, Bias = false), BatchNorm] public partial ConvBlock Conv2 { get; }
    [Input(nameof(Stem)), Conv2d(96, Kernel = 1, Stride = 2, Bias = false), BatchNorm] public partial ConvBlock Shortcut { get; }
    [Input(nameof(Conv2)), Conv2d(96, Kernel = 3, Padding = 1, Bias = false), BatchNorm, Residual(nameof(Shortcut)), Relu] public partial ConvBlock Out { get; }
}

// A row of 23 pixels would take one whole-row tile per run of channel tiles (16 channels, then 4), kw and the 8 + 8 + 4
// input channels unrolled in each: 1,608 FMAs, past what the JIT optimises (ConvKernelPlanner.MaxUnrolledFmas), so the
// planner gives it column tiles of 12 + 11 pixels with kw as a loop.
[FusedModel(InputChannels = 20, InputHeight = 17, InputWidth = 23)]
public partial class C20to36K3TooLargeForOneRowTile { [Conv2d(36, Kernel = 3, Padding = 1, Bias = false), BatchNorm, Relu] public partial ConvBlock Conv { get; } }

// Late-ResNet layers in small: B and C read zero-bordered sources and their weights outweigh an image, so they batch
// their rows, and with 9 rows and at least 4 channel tiles a single image's threads share channel tiles, not rows
// (_tiles). 104 channels are 3 tiles of 32 and a last one of 8 (wide; narrow: 4 of 24 and one of 8), so a thread's
// range of tiles can cross from one run of tiles to the next; C adds B's output as its residual.
[FusedModel(InputChannels = 24, InputHeight = 9, InputWidth = 9)]
public partial class ChannelTileThreads
{
    [Conv2d(136, Kernel = 3, Padding = 1, Bias = false), BatchNorm, Relu] public partial ConvBlock A { get; }
    [Conv2d(104, Kernel = 3, Padding = 1, Bias = false), BatchNorm, Relu] public partial ConvBlock B { get; }
    [Conv2d(104, Kernel = 3, Padding = 1, Bias = false), BatchNorm, Residual(nameof(B)), Relu] public partial ConvBlock C { get; }
}

// ResNet's stem and first block on odd planes: the max pool's output is read by a padded 3×3 convolution and as a
// residual, so pooling writes it zero-bordered (UnfusedKernels.PoolBordered) and neither reader copies it.
[FusedModel(InputChannels = 3, InputHeight = 13, InputWidth = 11)]
public partial class PoolThenBlock
{
    [Conv2d(16, Kernel = 3, Stride = 2, Padding = 1, Bias = false), BatchNorm, Relu] public partial ConvBlock Stem { get; }
    [MaxPool2d(3, Stride = 2, Padding = 1)] public partial PoolLayer Pool { get; }
    [Conv2d(16, Kernel = 3, Padding = 1, Bias = false), BatchNorm, Relu] public partial ConvBlock Conv1 { get; }
    [Conv2d(16, Kernel = 3, Padding = 1, Bias = false), BatchNorm, Residual(nameof(Pool)), Relu] public partial ConvBlock Conv2 { get; }
}

// Input gradients of awkward convolutions (the gradient tests go through them to the first layer): a 1×3 kernel, a
// dilated 3×3, a 5×5 with padding 1 that shrinks the plane, and a 1×1.
[FusedModel(InputChannels = 4, InputHeight = 9, InputWidth = 10)]
public partial class InputGradientShapes
{
    [Conv2d(12, Kernel = 3, Padding = 1, Bias = false), BatchNorm, Relu] public partial ConvBlock A { get; }
    [Conv2d(10, KernelHeight = 1, KernelWidth = 3, PaddingWidth = 1, Bias = false), BatchNorm, Relu] public partial ConvBlock B { get; }
    [Conv2d(9, Kernel = 3, Padding = 2, Dilation = 2, Bias = false), BatchNorm, Relu] public partial ConvBlock C { get; }
    [Conv2d(11, Kernel = 5, Padding = 1), Relu] public partial ConvBlock D { get; }
    [Conv2d(8, Kernel = 1, Bias = false), BatchNorm, Relu] public partial ConvBlock E { get; }
}

// Heads: pooling, flatten, Linear with BatchNorm1d and an activation.
[FusedModel(InputChannels = 3, InputHeight = 16, InputWidth = 16)]
public partial class PoolingHead
{
    [Conv2d(8, Kernel = 3, Padding = 1, Bias = false), BatchNorm, Relu] public partial ConvBlock Stem { get; }
    [MaxPool2d(3, Stride = 2, Padding = 1)] public partial PoolLayer MaxPool { get; }
    [AvgPool2d(2)] public partial PoolLayer AvgPool { get; }
    [Flatten] public partial FlattenLayer Flat { get; }
    [Linear(37, Bias = false), BatchNorm, Tanh] public partial LinearBlock Hidden { get; }
    [Linear(10)] public partial LinearBlock Logits { get; }
}

[FusedModel(InputChannels = 5, InputHeight = 7, InputWidth = 9)]
public partial class AvgPoolNoPadCount
{
    [AvgPool2d(3, Stride = 2, Padding = 1, CountIncludePad = false)] public partial PoolLayer Pool { get; }
    [GlobalAvgPool] public partial PoolLayer Global { get; }
    [Linear(3)] public partial Layer Head { get; }
}

// A row too wide to stage on the stack: the epilogue stores straight from the accumulators.
[FusedModel(InputChannels = 2, InputHeight = 3, InputWidth = 600)]
public partial class C2to32K3Wide600
{
    [Conv2d(32, Kernel = 1)] public partial ConvBlock A { get; }
    [Conv2d(32, Kernel = 3, Padding = 1, Bias = false), BatchNorm, Residual(nameof(A)), Relu] public partial ConvBlock B { get; }
}

// Pointwise (1×1, stride 1) kernels vectorise along the plane: 63 pixels are a 48-pixel tile (24 for 16 registers),
// single vectors and a 7-pixel scalar tail; 13 output channels are a partial sub-tile; a residual and Relu6 in registers.
[FusedModel(InputChannels = 5, InputHeight = 7, InputWidth = 9)]
public partial class C13PointwiseTails
{
    [Conv2d(13, Kernel = 3, Padding = 1)] public partial ConvBlock A { get; }
    [Conv2d(13, Kernel = 1, Bias = false), BatchNorm, Residual(nameof(A)), Relu6] public partial ConvBlock B { get; }
    [Conv2d(9, Kernel = 1), Sigmoid] public partial ConvBlock C { get; }
}

// A padded input of 64×34×34 floats (≥ 256 KiB): with threads, its copy is split by channels as well as its rows.
[FusedModel(InputChannels = 64, InputHeight = 32, InputWidth = 32)]
public partial class C64to32K3LargeInput { [Conv2d(32, Kernel = 3, Padding = 1, Bias = false), BatchNorm, Relu] public partial ConvBlock Conv { get; } }

// BatchNorm without running statistics: batch statistics at inference, unfused after the kernel (FUS3001).
[FusedModel(InputChannels = 4, InputHeight = 7, InputWidth = 9)]
public partial class UntrackedBatchNorm
{
    [Conv2d(12, Kernel = 3, Padding = 1, Bias = false), BatchNorm(Affine = false)] public partial ConvBlock A { get; }
    [Conv2d(12, Kernel = 3, Padding = 1, Bias = false), BatchNorm(TrackRunningStats = false), Residual(nameof(A)), Silu] public partial ConvBlock B { get; }
}

[FusedModel(InputChannels = 3, InputHeight = 4, InputWidth = 4)]
public partial class UntrackedBatchNorm1d
{
    [Flatten] public partial FlattenLayer Flat { get; }
    [Linear(9, Bias = false), BatchNorm(TrackRunningStats = false, Affine = false), Relu] public partial LinearBlock Hidden { get; }
}

// Row-tiled kernels (stride 1, rows a whole number of vectors): 11 rows leave a band that does not fill; 7 input
// channels are a tail without a full block, 13 a block and a tail; 13 output channels a partial sub-tile and a partial
// vector of the packing; the residual and Relu6 in registers.
[FusedModel(InputChannels = 7, InputHeight = 11, InputWidth = 16)]
public partial class C7to13RowTails
{
    [Conv2d(13, Kernel = 3, Padding = 1, Bias = false), BatchNorm, Relu] public partial ConvBlock A { get; }
    [Conv2d(13, Kernel = 3, Padding = 1, Bias = false), BatchNorm, Residual(nameof(A)), Relu6] public partial ConvBlock B { get; }
}

// A row of one vector (8 pixels) read through dilation 2 and padding 2.
[FusedModel(InputChannels = 9, InputHeight = 9, InputWidth = 8)]
public partial class C9to20K3D2Row8 { [Conv2d(20, Kernel = 3, Padding = 2, Dilation = 2), HardSwish] public partial ConvBlock Conv { get; } }

// 1×5 taps over 17 input channels (two blocks and one channel) into 40 output channels (two channel tiles of the packing).
[FusedModel(InputChannels = 17, InputHeight = 5, InputWidth = 24)]
public partial class C17to40K1x5Rows { [Conv2d(40, KernelHeight = 1, KernelWidth = 5, PaddingWidth = 2, Bias = false), BatchNorm, Silu] public partial ConvBlock Conv { get; } }

// 5×5 padding 2 over rows of 80 pixels (5 vectors of 16, or 10 of 8: tiles across and a narrower one), then an
// unpadded 3×1 (no padded copy).
[FusedModel(InputChannels = 6, InputHeight = 6, InputWidth = 80)]
public partial class C6to24K5RowsThenValid
{
    [Conv2d(24, Kernel = 5, Padding = 2), Gelu] public partial ConvBlock A { get; }
    [Conv2d(8, KernelHeight = 3, KernelWidth = 1), Identity] public partial ConvBlock B { get; }
}

// Pointwise kernels with 32 registers run 512-bit vectors of 16 pixels: 123 pixels are a tile of 6 such vectors, one
// vector alone, one vector of 8 and 3 scalar pixels; 20 output channels are 5 sub-tiles of 4 in a 24-lane packing.
[FusedModel(InputChannels = 5, InputHeight = 3, InputWidth = 41)]
public partial class C5to20PointwiseVectorTails
{
    [Conv2d(20, Kernel = 1), Relu] public partial ConvBlock A { get; }
    [Conv2d(20, Kernel = 1, Bias = false), BatchNorm, Residual(nameof(A)), Tanh] public partial ConvBlock B { get; }
}
