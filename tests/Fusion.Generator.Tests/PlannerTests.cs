using System.Linq;
using Fusion.Generator.Model;
using Fusion.Generator.Parsing;
using Fusion.Generator.Planning;
using Xunit;

namespace Fusion.Generator.Tests;

/// <summary>The planner's pure decisions, one fact each.</summary>
public sealed class PlannerTests
{
    [Theory]
    [InlineData(32, 3, 1, 1, 1, 32)]   // 'same' padding keeps the size
    [InlineData(32, 3, 2, 1, 1, 16)]
    [InlineData(7, 3, 1, 0, 1, 5)]
    [InlineData(9, 3, 1, 2, 2, 9)]     // dilation 2 with padding 2 keeps the size
    [InlineData(23, 7, 2, 3, 1, 12)]
    [InlineData(2, 3, 1, 0, 1, 0)]     // does not fit
    [InlineData(8, 9, 1, 0, 1, 0)]
    public void Output_size_is_PyTorch_s(int input, int kernel, int stride, int padding, int dilation, int expected)
        => Assert.Equal(expected, ModelPlanner.OutputSize(input, kernel, stride, padding, dilation));

    [Theory]
    [InlineData("Stem", "stem")]
    [InlineData("DownBlock1", "down_block1")]
    [InlineData("Conv2", "conv2")]
    [InlineData("ResNetLayer", "res_net_layer")]
    [InlineData("FCHead", "fc_head")]
    [InlineData("already_snake", "already_snake")]
    public void State_dict_prefix_is_snake_case(string member, string expected) => Assert.Equal(expected, ModelParser.ToSnakeCase(member));

    [Theory]
    [InlineData(32, 4)]
    [InlineData(56, 4)]
    [InlineData(16, 2)]
    [InlineData(3, 4)]
    [InlineData(1, 1)]
    public void Tile_fits_the_register_file_and_the_row(int width, int vectors)
    {
        int pixels = ConvKernelPlanner.ChooseTilePixels(width, vectors, reduction: 144);
        Assert.InRange(pixels, 1, width);
        Assert.True(pixels * vectors <= ConvKernelPlanner.MaxAccumulators);
    }

    [Theory]
    [InlineData(26)] // not 12 + 12 + 2: a 2-pixel tile issues 4 FMAs per step and waits on their latency (measured 2–3 % on a layer)
    [InlineData(50)] // not 4 × 12 + 2
    [InlineData(14)] // whole-row tiles
    [InlineData(7)]
    public void No_tile_of_a_row_is_too_small_to_hide_the_FMA_latency(int width)
    {
        int pixels = ConvKernelPlanner.ChooseTilePixels(width, 4, reduction: 2304, wide512: true);
        Assert.True(width % pixels == 0 || width % pixels >= 3, $"{width} pixels in tiles of {pixels}: a last tile of {width % pixels}");
    }

    [Theory]
    [InlineData(56, true)]
    [InlineData(14, true)]
    [InlineData(7, false)] // rows of 7 floats share their lines: nothing measurable to gain
    public void Channel_tiled_rows_of_a_line_or_more_are_prefetched(int size, bool expected)
        => Assert.Equal(expected, PlanConv(64, size, 64, 3, 1, 1).PrefetchRows);

    private static ConvKernelPlan PlanConv(int inChannels, int size, int outChannels, int kernel, int stride, int padding, int dilation = 1, int groups = 1, bool narrow = false)
        => PlanRect(inChannels, size, size, outChannels, kernel, stride, padding, dilation, groups, narrow);

