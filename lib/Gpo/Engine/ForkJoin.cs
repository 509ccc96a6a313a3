using System.Runtime.ExceptionServices;

namespace Gpo.Engine;

/// <summary>
/// Two-way fork-join for the kernels: <see cref="Run"/> runs part 0 on the calling thread and part 1 on
/// one long-lived worker thread, and returns when both are done. A training step forks a few hundred
/// times; this costs a semaphore hand-off each time instead of <c>Parallel.For</c>'s task machinery and
/// ~1.5 KB of garbage. When the worker is already busy (nested or concurrent use) or there is one core,
/// both parts run on the calling thread, so callers never deadlock and results never depend on timing.
/// </summary>
internal static class ForkJoin
{
    private static readonly SemaphoreSlim Start = new(0), Done = new(0);
    private static readonly Lock StartGate = new();
    private static Action<int>? job;
    private static Exception? workerFailure;
    private static int busy;
    private static Thread? worker;

    /// <summary>Whether a second core is available at all.</summary>
    public static bool Available => Environment.ProcessorCount > 1;

    /// <summary>Runs <c>body(0)</c> and <c>body(1)</c>, in parallel when the worker is free.</summary>
    public static void Run(Action<int> body)
    {
        ArgumentNullException.ThrowIfNull(body);
        if (!Available || Interlocked.CompareExchange(ref busy, 1, 0) != 0)
        {
            body(0);
            body(1);
            return;
        }
        try
        {
            EnsureWorker();
            job = body;
            workerFailure = null;
            Start.Release();
            Exception? callerFailure = null;
            try { body(0); }
            catch (Exception e) { callerFailure = e; }
            Done.Wait();
            job = null;
            if (callerFailure is not null) ExceptionDispatchInfo.Throw(callerFailure);
            if (workerFailure is not null) ExceptionDispatchInfo.Throw(workerFailure);
        }
        finally
        {
            Volatile.Write(ref busy, 0);
        }
    }

    /// <summary>Runs <paramref name="body"/> for every index in [0, count), the two threads taking indices in turn.</summary>
    public static void ForEach(int count, Action<int> body)
    {
        int next = -1;
        Run(_ =>
        {
            for (int i = Interlocked.Increment(ref next); i < count; i = Interlocked.Increment(ref next)) body(i);
        });
    }

    private static void EnsureWorker()
    {
        if (worker is not null) return;
        lock (StartGate)
        {
            if (worker is not null) return;
            var thread = new Thread(WorkerLoop) { IsBackground = true, Name = "gpo fork-join worker" };
            thread.Start();
            worker = thread;
        }
    }

    private static void WorkerLoop()
    {
        while (true)
        {
            Start.Wait();
            try { job!(1); }
            catch (Exception e) { workerFailure = e; }
            Done.Release();
        }
    }
}
