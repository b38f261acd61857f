using System;
using System.Threading;

namespace Fusion;

/// <summary>Receives a parameter's values for an in-place edit; see <see cref="Parameter.Update"/>.</summary>
/// <param name="values">The parameter's values, flattened row-major in the order of <see cref="Parameter.Shape"/>.</param>
public delegate void ParameterEdit(Span<float> values);

/// <summary>
/// Counts edits to a model's parameters. A model compares it with the count at its last fold, so folded and
/// packed weights are recomputed after any edit and are never stale.
/// </summary>
public sealed class ChangeCounter
{
    private long _value;

    /// <summary>The number of edits so far.</summary>
    public long Value => Volatile.Read(ref _value);

    /// <summary>Records one edit.</summary>
    public void Increment() => Interlocked.Increment(ref _value);
}

/// <summary>
/// One named tensor of a model (a weight, a bias or a BatchNorm buffer), addressed by its PyTorch
/// <c>state_dict</c> name such as <c>stem.conv.weight</c> or <c>stem.bn.running_var</c>.
/// Writes go through <see cref="CopyFrom"/>, <see cref="Fill"/> or <see cref="Update"/>, which tell the owning model
/// that its folded weights must be recomputed.
/// </summary>
public sealed class Parameter
{
    private readonly float[] _values;
    private readonly int[] _shape;
    private readonly ChangeCounter _changes;

    /// <summary>Creates a zero-filled parameter. Called by generated model code.</summary>
    /// <param name="name">The <c>state_dict</c> name.</param>
    /// <param name="shape">The shape, outermost first.</param>
    /// <param name="changes">The owning model's edit counter.</param>
    /// <param name="learnable">False for buffers such as running statistics, which get no gradient.</param>
    public Parameter(string name, int[] shape, ChangeCounter changes, bool learnable = true)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(shape);
        ArgumentNullException.ThrowIfNull(changes);
        int length = 1;
        foreach (int dimension in shape)
        {
            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(dimension, nameof(shape));
            length = checked(length * dimension);
        }

        Name = name;
        _shape = (int[])shape.Clone();
        _values = new float[length];
        _changes = changes;
        Learnable = learnable;
    }

    /// <summary>Whether the parameter is learned (weights, biases, γ, β) rather than a buffer (running statistics).</summary>
    public bool Learnable { get; }

    /// <summary>The gradient of the loss with respect to this parameter, allocated on first use; buffers have none.</summary>
    /// <exception cref="InvalidOperationException">The parameter is a buffer.</exception>
    public Span<float> Gradient
    {
        get
        {
            if (!Learnable)
            {
                throw new InvalidOperationException($"'{Name}' is a buffer, not a learned parameter: it has no gradient.");
            }

            return _gradient ??= new float[_values.Length];
        }
    }

    private float[]? _gradient;

    /// <summary>For optimisers: the values to change in place; call <see cref="MarkChanged"/> afterwards.</summary>
    internal Span<float> Values => _values;

    /// <summary>For optimisers: records that <see cref="Values"/> were changed.</summary>
    internal void MarkChanged() => _changes.Increment();

    /// <summary>The model-wide counter this parameter bumps on every change: caches of derived data compare against it.</summary>
    internal ChangeCounter Changes => _changes;

    /// <summary>The PyTorch <c>state_dict</c> name.</summary>
    public string Name { get; }

    /// <summary>The shape, outermost dimension first (PyTorch order).</summary>
    public ReadOnlySpan<int> Shape => _shape;

    /// <summary>The number of values.</summary>
    public int Length => _values.Length;

    /// <summary>The values, flattened row-major.</summary>
    public ReadOnlySpan<float> Data => _values;

    /// <summary>Replaces every value.</summary>
    /// <exception cref="ArgumentException"><paramref name="values"/> does not hold exactly <see cref="Length"/> values; nothing is changed.</exception>
    public void CopyFrom(ReadOnlySpan<float> values)
    {
        if (values.Length != _values.Length)
        {
            throw new ArgumentException(
                $"Parameter '{Name}' of shape [{string.Join(", ", _shape)}] holds {_values.Length} values, but {values.Length} were given.",
                nameof(values));
        }

        values.CopyTo(_values);
        _changes.Increment();
    }

    /// <summary>Sets every value to <paramref name="value"/>.</summary>
    public void Fill(float value)
    {
        _values.AsSpan().Fill(value);
        _changes.Increment();
    }

    /// <summary>Edits the values in place; the model refolds its weights before its next use.</summary>
    public void Update(ParameterEdit edit)
    {
        ArgumentNullException.ThrowIfNull(edit);
        try
        {
            edit(_values);
        }
        finally
        {
            _changes.Increment();
        }
    }

    /// <inheritdoc/>
    public override string ToString() => $"{Name} [{string.Join(", ", _shape)}]";
}
