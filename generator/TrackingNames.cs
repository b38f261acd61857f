namespace Fusion.Generator;

/// <summary>The names of the pipeline's steps, for <c>GeneratorDriverRunResult</c> caching tests.</summary>
public static class TrackingNames
{
    /// <summary>Attributes and symbols → <c>ModelSpec</c> or diagnostics.</summary>
    public const string Parse = nameof(Parse);

    /// <summary>Whether the compilation allows unsafe code (the only thing taken from the compilation).</summary>
    public const string AllowUnsafe = nameof(AllowUnsafe);

    /// <summary>Shapes inferred, declaration validated, kernels planned.</summary>
    public const string Plan = nameof(Plan);

    /// <summary>Plan → source text.</summary>
    public const string Emit = nameof(Emit);

    /// <summary>Every diagnostic of one model, from all steps.</summary>
    public const string Diagnostics = nameof(Diagnostics);
}
