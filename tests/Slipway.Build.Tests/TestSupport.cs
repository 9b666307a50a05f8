namespace Slipway.Build.Tests;

/// <summary>A throwaway repository root with a .nuke/ folder; removed on dispose.</summary>
public sealed class TempRoot : IDisposable
{
    public TempRoot()
    {
        Path = AbsolutePath.Create(System.IO.Path.Combine(System.IO.Path.GetTempPath(), "slipway-build-tests", Guid.NewGuid().ToString("N")));
        (Path / ".nuke").CreateDirectory();
    }

    public AbsolutePath Path { get; }

    public AbsolutePath Nuke => Path / ".nuke";

    public void WriteParameters(string json, string? profile = null) =>
        (Nuke / (profile is null ? "parameters.json" : $"parameters.{profile}.json")).WriteAllText(json);

    /// <summary>Every file the engine wrote under .nuke/, with its text.</summary>
    public IEnumerable<(string File, string Text)> NukeFiles() =>
        Nuke.GlobFiles("*").Select(f => (f.RelativeTo(Path), f.ReadAllText()));

    public Task<BuildOutcome> RunAsync(SlipwayBuild build, params string[] arguments) =>
        RunAsync(build, new Dictionary<string, string?>(), arguments);

    public Task<BuildOutcome> RunAsync(SlipwayBuild build, IReadOnlyDictionary<string, string?> environment, params string[] arguments) =>
        BuildRunner.RunAsync(build, new BuildInvocation
        {
            Arguments = arguments,
            Environment = environment,
            RootDirectory = Path,
            Output = new StringWriter(),
            MaxParallelism = 4,
            CancellationToken = TestContext.Current.CancellationToken,
        });

    public void Dispose()
    {
        try
        {
            Path.DeleteDirectory();
        }
        catch (IOException)
        {
            // A leftover temp directory is harmless; never fail a test over cleanup.
        }
    }
}

/// <summary>Two async targets meet here; each waits (bounded) for the other, so meeting proves they overlapped.</summary>
public sealed class Rendezvous(int parties)
{
    private readonly TaskCompletionSource _allArrived = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _arrived;

    public async Task ArriveAndWaitAsync()
    {
        if (Interlocked.Increment(ref _arrived) == parties)
        {
            _allArrived.SetResult();
        }
        await _allArrived.Task.WaitAsync(TimeSpan.FromSeconds(20));
    }
}

/// <summary>A StringWriter a test can read while the engine writes to it from another thread.</summary>
public sealed class LockedStringWriter : StringWriter
{
    private readonly object _lock = new();

    public override void Write(char value)
    {
        lock (_lock)
        {
            base.Write(value);
        }
    }

    public override void Write(string? value)
    {
        lock (_lock)
        {
            base.Write(value);
        }
    }

    public override void Write(char[] buffer, int index, int count)
    {
        lock (_lock)
        {
            base.Write(buffer, index, count);
        }
    }

    public override string ToString()
    {
        lock (_lock)
        {
            return base.ToString();
        }
    }
}
