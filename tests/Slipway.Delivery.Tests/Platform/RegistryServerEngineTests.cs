using Slipway.Delivery.Platform;
using Slipway.Testing;

namespace Slipway.Delivery.Tests.Platform;

/// <summary>Against the real docker-registry binary, on a free port and a temporary root.</summary>
[Trait("Tier", "Engine")]
public sealed class RegistryServerEngineTests
{
    static RegistryServer Server() => RegistryServerTests.Server();

    [Fact]
    public async Task Starts_a_registry_reuses_it_on_the_second_call_and_stops_it()
    {
        var ct = TestContext.Current.CancellationToken;
        using var root = new TempDirectory();
        var address = $"127.0.0.1:{FreePort.Next()}";
        var server = Server();
        bool stopped;
        var pid = 0;
        try
        {
            var first = await server.EnsureAsync(address, root.Path, ct);
            var second = await server.EnsureAsync(address, root.Path, ct);

            Assert.Equal(new LocalRegistryState(address, Started: true), first);
            Assert.Equal(new LocalRegistryState(address, Started: false), second);
            Assert.Equal(RegistryServer.AnswerKind.Registry, (await server.ProbeAsync(address, ct)).Kind);
            var directory = RegistryServer.DirectoryUnder(root.Path);
            Assert.True(File.Exists(Path.Combine(directory, "config.yml")));
            pid = int.Parse(File.ReadAllText(Path.Combine(directory, "registry.pid")));
            // Detached: the registry leads its own session, so it outlives the build that started it.
            Assert.Equal(pid, SessionOf(pid));
            Assert.NotEqual(SessionOf(Environment.ProcessId), SessionOf(pid));
            Assert.True(Directory.Exists(Path.Combine(directory, "data")));
            Assert.True(File.Exists(Path.Combine(directory, "registry.log")));
        }
        finally
        {
            stopped = await server.StopAsync(root.Path, CancellationToken.None);
        }
        Assert.True(stopped);
        Assert.False(IsRunning(pid), $"docker-registry (pid {pid}) still runs after StopAsync");
        // The freed port may be taken at once by another test's server (ports are picked free, in parallel): only ours must be gone.
        Assert.NotEqual(RegistryServer.AnswerKind.Registry, (await server.ProbeAsync(address, ct)).Kind);
        Assert.False(File.Exists(Path.Combine(RegistryServer.DirectoryUnder(root.Path), "registry.pid")));
    }

    /// <summary>Neither gone nor a zombie waiting to be reaped by its parent.</summary>
    static bool IsRunning(int pid)
    {
        try { return File.ReadAllText($"/proc/{pid}/stat") is var stat && stat[stat.LastIndexOf(')')..] is not [_, _, 'Z' or 'X', ..]; }
        catch (IOException) { return false; }
    }

    /// <summary>The session id of a process (field 6 of /proc/pid/stat, counted after the command name).</summary>
    static int SessionOf(int pid)
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        return int.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[3]);
    }
}
