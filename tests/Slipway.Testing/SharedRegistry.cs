namespace Slipway.Testing;

/// <summary>
/// One throw-away registry (a <see cref="RegistryFixture"/>) for a whole test assembly: declare it with
/// <c>[assembly: AssemblyFixture(typeof(SharedRegistry))]</c>, take it in a test class's constructor and call
/// <see cref="StartAsync"/> from the class's <c>InitializeAsync</c>. xunit creates assembly fixtures for every run of
/// the assembly, fast tier included, so the registry starts on the first <see cref="StartAsync"/>, not with the
/// fixture: a run whose tests never ask for it starts no registry process.
/// Tests sharing it keep apart by repository name (a fresh one per test); tests that need their own configuration
/// (authentication, notifications) start their own with <see cref="RegistryFixture.StartAsync"/>.
/// </summary>
public sealed class SharedRegistry : IAsyncDisposable
{
    private readonly SemaphoreSlim starting = new(1, 1);
    private RegistryFixture? registry;

    /// <summary>The running registry, started by the first call.</summary>
    public async Task<RegistryFixture> StartAsync()
    {
        await starting.WaitAsync();
        try
        {
            return registry ??= await RegistryFixture.StartAsync();
        }
        finally
        {
            starting.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (registry is not null)
            await registry.DisposeAsync();
        starting.Dispose();
    }
}
