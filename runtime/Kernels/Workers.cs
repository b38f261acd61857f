using System;
using System.Runtime.ExceptionServices;
using System.Threading;

namespace Fusion.Kernels;

/// <summary>
/// The threads behind <c>model.Threads</c>: a fixed set of background workers, started on first use, that run parts
/// of one call while the calling thread runs the first part. Unlike <c>Parallel.For</c> it allocates nothing per
/// call (the work is a function pointer and a pointer to the caller's arguments), offers each part to one worker, and
/// wakes workers that spin briefly before they sleep, so back-to-back layers hand off in about a microsecond. A part
/// its worker has not started by the time the caller has finished its own is taken back and run by the caller, so a
/// descheduled worker (another process on the core) never makes a call slower than one thread would be.
/// </summary>
/// <remarks>
/// Concurrent callers never wait for each other: a caller takes the workers it can get and runs the parts no worker
/// took itself. Results do not depend on which thread ran a part.
/// </remarks>
public static unsafe class Workers
{
    private static readonly object Gate = new();
    private static Worker[] _workers = [];

    /// <summary>
    /// Runs <c>body(target, state, part, parts)</c> for every part in [0, <paramref name="parts"/>): part 0 on the calling
    /// thread, the others on workers (or on the calling thread when no worker is free). Returns when all parts are done;
    /// an exception from any part is rethrown here.
    /// </summary>
    /// <param name="parts">How many parts; at most the machine's processor count is useful.</param>
    /// <param name="body">The work of one part.</param>
    /// <param name="target">An object the body needs (the model), or null.</param>
    /// <param name="state">A pointer to the caller's arguments; valid until this method returns.</param>
    public static void Run(int parts, delegate*<object?, nint, int, int, void> body, object? target, nint state)
    {
        if (body == null)
        {
            throw new ArgumentNullException(nameof(body));
        }

        if (parts <= 1)
        {
            body(target, state, 0, 1);
            return;
        }

        Worker[] workers = Ensure(parts - 1);
        Span<int> assigned = stackalloc int[parts];
        int taken = 0;
        for (int i = 0; i < workers.Length && taken < parts - 1; i++)
        {
            if (workers[i].TryStart(body, target, state, taken + 1, parts))
            {
                assigned[taken++] = i;
            }
        }

        Exception? failure = null;
        try
        {
            body(target, state, 0, parts);
            for (int part = taken + 1; part < parts; part++)
            {
                body(target, state, part, parts);
            }
        }
        catch (Exception exception)
        {
            failure = exception;
        }

        for (int i = 0; i < taken; i++)
        {
            Exception? workerFailure = workers[assigned[i]].Finish(out bool reclaimed);
            if (reclaimed)
            {
                // The worker had not started its part (descheduled, or asleep): running it here beats waiting.
                try
                {
                    body(target, state, i + 1, parts);
                }
                catch (Exception exception)
                {
                    failure ??= exception;
                }
            }

            failure ??= workerFailure;
        }

        if (failure is not null)
        {
            ExceptionDispatchInfo.Capture(failure).Throw();
        }
    }

    private static Worker[] Ensure(int count)
    {
        count = Math.Min(count, Math.Max(1, Environment.ProcessorCount - 1));
        Worker[] workers = Volatile.Read(ref _workers);
        if (workers.Length >= count)
        {
            return workers;
        }

        lock (Gate)
        {
            workers = _workers;
            if (workers.Length < count)
            {
                Worker[] grown = new Worker[count];
                workers.CopyTo(grown, 0);
                for (int i = workers.Length; i < count; i++)
                {
                    grown[i] = new Worker(i);
                }

                Volatile.Write(ref _workers, grown);
                workers = grown;
            }

            return workers;
        }
    }

    private sealed class Worker
    {
        // Idle → Claimed (a caller fills in the part) → Ready → Running (the worker took it) → Done → Idle (the caller
        // collected it); or Ready → Idle when the caller, done with its own parts first, takes the part back.
        private const int Idle = 0, Claimed = 1, Ready = 2, Running = 3, Done = 4;

        // How long a worker keeps polling for its next part before it sleeps: longer than the one-thread work between
        // two split layers of a model (a padded copy, a pooling pass), far shorter than anything a user would notice.
        private static readonly long SpinTicks = System.Diagnostics.Stopwatch.Frequency / 5000; // 200 µs

        private readonly ManualResetEventSlim _wake = new(false, spinCount: 1);
        private delegate*<object?, nint, int, int, void> _body;
        private object? _target;
        private nint _state;
        private int _part, _parts;
        private int _status;
        private Exception? _failure;

        public Worker(int index)
        {
            // 1 MiB: kernels stage output rows on the stack (up to 64 KiB each).
            var thread = new Thread(Loop, maxStackSize: 1024 * 1024) { IsBackground = true, Name = $"Fusion worker {index + 1}" };
            thread.Start();
        }

        public bool TryStart(delegate*<object?, nint, int, int, void> body, object? target, nint state, int part, int parts)
        {
            if (Interlocked.CompareExchange(ref _status, Claimed, Idle) != Idle)
            {
                return false;
            }

            _body = body;
            _target = target;
            _state = state;
            _part = part;
            _parts = parts;
            _failure = null;
            Volatile.Write(ref _status, Ready);
            _wake.Set();
            return true;
        }

        /// <summary>
        /// Waits for a part the worker started; a part it has not started yet is taken back instead
        /// (<paramref name="reclaimed"/>), for the caller to run.
        /// </summary>
        public Exception? Finish(out bool reclaimed)
        {
            reclaimed = Interlocked.CompareExchange(ref _status, Claimed, Ready) == Ready;
            if (reclaimed)
            {
                _target = null;
                Volatile.Write(ref _status, Idle);
                return null;
            }

            var spinner = new SpinWait();
            while (Volatile.Read(ref _status) != Done)
            {
                spinner.SpinOnce(sleep1Threshold: -1);
            }

            Exception? failure = _failure;
            _target = null;
            _failure = null;
            Volatile.Write(ref _status, Idle);
            return failure;
        }

        private void Loop()
        {
            while (true)
            {
                long deadline = System.Diagnostics.Stopwatch.GetTimestamp() + SpinTicks;
                while (Volatile.Read(ref _status) != Ready || Interlocked.CompareExchange(ref _status, Running, Ready) != Ready)
                {
                    if (System.Diagnostics.Stopwatch.GetTimestamp() < deadline)
                    {
                        Thread.SpinWait(4);
                        continue;
                    }

                    _wake.Wait();
                    _wake.Reset();
                    deadline = System.Diagnostics.Stopwatch.GetTimestamp() + SpinTicks;
                }

                try
                {
                    _body(_target, _state, _part, _parts);
                }
                catch (Exception exception)
                {
                    _failure = exception;
                }

                Volatile.Write(ref _status, Done);
            }
        }
    }
}
