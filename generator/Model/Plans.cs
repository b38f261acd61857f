using System.Linq;

namespace Fusion.Generator.Model;

/// <summary>An activation shape: C×H×W per sample, or a flat vector of <see cref="Channels"/> features.</summary>
internal sealed record TensorShape(int Channels, int Height, int Width, bool Flat)
{
    public int Length => Channels * Height * Width;

    public override string ToString() => Flat ? $"{Channels}" : $"{Channels}×{Height}×{Width}";
}

/// <summary>
/// A run of output-column tiles in one row: <see cref="Count"/> tiles of <see cref="Pixels"/> pixels starting at
/// column <see cref="Start"/>; a run of more than one tile becomes a loop.
/// </summary>
internal sealed record ColumnRun(int Start, int Count, int Pixels);

/// <summary>
/// A run of output-channel tiles in one group: <see cref="Count"/> tiles of <see cref="Vectors"/> vectors of 8
/// channels, starting at vector <see cref="FirstVector"/>; the last vector of each tile stores <see cref="LastLanes"/> lanes.
/// </summary>
internal sealed record ChannelRun(int FirstVector, int Count, int Vectors, int LastLanes);

/// <summary>
/// Every decision behind one direct-convolution kernel (for one image): shapes, the register tile, the runs of
/// channel and column tiles, and the fused epilogue. The emitter turns it into code and into the kernel's plan
/// comment, so the two cannot disagree.
/// </summary>
/// <param name="Wide512">
/// The kernel runs 512-bit vectors (32 registers, AVX-512): a channel-tiled kernel accumulates pairs of 8-channel
/// vectors as one (an odd last vector stays 256-bit), so one broadcast feeds 16 channels; pointwise and row-tiled
/// kernels take 16 pixels per vector. The epilogues work on the 256-bit halves.
/// </param>
/// <param name="OutputPadHeight">Zero rows above and below each output plane in the buffer the kernel writes (0: plain NCHW).</param>
/// <param name="OutputPadWidth">Zero columns left and right of each output row in the buffer the kernel writes.</param>
/// <param name="ResidualPadHeight">Zero rows above and below each plane of the residual buffer.</param>
/// <param name="ResidualPadWidth">Zero columns left and right of each row of the residual buffer.</param>
/// <param name="InputBorderHeight">
/// Zero rows above and below each plane of the input buffer of a kernel that pads nothing itself: it reads the interior
/// of a buffer written zero-bordered for another reader's padding (the caller passes the interior's origin).
/// </param>
/// <param name="InputBorderWidth">Zero columns left and right of each input row of such a kernel.</param>
/// <param name="BatchRows">
/// The kernel's rows run over all the images of a call (row r is row r mod OutHeight of image r / OutHeight, images
/// <see cref="InputImage"/>, <see cref="OutputImage"/> and <see cref="ResidualImage"/> floats apart), so each channel
/// tile's weights serve every image of the batch while they are in cache. Channel-tiled kernels only.
/// </param>
/// <param name="PrefetchRows">
/// Before a channel tile computes an output row, the kernel asks that row's output lines (and the residual's) into L2,
/// so that its epilogue's burst of stores and loads finds them in cache. Channel-tiled kernels only.
/// </param>
/// <param name="SplitsChannelTiles">
/// Threads share the kernel's work by channel tiles, not by rows: the kernel takes a range of tiles
/// (<c>tileStart..tileEnd − 1</c>, counted over <see cref="ChannelRuns"/> in order) besides its rows, and a single image's
/// call gives each thread a share of the tiles over all the rows. For layers of few rows and many channels (ResNet's
/// 7×7 planes), where shares of rows are uneven and each would read every tile's weights again. At most
/// <see cref="ChannelTiles"/> threads take part (the planner asks for at least 4 tiles).
/// </param>
internal sealed record ConvKernelPlan(
    string Name,
    int InChannels,
    int Height,
    int Width,
    int OutChannels,
    int OutHeight,
    int OutWidth,
    int KernelHeight,
    int KernelWidth,
    int Stride,
    int PaddingHeight,
    int PaddingWidth,
    int Dilation,
    int Groups,
    int TilePixels,
    int TileVectors,
    EquatableArray<ChannelRun> ChannelRuns,
    EquatableArray<ColumnRun> ColumnRuns,
    bool StagedRows,
    bool Residual,
    ActivationSpec Activation,
    bool Statistics,
    int PointwiseChannels = 0,
    int PointwiseVectors = 0,
    int RowTileChannels = 0,
    int RowTileRows = 0,
    int RowTileVectors = 0,
    bool Wide512 = false,
    int OutputPadHeight = 0,
    int OutputPadWidth = 0,
    int ResidualPadHeight = 0,
    int ResidualPadWidth = 0,
    bool BatchRows = false,
    int InputBorderHeight = 0,
    int InputBorderWidth = 0,
    bool PrefetchRows = false,
    bool SplitsChannelTiles = false)
{
    /// <summary>How many channel tiles the kernel runs per group: the tiles of every run of <see cref="ChannelRuns"/>.</summary>
    public int ChannelTiles => ChannelRuns.Sum(run => run.Count);

    /// <summary>
    /// The output is written into the interior of a zero-bordered buffer laid out for the next convolution's padding
    /// (rows of <see cref="YRow"/> floats, planes of <see cref="YPlane"/>), so that layer needs no padded copy.
    /// </summary>
    public bool PaddedOutput => OutputPadHeight > 0 || OutputPadWidth > 0;

    /// <summary>The residual is read from such a zero-bordered buffer (rows of <see cref="RRow"/>, planes of <see cref="RPlane"/>).</summary>
    public bool PaddedResidual => ResidualPadHeight > 0 || ResidualPadWidth > 0;

    public int YRow => OutWidth + 2 * OutputPadWidth;

    public int YPlane => (OutHeight + 2 * OutputPadHeight) * YRow;

    public int RRow => OutWidth + 2 * ResidualPadWidth;

    public int RPlane => (OutHeight + 2 * ResidualPadHeight) * RRow;

    /// <summary>
    /// A 1×1, stride-1, unpadded, ungrouped convolution vectorised along pixels instead of channels: NCHW planes are
    /// contiguous, so a tile of <see cref="PointwiseChannels"/> output channels × <see cref="PointwiseVectors"/> vectors
    /// of 8 pixels loads the input and stores the output as whole vectors, with no transposes (0: not such a kernel).
    /// </summary>
    public bool Pointwise => PointwiseChannels > 0;

    /// <summary>
    /// A convolution vectorised along output rows — stride 1, or stride 2 with fewer than 8 output channels per group —
    /// (width a multiple of 8; for groups of fewer than 8 output channels, any width from 8, the last vector overlapping
    /// the one before), each group in turn: a tile of <see cref="RowTileChannels"/> output channels ×
    /// <see cref="RowTileRows"/> rows × <see cref="RowTileVectors"/> vectors of 8 pixels per row reads each tap's input as
    /// whole (unaligned) vectors of the padded row (every other float with stride 2) and writes NCHW as whole vectors,
    /// with no staging or transposes (0: not such a kernel).
    /// </summary>
    public bool RowTiled => RowTileChannels > 0;

    /// <summary>Pixels per vector of a pointwise or row-tiled kernel: 16 when it runs 512-bit vectors, else 8.</summary>
    public int VectorPixels => Wide512 ? 16 : 8;

    /// <summary>Accumulators of a row tile.</summary>
    public int RowTileAccumulators => RowTileChannels * RowTileRows * RowTileVectors;

    /// <summary>Whether the caller hands the kernel a zero-padded copy of the input (then no tap is ever out of range).</summary>
    public bool PaddedInput => PaddingHeight > 0 || PaddingWidth > 0;

    /// <summary>
    /// A channel-tiled kernel that pads rows skips, per output row, the kernel rows whose taps read only the zero padding
    /// above or below the image (kh·d + oh·s − p outside 0..H − 1): their products are zeros. On ResNet-18's 7×7 planes
    /// that is a ninth of a 3×3 convolution's products; ONNX Runtime skips them too.
    /// </summary>
    public bool SkipsPaddingRows => PaddingHeight > 0 && KernelHeight > 1 && !Pointwise && !RowTiled;

    /// <summary>
    /// A channel-tiled kernel whose tile is a whole output row that pads columns takes the kw taps unrolled, each without
    /// the pixels it would read from the zero padding left or right of the image (7×7 planes: 2 of 21 pixel taps).
    /// Only then: a row of several tiles would need its border tiles as extra copies of the tile code, and kernels with
    /// more tile bodies than a loop and a tail pass the JIT's budget for keeping the accumulators in registers (measured:
    /// three times slower).
    /// </summary>
    public bool SkipsPaddingColumns => PaddingWidth > 0 && KernelWidth > 1 && !Pointwise && !RowTiled && TilePixels == OutWidth;

    public int PaddedHeight => Height + 2 * PaddingHeight;

    public int PaddedWidth => Width + 2 * PaddingWidth;

    public int PaddedLength => InChannels * PaddedHeight * PaddedWidth;

    /// <summary>Floats of the stack buffer that holds one output row of one channel tile, when rows are staged.</summary>
    public int StageLength => StagedRows ? TileVectors * 8 * OutWidth : 0;

    public int InPerGroup => InChannels / Groups;

    public int OutPerGroup => OutChannels / Groups;

    public int VectorsPerGroup => (OutPerGroup + 7) / 8;

    public int Taps => KernelHeight * KernelWidth;

    public int PackedWeightLength => Groups * VectorsPerGroup * 8 * InPerGroup * Taps;

    /// <summary>Floats per row of the buffer the kernel reads: the padded row, or the plain one with the buffer's borders.</summary>
    public int InputRow => PaddedInput ? PaddedWidth : Width + 2 * InputBorderWidth;

    /// <summary>Floats per plane of the buffer the kernel reads.</summary>
    public int InputPlane => (PaddedInput ? PaddedHeight : Height + 2 * InputBorderHeight) * InputRow;

    /// <summary>The kernel reads the interior of a zero-bordered buffer without padding itself.</summary>
    public bool BorderedInput => InputBorderHeight > 0 || InputBorderWidth > 0;

    /// <summary>Floats from one image of the kernel's input to the next (padded, bordered or plain).</summary>
    public int InputImage => InChannels * InputPlane;

    /// <summary>Floats from one image of the kernel's output buffer to the next.</summary>
    public int OutputImage => OutChannels * YPlane;

    /// <summary>Floats from one image of the residual buffer to the next.</summary>
    public int ResidualImage => OutChannels * RPlane;

    public int PackedBiasLength => Groups * VectorsPerGroup * 8;

    public long Flops => 2L * OutChannels * OutHeight * OutWidth * InPerGroup * Taps;
}