    private static ConvKernelPlan PlanRect(int inChannels, int height, int width, int outChannels, int kernel, int stride, int padding, int dilation = 1, int groups = 1, bool narrow = false)
    {
        var layer = new LayerSpec("Conv", "conv", LayerKind.Conv2d, "Fusion.ConvBlock", "public", outChannels, 0, kernel, kernel, stride, padding, padding, dilation, groups,
            false, false, true, null, EquatableArray<PostOpSpec>.Empty, null, null, EquatableArray<ArgumentLocation>.Empty);
        int outHeight = ModelPlanner.OutputSize(height, kernel, stride, padding, dilation), outWidth = ModelPlanner.OutputSize(width, kernel, stride, padding, dilation);
        return ConvKernelPlanner.Plan(layer, new TensorShape(inChannels, height, width, false), new TensorShape(outChannels, outHeight, outWidth, false), residual: false, new ActivationSpec(ActivationKind.Relu, 0, 0), narrow: narrow);
    }

    [Theory]
    [InlineData(20, 17, 23, 36, 3, false)] // 36 channels: a run of 16-channel tiles and one of 4, input 8 + 8 + a tail of 4: 1,608 FMAs as a whole row
    [InlineData(24, 28, 28, 48, 5, true)]  // 5×5 over rows of 28: 1,072 FMAs, compiled fully (measured)
    [InlineData(256, 28, 28, 256, 3, true)]
    [InlineData(64, 14, 14, 64, 3, true)]
    [InlineData(17, 12, 12, 40, 3, true)]  // 40 channels: 2 and 1 vectors of 512 bits over a 12-pixel row, input 8 + a tail of 1
    public void A_whole_row_tile_too_large_to_compile_gives_way_to_column_tiles(int inChannels, int height, int width, int outChannels, int kernel, bool wholeRow)
    {
        ConvKernelPlan plan = PlanRect(inChannels, height, width, outChannels, kernel, 1, kernel / 2);
        Assert.Equal(wholeRow, plan.SkipsPaddingColumns);
        Assert.True(ConvKernelPlanner.UnrolledFmas(plan) <= ConvKernelPlanner.MaxUnrolledFmas, $"{ConvKernelPlanner.UnrolledFmas(plan)} FMAs");
        if (!wholeRow)
        {
            Assert.True(plan.TilePixels < width);
            Assert.Equal(4, plan.TileVectors); // the tile the row would have had without the whole-row choice
        }
    }

    [Theory]
    [InlineData(20, 17, 23, 36, 3, 1)]
    [InlineData(24, 28, 28, 48, 5, 2)]
    [InlineData(17, 12, 12, 40, 3, 1)]
    [InlineData(3, 9, 30, 20, 3, 0)]
    [InlineData(16, 8, 8, 64, 3, 1)]
    public void The_unrolled_FMA_estimate_counts_what_the_emitter_writes(int inChannels, int height, int width, int outChannels, int kernel, int padding)
    {
        string source = GeneratorHarness.Usings + $$"""
            [FusedModel(InputChannels = {{inChannels}}, InputHeight = {{height}}, InputWidth = {{width}})]
            public partial class Sized
            {
                [Conv2d({{outChannels}}, Kernel = {{kernel}}, Padding = {{padding}}), Relu] public partial ConvBlock Conv { get; }
            }
            """;
        var (_, sources, _) = GeneratorHarness.Run(source);
        string text = sources.Single().SourceText.ToString();
        ConvKernelPlan plan = PlanRect(inChannels, height, width, outChannels, kernel, 1, padding);
        Assert.False(plan.Pointwise || plan.RowTiled);
        int start = text.IndexOf($"private static unsafe void {plan.Name}(", System.StringComparison.Ordinal);
        Assert.True(start >= 0, plan.Name);
        int end = text.IndexOf("\n    }\n", start, System.StringComparison.Ordinal);
        int fmas = System.Text.RegularExpressions.Regex.Matches(text.Substring(start, end - start), "FusedMultiplyAdd").Count;
        Assert.Equal(ConvKernelPlanner.UnrolledFmas(plan), fmas);
    }