/// <summary>A fully connected kernel (for one sample), with its fused activation.</summary>
internal sealed record LinearKernelPlan(string Name, int InFeatures, int OutFeatures, ActivationSpec Activation)
{
    public long Flops => 2L * InFeatures * OutFeatures;
}

/// <summary>One layer, placed: its shapes, where it reads and writes, and which kernel runs it.</summary>
internal sealed record LayerPlan(
    LayerSpec Spec,
    TensorShape Input,
    TensorShape Output,
    int Source,
    int ResidualSource,
    BatchNormSpec? BatchNorm,
    ActivationSpec Activation,
    string? KernelName,
    int PackedWeightOffset,
    int PackedWeightLength,
    int PackedBiasOffset,
    int PackedBiasLength,
    int WorkspaceOffset,
    int TileVectors,
    string? TrainKernelName,
    bool TrainKernelStatistics,
    ConvVariant? Narrow,
    int TrainPackedWeightOffset,
    int TrainPackedBiasOffset,
    TrainingLayout Training,
    int OutputPadHeight = 0,
    int OutputPadWidth = 0)
{
    /// <summary>
    /// In <c>Forward</c>, the layer's output buffer is zero-bordered for its readers' padding (planes of
    /// <see cref="OutputLength"/> floats per sample): its convolution kernel writes the interior, and the convolutions that
    /// read it take it as their padded input directly.
    /// </summary>
    public bool PaddedOutput => OutputPadHeight > 0 || OutputPadWidth > 0;

    /// <summary>Floats per sample of the layer's output buffer in <c>Forward</c>, zero borders included.</summary>
    public int OutputLength => Output.Channels * (Output.Height + 2 * OutputPadHeight) * (Output.Width + 2 * OutputPadWidth);

    /// <summary>Where the interior of a sample's output starts in its buffer: past the top border rows and the left border.</summary>
    public int OutputOrigin => OutputPadHeight * (Output.Width + 2 * OutputPadWidth) + OutputPadWidth;

    /// <summary>BatchNorm without running statistics: normalised with the batch's statistics after the kernel, unfused.</summary>
    public bool BatchStatistics => BatchNorm is { TrackRunningStats: false };
}