    [Theory]
    [InlineData(32, 3, 1, 1)]
    [InlineData(56, 1, 1, 0)]
    [InlineData(28, 3, 2, 1)]
    [InlineData(11, 5, 1, 2)]
    public void Column_tiles_cover_the_row_once_with_one_loop_and_at_most_one_tail(int size, int kernel, int stride, int padding)
    {
        ConvKernelPlan plan = PlanConv(16, size, 32, kernel, stride, padding);
        Assert.Equal(plan.OutWidth, plan.ColumnRuns.Sum(r => r.Count * r.Pixels));
        Assert.True(plan.ColumnRuns.Count <= 2);
        Assert.All(plan.ColumnRuns.Skip(1), r => Assert.True(r.Count == 1 && r.Pixels < plan.TilePixels));
        Assert.Equal(padding > 0, plan.PaddedInput);
    }

    [Fact]
    public void Rows_are_staged_unless_they_are_too_wide_for_the_stack()
    {
        Assert.True(PlanConv(16, 28, 64, 3, 1, 1).StagedRows);
        Assert.False(PlanConv(2, 601, 32, 3, 1, 1).StagedRows);
    }

    [Theory]
    [InlineData(3, 32, 16, 3, 1, 1, 1, 1, true)]     // S1: rows of 4 vectors
    [InlineData(64, 10, 64, 3, 1, 0, 1, 1, true)]    // rows of one vector
    [InlineData(64, 8, 64, 3, 1, 1, 1, 1, false)]    // a padded row that fits one channel tile: that tile leaves out the padding
    [InlineData(9, 32, 20, 3, 1, 2, 2, 1, true)]     // dilation keeps the taps of a row contiguous
    [InlineData(128, 28, 128, 3, 1, 1, 1, 1, false)] // 28 pixels: not a whole number of vectors
    [InlineData(64, 56, 64, 3, 1, 1, 1, 1, false)]   // one row's input band (64 × 3 rows of 58) does not fit L1
    [InlineData(64, 56, 128, 3, 2, 1, 1, 1, false)]  // stride 2: the inputs of neighbouring outputs are 2 apart
    [InlineData(16, 32, 16, 3, 1, 1, 1, 4, true)]    // grouped: each group's rows in turn
    [InlineData(32, 112, 32, 3, 1, 1, 1, 32, true)]  // depthwise: one channel per group fills vectors of pixels
    [InlineData(256, 56, 256, 3, 1, 1, 1, 256, true)] // depthwise: a group's input band is one channel's, however many channels
    [InlineData(256, 28, 256, 3, 1, 1, 1, 256, true)] // depthwise over rows of 28: 3 vectors and one overlapping the third
    [InlineData(64, 7, 64, 3, 1, 1, 1, 64, false)]   // depthwise over rows of 7: under one vector
    [InlineData(64, 28, 64, 3, 1, 1, 1, 4, false)]   // 16 channels per group over rows of 28: vectors of channels do
    [InlineData(64, 112, 64, 3, 2, 1, 1, 64, true)]  // depthwise, stride 2: vectors of every other input float (rows of 56)
    [InlineData(12, 26, 18, 3, 2, 1, 1, 3, true)]    // 6 channels per group, stride 2, rows of 13
    [InlineData(64, 14, 64, 3, 2, 1, 1, 64, false)]  // depthwise, stride 2, rows of 7: under one vector
    [InlineData(64, 56, 64, 3, 2, 1, 1, 4, false)]   // stride 2 with 16 channels per group: vectors of channels do
    [InlineData(32, 56, 64, 1, 1, 0, 1, 1, false)]   // 1×1 unpadded: the pointwise kernel instead
    public void Row_tiles_are_planned_for_rows_of_whole_vectors(int inChannels, int size, int outChannels, int kernel, int stride, int padding, int dilation, int groups, bool rowTiled)
    {
        ConvKernelPlan plan = PlanConv(inChannels, size, outChannels, kernel, stride, padding, dilation, groups);
        Assert.Equal(rowTiled, plan.RowTiled);
        if (rowTiled)
        {
            Assert.False(plan.StagedRows);
            Assert.Contains($"_{plan.RowTileChannels}ch{plan.RowTileRows}x{plan.RowTileVectors * plan.VectorPixels}px_", plan.Name);
            // Rows of whole vectors, or (fewer than 8 channels per group) at least one vector, the last one overlapping.
            Assert.True(plan.OutWidth % plan.VectorPixels == 0 || (plan.OutPerGroup < 8 && plan.OutWidth >= plan.VectorPixels));
        }
    }

    [Theory]
    [InlineData(16, 32, 4, 27)]
    [InlineData(32, 32, 4, 144)]
    [InlineData(64, 56, 7, 576)]
    [InlineData(13, 11, 2, 63)]
    [InlineData(64, 8, 1, 576)]
    [InlineData(8, 1, 75, 9)]
    public void Row_tile_fits_the_register_file_and_the_output(int channels, int height, int rowVectors, int reduction)
    {
        foreach ((int accumulators, int registers) in new[] { (ConvKernelPlanner.MaxAccumulators, 32), (ConvKernelPlanner.MaxAccumulatorsNarrow, 16) })
        {
            (int c, int r, int v) = ConvKernelPlanner.ChooseRowTile(new[] { (channels, 1) }, maxRows: 8, height, rowVectors, reduction, accumulators, registers);
            Assert.InRange(c, 1, channels);
            Assert.InRange(r, 1, height);
            Assert.InRange(v, 1, rowVectors);
            Assert.True(c * r * v <= accumulators, $"{c}×{r}×{v} accumulators > {accumulators}");
            Assert.True(c * r * v + c + 1 <= registers, $"{c}×{r}×{v} accumulators + {c} weights + 1 input > {registers} registers");
        }
    }

    [Theory]
    [InlineData(128, 28, 128, false, true)]  // 4-vector tiles: two 512-bit vectors
    [InlineData(128, 28, 128, true, false)]  // 16 registers: 256-bit only
    [InlineData(16, 14, 24, false, true)]    // 3-vector tiles: one 512-bit and one 256-bit vector
    [InlineData(16, 14, 8, false, false)]    // one vector: nothing to pair
    public void Channel_tiles_pair_their_vectors_into_512_bits_only_with_32_registers_and_an_even_tile(int inChannels, int size, int outChannels, bool narrow, bool wide512)
    {
        ConvKernelPlan plan = PlanConv(inChannels, size, outChannels, 3, 2, 1, narrow: narrow);
        Assert.False(plan.RowTiled);
        Assert.Equal(wide512, plan.Wide512);
        int registers = wide512 ? (plan.TileVectors + 1) / 2 : plan.TileVectors;
        int limit = narrow ? ConvKernelPlanner.MaxAccumulatorsNarrow
            : plan.TilePixels == plan.OutWidth && wide512 ? ConvKernelPlanner.MaxAccumulatorsWholeRow : ConvKernelPlanner.MaxAccumulators;
        Assert.True(plan.TilePixels * registers <= limit, $"{plan.TilePixels} pixels × {registers} registers > {limit}");
    }

    [Theory]
    [InlineData(7, true)]
    [InlineData(14, true)]   // 14 pixels × two 512-bit vectors: 28 accumulators, one tile per row
    [InlineData(28, true)]   // 28 pixels × one 512-bit vector (tiles of 16 channels)
    [InlineData(56, false)]  // two tiles or more: no tile code is copied for the borders
    public void Rows_that_fit_one_tile_take_it_and_leave_out_their_padding_taps(int size, bool wholeRow)
    {
        ConvKernelPlan plan = PlanConv(256, size, 256, 3, 1, 1);
        Assert.True(plan.Wide512);
        Assert.Equal(wholeRow, plan.TilePixels == size);
        Assert.Equal(size > 14 && size <= 28 ? 2 : 4, plan.TileVectors);
        Assert.Equal(wholeRow, plan.SkipsPaddingColumns);
        Assert.True(plan.SkipsPaddingRows);
        Assert.False(PlanConv(256, size, 256, 3, 1, 0).SkipsPaddingColumns); // nothing to leave out without padding
    }