/// <summary>A convolution's kernels for 16 vector registers, when they differ from the 32-register ones.</summary>
internal sealed record ConvVariant(string KernelName, int TileVectors, string TrainKernelName, bool TrainKernelStatistics);

/// <summary>
/// Where a layer's training buffers sit, per sample, in the training state array (-1: none). A padding convolution
/// also keeps its input zero-padded (<see cref="PaddedInput"/>, <see cref="PaddedInputLength"/> floats per sample):
/// the forward kernel reads it and the weight gradient reads it again, so neither pass copies the input.
/// </summary>
internal sealed record TrainingLayout(int Output, int Kept, int Gradient, int PaddedInput = -1, int PaddedInputLength = 0);

/// <summary>A whole model, ready to emit.</summary>
internal sealed record ModelPlan(
    LocationInfo? Location,
    string? Namespace,
    string ClassName,
    string Accessibility,
    TensorShape Input,
    TensorShape Output,
    EquatableArray<LayerPlan> Layers,
    EquatableArray<ConvKernelPlan> ConvKernels,
    EquatableArray<LinearKernelPlan> LinearKernels,
    int PackedLength,
    int WorkspacePerSample,
    int ScratchLength,
    int TrainPackedLength,
    int TrainPerSample,
    int TrainInputOffset);

/// <summary>One generated file, or why it could not be written (reported as FUS3002 at <see cref="Location"/>).</summary>
internal sealed record GeneratedSource(string HintName, string Text, string? Failure, LocationInfo? Location);