    [Fact]
    public void Only_outputs_that_convolutions_alone_read_with_one_padding_are_written_zero_bordered()
    {
        string source = GeneratorHarness.Usings + """
            [FusedModel(InputChannels = 3, InputHeight = 8, InputWidth = 8)]
            public partial class Layouts
            {
                [Conv2d(8, Kernel = 3, Padding = 1)] public partial ConvBlock A { get; }
                [Conv2d(8, Kernel = 3, Padding = 1), Residual(nameof(A))] public partial ConvBlock B { get; }
                [Conv2d(8, Kernel = 1)] public partial ConvBlock C { get; }
                [Conv2d(8, Kernel = 3, Padding = 1)] public partial ConvBlock D { get; }
                [Input(nameof(C)), Conv2d(8, Kernel = 5, Padding = 2), Residual(nameof(D))] public partial ConvBlock E { get; }
                [MaxPool2d(2)] public partial PoolLayer P { get; }
            }
            """;
        var (_, sources, compilation) = GeneratorHarness.Run(source);
        Assert.Empty(compilation.Where(d => d.Severity == Microsoft.CodeAnalysis.DiagnosticSeverity.Error));
        string text = sources.Single().SourceText.ToString();

        // A: read by B as its padded input and as its residual: written zero-bordered, B takes it as it stands.
        Assert.Contains("Padding.ZeroBorders(aOut", text);
        Assert.DoesNotContain("Padding.Copy(aOut", text);
        Assert.Contains("_r1x1_V", text);
        // B: read by a 1×1 convolution (no padding); C: read with padding 1 (D) and 2 (E); D: read only as a residual;
        // E: read by pooling. All plain, their readers copy as before.
        foreach (string plain in new[] { "bOut", "cOut", "dOut", "eOut" })
        {
            Assert.DoesNotContain($"Padding.ZeroBorders({plain}", text);
        }

        Assert.Contains("Padding.Copy(cOut", text);
    }

    [Theory]
    [InlineData(2, true)]  // a 1×1 stride-2 shortcut (channel tiles): reads the bordered buffer's interior
    [InlineData(1, false)] // a 1×1 stride-1 reader (pointwise, whole planes): the buffer stays plain, the 3×3 copies
    public void An_unpadded_reader_shares_a_zero_bordered_buffer_only_through_a_channel_tiled_kernel(int stride, bool bordered)
    {
        string source = GeneratorHarness.Usings + $$"""
            [FusedModel(InputChannels = 8, InputHeight = 12, InputWidth = 12)]
            public partial class Shared
            {
                [Conv2d(16, Kernel = 3, Padding = 1)] public partial ConvBlock Stem { get; }
                [Conv2d(16, Kernel = 3, Stride = 2, Padding = 1)] public partial ConvBlock Conv { get; }
                [Input(nameof(Stem)), Conv2d(16, Kernel = 1, Stride = {{stride}})] public partial ConvBlock Shortcut { get; }
            }
            """;
        var (_, sources, compilation) = GeneratorHarness.Run(source);
        Assert.Empty(compilation.Where(d => d.Severity == Microsoft.CodeAnalysis.DiagnosticSeverity.Error));
        string text = sources.Single().SourceText.ToString();

        Assert.Equal(bordered, text.Contains("Padding.ZeroBorders(stemOut"));
        Assert.Equal(!bordered, text.Contains("Padding.Copy(stemOut"));
        Assert.Equal(bordered, text.Contains($"private static unsafe void Conv1x1s{stride}p0_16x12x12to16_Identity_") && text.Contains("_i1x1_"));
    }

    [Fact]
    public void Only_kernels_whose_weights_outweigh_an_image_and_need_no_copy_batch_their_rows()
    {
        string source = GeneratorHarness.Usings + """
            [FusedModel(InputChannels = 16, InputHeight = 32, InputWidth = 30)]
            public partial class Batching
            {
                [Conv2d(16, Kernel = 3, Padding = 1)] public partial ConvBlock Early { get; }
                [Conv2d(64, Kernel = 3, Stride = 2, Padding = 1)] public partial ConvBlock Down { get; }
                [Conv2d(64, Kernel = 3, Stride = 2, Padding = 1)] public partial ConvBlock Late { get; }
                [Conv2d(64, Kernel = 3, Padding = 1)] public partial ConvBlock Later { get; }
                [Conv2d(64, Kernel = 1)] public partial ConvBlock Pointwise { get; }
            }
            """;
        var (_, sources, compilation) = GeneratorHarness.Run(source);
        Assert.Empty(compilation.Where(d => d.Severity == Microsoft.CodeAnalysis.DiagnosticSeverity.Error));
        string text = sources.Single().SourceText.ToString();

        // Early: 9 KB of weights against a 66 KB image; Down: 37 KB against Early's 66 KB output: one image at a time.
        Assert.DoesNotContain("Conv3x3s1p1_16x32x30to16_Identity_12x16ch_o1x1_batch", text);
        Assert.DoesNotContain("Conv3x3s2p1_16x32x30to64_Identity_10x32ch_o1x1_batch", text);
        // Late: 147 KB against Down's 78 KB zero-bordered output: both variants batch, one call for images first..last − 1.
        Assert.Contains("private static unsafe void Conv3x3s2p1_64x16x15to64_Identity_8x32ch_o1x1_batch_V512(", text);
        Assert.Contains("private static unsafe void Conv3x3s2p1_64x16x15to64_Identity_4x3_o1x1_batch_V256(", text);
        Assert.Matches(@"else \{ Conv3x3s2p1_64x16x15to64_Identity_8x32ch_o1x1_batch_V512\(downOut \+ first \* \d+, lateOut \+ first \* \d+ \+ \d+, [^;]*, 0, count \* 8\); \}", text);
        // Later: with 32 registers a row of 8 is one channel tile (it leaves out the padding taps); with 16 it is row-tiled,
        // and row tiles, like Pointwise, sweep a channel's weights once per image over whole rows or planes: not batched.
        Assert.Contains("private static unsafe void Conv3x3s1p1_64x8x8to64_Identity_8x32ch_V512(", text);
        Assert.Contains("private static unsafe void Conv3x3s1p1_64x8x8to64_Identity_3ch4x8px_V256(", text);
        Assert.DoesNotContain("Conv1x1s1p0_64x8x8to64_Identity_4ch64px_batch", text);
    }

    [Fact]
    public void Threads_share_channel_tiles_where_an_image_has_few_rows_and_many_tiles()
    {
        string source = GeneratorHarness.Usings + """
            [FusedModel(InputChannels = 64, InputHeight = 32, InputWidth = 32)]
            public partial class Late
            {
                [Conv2d(128, Kernel = 3, Stride = 2, Padding = 1)] public partial ConvBlock Down { get; }
                [Conv2d(128, Kernel = 3, Padding = 1)] public partial ConvBlock Rows16 { get; }
                [Conv2d(200, Kernel = 3, Stride = 2, Padding = 1)] public partial ConvBlock Rows8 { get; }
                [Conv2d(64, Kernel = 3, Padding = 1)] public partial ConvBlock TwoTiles { get; }
            }
            """;
        var (_, sources, compilation) = GeneratorHarness.Run(source);
        Assert.Empty(compilation.Where(d => d.Severity == Microsoft.CodeAnalysis.DiagnosticSeverity.Error));
        string text = sources.Single().SourceText.ToString();

        // Rows16: 16 rows share out evenly by rows; TwoTiles: 8 rows but 2 tiles of 32 channels, too few to share.
        Assert.Contains("private static unsafe void Conv3x3s1p1_128x16x16to128_Identity_16x16ch_o1x1_batch_V512(float* input, float* output, float* weights, float* bias, int rowStart, int rowEnd)", text);
        Assert.Contains("private static unsafe void Conv3x3s1p1_200x8x8to64_Identity_8x32ch_batch_V512(", text);
        // Rows8: 8 rows and 200 channels = 6 tiles of 32 and one of 8, 7 in all; threads claim tiles over all 8 rows.
        Assert.Contains("private static unsafe void Conv3x3s2p1_128x16x16to200_Identity_8x32ch_o1x1_batch_tiles_V512(float* input, float* output, float* weights, float* bias, int rowStart, int rowEnd, int tileStart, int tileEnd)", text);
        Assert.Contains("/// threads    share the 7 channel tiles of a single image, each over all 8 rows", text);
        Assert.Contains("for (int tile = tileStart, tileStop = global::System.Math.Min(tileEnd, 6); tile < tileStop; tile++)", text);
        Assert.Contains("for (int tile = global::System.Math.Max(tileStart, 6), tileStop = global::System.Math.Min(tileEnd, 7); tile < tileStop; tile++)", text);
        Assert.Matches(@"RowParallel\.Run\(rowThreads, 7, static \(i, o, w, b, r, t0, t1\) => Conv3x3s2p1_128x16x16to200_Identity_8x32ch_o1x1_batch_tiles_V512\([^;]*, 0, 8, t0, t1\), [^;]*\); \} else \{ Conv3x3s2p1_128x16x16to200_Identity_8x32ch_o1x1_batch_tiles_V512\([^;]*, 0, count \* 8, 0, 7\); \}", text);
    }

    [Fact]
    public void Partial_last_vector_gets_its_own_tile_with_fewer_lanes()
    {
        ConvKernelPlan plan = PlanConv(8, 8, 17, 3, 1, 1);  // 17 channels = 2 full vectors + 1 lane
        Assert.Equal(3, plan.VectorsPerGroup);
        ChannelRun last = plan.ChannelRuns[plan.ChannelRuns.Count - 1];
        Assert.Equal(1, last.LastLanes);
        Assert.Equal(3, plan.ChannelRuns.Sum(r => r.Count * r.Vectors));
    }

    [Fact]
    public void Full_vectors_loop_in_tiles_of_four()
    {
        ConvKernelPlan plan = PlanConv(64, 14, 64, 3, 1, 1);
        ChannelRun run = Assert.Single(plan.ChannelRuns);
        Assert.Equal((0, 2, 4, 8), (run.FirstVector, run.Count, run.Vectors, run.LastLanes));
    }

    [Fact]
    public void Kernel_name_is_its_specification()
    {
        ConvKernelPlan wide = PlanConv(16, 32, 32, 3, 2, 1), narrow = PlanConv(16, 32, 32, 3, 2, 1, narrow: true);
        Assert.Equal($"Conv3x3s2p1_16x32x32to32_Relu_{wide.TilePixels}x{wide.TileVectors * 8}ch_V512", wide.Name);
        Assert.Equal($"Conv3x3s2p1_16x32x32to32_Relu_{narrow.TilePixels}x3_V256", narrow.Name);
        Assert.StartsWith("Conv3x3s1p1dw_8x6x6to8_", PlanConv(8, 6, 8, 3, 1, 1, groups: 8).Name);
        Assert.StartsWith("Conv3x3s1p2d2g2_", PlanConv(8, 9, 16, 3, 1, 2, dilation: 2, groups: 2).Name);
    }

    [Fact]
    public void Packed_weight_length_pads_each_group_to_whole_vectors()
    {
        ConvKernelPlan plan = PlanConv(6, 8, 6, 3, 1, 1, groups: 3);   // 2 channels per group → 8 lanes per group
        Assert.Equal(3 * 8 * 2 * 9, plan.PackedWeightLength);
        Assert.Equal(3 * 8, plan.PackedBiasLength);
    }
}
